"""Bucket configuration documents: `<LifecycleConfiguration>` and `<OverwriteConfiguration>`.

XML ↔ the dicts the model stores (see `localcloud.oss.model.lifecycle` / `.overwrite`); the
model validates the values, this module only checks the shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localcloud.oss.protocol import xml


def _action(node: xml.Element | None) -> dict[str, Any] | None:
    """Days / CreatedBeforeDate / Date of an action element, as given (the model checks them)."""
    if node is None:
        return None
    out: dict[str, Any] = {}
    days = xml.text(node, "Days")
    if days is not None:
        try:
            out["days"] = int(days)
        except ValueError as exc:
            raise xml.malformed("Days must be an integer.") from exc
    for tag, name in (("CreatedBeforeDate", "created_before_date"), ("Date", "date")):
        value = xml.text(node, tag)
        if value is not None:
            out[name] = value
    return out


def _tag_pairs(nodes: list[xml.Element]) -> list[list[str]]:
    out = []
    for node in nodes:
        key = xml.text(node, "Key")
        if not key:
            raise xml.malformed("A Tag needs a Key.")
        out.append([key, xml.text(node, "Value", "") or ""])
    return out


def parse_lifecycle(body: bytes) -> dict[str, Any]:
    root = xml.parse(body, "LifecycleConfiguration")
    rules = []
    for node in root.findall("Rule"):
        prefix = xml.text(node, "Prefix")
        if prefix is None:
            prefix = xml.text(node, "Filter/Prefix", "")
        transitions = []
        for t in node.findall("Transition"):
            action = _action(t) or {}
            action["storage_class"] = xml.text(t, "StorageClass", "")
            transitions.append(action)
        nots = node.findall("Filter/Not")
        if len(nots) > 1:
            raise xml.malformed("A Filter holds at most one Not.")
        not_doc = None
        if nots:
            not_tags = _tag_pairs(nots[0].findall("Tag"))
            not_doc = {"prefix": xml.text(nots[0], "Prefix", "") or "",
                       "tag": not_tags[0] if not_tags else None}
        rules.append(
            {
                "id": xml.text(node, "ID", "") or "",
                "prefix": prefix or "",
                "status": xml.text(node, "Status", ""),
                "expiration": _action(node.find("Expiration")),
                "abort_multipart_upload": _action(node.find("AbortMultipartUpload")),
                "transitions": transitions,
                "tags": _tag_pairs(node.findall("Tag")),
                "not": not_doc,
                "size_greater_than": xml.text(node, "Filter/ObjectSizeGreaterThan"),
                "size_less_than": xml.text(node, "Filter/ObjectSizeLessThan"),
            }
        )
    if not rules:
        raise xml.malformed()
    return {"rules": rules}


def _iso_date(value: str) -> str:
    """oss2 reads dates only as `YYYY-MM-DDTHH:MM:SS.000Z`."""
    return value + "T00:00:00.000Z" if len(value) == 10 else value


def _render_action(parent: xml.Element, tag: str, action: Mapping[str, Any] | None) -> xml.Element | None:
    if not action:
        return None
    node = xml.sub(parent, tag)
    if action.get("days") is not None:
        xml.sub(node, "Days", int(action["days"]))
    elif action.get("created_before_date"):
        xml.sub(node, "CreatedBeforeDate", _iso_date(str(action["created_before_date"])))
    elif action.get("date"):
        xml.sub(node, "Date", _iso_date(str(action["date"])))
    return node


def _render_tag(parent: xml.Element, key: str, value: str) -> None:
    node = xml.sub(parent, "Tag")
    xml.sub(node, "Key", key)
    xml.sub(node, "Value", value)


def render_lifecycle(doc: Mapping[str, Any]) -> xml.Element:
    root = xml.element("LifecycleConfiguration")
    for rule in doc.get("rules", []):
        node = xml.sub(root, "Rule")
        xml.sub(node, "ID", rule.get("id", ""))
        xml.sub(node, "Prefix", rule.get("prefix", ""))
        xml.sub(node, "Status", rule.get("status", "Enabled"))
        _render_action(node, "Expiration", rule.get("expiration"))
        for transition in rule.get("transitions") or ():
            t = _render_action(node, "Transition", transition)
            if t is not None:
                xml.sub(t, "StorageClass", transition["storage_class"])
        _render_action(node, "AbortMultipartUpload", rule.get("abort_multipart_upload"))
        for key, value in rule.get("tags") or ():
            _render_tag(node, key, value)
        larger, smaller, excluded = rule.get("size_greater_than"), rule.get("size_less_than"), rule.get("not")
        if larger is not None or smaller is not None or excluded:
            f = xml.sub(node, "Filter")
            if larger is not None:
                xml.sub(f, "ObjectSizeGreaterThan", larger)
            if smaller is not None:
                xml.sub(f, "ObjectSizeLessThan", smaller)
            if excluded:
                n = xml.sub(f, "Not")
                xml.sub(n, "Prefix", excluded["prefix"])
                if excluded.get("tag"):
                    _render_tag(n, *excluded["tag"])
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
