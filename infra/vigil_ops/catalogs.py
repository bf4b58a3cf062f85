"""The gettext catalogs of the api/token functions and both CLIs (issue 31): extract, update, compile.

`make i18n` (= `python -m vigil_ops.catalogs update`) walks the code, adds every new translatable
string to each zh_CN `.po` with an empty translation, drops the ones the code no longer uses, and
compiles every `.mo`; people then fill in the empty `msgstr`s. tests/i18n checks the same things
(`problems()`): nothing missing, nothing stale, nothing untranslated, placeholders equal, `.mo` current.

What counts as translatable (an ast walk, no running of the code):
- vigil_fn: the message of `ApiError(status, code, MESSAGE, ...)`, `bad_request(MESSAGE)`,
  `JobError(status, code, MESSAGE)`, any subclass of `Refused` (`UnknownDevice(MESSAGE, ...)`), and
  `N_(MESSAGE)` for a template kept in a constant. An f-string, `%` or `.format` there is a problem.
- vigil_ops, vigil_camera: `_(...)`, `N_(...)` / `Said(...)` (a template kept as data, English where it is stored
  or logged, translated where a person reads it with `translate()`) and `ngettext(singular, plural, n)`;
  argparse's `help=`, `description=` and `epilog=` are written as `help=_("...")` (an unmarked literal is a problem).
- argparse (its "usage:", "show this help message and exit", error lines): the `_()`/`ngettext()`
  calls in the stdlib argparse.py of the running Python, catalogued in vigil_camera's locale folder
  (the one both CLIs load). Other Python versions word a few lines differently: only missing ones
  are problems there.

The `.mo` writer is the format GNU msgfmt writes (magic, tables of lengths/offsets, no hash table),
stdlib only, deterministic: the same `.po` always gives the same bytes, so a test can compare them.
"""

from __future__ import annotations

import argparse
import ast
import re
import struct
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .i18n import _

REPO = Path(__file__).resolve().parents[2]
LANG = "zh_CN"


@dataclass(frozen=True)
class Domain:
    """One gettext domain: where its code is and where its catalog lives."""

    name: str
    sources: tuple[Path, ...]
    locale_dir: Path
    mode: str  # "errors" (vigil_fn's error calls), "calls" (_ / ngettext), "argparse" (the stdlib module)

    def po(self, lang: str = LANG) -> Path:
        return self.locale_dir / lang / "LC_MESSAGES" / f"{self.name}.po"

    def mo(self, lang: str = LANG) -> Path:
        return self.po(lang).with_suffix(".mo")


DOMAINS = (
    # the activity settings' validator is the device client's (one validator for camera and api); the api
    # answers its ActivitySettingsError in the reader's language, so its templates are the functions'
    Domain("vigil_fn", (REPO / "functions" / "vigil_fn", REPO / "device_client" / "vigil_camera" / "activity" /
                        "settings.py"), REPO / "functions" / "vigil_fn" / "locale", "errors"),
    Domain("vigil_ops", (REPO / "infra" / "vigil_ops",), REPO / "infra" / "vigil_ops" / "locale", "calls"),
    Domain("vigil_camera", (REPO / "device_client" / "vigil_camera",),
           REPO / "device_client" / "vigil_camera" / "locale", "calls"),
    Domain("argparse", (Path(argparse.__file__),), REPO / "device_client" / "vigil_camera" / "locale", "argparse"),
)

# vigil_fn: the callee names whose message is a template, and the position of that argument.
MESSAGE_ARG = {"ApiError": 2, "bad_request": 0, "JobError": 2, "VodError": 1, "LiveNotReady": 0, "N_": 0,
               "RuleError": 1, "EvidenceError": 0, "TargetRefused": 0, "ActivitySettingsError": 0,
               "SettingWords": 0}
REFUSED_BASE = "Refused"
# CLIs: argparse texts people read in --help must be written as `help=_("...")`.
HELP_KEYWORDS = ("help", "description", "epilog")


@dataclass
class Entry:
    """One msgid (with its plural, for ngettext) and where the code uses it."""

    msgid: str
    plural: str | None = None
    places: list[str] = field(default_factory=list)


@dataclass
class Extraction:
    entries: dict[str, Entry] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, msgid: str, place: str, plural: str | None = None) -> None:
        entry = self.entries.setdefault(msgid, Entry(msgid, plural))
        entry.places.append(place)
        if plural is not None:
            entry.plural = plural


def _py_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_file():
            yield path
        else:
            yield from sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _refused_classes(trees: list[ast.Module]) -> set[str]:
    """Names of every class that inherits, by name, from `Refused` (transitively, across modules)."""
    bases: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                names = {b.id if isinstance(b, ast.Name) else b.attr for b in node.bases
                         if isinstance(b, (ast.Name, ast.Attribute))}
                bases.setdefault(node.name, set()).update(names)
    found = {REFUSED_BASE}
    grew = True
    while grew:
        grew = False
        for name, parents in bases.items():
            if name not in found and parents & found:
                found.add(name)
                grew = True
    return found


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _computed(node: ast.expr) -> bool:
    """A message built at run time from pieces: it cannot be a catalog entry."""
    if isinstance(node, (ast.JoinedStr, ast.BinOp)):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"


def _unmarked(node: ast.expr) -> bool:
    """Words for people that do not go through `_()`: a literal, an f-string, a sum or a `%` whose
    left side is not `_(...)`; both branches of `a if c else b` are looked at."""
    if isinstance(node, ast.IfExp):
        return _unmarked(node.body) or _unmarked(node.orelse)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _unmarked(node.left)
    if isinstance(node, ast.Call) and _callee(node) == "_":
        return False
    return bool(_literal(node)) or _computed(node)


def _rel(path: Path) -> str:
    try:
        return path.relative_to(REPO).as_posix()
    except ValueError:
        return path.name


def extract(domain: Domain) -> Extraction:
    """Every translatable string of `domain`'s code, and the calls whose message is not a constant."""
    out = Extraction()
    files = list(_py_files(domain.sources))
    trees = [ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in files]
    refused = _refused_classes(trees) if domain.mode == "errors" else set()
    for path, tree in zip(files, trees, strict=True):
        for node in ast.walk(tree):
            if domain.mode == "calls" and isinstance(node, ast.keyword) and node.arg in HELP_KEYWORDS \
                    and _unmarked(node.value):
                out.problems.append(f"{_rel(path)}:{node.value.lineno}: {node.arg}= is not marked for translation; "
                                    f'write {node.arg}=_("...") (placeholders as %(name)s)')
            if not isinstance(node, ast.Call):
                continue
            name = _callee(node)
            place = f"{_rel(path)}:{node.lineno}"
            if domain.mode == "errors":
                index = MESSAGE_ARG.get(name or "", 0 if name in refused else None)
                if index is None:
                    continue
                arg = node.args[index] if len(node.args) > index else next(
                    (k.value for k in node.keywords if k.arg == "message"), None)
                if arg is None or isinstance(arg, ast.Starred):
                    continue
                text = _literal(arg)
                if text is not None:
                    if text:
                        out.add(text, place)
                elif _computed(arg):
                    out.problems.append(f"{place}: the message of {name}() is built at run time; "
                                        "write a constant template with named fields")
            elif name in ("_", "N_", "Said") and node.args:
                text = _literal(node.args[0])
                if text:
                    out.add(text, place)
                elif text is None and domain.mode == "calls":
                    out.problems.append(f"{place}: {name}() of something that is not a string literal")
            elif name == "ngettext" and len(node.args) >= 2:
                singular, plural = _literal(node.args[0]), _literal(node.args[1])
                if singular and plural:
                    out.add(singular, place, plural)
    return out


# -- .po files ------------------------------------------------------------------------------------

@dataclass
class PoEntry:
    msgid: str
    msgstr: str = ""
    plural: str | None = None
    plural_strs: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)   # translator comments (#) kept across updates
    fuzzy: bool = False


def _unquote(line: str) -> str:
    return ast.literal_eval(line.strip())  # a .po string is a C string; Python's literal reads it


def read_po(path: Path) -> tuple[str, list[PoEntry]]:
    """The header's msgstr and the entries of a .po file (single-line and continued strings, plurals)."""
    header = ""
    entries: list[PoEntry] = []
    if not path.exists():
        return header, entries
    cur: PoEntry | None = None
    comments: list[str] = []
    fuzzy = False
    target: tuple[str, int] = ("", 0)

    def finish() -> None:
        nonlocal cur, header
        if cur is not None:
            if cur.msgid == "":
                header = cur.msgstr
            else:
                entries.append(cur)
        cur = None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if cur is not None and target[0] != "":
                finish()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            elif line.startswith("# ") or line == "#":
                comments.append(line[2:])
            continue
        if line.startswith("msgid_plural "):
            assert cur is not None
            cur.plural = _unquote(line[len("msgid_plural "):])
            target = ("plural", 0)
        elif line.startswith("msgid "):
            finish()
            cur = PoEntry(_unquote(line[len("msgid "):]), comments=comments, fuzzy=fuzzy)
            comments, fuzzy = [], False
            target = ("msgid", 0)
        elif line.startswith("msgstr["):
            assert cur is not None
            index = int(line[len("msgstr["):line.index("]")])
            while len(cur.plural_strs) <= index:
                cur.plural_strs.append("")
            cur.plural_strs[index] = _unquote(line[line.index("]") + 1:])
            target = ("msgstr[]", index)
        elif line.startswith("msgstr "):
            assert cur is not None
            cur.msgstr = _unquote(line[len("msgstr "):])
            target = ("msgstr", 0)
        elif line.startswith('"') and cur is not None:
            text = _unquote(line)
            kind, index = target
            if kind == "msgid":
                cur.msgid += text
            elif kind == "plural":
                cur.plural = (cur.plural or "") + text
            elif kind == "msgstr":
                cur.msgstr += text
            elif kind == "msgstr[]":
                cur.plural_strs[index] += text
    finish()
    return header, entries


def _quote(text: str) -> str:
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{body}"'


def _po_string(keyword: str, text: str) -> str:
    if "\n" in text[:-1]:
        parts = text.splitlines(keepends=True)
        return f'{keyword} ""\n' + "\n".join(_quote(p) for p in parts)
    return f"{keyword} {_quote(text)}"


HEADER = ("Project-Id-Version: vigil\n"
          "Language: zh_CN\n"
          "MIME-Version: 1.0\n"
          "Content-Type: text/plain; charset=UTF-8\n"
          "Content-Transfer-Encoding: 8bit\n"
          "Plural-Forms: nplurals=1; plural=0;\n")


def write_po(path: Path, domain: Domain, entries: list[PoEntry], places: dict[str, list[str]]) -> None:
    out = [f"# Simplified Chinese messages of {domain.name} (issue 31). Edit msgstr; `make i18n` keeps the",
           "# msgids in step with the code and compiles the .mo beside this file.", 'msgid ""',
           _po_string("msgstr", HEADER), ""]
    for entry in entries:
        out += [f"# {c}" if c else "#" for c in entry.comments]
        # files only, not lines: a line number moves with every edit above it and made each merge of two
        # branches that touched a catalogued file conflict in the .po
        files = list(dict.fromkeys(p.rpartition(":")[0] or p for p in places.get(entry.msgid, [])))
        out += [f"#: {p}" for p in files[:3]]
        if entry.fuzzy:
            out.append("#, fuzzy")
        out.append(_po_string("msgid", entry.msgid))
        if entry.plural is not None:
            out.append(_po_string("msgid_plural", entry.plural))
            for i, text in enumerate(entry.plural_strs or [""]):
                out.append(_po_string(f"msgstr[{i}]", text))
        else:
            out.append(_po_string("msgstr", entry.msgstr))
        out.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")


# -- .mo files ------------------------------------------------------------------------------------

def compile_mo(header: str, entries: list[PoEntry]) -> bytes:
    """GNU .mo bytes of the translated, non-fuzzy entries (plus the header), sorted by msgid."""
    pairs: dict[bytes, bytes] = {b"": header.encode("utf-8")}
    for e in entries:
        if e.fuzzy:
            continue
        if e.plural is not None:
            if e.plural_strs and all(e.plural_strs):
                pairs[(e.msgid + "\0" + e.plural).encode("utf-8")] = "\0".join(e.plural_strs).encode("utf-8")
        elif e.msgstr:
            pairs[e.msgid.encode("utf-8")] = e.msgstr.encode("utf-8")
    keys = sorted(pairs)
    ids = strs = b""
    offsets = []
    for key in keys:
        offsets.append((len(ids), len(key), len(strs), len(pairs[key])))
        ids += key + b"\0"
        strs += pairs[key] + b"\0"
    count = len(keys)
    key_start = 7 * 4 + 16 * count
    value_start = key_start + len(ids)
    key_table: list[int] = []
    value_table: list[int] = []
    for id_off, id_len, str_off, str_len in offsets:
        key_table += [id_len, key_start + id_off]
        value_table += [str_len, value_start + str_off]
    return (struct.pack("Iiiiiii", 0x950412DE, 0, count, 7 * 4, 7 * 4 + count * 8, 0, 0)
            + struct.pack(f"{len(key_table)}i", *key_table) + struct.pack(f"{len(value_table)}i", *value_table)
            + ids + strs)


# -- update and check -----------------------------------------------------------------------------

def update(domain: Domain) -> tuple[int, int]:
    """Bring the .po in step with the code (new msgids added empty, unused ones dropped; for argparse
    nothing is dropped) and compile the .mo. Returns (added, dropped)."""
    found = extract(domain)
    header, old = read_po(domain.po())
    by_id = {e.msgid: e for e in old}
    entries: list[PoEntry] = []
    added = 0
    for msgid, entry in sorted(found.entries.items()):
        existing = by_id.get(msgid)
        if existing is None:
            added += 1
            existing = PoEntry(msgid, plural=entry.plural, plural_strs=[""] if entry.plural else [])
        entries.append(existing)
    kept = {e.msgid for e in entries}
    stale = [e for e in old if e.msgid not in kept]
    if domain.mode == "argparse":   # other Python versions' wording: kept, not an error
        entries += stale
        stale = []
    places = {k: v.places for k, v in found.entries.items()}
    write_po(domain.po(), domain, entries, places)
    domain.mo().write_bytes(compile_mo(header or HEADER, entries))
    return added, len(stale)


def problems(domain: Domain) -> list[str]:
    """What is wrong with `domain`'s zh_CN catalog against its code; empty when all is well."""
    from vigil_fn.core.i18n import placeholders  # the one placeholder parser, also used at run time

    found = extract(domain)
    out = list(found.problems)
    header, entries = read_po(domain.po())
    by_id = {e.msgid: e for e in entries}
    po = _rel(domain.po())
    for msgid, entry in sorted(found.entries.items()):
        try:
            odd = sorted(n for n in placeholders(msgid) if not n.isidentifier()) if domain.mode == "errors" else []
        except ValueError:
            odd = ["<unbalanced braces>"]
        if odd:
            out.append(f"{entry.places[0]}: {msgid!r}: placeholders are names ({odd[0]!r} is not); "
                       "double a literal brace")
        have = by_id.get(msgid)
        if have is None:
            out.append(f"{po}: missing {msgid!r} (used at {entry.places[0]}); run `make i18n` and translate it")
            continue
        texts = have.plural_strs if have.plural is not None else [have.msgstr]
        if have.fuzzy or not all(texts):
            out.append(f"{po}: {msgid!r} has no Chinese yet")
            continue
        for text in texts:
            if _fields(text, domain.mode, placeholders) != _fields(msgid, domain.mode, placeholders):
                out.append(f"{po}: {msgid!r} and its translation {text!r} name different placeholders")
    if domain.mode != "argparse":
        out += [f"{po}: {e.msgid!r} is no longer used by the code; run `make i18n`"
                for e in entries if e.msgid not in found.entries]
    if not domain.mo().exists() or domain.mo().read_bytes() != compile_mo(header or HEADER, entries):
        out.append(f"{_rel(domain.mo())} is not compiled from its .po; run `make i18n`")
    return out


def _fields(text: str, mode: str, placeholders: Callable[[str], set[str]]) -> list[str]:
    """Placeholders of a template: `{name}` (str.format) in the functions' messages; `%(name)s` and `%s`
    (in order: positional ones must stay in order) in the CLIs' and argparse's."""
    if mode == "errors":
        try:
            return sorted(placeholders(text))
        except ValueError:
            return ["<unbalanced braces>"]
    named = sorted(re.findall(r"%\((\w+)\)[sdrfi]", text.replace("%%", "")))
    positional = re.findall(r"%[sdrfi]", re.sub(r"%\(\w+\)[sdrfi]", "", text.replace("%%", "")))
    return named + positional


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vigil_ops.catalogs",
                                     description=_("Update (`update`) or check (`check`) the zh_CN gettext catalogs."))
    parser.add_argument("action", choices=("update", "check"))
    args = parser.parse_args(argv)
    bad = 0
    for domain in DOMAINS:
        if args.action == "update":
            added, dropped = update(domain)
            print(f"{_rel(domain.po())}: {added} added, {dropped} dropped")
        for line in problems(domain):
            bad += 1
            print(line, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
