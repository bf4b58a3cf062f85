"""Device settings: a JSON config file, overridden by the environment (env wins).

File (`--config`, default `~/.config/vigil-camera/config.json`, written 0600):
    {"token_url": ..., "device_id": ..., "device_secret": ..., "spool_dir": ...}
Environment: VIGIL_TOKEN_URL, VIGIL_DEVICE_ID, VIGIL_DEVICE_SECRET, VIGIL_SPOOL_DIR.
Optional tunables in the file: max_spool_bytes, concurrency, part_size, multipart_threshold.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .protocol import token_base_url, validate_device_id

ENV = {"token_url": "VIGIL_TOKEN_URL", "device_id": "VIGIL_DEVICE_ID",
       "device_secret": "VIGIL_DEVICE_SECRET", "spool_dir": "VIGIL_SPOOL_DIR"}
MiB = 1 << 20


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "vigil-camera" / "config.json"


def default_spool_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "vigil-camera" / "spool"


class ConfigError(Exception):
    pass


SECRET_RE = re.compile(r"[0-9a-f]{64}")


def validate_secret(secret: str) -> str:
    """A device secret is the hex HMAC-SHA256 that `vigil devices add` prints: 64 hex characters."""
    if not SECRET_RE.fullmatch(secret.strip().lower()):
        raise ConfigError("device secret must be the 64 hex characters `vigil devices add` printed")
    return secret.strip().lower()


@dataclass
class Settings:
    token_url: str = ""
    device_id: str = ""
    device_secret: str = ""
    spool_dir: str = ""
    max_spool_bytes: int | None = None
    concurrency: int = 2
    part_size: int = 8 * MiB
    multipart_threshold: int = 8 * MiB

    def __repr__(self) -> str:   # never print the secret
        shown = asdict(self)
        shown["device_secret"] = "***" if self.device_secret else ""
        return f"Settings({shown})"

    @property
    def spool_path(self) -> Path:
        return Path(self.spool_dir) if self.spool_dir else default_spool_dir()

    def require(self) -> Settings:
        missing = [name for name in ("token_url", "device_id", "device_secret") if not getattr(self, name)]
        if missing:
            hint = ", ".join(ENV[m] for m in missing)
            raise ConfigError(f"missing settings: {', '.join(missing)} "
                              f"(run `vigil-camera configure` or set {hint})")
        try:
            validate_device_id(self.device_id)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        return self


def load(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    path = path or default_config_path()
    doc: dict[str, Any] = {}
    if path.exists():
        try:
            doc = json.loads(path.read_text())
        except ValueError as exc:
            raise ConfigError(f"{path}: not valid JSON") from exc
        if not isinstance(doc, dict):
            raise ConfigError(f"{path}: expected a JSON object")
    settings = Settings()
    for name in ("token_url", "device_id", "device_secret", "spool_dir"):
        value = env.get(ENV[name]) or doc.get(name)
        if value:
            setattr(settings, name, str(value))
    settings.token_url = token_base_url(settings.token_url)
    for name in ("max_spool_bytes", "concurrency", "part_size", "multipart_threshold"):
        if doc.get(name) is not None:
            setattr(settings, name, int(doc[name]))
    return settings


def save(settings: Settings, path: Path | None = None) -> Path:
    """Write the config 0600 (it holds the device secret), atomically."""
    path = path or default_config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    doc = {k: v for k, v in asdict(settings).items() if v not in ("", None)}
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(doc, indent=2).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path
