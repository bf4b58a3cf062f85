"""Issue 15: `--help` of every command and option of `vigil` and `vigil-camera` says what it does,
and every option that takes a value says its default (or that it is required)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest
from vigil_camera.cli import build_parser as camera_parser
from vigil_ops.cli import build_parser as vigil_parser

pytestmark = pytest.mark.unit


def _walk(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, f"{path} {name}")


def _commands() -> list[tuple[str, argparse.ArgumentParser]]:
    return [*_walk(vigil_parser(), "vigil"), *_walk(camera_parser(), "vigil-camera")]


def _problems(path: str, parser: argparse.ArgumentParser) -> list[str]:
    out = []
    formatter = parser._get_formatter()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            out += [f"{path} {c.dest}: no help" for c in action._choices_actions if not (c.help or "").strip()]
            continue
        name = "/".join(action.option_strings) or action.dest
        text = formatter._expand_help(action) if action.help else ""
        if not text.strip():
            out.append(f"{path} {name}: no help")
        elif action.option_strings and action.nargs != 0 and not action.required and "default" not in text:
            out.append(f"{path} {name}: help does not say the default: {text!r}")
    return out


def test_every_command_and_option_is_explained() -> None:
    problems = [p for path, parser in _commands() for p in _problems(path, parser)]
    assert problems == []


def test_the_walk_sees_every_command() -> None:
    paths = {path for path, _ in _commands()}
    assert {"vigil demo", "vigil devices add", "vigil index rebuild", "vigil bucket setup",
            "vigil-camera configure", "vigil-camera simulate", "vigil-camera record"} <= paths
