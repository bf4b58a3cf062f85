"""The api function's routes, one module per area; each module's `register(table)` adds its routes.

A new area is a new module here and one entry in `MODULES`.
"""

from . import admin, auth, cameras, evidence, exports, live, manage, playback, shares, sync

MODULES = (auth, cameras, playback, manage, admin, exports, live, evidence, shares, sync)
