"""A gateway's tokens: one per group of its cameras whose upload policy fits one STS token.

STS takes at most 2048 characters of session policy, and each camera adds three prefixes
(`videos/`, `live/`, `stills/`), so one token covers ~9 cameras with ordinary ids. Rather than widen
the policy with a wildcard (a stolen token would then reach cameras that are not the gateway's),
the gateway asks for a token per group, each naming exactly its group's cameras. Groups are found
lazily: the first request names every camera; the token function answers `policy_too_long` with how
many of them fit (`fits`), and that group is split there — no STS call is spent on a refusal, and a
gateway that starts offline records first and plans its groups when the service answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import logs
from .credentials import Token, TokenError, TokenProvider

POLICY_TOO_LONG = "policy_too_long"
log = logs.get("vigil_camera.tokengroups")


class TokenGroups:
    """The token providers of a gateway's cameras, split into groups that fit one policy each."""

    def __init__(self, make: Callable[[tuple[str, ...]], TokenProvider], cameras: Sequence[str]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self.groups: list[TokenProvider] = [make(tuple(cameras))] if cameras else []

    def for_camera(self, camera_id: str) -> CameraTokens:
        """What one camera's `DeviceOss` signs with (the `TokenProvider` interface)."""
        self.group_of(camera_id)     # a camera outside the gateway is a bug: fail now, not at upload
        return CameraTokens(self, camera_id)

    def group_of(self, camera_id: str) -> TokenProvider:
        with self._lock:
            for group in self.groups:
                if camera_id in (group.cameras or ()):
                    return group
        raise KeyError(camera_id)

    def token(self, camera_id: str) -> Token:
        """A valid token covering `camera_id`; splits its group while the function says it is too big."""
        while True:
            group = self.group_of(camera_id)
            try:
                return group.token()
            except TokenError as exc:
                if exc.code != POLICY_TOO_LONG:
                    raise
                self._split(group, exc.fits)

    def _split(self, group: TokenProvider, fits: int | None) -> None:
        with self._lock:
            if group not in self.groups:
                return                   # another camera's thread split it already
            cameras = group.cameras or ()
            if not fits or fits >= len(cameras):
                raise TokenError(POLICY_TOO_LONG, "one camera's prefixes do not fit a token's policy", 400)
            at = self.groups.index(group)
            self.groups[at:at + 1] = [self._make(cameras[:fits]), self._make(cameras[fits:])]
            sizes = [len(g.cameras or ()) for g in self.groups]
        log.info("token groups", extra={"groups": len(sizes), "cameras_per_group": sizes})


class CameraTokens:
    """One camera's view of its gateway's tokens: whichever group covers it now."""

    def __init__(self, groups: TokenGroups, camera_id: str) -> None:
        self.groups = groups
        self.camera_id = camera_id

    def token(self) -> Token:
        return self.groups.token(self.camera_id)

    def server_now(self) -> float:
        return self.groups.group_of(self.camera_id).server_now()

    def current(self) -> Token | None:
        return self.groups.group_of(self.camera_id).current()

    def invalidate(self, token: Token | None = None) -> None:
        self.groups.group_of(self.camera_id).invalidate(token)

    def activity(self) -> dict[str, Any] | None:
        """This camera's activity settings from the token covering it (its gateway's record), or None."""
        return self.token().camera_activity.get(self.camera_id)


@dataclass(frozen=True)
class CameraSettings:
    """What `activity.camera.CameraActivity` reads from a token: just the activity settings."""

    activity: dict[str, Any] | None


class CameraActivitySource:
    """What a gateway camera's analyzer is given in place of an uploader's `DeviceOss`.

    The analyzer reads `oss.tokens.token().activity`, which on a gateway's group token is the
    gateway's own record's settings. Through this it reads its camera's entry of the same token's
    `camera_activity` instead, so settings drawn for one camera reach that camera only, and change
    whenever the group's token is refreshed. The analyzer asks once per clip; the token is cached."""

    def __init__(self, tokens: CameraTokens) -> None:
        self.tokens = self                  # `oss.tokens.token()`: this object answers both
        self._camera_tokens = tokens

    def token(self) -> CameraSettings:
        return CameraSettings(self._camera_tokens.activity())
