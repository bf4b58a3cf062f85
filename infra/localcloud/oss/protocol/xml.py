"""Build and parse the XML documents OSS exchanges (no default namespace: oss2 breaks on one).

Parsing refuses DTDs and entities (no entity expansion bombs) and anything that is not the
expected root element: all of it is `MalformedXML` to the client.
"""

from __future__ import annotations

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
