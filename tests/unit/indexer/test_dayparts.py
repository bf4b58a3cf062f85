"""A calendar from quarter-hour counts equals one from reading the clips: for any clips (spilling
past midnight, unreadable with no length, on quarter boundaries) and any local day whose bounds
are quarter-hour boundaries, the clips shown and the recorded time inside agree with `shows_in`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vigil_fn.indexer.dayparts import QUARTER_MS, Quarters, quarters
from vigil_fn.indexer.reader import shows_in
from vigil_fn.indexer.rows import START, row_end

pytestmark = pytest.mark.unit

DAY = 86_400_000
M0 = 1_796_083_200_000   # a UTC midnight


def _row(start: int, duration: int | None) -> list[object]:
    return [f"k{start}-{duration}", "E", 1, start, duration, None, None, None, True,
            "ok" if duration else "unreadable", None, 0, None]


clip_st = st.tuples(st.integers(0, DAY - 1), st.one_of(st.none(), st.integers(1, 3 * QUARTER_MS)))


@given(st.lists(st.one_of(clip_st, st.tuples(st.integers(0, 95).map(lambda q: q * QUARTER_MS),
                                             st.sampled_from([None, 1, QUARTER_MS, QUARTER_MS + 1]))),
                max_size=40),
       st.integers(-60, 60), st.integers(1, 4 * 24))
def test_quarters_sum_to_what_reading_the_clips_gives(clips: list[tuple[int, int | None]], offset_q: int,
                                                      width_q: int) -> None:
    rows = [_row(M0 + s, d) for s, d in clips]
    lo = M0 + offset_q * QUARTER_MS
    hi = lo + width_q * QUARTER_MS
    parts = quarters(rows, M0)
    assert parts is not None
    shown = [r for r in rows if shows_in(r[START], row_end(r), lo, hi)]   # type: ignore[arg-type]
    inside = sum(max(0, min(row_end(r), hi) - max(r[START], lo)) for r in shown)   # type: ignore[arg-type, type-var]
    assert parts.add_to(lo, hi) == (len(shown), inside)
    again = Quarters.from_doc(M0, parts.to_doc())
    assert again is not None and again.add_to(lo, hi) == (len(shown), inside)


def test_a_clip_before_the_day_or_a_damaged_record_is_refused() -> None:
    assert quarters([_row(M0 - 1, 10)], M0) is None
    assert Quarters.from_doc(M0, {"s": [1], "m": [1]}) is None
    assert Quarters.from_doc(M0, {"s": [1], "m": ["1"], "x": [0]}) is None
    assert Quarters.from_doc(M0, None) is None
