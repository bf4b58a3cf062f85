"""Sending one delivery over one channel: signed webhook, DingTalk robot, WeCom robot, SMTP e-mail.

Each sender either returns (delivered) or raises `SendFailed` saying whether another attempt can
help (`retry`): a 5xx, a timeout or a refused connection can; a 4xx or a robot's own error code
(bad token, bad signature) cannot, and goes straight to the dead letters. Timeouts bound every
network step. Secrets (webhook and robot secrets, SMTP passwords, robot tokens in URLs) never
reach a log line or an error message.

Wire formats:
- webhook: `POST` JSON (`messages.webhook_body`) with `X-Vigil-Delivery: <id>`,
  `X-Vigil-Timestamp: <unix s>`, `X-Vigil-Signature: v1=<hex HMAC-SHA256(secret, "<ts>.<body>")>`.
- DingTalk custom robot: `{"msgtype": "markdown", "markdown": {"title", "text"}}`; signed mode
  appends `&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256(secret, "<ms>\\n<secret>")>`;
  success is `{"errcode": 0}` (HTTP 200 with another errcode is a refusal; 130101 = rate limited).
- WeCom group robot: `{"msgtype": "markdown", "markdown": {"content"}}` (≤ 4096 bytes), `errcode` 0;
  45009 = rate limited.
- e-mail: one text message over SMTP (SSL on 465, STARTTLS, or plain for tests), DirectMail's
  `smtpdm.aliyun.com` in the cloud.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import quote_plus, urlsplit

from . import messages, netguard
from .messages import Delivery
from .rules import Channel

RATE_LIMIT_CODES = {130101, 45009}   # DingTalk, WeCom: "too many messages this minute"


class SendFailed(Exception):
    """A failed attempt; `retry` says whether a later attempt can succeed."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


@dataclass(frozen=True)
class SendOptions:
    timeout_s: float = 5.0
    allow_loopback: bool = False


def sign_webhook(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex>`: HMAC-SHA256 over `<timestamp>.<body>` (the recipe receivers follow, docs/alerts.md)."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signed-URL mode: base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")), URL-encoded."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(mac))


def _post_json(url: str, doc: object, headers: dict[str, str], opts: SendOptions) -> netguard.Reply:
    body = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    return _post(url, body, headers, opts)


def _post(url: str, body: bytes, headers: dict[str, str], opts: SendOptions) -> netguard.Reply:
    host = urlsplit(url).hostname or "?"
    try:
        reply = netguard.post(url, body, {"Content-Type": "application/json", "User-Agent": "vigil-alerts/1",
                                          **headers}, timeout=opts.timeout_s, allow_loopback=opts.allow_loopback)
    except netguard.TargetRefused as exc:
        raise SendFailed(str(exc), retry=False) from None
    except (OSError, TimeoutError) as exc:   # refused, reset, timed out, TLS: the receiver may come back
        raise SendFailed(f"{host}: {type(exc).__name__}", retry=True) from None
    except Exception as exc:  # noqa: BLE001 - http.client's protocol errors: try again later
        raise SendFailed(f"{host}: {type(exc).__name__}", retry=True) from None
    if reply.status >= 500 or reply.status == 429 or reply.status == 408:
        raise SendFailed(f"{host} answered {reply.status}", retry=True)
    if reply.status >= 300:
        raise SendFailed(f"{host} answered {reply.status}", retry=False)
    return reply


def _robot_answer(reply: netguard.Reply, who: str) -> None:
    try:
        doc = json.loads(reply.body or b"{}")
        code = int(doc.get("errcode", 0))
    except (ValueError, TypeError, AttributeError):
        raise SendFailed(f"{who} answered something that is not its JSON", retry=True) from None
    if code != 0:
        message = str(doc.get("errmsg", ""))[:120]
        raise SendFailed(f"{who} refused: errcode {code} {message}", retry=code in RATE_LIMIT_CODES)


def send_webhook(channel: Channel, delivery: Delivery, now_s: int, opts: SendOptions) -> None:
    body = json.dumps(messages.webhook_body(delivery), separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"X-Vigil-Delivery": delivery.id, "X-Vigil-Timestamp": str(now_s),
               "X-Vigil-Signature": sign_webhook(str(channel.config["secret"]), now_s, body)}
    _post(str(channel.config["url"]), body, headers, opts)


def send_dingtalk(channel: Channel, delivery: Delivery, now_s: int, opts: SendOptions) -> None:
    url = str(channel.config["url"])
    secret = channel.config.get("secret")
    if secret:
        ms = now_s * 1000
        url += ("&" if "?" in url else "?") + f"timestamp={ms}&sign={dingtalk_sign(str(secret), ms)}"
    doc = {"msgtype": "markdown", "markdown": {"title": messages.title(delivery)[:64],
                                               "text": messages.markdown(delivery, 18000)}}
    _robot_answer(_post_json(url, doc, {}, opts), "DingTalk")


def send_wecom(channel: Channel, delivery: Delivery, now_s: int, opts: SendOptions) -> None:
    doc = {"msgtype": "markdown", "markdown": {"content": messages.markdown(delivery, messages.WECOM_MAX_BYTES)}}
    _robot_answer(_post_json(str(channel.config["url"]), doc, {}, opts), "WeCom")


def send_email(channel: Channel, delivery: Delivery, now_s: int, opts: SendOptions) -> None:
    cfg = channel.config
    host, port, security = str(cfg["host"]), int(cfg.get("port", 465)), str(cfg.get("security", "ssl"))
    msg = EmailMessage()
    msg["Subject"] = messages.title(delivery)
    msg["From"] = str(cfg["sender"])
    msg["To"] = ", ".join(cfg["to"])
    msg["Date"] = format_datetime(datetime.fromtimestamp(now_s, timezone.utc))
    msg["Message-ID"] = make_msgid(idstring=delivery.id[:32], domain="vigil.alerts")
    msg["X-Vigil-Delivery"] = delivery.id
    msg.set_content(messages.plain_text(delivery))
    try:
        address = netguard.resolve(host, port, allow_loopback=opts.allow_loopback)
    except netguard.TargetRefused as exc:
        raise SendFailed(str(exc), retry=False) from None
    try:
        smtp: smtplib.SMTP
        if security == "ssl":
            smtp = smtplib.SMTP_SSL(timeout=opts.timeout_s, context=ssl.create_default_context())
            smtp._host = host  # type: ignore[attr-defined]  # the certificate is checked against the name
        else:
            smtp = smtplib.SMTP(timeout=opts.timeout_s)
            smtp._host = host  # type: ignore[attr-defined]
        smtp.connect(address, port)
        with smtp:
            if security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if cfg.get("username"):
                smtp.login(str(cfg["username"]), str(cfg.get("password", "")))
            smtp.send_message(msg)
    except smtplib.SMTPAuthenticationError:
        raise SendFailed(f"{host}: the SMTP server refused the login", retry=False) from None
    except smtplib.SMTPRecipientsRefused:
        raise SendFailed(f"{host}: every recipient was refused", retry=False) from None
    except smtplib.SMTPResponseException as exc:
        raise SendFailed(f"{host}: SMTP {exc.smtp_code}", retry=exc.smtp_code < 500) from None
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise SendFailed(f"{host}: {type(exc).__name__}", retry=True) from None


SENDERS = {"webhook": send_webhook, "dingtalk": send_dingtalk, "wecom": send_wecom, "email": send_email}


def send(channel: Channel, delivery: Delivery, *, now_s: int, opts: SendOptions) -> None:
    SENDERS[channel.kind](channel, delivery, now_s, opts)
