from __future__ import annotations

import pytest
from vigil_fn.core.devices import MAX_GATEWAY_CAMERAS, DeviceRecord
from vigil_fn.token.policy import device_upload_policy

pytestmark = pytest.mark.unit


def test_a_gateway_policy_names_exactly_its_cameras_prefixes() -> None:
    doc = device_upload_policy("vigil-bucket", "gw-shop", ("cam-door", "cam-yard"))
    resources = doc["Statement"][0]["Resource"]
    assert resources == [f"acs:oss:*:*:vigil-bucket/{top}/{owner}/*"
                         for owner in ("gw-shop", "cam-door", "cam-yard") for top in ("videos", "live", "stills")]
    assert device_upload_policy("vigil-bucket", "cam-1")["Statement"][0]["Resource"] == [
        "acs:oss:*:*:vigil-bucket/videos/cam-1/*", "acs:oss:*:*:vigil-bucket/live/cam-1/*",
        "acs:oss:*:*:vigil-bucket/stills/cam-1/*"]


def test_ids_are_validated_before_the_policy_and_its_size_is_bounded() -> None:
    with pytest.raises(ValueError):
        device_upload_policy("vigil-bucket", "gw-shop", ("cam/*",))
    fits = tuple(f"camera-{i:02d}-front-yard" for i in range(MAX_GATEWAY_CAMERAS))
    assert device_upload_policy("vigil-bucket", "gw-shop", fits)       # the most a gateway may have fits
    with pytest.raises(ValueError, match="STS"):
        device_upload_policy("vigil-bucket", "gw-shop", tuple(c + "-with-a-long-name-too" for c in fits))


def test_a_gateway_record_refuses_duplicates_itself_and_too_many() -> None:
    assert DeviceRecord("gw-shop", cameras=["cam-a", "cam-b"]).cameras == ("cam-a", "cam-b")
    for bad in (("cam-a", "cam-a"), ("gw-shop",), tuple(f"cam-{i:03d}" for i in range(MAX_GATEWAY_CAMERAS + 1))):
        with pytest.raises(ValueError):
            DeviceRecord("gw-shop", cameras=bad)
    again = DeviceRecord.from_json(DeviceRecord("gw-shop", cameras=("cam-a",)).to_json())
    assert again.cameras == ("cam-a",)
