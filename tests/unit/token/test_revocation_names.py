"""Session names carry the device's epoch, fit STS's 64 characters and stay distinct per device."""

from __future__ import annotations

import re

import pytest
from vigil_fn.core.revocation import new_epoch, session_name

STS_NAME = re.compile(r"[a-zA-Z0-9.@\-_]{2,64}")


@pytest.mark.parametrize("device_id", ["cam", "cam-lobby", "a" * 55, "b" * 56, "c" * 63])
def test_names_are_valid_and_distinct_per_epoch(device_id: str) -> None:
    epoch = new_epoch(0, now=1_764_583_200.123)
    names = {session_name(device_id, epoch), session_name(device_id, epoch + 1), session_name(device_id, 0)}
    assert len(names) == 3
    assert all(STS_NAME.fullmatch(n) for n in names)
    assert session_name(device_id, 0) == device_id  # records from before epochs keep their old name


def test_long_ids_sharing_a_stem_do_not_collide() -> None:
    a, b = "x" * 60 + "-aa", "x" * 60 + "-bb"
    assert session_name(a, 5) != session_name(b, 5)


def test_epochs_only_grow() -> None:
    assert new_epoch(10**15, now=1.0) == 10**15 + 1
    assert new_epoch(0, now=2.0) == 2000
