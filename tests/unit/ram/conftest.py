"""Fixtures for the RAM unit tests."""

from __future__ import annotations

import pytest
from localcloud.common.clock import Clock


@pytest.fixture
def ram_clock() -> Clock:
    """A clock of its own per test, so expiry tests move time freely."""
    return Clock()
