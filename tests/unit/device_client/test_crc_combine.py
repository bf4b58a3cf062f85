"""The device client's CRC-64 combine: the CRC of A+B from the CRCs of A and B and B's length.

It decides whether a multipart clip's parts, as OSS reported them, make the clip (before and after
CompleteMultipartUpload), so it must equal the CRC of the real bytes for every length — including
the lengths of real parts (16 MiB) and of objects far larger than any test can hold in memory,
which are checked against oss2's own (slow, matrix-based) combine.
"""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oss2.utils import Crc64
from vigil_camera.crc import crc64_bytes, crc64_combine

pytestmark = pytest.mark.unit


@given(st.binary(max_size=300), st.binary(max_size=5000))
def test_combine_equals_the_crc_of_the_concatenated_bytes(a, b):
    assert crc64_combine(crc64_bytes(a), crc64_bytes(b), len(b)) == crc64_bytes(a + b)


def test_combine_of_real_part_sizes_equals_the_whole():
    parts = [os.urandom(n) for n in (100 * 1024, 1 << 20, (1 << 20) + 1, 7)]
    crc = 0
    for part in parts:
        crc = crc64_combine(crc, crc64_bytes(part), len(part))
    assert crc == crc64_bytes(b"".join(parts))


def test_an_empty_second_part_leaves_the_crc_unchanged():
    assert crc64_combine(12345, crc64_bytes(b""), 0) == 12345


@pytest.mark.parametrize("length", [16 << 20, 5 << 30, (1 << 40) + 12345, (1 << 48) - 1])
def test_combine_agrees_with_oss2_for_object_sized_lengths(length):
    rng = random.Random(length)
    crc1, crc2 = rng.getrandbits(64), rng.getrandbits(64)
    assert crc64_combine(crc1, crc2, length) == int(Crc64().combine(crc1, crc2, length))


def test_a_changed_byte_changes_the_combined_crc():
    a, b = os.urandom(1000), bytearray(os.urandom(1000))
    good = crc64_combine(crc64_bytes(a), crc64_bytes(bytes(b)), len(b))
    b[500] ^= 1
    assert crc64_combine(crc64_bytes(a), crc64_bytes(bytes(b)), len(b)) != good
