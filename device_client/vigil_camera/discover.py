"""`vigil-camera discover`: find ONVIF cameras on the LAN and read their RTSP stream URLs.

Standard library only (device_client stays light): a WS-Discovery Probe for
`tdn:NetworkVideoTransmitter` sent to 239.255.255.250:3702 (or to one address with `target`), the
ProbeMatches collected for `timeout` seconds; then, per camera, ONVIF Media `GetProfiles` and
`GetStreamUri` (RTP-Unicast over RTSP) as SOAP 1.2 over HTTP, signed with a WS-Security
UsernameToken digest when credentials are given (most cameras refuse anonymous media requests).
What a camera refuses is reported with it; the others are still listed.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .i18n import N_

MULTICAST = ("239.255.255.250", 3702)
MAX_DATAGRAM = 65535
MAX_CAMERAS = 256          # bounded memory on a busy or hostile network
NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "d": "http://schemas.xmlsoap.org/ws/2005/04/discovery",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
}
PROBE = """<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
 xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"
 xmlns:tdn="http://www.onvif.org/ver10/network/wsdl">
<s:Header><a:MessageID>uuid:{id}</a:MessageID>
<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>
<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>
<s:Body><d:Probe><d:Types>tdn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>"""


NO_SERVICE = N_("no ONVIF service address in its answer")


class DiscoverError(Exception):
    """A camera answered the probe but its stream URLs could not be read.

    The message is an `N_` template with `%(name)s` fields: `str()` is the English that goes into
    `--json`, `translate(template, fields)` the words the text listing prints (issue 31)."""

    def __init__(self, template: str, **fields: object) -> None:
        super().__init__(template % fields if fields else template)
        self.template, self.fields = template, fields


@dataclass
class Camera:
    address: str                       # who answered the probe (IP)
    endpoint: str                      # its WS-Discovery endpoint reference (stable id)
    xaddrs: list[str]                  # its ONVIF device service URLs
    name: str = ""
    hardware: str = ""
    streams: list[dict[str, str]] = field(default_factory=list)   # {"profile", "uri"}
    error: str | None = None
    # the error as its template and fields, for the text listing in the locale's language (not in JSON)
    problem: tuple[str, dict[str, object]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "endpoint": self.endpoint, "xaddrs": self.xaddrs, "name": self.name,
                "hardware": self.hardware, "streams": self.streams, "error": self.error}


def probe_message(message_id: str | None = None) -> bytes:
    return PROBE.format(id=message_id or uuid.uuid4()).encode()


def parse_probe_match(data: bytes, sender: str, message_id: str) -> list[Camera]:
    """The cameras in one ProbeMatches datagram that answers our probe (others are ignored)."""
    try:
        root = ET.fromstring(data)    # noqa: S314 - a LAN answer; expat does not fetch external entities
    except ET.ParseError:
        return []
    relates = root.findtext("s:Header/a:RelatesTo", default="", namespaces=NS).strip()
    if relates and relates != f"uuid:{message_id}":
        return []
    found = []
    for match in root.iterfind("s:Body/d:ProbeMatches/d:ProbeMatch", NS):
        scopes = (match.findtext("d:Scopes", default="", namespaces=NS) or "").split()
        found.append(Camera(
            address=sender,
            endpoint=(match.findtext("a:EndpointReference/a:Address", default="", namespaces=NS) or "").strip(),
            xaddrs=(match.findtext("d:XAddrs", default="", namespaces=NS) or "").split(),
            name=_scope(scopes, "name"), hardware=_scope(scopes, "hardware")))
    return found


def _scope(scopes: list[str], kind: str) -> str:
    prefix = f"onvif://www.onvif.org/{kind}/"
    values = [urllib.parse.unquote(s[len(prefix):]) for s in scopes if s.startswith(prefix)]
    return " ".join(values)


def probe(timeout: float = 3.0, *, target: tuple[str, int] | None = None,
          clock: Callable[[], float] = time.monotonic) -> list[Camera]:
    """Send one Probe (multicast, or to `target`) and collect the answers for `timeout` seconds."""
    message_id = str(uuid.uuid4())
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)   # the LAN only
        sock.bind(("", 0))
        sock.sendto(probe_message(message_id), target or MULTICAST)
        found: dict[str, Camera] = {}
        deadline = clock() + timeout
        while len(found) < MAX_CAMERAS:
            left = deadline - clock()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                data, (sender, _) = sock.recvfrom(MAX_DATAGRAM)
            except TimeoutError:
                break
            for cam in parse_probe_match(data, sender, message_id):
                found.setdefault(cam.endpoint or cam.address, cam)
        return sorted(found.values(), key=lambda c: (c.address, c.endpoint))
    finally:
        sock.close()


# -- ONVIF media: profiles and their RTSP URIs -------------------------------------------------------
def _security(username: str, password: str, now: datetime | None = None, nonce: bytes | None = None) -> str:
    """WS-Security UsernameToken with PasswordDigest = base64(sha1(nonce + created + password))."""
    nonce = nonce or os.urandom(16)
    created = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest()).decode()  # noqa: S324 - the ONVIF standard
    wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
    wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    ptype = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
    etype = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-soap-message-security-1.0#Base64Binary"
    return (f'<wsse:Security xmlns:wsse="{wsse}" xmlns:wsu="{wsu}"><wsse:UsernameToken>'
            f"<wsse:Username>{_xml(username)}</wsse:Username>"
            f'<wsse:Password Type="{ptype}">{digest}</wsse:Password>'
            f'<wsse:Nonce EncodingType="{etype}">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
            f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>")


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _soap(url: str, body: str, *, username: str | None, password: str | None, timeout: float) -> ET.Element:
    header = _security(username, password or "") if username else ""
    envelope = (f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{NS["s"]}" xmlns:trt="{NS["trt"]}" '
                f'xmlns:tt="{NS["tt"]}"><s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>')
    if not url.startswith(("http://", "https://")):
        raise DiscoverError(N_("the camera's service address is not an http(s) URL"))
    req = urllib.request.Request(url, data=envelope.encode(), method="POST",  # noqa: S310 - http(s), checked
                                 headers={"Content-Type": "application/soap+xml; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:   # noqa: S310 - the camera's own http URL
            data = resp.read(1 << 20)
    except urllib.error.HTTPError as exc:
        if exc.code in (400, 401, 403):
            raise DiscoverError(N_("the camera refused the credentials")) from None
        raise DiscoverError(N_("HTTP %(status)s from the camera"), status=exc.code) from None
    except (urllib.error.URLError, OSError) as exc:
        raise DiscoverError(N_("no answer from the camera: %(reason)s"), reason=getattr(exc, "reason", exc)) from None
    try:
        return ET.fromstring(data)    # noqa: S314 - as above
    except ET.ParseError:
        raise DiscoverError(N_("the camera's answer is not XML")) from None


def stream_uris(xaddr: str, *, username: str | None = None, password: str | None = None,
                timeout: float = 5.0) -> list[dict[str, str]]:
    """Each media profile's RTSP URI (the device service URL serves the media service too on most
    cameras; ONVIF Profile S)."""
    root = _soap(xaddr, "<trt:GetProfiles/>", username=username, password=password, timeout=timeout)
    streams = []
    for profile in root.iterfind(".//trt:Profiles", NS):
        token = profile.get("token", "")
        body = ("<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport>"
                f"<tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>{_xml(token)}"
                "</trt:ProfileToken></trt:GetStreamUri>")
        answer = _soap(xaddr, body, username=username, password=password, timeout=timeout)
        uri = (answer.findtext(".//trt:MediaUri/tt:Uri", default="", namespaces=NS) or "").strip()
        if uri:
            streams.append({"profile": profile.findtext("tt:Name", default=token, namespaces=NS) or token,
                            "uri": uri})
    return streams


def discover(timeout: float = 3.0, *, target: tuple[str, int] | None = None, username: str | None = None,
             password: str | None = None, streams: bool = True) -> list[Camera]:
    cameras = probe(timeout, target=target)
    for cam in cameras:
        if not streams:
            continue
        http = [x for x in cam.xaddrs if x.startswith(("http://", "https://"))]
        if not http:
            cam.problem = (NO_SERVICE, {})
            cam.error = NO_SERVICE
            continue
        try:
            cam.streams = stream_uris(http[0], username=username, password=password)
        except DiscoverError as exc:
            cam.error, cam.problem = str(exc), (exc.template, exc.fields)
    return cameras
