"""Waiting for an event in tests: poll a predicate until it holds, with a deadline, never a fixed sleep.

Everything asynchronous in the stack (OSS event delivery, a compaction, a camera's drain, a revocation
taking effect) is waited for here, so a slow, loaded machine makes a test slower, not flaky.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 30.0, what: str | Callable[[], str] = "condition",
             *, interval: float = 0.05, retry_on: tuple[type[BaseException], ...] = ()) -> T:
    """The first truthy value of `predicate()`; AssertionError naming `what` once `timeout` seconds pass.

    `what` may be a callable, evaluated only on timeout, to describe the state the test saw last.
    Exceptions in `retry_on` count as "not yet" (e.g. a resource that is still being created).
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except retry_on:
            value = None  # type: ignore[assignment]
        if value:
            return value
        if time.monotonic() > deadline:
            described = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout:g} s waiting for {described}")
        time.sleep(interval)
