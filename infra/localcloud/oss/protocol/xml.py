"""Build and parse the XML documents OSS exchanges (no default namespace: oss2 breaks on one).

Parsing refuses DTDs and entities (no entity expansion bombs) and anything that is not the
expected root element: all of it is `MalformedXML` to the client.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree
from xml.etree.ElementTree import Element

from localcloud.oss.errors import OSSError

__all__ = ["Element", "element", "sub", "dumps", "parse", "text", "texts", "malformed"]

_DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def malformed(message: str = "The XML you provided was not well-formed or did not validate "
              "against our published schema.") -> OSSError:
    return OSSError("MalformedXML", message, 400)


def element(tag: str) -> Element:
    return Element(tag)


def sub(parent: Element, tag: str, value: str | int | None = None) -> Element:
    """Append `<tag>value</tag>` (value None → empty element)."""
    child = ElementTree.SubElement(parent, tag)
    if value is not None:
        child.text = str(value)
    return child


def dumps(root: Element) -> bytes:
    return _DECL + ElementTree.tostring(root, encoding="utf-8", short_empty_elements=False)


_CONTROL = bytes(c for c in range(1, 32) if c not in (9, 10, 13))
_STAND_IN = 0xF700  # private-use code points stand in for raw control characters while parsing
_TO_STAND_IN = {c: chr(_STAND_IN + c).encode() for c in _CONTROL}
_FROM_STAND_IN = {_STAND_IN + c: chr(c) for c in _CONTROL}
_CONTROL_RE = re.compile(b"[" + re.escape(_CONTROL) + b"]")


def parse_lenient(body: bytes, root_tag: str) -> Element:
    """`parse` for documents that may carry raw control characters in text (object keys may hold
    them, and oss2 writes them unescaped, which XML 1.0 forbids); read texts with `restore`."""
    return parse(_CONTROL_RE.sub(lambda m: _TO_STAND_IN[m.group()[0]], body), root_tag)


def restore(value: str) -> str:
    """Undo `parse_lenient`'s stand-ins."""
    return value.translate(_FROM_STAND_IN)


def parse(body: bytes, root_tag: str) -> Element:
    """Parse a request document whose root must be `root_tag`."""
    head = body[:2048].lower()
    if b"<!doctype" in head or b"<!entity" in body.lower():
        raise malformed()
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 - DTDs and entities refused above
    except ElementTree.ParseError as exc:
        raise malformed() from exc
    if root.tag != root_tag:
        raise malformed()
    return root


def text(parent: Element, path: str, default: str | None = None) -> str | None:
    node = parent.find(path)
    if node is None:
        return default
    return node.text or ""


def texts(parent: Element, path: str) -> list[str]:
    return [(node.text or "") for node in parent.findall(path)]
