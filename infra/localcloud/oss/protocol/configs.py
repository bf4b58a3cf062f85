"""Bucket configuration documents: `<LifecycleConfiguration>` and `<OverwriteConfiguration>`.

XML ↔ the dicts the model stores (see `localcloud.oss.model.lifecycle` / `.overwrite`); the
model validates the values, this module only checks the shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localcloud.oss.protocol import xml


def _action(node: xml.Element | None) -> dict[str, Any] | None:
    if node is None:
        return None
    days = xml.text(node, "Days")
    if days is not None:
        try:
            return {"days": int(days)}
        except ValueError as exc:
            raise xml.malformed("Days must be an integer.") from exc
    before = xml.text(node, "CreatedBeforeDate")
    if before is not None:
        return {"created_before_date": before}
    if node.find("Date") is not None:
        return {"created_before_date": xml.text(node, "Date") or ""}
    raise xml.malformed("An action needs Days or CreatedBeforeDate.")


def parse_lifecycle(body: bytes) -> dict[str, Any]:
    root = xml.parse(body, "LifecycleConfiguration")
    rules = []
    for node in root.findall("Rule"):
        prefix = xml.text(node, "Prefix")
        if prefix is None:
            prefix = xml.text(node, "Filter/Prefix", "")
        rules.append(
            {
                "id": xml.text(node, "ID", "") or "",
                "prefix": prefix or "",
                "status": xml.text(node, "Status", ""),
                "expiration": _action(node.find("Expiration")),
                "abort_multipart_upload": _action(node.find("AbortMultipartUpload")),
            }
        )
    if not rules:
        raise xml.malformed()
    return {"rules": rules}


def _iso_date(value: str) -> str:
    """oss2 reads CreatedBeforeDate only as `YYYY-MM-DDTHH:MM:SS.000Z`."""
    return value + "T00:00:00.000Z" if len(value) == 10 else value


def _render_action(parent: xml.Element, tag: str, action: Mapping[str, Any] | None) -> None:
    if not action:
        return
    node = xml.sub(parent, tag)
    if action.get("days") is not None:
        xml.sub(node, "Days", int(action["days"]))
    elif action.get("created_before_date"):
        xml.sub(node, "CreatedBeforeDate", _iso_date(str(action["created_before_date"])))


def render_lifecycle(doc: Mapping[str, Any]) -> xml.Element:
    root = xml.element("LifecycleConfiguration")
    for rule in doc.get("rules", []):
        node = xml.sub(root, "Rule")
        xml.sub(node, "ID", rule.get("id", ""))
        xml.sub(node, "Prefix", rule.get("prefix", ""))
        xml.sub(node, "Status", rule.get("status", "Enabled"))
        _render_action(node, "Expiration", rule.get("expiration"))
        _render_action(node, "AbortMultipartUpload", rule.get("abort_multipart_upload"))
    return root


def parse_overwrite(body: bytes) -> dict[str, Any]:
    root = xml.parse(body, "OverwriteConfiguration")
    rules = []
    for node in root.findall("Rule"):
        rules.append(
            {
                "id": xml.text(node, "ID", "") or "",
                "action": xml.text(node, "Action", "forbid"),
                "prefix": xml.text(node, "Prefix", "") or "",
                "suffix": xml.text(node, "Suffix", "") or "",
                "principals": [p for p in xml.texts(node, "Principals/Principal") if p],
            }
        )
    return {"rules": rules}


def render_overwrite(doc: Mapping[str, Any]) -> xml.Element:
    root = xml.element("OverwriteConfiguration")
    for rule in doc.get("rules", []):
        node = xml.sub(root, "Rule")
        xml.sub(node, "ID", rule.get("id", ""))
        xml.sub(node, "Action", rule.get("action", "forbid"))
        xml.sub(node, "Prefix", rule.get("prefix", ""))
        xml.sub(node, "Suffix", rule.get("suffix", ""))
        principals = xml.sub(node, "Principals")
        for principal in rule.get("principals", []):
            xml.sub(principals, "Principal", principal)
    return root
