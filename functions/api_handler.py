"""FC entry point of the viewer API function: wiring only (see vigil_fn.api.app)."""

from typing import Any

from vigil_fn.api.app import ApiFunction

_function: ApiFunction | None = None


def handler(event: Any, context: Any) -> dict[str, Any]:
    global _function
    if _function is None:  # built once per instance, on the first request
        _function = ApiFunction()
    return _function.handle(event, context)
