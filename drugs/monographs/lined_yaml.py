"""YAML with a line number on every value, and a reader of fields that records a Problem for each bad one."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

import yaml

from drugs.monographs.data import Problem

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


STR_TAG = "tag:yaml.org,2002:str"


class Node:
    """A YAML value with the line it starts on (1-based, in the file)."""

    __slots__ = ("value", "line", "key_lines")

    def __init__(self, value, line, key_lines=None):
        self.value = value
        self.line = line
        self.key_lines = key_lines or {}


def load_yaml(text: str, path: str, first_line: int, problems: list[Problem]) -> Node | None:
    """Parse YAML into Nodes; line numbers are offset so they point into the whole file."""
    # libyaml's parser when PyYAML has it: the same nodes and marks, much faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first_line + (mark.line if mark else 0)
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(path, line, "yaml", f"YAML syntax error: {reason}"))
        return None
    finally:
        loader.dispose()
    if root is None:
        return None

    seen: set[int] = set()

    def convert(node, used_at: int = 0) -> Node:
        line = first_line + node.start_mark.line
        if id(node) in seen:
            # An alias: a few of them can nest into millions of values (an "alias bomb").
            # Its node is the anchor's, so the line is where the alias is used.
            raise _AliasFound(used_at or line)
        seen.add(id(node))
        if node.tag == STR_TAG and isinstance(node, yaml.ScalarNode):
            # Most of a monograph is plain text: take it as is rather than through the
            # constructor's general machinery (the same value, for less; bench/README.md).
            return Node(node.value, line)
        if isinstance(node, yaml.MappingNode):
            value, key_lines = {}, {}
            for key_node, value_node in node.value:
                if key_node.tag == STR_TAG and isinstance(key_node, yaml.ScalarNode):
                    key = key_node.value
                else:
                    key = loader.construct_object(key_node, deep=True)
                key_line = first_line + key_node.start_mark.line
                if not isinstance(key, str):
                    problems.append(Problem(path, key_line, str(key), "field names must be text"))
                    continue
                if key in value:
                    problems.append(Problem(path, key_line, key, "field given twice"))
                    continue
                value[key] = convert(value_node, key_line)
                key_lines[key] = key_line
            return Node(value, line, key_lines)
        if isinstance(node, yaml.SequenceNode):
            return Node([convert(item, line) for item in node.value], line)
        try:
            return Node(loader.construct_object(node, deep=True), line)
        except (yaml.YAMLError, ValueError):
            # e.g. an impossible date: keep the text so the field's own check names it.
            return Node(node.value, line)

    try:
        return convert(root)
    except _AliasFound as found:
        problems.append(
            Problem(
                path,
                found.line,
                "yaml",
                "YAML anchors and aliases (&name, *name) are not allowed: write the value out",
            )
        )
        return None


class _AliasFound(Exception):
    def __init__(self, line: int):
        self.line = line


class Fields:
    """Reads the fields of one YAML mapping, recording a problem for each bad one."""

    def __init__(self, node: Node, where: str, path: str, problems: list[Problem]):
        self.node, self.where, self.path, self.problems = node, where, path, problems
        self.ok = isinstance(node.value, dict)
        if not self.ok:
            self.fail(node.line, where or "front matter", "must be a set of `field: value` lines")

    def name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, line: int, name: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, name, message))

    def line_of(self, key: str) -> int:
        return self.node.key_lines.get(key, self.node.line) if self.ok else self.node.line

    def only(self, allowed: set[str]) -> None:
        if not self.ok:
            return
        for key in self.node.value:
            if key not in allowed:
                self.fail(
                    self.line_of(key),
                    self.name(key),
                    f"unknown field; allowed: {', '.join(sorted(allowed))}",
                )

    def raw(self, key: str, required: bool) -> Node | None:
        if not self.ok:
            return None
        node = self.node.value.get(key)
        if node is None or node.value is None or node.value == "" or node.value == []:
            if required:
                self.fail(self.node.line, self.name(key), "required field is missing or empty")
            return None
        return node

    def text(self, key: str, required: bool = True, max_length: int | None = None) -> str:
        node = self.raw(key, required)
        if node is None:
            return ""
        if isinstance(node.value, bool) or not isinstance(node.value, str | int | float):
            self.fail(node.line, self.name(key), "must be text")
            return ""
        value = str(node.value).strip()
        if max_length and len(value) > max_length:
            self.fail(node.line, self.name(key), f"longer than {max_length} characters")
        return value

    def phrase(self, key: str, max_length: int) -> str:
        """Lower-case with single spaces: queries and rules are matched against it that way."""
        return " ".join(self.text(key, max_length=max_length).lower().split())

    def slug(self, key: str, required: bool = True) -> str:
        value = self.text(key, required)
        if value and not SLUG_RE.match(value):
            self.fail(
                self.line_of(key),
                self.name(key),
                f"{value!r} is not a slug: use a-z, 0-9 and single hyphens",
            )
        return value

    def choice(self, key: str, choices: list[str], default: str = "") -> str:
        value = self.text(key, required=not default) or default
        if value and value not in choices:
            self.fail(
                self.line_of(key), self.name(key), f"{value!r} is not one of: {', '.join(choices)}"
            )
        return value

    def date(self, key: str, required: bool = True) -> datetime.date | None:
        node = self.raw(key, required)
        if node is None:
            return None
        value = node.value
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(node.line, self.name(key), f"{value!r} is not a date: use YYYY-MM-DD")
            return None

    def boolean(self, key: str) -> bool:
        node = self.raw(key, required=False)
        if node is None:
            return False
        if not isinstance(node.value, bool):
            self.fail(node.line, self.name(key), "must be true or false")
            return False
        return node.value

    def number(self, key: str, required: bool = False, low=None, high=None) -> Decimal | None:
        node = self.raw(key, required)
        if node is None:
            return None
        if isinstance(node.value, bool):
            self.fail(node.line, self.name(key), "must be a number")
            return None
        try:
            value = Decimal(str(node.value).strip().rstrip("%"))
        except InvalidOperation:
            self.fail(node.line, self.name(key), f"{node.value!r} is not a number")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.fail(node.line, self.name(key), f"{value} is outside {low} to {high}")
            return None
        return value

    def integer(self, key: str, low: int, high: int) -> int | None:
        value = self.number(key, required=True, low=low, high=high)
        if value is not None and value != int(value):
            self.fail(self.line_of(key), self.name(key), "must be a whole number")
            return None
        return None if value is None else int(value)

    def strings(self, key: str, required: bool = False) -> list[str]:
        node = self.raw(key, required)
        if node is None:
            return []
        items = node.value if isinstance(node.value, list) else None
        if items is None or any(not isinstance(i.value, str) or not i.value.strip() for i in items):
            self.fail(node.line, self.name(key), "must be a list of text, e.g. [a, b]")
            return []
        return [i.value.strip() for i in items]

    def mappings(self, key: str, required: bool = False) -> list[tuple[Node, str]]:
        node = self.raw(key, required)
        if node is None:
            return []
        if not isinstance(node.value, list):
            self.fail(node.line, self.name(key), "must be a list of entries starting with `- `")
            return []
        return [(item, f"{self.name(key)}[{i}]") for i, item in enumerate(node.value)]


def unique(items, attr, where, field_name, path, problems, message=None) -> set:
    seen = set()
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if not value:
            continue
        if value in seen:
            problems.append(
                Problem(
                    path,
                    item.line,
                    f"{where}[{i}].{field_name}",
                    message or f"{value!r} is used twice",
                )
            )
        seen.add(value)
    return seen
