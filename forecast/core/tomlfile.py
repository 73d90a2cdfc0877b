"""A TOML reader that locates keys by line, and the issue type its checks report.

``tomllib`` parses TOML but gives no positions; :class:`Locator` scans the text for table headers
and keys so that a check can say where a key is. A check collects :class:`FileIssue` objects in a
:class:`Reporter` (file, line, key, reason) and reports them all at once. The helpers below
describe values and numbers the way a forecaster wrote them, and :func:`toml_value` writes the
few value types the project's files use back as TOML. Prior sets and scenario files share this.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "FileIssue",
    "Locator",
    "Reporter",
    "as_number",
    "describe_value",
    "display_path",
    "format_number",
    "is_number",
    "parse_toml_bytes",
    "read_toml",
    "sorted_issues",
    "syntax_issue",
    "toml_key",
    "toml_value",
    "type_name",
    "unknown_key_reason",
]


@dataclass(frozen=True)
class FileIssue:
    """One problem in a file: where it is and why it is a problem.

    ``line`` is 1-based; 0 means the problem concerns the file as a whole (e.g. not found).
    """

    file: str
    line: int
    key: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line > 0 else self.file
        return f"{where}: {self.key}: {self.reason}" if self.key else f"{where}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: file, line, key, reason."""
        return {"file": self.file, "line": self.line, "key": self.key, "reason": self.reason}


def sorted_issues(issues: Sequence[FileIssue]) -> list[FileIssue]:
    """Issues in file order (stable for issues on the same line)."""
    return sorted(issues, key=lambda issue: (issue.file, issue.line))


# ------------------------------------------------------------------------------------------------
# Locating keys
# ------------------------------------------------------------------------------------------------

_BARE = r"[A-Za-z0-9_-]+"
_KEY_PART = re.compile(r"\s*(?:(" + _BARE + r')|"((?:[^"\\]|\\.)*)"|\'([^\']*)\')\s*')
_HEADER = re.compile(r"^\s*\[\[?(?P<key>[^\[\]]+?)\]\]?\s*(?:#.*)?$")
_KEY_LINE = re.compile(
    r"^\s*(?P<key>(?:" + _BARE + r'|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
    r"(?:\s*\.\s*(?:" + _BARE + r'|"(?:[^"\\]|\\.)*"|\'[^\']*\'))*)\s*=(?P<rest>.*)$'
)
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)|\s*\(at end of document\)")


def _split_dotted(text: str) -> tuple[str, ...] | None:
    """Split a TOML dotted key (bare or quoted parts) into its parts; None if malformed."""
    parts: list[str] = []
    pos = 0
    while True:
        match = _KEY_PART.match(text, pos)
        if not match:
            return None
        bare, basic, literal = match.groups()
        parts.append(bare if bare is not None else basic if basic is not None else literal or "")
        pos = match.end()
        if pos == len(text):
            return tuple(parts)
        if text[pos] != ".":
            return None
        pos += 1


class Locator:
    """Line numbers of tables and keys in a TOML text, found by scanning (tomllib gives none)."""

    def __init__(self, text: str) -> None:
        self._lines: dict[tuple[str, ...], int] = {}
        self._first_under: dict[tuple[str, ...], int] = {}
        self._scan(text)

    def _record(self, path: tuple[str, ...], line: int) -> None:
        self._lines.setdefault(path, line)
        for n in range(1, len(path)):
            prefix = path[:n]
            self._first_under[prefix] = min(self._first_under.get(prefix, line), line)

    def _scan(self, text: str) -> None:
        table: tuple[str, ...] = ()
        open_string: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if open_string is not None:
                if line.count(open_string) % 2 == 1:
                    open_string = None
                continue
            header = _HEADER.match(line)
            if header:
                parts = _split_dotted(header.group("key"))
                if parts is not None:
                    table = parts
                    self._record(table, number)
                continue
            key_line = _KEY_LINE.match(line)
            if key_line:
                parts = _split_dotted(key_line.group("key"))
                if parts is not None:
                    self._record(table + parts, number)
                rest = key_line.group("rest")
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        open_string = quote
                        break

    def line(self, *path: str) -> int:
        """Line of ``path``; else of its nearest recorded ancestor (or the first line under it)."""
        for n in range(len(path), 0, -1):
            prefix = tuple(path[:n])
            if prefix in self._lines:
                return self._lines[prefix]
            if prefix in self._first_under:
                return self._first_under[prefix]
        return 1


@dataclass
class Reporter:
    """Collects issues for one file, locating each key path.

    Subclasses that gather issues over several files override :meth:`where`.
    """

    file: str
    locator: Locator
    issues: list[FileIssue] = field(default_factory=list)

    def where(self, path: Sequence[str]) -> tuple[str, int]:
        """The file and line of key ``path``."""
        return self.file, self.locator.line(*path)

    def add(self, path: Sequence[str], reason: str, *, at: Sequence[str] | None = None) -> None:
        """Record an issue for key ``path`` (located at ``at`` if given)."""
        file, line = self.where(at if at is not None else path)
        self.issues.append(FileIssue(file, line, ".".join(path), reason))


# ------------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------------


def display_path(path: Path) -> str:
    """The path as shown in messages: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def read_toml(
    path: Path, kind: str
) -> tuple[bytes | None, str | None, dict[str, Any] | None, list[FileIssue]]:
    """Read and parse a TOML file: (bytes, text, data, issues); missing parts are None.

    ``kind`` names the file in messages (``"prior set file not found"``).
    """
    label = display_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None, None, [FileIssue(label, 0, "", f"{kind} file not found")]
    except OSError as exc:
        reason = f"cannot read {kind} file: {exc.strerror or exc}"
        return None, None, None, [FileIssue(label, 0, "", reason)]
    text, data, issues = parse_toml_bytes(raw, label)
    return raw, text, data, issues


def parse_toml_bytes(
    raw: bytes, label: str
) -> tuple[str | None, dict[str, Any] | None, list[FileIssue]]:
    """Decode and parse TOML bytes: (text, data, issues); ``label`` names the file in issues."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, None, [FileIssue(label, 0, "", f"not UTF-8 text ({exc.reason})")]
    try:
        return text, tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        return text, None, [syntax_issue(exc, text, label)]


def syntax_issue(exc: tomllib.TOMLDecodeError, text: str, label: str) -> FileIssue:
    """A TOML syntax error as an issue at the line tomllib reports."""
    message = str(exc)
    match = _TOML_POSITION.search(message)
    line = len(text.splitlines()) or 1
    detail = ""
    if match and match.group(1):
        line = int(match.group(1))
        detail = f" (column {match.group(2)})"
    elif match:
        detail = " (at end of file)"
    reason = _TOML_POSITION.sub("", message).strip()
    return FileIssue(label, line, "(syntax)", f"invalid TOML: {reason}{detail}")


# ------------------------------------------------------------------------------------------------
# Describing values
# ------------------------------------------------------------------------------------------------


def format_number(value: Any) -> str:
    """A number as a forecaster wrote it: 1.5, 3e+06, 0 (no trailing .0)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.10g}"
    return repr(value)


def type_name(value: Any) -> str:
    """TOML-ish name of a parsed value's type, for messages."""
    names = {
        bool: "boolean",
        int: "integer",
        float: "float",
        str: "string",
        list: "array",
        dict: "table",
    }
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def describe_value(value: Any) -> str:
    """A parsed value for messages: its TOML type and, for scalars, the value itself."""
    name = type_name(value)
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"{name} '{shown}'"
    if isinstance(value, bool | int | float):
        return f"{name} {format_number(value)}"
    return name


def is_number(value: Any) -> bool:
    """True for a TOML integer or float (booleans are not numbers)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_number(value: Any) -> tuple[float | None, str | None]:
    """(float, None) for a finite number, else (None, reason)."""
    if not is_number(value):
        return None, f"expected a number, got {describe_value(value)}"
    number = float(value)
    if not math.isfinite(number):
        return None, f"must be finite, got {format_number(number)}"
    return number, None


def unknown_key_reason(kind: str, name: str, allowed: Sequence[str], *, list_allowed: bool) -> str:
    """Reason text for an unknown key: a close match if any, else (optionally) the allowed keys."""
    close = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.75)
    if close:
        return f"unknown {kind}; did you mean '{close[0]}'?"
    if list_allowed:
        return f"unknown {kind} (allowed: {', '.join(allowed)})"
    return f"unknown {kind}"


# ------------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_key(name: str) -> str:
    """A key as TOML: bare when it can be, else a quoted basic string."""
    return name if _BARE_KEY.match(name) else toml_value(name)


def toml_value(value: Any) -> str:
    """A string, boolean, finite number or array of those as a TOML value (floats exactly)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"TOML files here hold finite numbers only, got {value}")
        return repr(value)
    if isinstance(value, str):
        # JSON string escapes are TOML basic-string escapes; TOML also forbids a raw DEL.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007F")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type_name(value)} as a TOML value")
