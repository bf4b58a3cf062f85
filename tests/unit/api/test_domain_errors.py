"""Registry and user-store errors carry their HTTP status and code as class attributes: the api maps
them by class, so the wording of a message never decides a status."""

from __future__ import annotations

import pytest
from vigil_fn.api.users import UnknownUser, UserError, UserExists, validate_name
from vigil_fn.core.devices import DeviceExists, RegistryError, UnknownDevice
from vigil_fn.core.errors import Refused

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("cls", "status", "code"), [
    (UnknownDevice, 404, "not_found"), (DeviceExists, 409, "conflict"), (RegistryError, 400, "invalid_request"),
    (UnknownUser, 404, "not_found"), (UserExists, 409, "conflict"), (UserError, 400, "invalid_request"),
])
def test_each_error_names_its_status_whatever_its_message(cls: type[Refused], status: int, code: str) -> None:
    for message in ("no such thing", "it exists already", ""):
        err = cls(message)
        assert isinstance(err, Refused) and (err.status, err.code) == (status, code)


def test_bad_input_is_a_plain_400() -> None:
    with pytest.raises(UserError) as caught:
        validate_name("no such user")   # a message that once read as a 404
    assert type(caught.value) is UserError and caught.value.status == 400
