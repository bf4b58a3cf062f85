"""FC entry point of the token function: wiring only (see vigil_fn.token.service)."""

from typing import Any

from vigil_fn.token.service import TokenFunction

_function: TokenFunction | None = None


def handler(event: Any, context: Any) -> dict[str, Any]:
    global _function
    if _function is None:  # built once per instance, on the first request
        _function = TokenFunction()
    return _function.handle(event, context)
