"""Request target → bucket, key and query parameters (path style and virtual-host style).

oss2 talking to an IP or `localhost` endpoint uses path style (`/<bucket>/<key>`); a browser or
curl may use `<bucket>.localhost:<port>`. The key is percent-decoded with `unquote` (never
`unquote_plus`: `+` is a literal plus in a path) and must be valid UTF-8.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from localcloud.oss.errors import InvalidObjectName
from localcloud.oss.model.names import BUCKET_NAME_RE, validate_key

BUCKET_RE = BUCKET_NAME_RE
_ALIYUN_HOST_RE = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.oss-[a-z0-9-]+\.aliyuncs\.com$")
_IP_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


@dataclass(frozen=True)
class Route:
    """Where a request points: the service (no bucket), a bucket (no key) or an object."""

    bucket: str | None
    key: str | None
    params: dict[str, str] = field(default_factory=dict)
    virtual_host: bool = False

    @property
    def is_service(self) -> bool:
        return self.bucket is None

    @property
    def is_object(self) -> bool:
        return self.key is not None






def bucket_from_host(host: str | None) -> str | None:
    """The bucket named by a virtual-host style Host header, or None for path style."""
    if not host:
        return None
    name = host.strip().lower()
    if name.startswith("["):  # IPv6 literal
        return None
    name = name.rsplit(":", 1)[0] if ":" in name else name
    if _IP_RE.match(name) or name == "localhost":
        return None
    if name.endswith(".localhost"):
        label = name[: -len(".localhost")]
        return label if BUCKET_RE.match(label) else None
    match = _ALIYUN_HOST_RE.match(name)
    return match.group("bucket") if match else None


def decode_component(raw: str) -> str:
    """Percent-decode a path part strictly: bad UTF-8 is an invalid object name, not a crash."""
    try:
        return unquote(raw, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidObjectName("The object name is not valid UTF-8.") from exc


def parse_query(query: str) -> dict[str, str]:
    """Form-decoded query parameters; the last of repeated names wins (as oss2 never repeats)."""
    return dict(parse_qsl(query, keep_blank_values=True))


def route(target: str, host: str | None) -> Route:
    """Split a request target (`/bucket/key?query`) and Host header into a `Route`."""
    path, _, query = target.partition("?")
    if path.startswith(("http://", "https://")):  # absolute-form request target
        path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
    params = parse_query(query)
    vhost_bucket = bucket_from_host(host)
    if vhost_bucket is not None:
        raw_key = path[1:] if path.startswith("/") else path
        key = decode_component(raw_key)
        return Route(vhost_bucket, validate_key(key) if key else None, params, virtual_host=True)
    stripped = path[1:] if path.startswith("/") else path
    if not stripped:
        return Route(None, None, params)
    raw_bucket, sep, raw_key = stripped.partition("/")
    bucket = decode_component(raw_bucket)
    if not sep or raw_key == "":
        return Route(bucket, None, params)
    key = decode_component(raw_key)
    return Route(bucket, validate_key(key), params)
