"""The viewer API function (`api_handler.handler`): login, cameras, timeline, playback, management.

One plain module per job; `app.ApiFunction` wires them per FC instance. Contract: docs/api.md and
`GET /api/v1/openapi.json` (generated from `models`).
"""
