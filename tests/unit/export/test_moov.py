"""The faststart rewrite of the moov: offsets move by the moov's own size; past 4 GiB stco → co64."""

from __future__ import annotations

import struct

import pytest
from vigil_fn.export.moov import BoxError, chunk_offsets, iter_boxes, shifted_moov


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def stco(offsets: list[int]) -> bytes:
    return box(b"stco", b"\0\0\0\0" + struct.pack(f">I{len(offsets)}I", len(offsets), *offsets))


def moov(*tracks: list[int]) -> bytes:
    traks = b"".join(box(b"trak", box(b"mdia", box(b"minf", box(b"stbl", stco(t) + box(b"stsz", b"x" * 12)))))
                     for t in tracks)
    return box(b"moov", box(b"mvhd", b"\0" * 100) + traks + box(b"udta", b"meta"))


def test_offsets_grow_by_the_moov_size_and_other_boxes_are_kept() -> None:
    src = moov([48, 1000, 5000], [7000])
    out = shifted_moov(src)
    assert len(out) == len(src)
    assert chunk_offsets(out) == [[48 + len(src), 1000 + len(src), 5000 + len(src)], [7000 + len(src)]]
    assert out.endswith(box(b"udta", b"meta"))
    assert [k for k, *_ in iter_boxes(out)] == [b"moov"]


def test_offsets_past_4_gib_switch_to_co64_and_account_for_the_bigger_box() -> None:
    near = 0xFFFFFFFF - 10
    src = moov([48, near])
    out = shifted_moov(src)
    assert len(out) == len(src) + 2 * 4          # two entries grew from 4 to 8 bytes
    assert b"co64" in out and b"stco" not in out
    assert chunk_offsets(out) == [[48 + len(out), near + len(out)]]


def test_garbage_is_refused() -> None:
    with pytest.raises(BoxError):
        shifted_moov(b"\0\0\0\x10free" + b"\0" * 8)
    with pytest.raises(BoxError):
        shifted_moov(box(b"moov", b"\0\0\0\xffstco"))
