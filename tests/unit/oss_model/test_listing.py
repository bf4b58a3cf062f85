"""ListObjects: prefixes, delimiters, markers, unicode order, and a property test against a reference."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from localcloud.common.clock import Clock
from localcloud.oss.errors import OSSError
from localcloud.oss.model.keyindex import KeyIndex
from localcloud.oss.model.store import Store
from localcloud.oss.model.types import ObjectHeaders, ObjectInfo

pytestmark = pytest.mark.unit


def _walk_all(store: Store, bucket: str, **kw):  # type: ignore[no-untyped-def]
    keys, prefixes, marker, pages = [], [], "", 0
    while True:
        page = store.list_objects(bucket, start_after=marker, **kw)
        keys += [c.key for c in page.contents]
        prefixes += page.common_prefixes
        pages += 1
        if not page.is_truncated:
            assert page.next_marker is None
            return keys, prefixes, pages
        marker = page.next_marker


def test_utf8_byte_order_and_paging(ossm) -> None:
    keys = ["a", "a/b", "a-b", "A", "é", "z", "日本", "😀", "ab", "a b", "%", "+"]
    for k in keys:
        ossm.put(k, b"")
    expected = sorted(keys, key=lambda k: k.encode())
    assert ossm.keys() == expected
    got, _, pages = _walk_all(ossm.store, ossm.bucket, max_keys=5)
    assert got == expected and pages == 3


def test_delimiter_and_prefix(ossm) -> None:
    for k in ["videos/cam1/2026/01/a.ts", "videos/cam1/2026/02/b.ts", "videos/cam2/x.ts", "videos/top.ts",
              "index/cam1/2026-01-01.jsonl", "videos0"]:
        ossm.put(k, b"x")
    page = ossm.store.list_objects(ossm.bucket, prefix="videos/", delimiter="/")
    assert [c.key for c in page.contents] == ["videos/top.ts"]
    assert page.common_prefixes == ["videos/cam1/", "videos/cam2/"]
    page = ossm.store.list_objects(ossm.bucket, delimiter="/")
    assert page.common_prefixes == ["index/", "videos/"] and [c.key for c in page.contents] == ["videos0"]
    keys, prefixes, pages = _walk_all(ossm.store, ossm.bucket, prefix="videos/", delimiter="/", max_keys=1)
    assert (keys, prefixes, pages) == (["videos/top.ts"], ["videos/cam1/", "videos/cam2/"], 3)
    page = ossm.store.list_objects(ossm.bucket, prefix="videos/", delimiter="/", start_after="videos/cam1/")
    assert page.common_prefixes == ["videos/cam2/"]
    page = ossm.store.list_objects(ossm.bucket, prefix="videos/cam1/2026/", max_keys=1)
    assert page.is_truncated and page.next_marker == "videos/cam1/2026/01/a.ts"
    page = ossm.store.list_objects(ossm.bucket, prefix="nothing/")
    assert page.contents == [] and not page.is_truncated


def test_multichar_delimiter(ossm) -> None:
    for k in ["a--b--c", "a--d", "e"]:
        ossm.put(k, b"")
    page = ossm.store.list_objects(ossm.bucket, delimiter="--")
    assert page.common_prefixes == ["a--"] and [c.key for c in page.contents] == ["e"]


def test_max_keys_bounds(ossm) -> None:
    ossm.put("k", b"")
    with pytest.raises(OSSError) as info:
        ossm.store.list_objects(ossm.bucket, max_keys=1001)
    assert info.value.code == "InvalidArgument"
    assert ossm.store.list_objects(ossm.bucket, max_keys=0).contents == []


def test_ten_thousand_keys_under_a_prefix(ossm) -> None:
    index = KeyIndex()
    infos = [ObjectInfo("b", f"videos/cam/{i:05d}.ts", 1, "E", 0, 0.0, "Normal", ObjectHeaders())
             for i in range(10_000)]
    index.load(infos)
    page = index.list("videos/cam/", "", "videos/cam/04999.ts", 1000)
    assert page.contents[0].key == "videos/cam/05000.ts" and len(page.contents) == 1000 and page.is_truncated
    page = index.list("videos/", "/", "", 1000)
    assert page.common_prefixes == ["videos/cam/"] and not page.is_truncated


def _reference(keys: set[str], prefix: str, delimiter: str, marker: str, max_keys: int):  # type: ignore[no-untyped-def]
    """The plainest possible definition of a ListObjects page."""
    entries: set[tuple[str, str]] = set()
    for k in keys:
        if not k.startswith(prefix):
            continue
        rest = k[len(prefix):]
        if delimiter and delimiter in rest:
            entries.add(("p", prefix + rest[: rest.index(delimiter) + len(delimiter)]))
        else:
            entries.add(("k", k))
    ordered = sorted((e for e in entries if e[1] > marker), key=lambda e: e[1].encode())
    page = ordered[:max_keys]
    truncated = len(ordered) > max_keys
    return ([v for t, v in page if t == "k"], [v for t, v in page if t == "p"], truncated,
            page[-1][1] if truncated else None)


_alphabet = st.sampled_from(["a", "b", "/", "-", "é", "😀", " ", "%"])
_key = st.text(_alphabet, min_size=1, max_size=6).filter(lambda k: not k.startswith("/"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.sets(_key, max_size=30), prefix=st.text(_alphabet, max_size=2),
       delimiter=st.sampled_from(["", "/", "-", "é"]), marker=st.text(_alphabet, max_size=3),
       max_keys=st.integers(1, 8))
def test_listing_matches_reference(keys: set[str], prefix: str, delimiter: str, marker: str,
                                   max_keys: int) -> None:
    index = KeyIndex()
    index.load([ObjectInfo("b", k, 0, "E", 0, 0.0, "Normal", ObjectHeaders()) for k in keys])
    page = index.list(prefix, delimiter, marker, max_keys)
    got = ([c.key for c in page.contents], page.common_prefixes, page.is_truncated, page.next_marker)
    assert got == _reference(keys, prefix, delimiter, marker, max_keys)
    # walking every page with next_marker yields each entry exactly once
    seen, m = [], marker
    while True:
        p = index.list(prefix, delimiter, m, max_keys)
        seen += [c.key for c in p.contents] + p.common_prefixes
        if not p.is_truncated:
            break
        m = p.next_marker
    full = _reference(keys, prefix, delimiter, marker, 10**6)
    assert sorted(seen) == sorted(full[0] + full[1])


@settings(max_examples=15, deadline=None)
@given(ops=st.lists(st.tuples(st.booleans(), _key), max_size=25))
def test_store_index_matches_reference_after_puts_deletes_and_restart(ops: list[tuple[bool, str]]) -> None:
    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d), Clock(), "cn-hangzhou", "1")
        store.create_bucket("bkt")
        live: set[str] = set()
        for put, key in ops:
            if put:
                store.put_object("bkt", key, body=io.BytesIO(key.encode()), length=None, headers=ObjectHeaders())
                live.add(key)
            else:
                store.delete_object("bkt", key)
                live.discard(key)
        store.close()
        store = Store(Path(d), Clock(), "cn-hangzhou", "1")
        listed = [c.key for c in store.list_objects("bkt").contents]
        assert listed == sorted(live, key=lambda k: k.encode())
        store.close()
