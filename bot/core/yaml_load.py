"""YAML text to Python data: exactly what PyYAML's safe loader gives, ten times faster.

PyYAML builds a Python node (with its marks) for every value and then constructs the data
from the nodes: about 20 s for a 36 MB file of 100,000 tips. rapidyaml (`ryml`, C++) parses
the same text in half a second and writes it out as JSON, which the json module reads in C.

The two agree on structure but not on what a plain (unquoted) scalar means: PyYAML follows
YAML 1.1 (`no` is False, `1:30` is 90, `2024-01-01` a date, `1e3` a string), ryml's JSON knows
only JSON's numbers, and JSON can't say whether a string was quoted. So the fast path answers
only when the answer is certainly PyYAML's, and hands the text to PyYAML otherwise:

- numbers ryml writes unquoted are taken only in the two forms where PyYAML reads the same
  value (`12`, `-1.5`); anything else (`1e3`) goes to PyYAML;
- a JSON string that PyYAML would read as something else had it been plain (`"no"`, `"~"`,
  `"0x1F"`, `"1.10"`) might have been plain: the document goes to PyYAML;
- so does a document with anchors, aliases or tags, characters PyYAML refuses or reads as line
  breaks, tabs, `@` or a backtick starting a word, a root that is not one mapping, or anything
  ryml rejects.

PyYAML then gives its own answer or raises its own error with its line, so `file:line`
problems are unchanged. Files under 256 KB, and every file where ryml is not installed (no
wheel for the platform), take the PyYAML path.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from typing import Any

import yaml
from yaml.resolver import Resolver

try:  # the C loader is ~10x faster than the pure-Python one; fall back when libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

# Importing ryml takes ~70 ms, and PyYAML reads a small file in less: the bundled tips (60 KB)
# stay on PyYAML, so `k8stip tip` starts as fast as before.
FAST_MIN_CHARS = 256 * 1024

__all__ = ["load_yaml", "parse_fast"]

_STR_TAG = "tag:yaml.org,2002:str"


class _NotCertain(Exception):
    """The fast path can't vouch for this document: PyYAML must read it."""


def _suspect_strings() -> re.Pattern[str]:
    """A JSON string token that PyYAML would resolve to a non-string had it been plain."""
    patterns = {
        regexp.pattern.strip()
        for resolvers in Resolver.yaml_implicit_resolvers.values()
        for tag, regexp in resolvers
        if tag != _STR_TAG
    }
    # PyYAML's patterns are verbose (re.X) and anchored. It only tries them on a scalar whose
    # first character is a key of its table; the lookahead does the same and makes the scan
    # 4x faster. `""` was quoted (ryml writes a plain empty value as null).
    assert all(p.startswith("^") and p.endswith("$") for p in patterns)
    alternatives = "|".join(f"(?:{p[1:-1]})" for p in sorted(patterns))
    first = re.escape("".join(sorted(k for k in Resolver.yaml_implicit_resolvers if k)))
    return re.compile(f'"(?=[{first}])(?:{alternatives})"', re.X)


_SUSPECT_RE = _suspect_strings()
# Before parsing: what ryml reads differently from PyYAML, or what PyYAML refuses and ryml
# doesn't. PyYAML refuses control characters; it reads \r, NEL and the Unicode line and
# paragraph separators as line breaks; tabs, BOMs and non-characters are left to it too.
_UNCERTAIN_CHAR_RE = re.compile(
    "[^\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_ASCII_ALLOWED = bytes([0x0A, *range(0x20, 0x7F)])
# Anchors, aliases, tags and directives (`&a`, `*a`, `!!str`, `%YAML`) start a token, and
# PyYAML refuses a token that starts with `@` or a backtick (ryml takes it as text).
_TOKEN_START_MARKS = "&*!%@`"
_BEFORE_A_TOKEN = "\n:-[{,?"  # the last non-space character before a token on its line
_FLOW_APART_RE = re.compile(r"\?|:(?! )")


def _uncertain(text: str) -> bool:
    """Whether `text` holds something only PyYAML may read (false alarms only cost speed)."""
    if text.isascii():  # the common case, 10x faster than the regex
        if text.encode("ascii").translate(None, _ASCII_ALLOWED):
            return True
    elif _UNCERTAIN_CHAR_RE.search(text):
        return True
    for mark in _TOKEN_START_MARKS:
        i = text.find(mark)
        while i != -1:
            before = text[max(0, i - 200) : i].rstrip(" ")  # indentation is spaces (no tabs)
            if not before or before[-1] in _BEFORE_A_TOKEN:
                return True
            i = text.find(mark, i + 1)
    return _odd_flow(text)


def _odd_flow(text: str) -> bool:
    """Whether a flow collection (`[a, b]`, `{k: v}`) holds what YAML 1.1 and 1.2 read apart:
    PyYAML takes `?` as a key and `:` without a space as an error inside one, ryml as text.
    A flow that doesn't close on its line is left to PyYAML too."""
    for opener in "[{":
        i = text.find(opener)
        while i != -1:
            before = text[max(0, i - 200) : i].rstrip(" ")
            if not before or before[-1] in _BEFORE_A_TOKEN:
                end = text.find("\n", i)
                line = text[i : len(text) if end == -1 else end]
                closes = line.count("]") + line.count("}")
                if closes != line.count("[") + line.count("{") or _FLOW_APART_RE.search(line):
                    return True
            i = text.find(opener, i + 1)
    return False


# The only unquoted numbers taken from JSON: the forms PyYAML reads as the same int or float.
_INT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT_RE = re.compile(r"-?[0-9]+\.[0-9]+")


def _plain_int(text: str) -> int:
    if not _INT_RE.fullmatch(text):
        raise _NotCertain(text)
    return int(text)


def _plain_float(text: str) -> float:
    # `1e3` is a string to PyYAML, a number to JSON; ryml writes `-.5` (a string to PyYAML)
    # as -0.5, so no -0.x is taken.
    if not _FLOAT_RE.fullmatch(text) or text.startswith("-0."):
        raise _NotCertain(text)
    return float(text)


def _not_json(text: str) -> Any:
    raise _NotCertain(text)


def _ryml() -> Any:
    """The ryml module, or None without a rapidyaml wheel for this platform."""
    try:
        import ryml
    except ImportError:  # pragma: no cover - depends on the platform
        return None
    return ryml


def _parse_quietly(ryml: Any, raw: bytearray) -> Any:
    """ryml's tree of `raw` (parsed in place: the tree points into it).

    ryml prints its parse errors to stderr from C++; PyYAML will report the error (with its
    line), so that print is captured and dropped. ryml holds the GIL while it parses, so no
    Python thread writes to stderr meanwhile."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to keep clean
        return ryml.parse_in_place(raw)
    try:
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            try:
                return ryml.parse_in_place(raw)
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def parse_fast(text: str) -> Any:
    """The data of `text` through ryml, or raise `_NotCertain` (see the module docstring)."""
    ryml = _ryml()
    if ryml is None or _uncertain(text):
        raise _NotCertain("needs PyYAML")
    # Memory: the text, its UTF-8 copy that ryml parses in place, ryml's nodes, then the JSON
    # as UTF-8 (half the size of a str holding a `’`) once the nodes are gone.
    source = bytearray(text, "utf-8")
    try:
        tree = _parse_quietly(ryml, source)
    except Exception as e:  # ryml's own exception types; PyYAML will say what is wrong
        raise _NotCertain("ryml refused it") from e
    root = tree.root_id()
    if not tree.is_map(root):  # several documents, a bare scalar or list, nothing
        raise _NotCertain("not one mapping")
    out = bytearray(ryml.compute_json_length(tree, root))
    written = ryml.emit_json_in_place(tree, out, root)
    del tree, source
    emitted = str(written, "utf-8")
    del written, out
    if _SUSPECT_RE.search(emitted):
        raise _NotCertain("a string PyYAML may read as a bool, number, date or null")
    try:
        return json.loads(
            emitted, parse_int=_plain_int, parse_float=_plain_float, parse_constant=_not_json
        )
    except ValueError as e:  # ryml wrote something JSON can't read (`+1`, control characters)
        raise _NotCertain("not JSON") from e


def load_yaml(text: str, fast_min_chars: int = FAST_MIN_CHARS) -> Any:
    """`yaml.load(text, Loader=CSafeLoader)`, the same data or the same error, only faster.
    `fast_min_chars`: below this size PyYAML is used (importing ryml costs ~70 ms, more than
    a small file's parse); the importer, reading hundreds of files, passes 0."""
    if len(text) >= fast_min_chars:
        try:
            return parse_fast(text)
        except _NotCertain:
            pass
    return yaml.load(text, Loader=_Loader)
