"""CRC-64/XZ as OSS reports it (x-oss-hash-crc64ecma), and the combine the model relies on."""

from __future__ import annotations

import os

import oss2.utils
import pytest
from localcloud.oss.model.crc import crc64, crc64_combine

pytestmark = pytest.mark.unit


def test_known_check_value() -> None:
    assert crc64(b"123456789") == 0x995DC9BBDF1939FA
    assert crc64(b"") == 0


def test_streaming_equals_one_shot() -> None:
    data = os.urandom(300_000)
    crc = 0
    for i in range(0, len(data), 65536):
        crc = crc64(data[i:i + 65536], crc)
    assert crc == crc64(data)


def test_matches_oss2_client_crc() -> None:
    data = os.urandom(10_000)
    client = oss2.utils.Crc64()
    client.update(data)
    assert crc64(data) == client.crc


@pytest.mark.parametrize("cut", [0, 1, 4999, 10_000])
def test_combine(cut: int) -> None:
    data = os.urandom(10_000)
    a, b = data[:cut], data[cut:]
    assert crc64_combine(crc64(a), crc64(b), len(b)) == crc64(data)
