"""Vigil device client: signed token requests, STS-authorised uploads to OSS, a durable spool.

Kept import-light on purpose: `vigil_camera.protocol` and `vigil_camera.keys` are stdlib-only and
are also what the token function and the indexer use, so the contract lives in one place.
"""

__version__ = "0.1.0"
