"""Check a parsed config mapping against the frozen dataclasses that describe it.

pydantic did this until start-up time counted: importing it and building the models cost about
0.15 s on every command, more than the rest of `k8stip tip`. The config needs little of it: a
few scalar kinds, lists, `Literal` choices, unions with `None` or a list, nested sections,
bounds and a check function per value. Every problem is collected, not just the first, each
as a `Problem` with the path of the key (`("health", "port")`, `("subscriptions", 0, "time")`)
so that `bot/config.py` can name the file's line.

Kinds, as YAML gives them: a string must be a string; a whole number may be written `8080`,
`8080.0` or `"8080"`; a number must be finite (`.inf`, `.nan` and `1e400` pass a plain float
check and fail much later, as a timedelta overflow in the middle of a delivery pass); a
boolean may be `true`/`false` or `yes`/`no`, `on`/`off`, `1`/`0`.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

__all__ = ["Bounds", "Check", "Problem", "build", "field_names", "keys_given", "section_type"]

T = TypeVar("T")
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Bounds:
    """`Annotated[int, Bounds(ge=0, le=65535)]`: the value's allowed range (both ends in)."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None

    def problem(self, v: float) -> str | None:
        if (
            (self.ge is not None and v < self.ge)
            or (self.gt is not None and v <= self.gt)
            or (self.le is not None and v > self.le)
        ):
            return f"must be {self.describe()}, not {_num(v)}"
        return None

    def describe(self) -> str:
        """`from 0 to 65535`, `above 0 and at most 3600`, `at least 1`."""
        if self.ge is not None and self.le is not None:
            return f"from {_num(self.ge)} to {_num(self.le)}"
        low = (
            f"at least {_num(self.ge)}"
            if self.ge is not None
            else f"above {_num(self.gt)}"
            if self.gt is not None
            else ""
        )
        high = f"at most {_num(self.le)}" if self.le is not None else ""
        return " and ".join(p for p in (low, high) if p)


@dataclass(frozen=True)
class Check:
    """`Annotated[str, Check(parse_time)]`: a function that raises ValueError, whose message
    says what is wrong and what would be valid, when the value cannot be used."""

    fn: Callable[[Any], object]


@dataclass(frozen=True)
class Problem:
    path: Path_
    message: str
    allowed: tuple[str, ...] = ()  # for an unknown key: the keys valid at that place
    unknown: bool = False


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else str(v)


_TRUE = {"true", "yes", "on", "1", "t", "y"}
_FALSE = {"false", "no", "off", "0", "f", "n"}
_HIDDEN = frozenset({"source"})  # set by load_config, not a key people write


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls, include_extras=True)
    return _HINTS[cls]


def field_names(cls: type) -> list[str]:
    """The keys a section takes, in declaration order (for messages, docs and tests)."""
    return [f.name for f in dataclasses.fields(cls) if f.name not in _HIDDEN]


def section_type(cls: type, name: str) -> type | None:
    """The dataclass a key of `cls` holds (directly, or in a list or `| None`), if any."""
    return _section_in(_hints(cls).get(name))


def _section_in(tp: Any) -> type | None:
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return tp
    for arg in get_args(tp):
        found = _section_in(arg)
        if found is not None:
            return found
    return None


def keys_given(section: object) -> frozenset[str]:
    """The keys the config file (or an override) set in this section, as opposed to defaults."""
    given: frozenset[str] = getattr(section, "_keys_given", frozenset())
    return given


def build(cls: type[T], data: Any) -> tuple[T | None, list[Problem]]:
    """An instance of the dataclass `cls` from the mapping `data`, or every problem found."""
    problems: list[Problem] = []
    value = _section(cls, data, (), problems)
    return (value if not problems else None), problems


def _section(cls: type[Any], data: Any, path: Path_, problems: list[Problem]) -> Any:
    if not isinstance(data, dict):
        problems.append(Problem(path, "must be a mapping of keys, like `key: value`"))
        return None
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = _hints(cls)
    before = len(problems)
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if not isinstance(key, str) or key not in fields:
            allowed = tuple(field_names(cls))
            problems.append(Problem((*path, str(key)), "unknown key", allowed, unknown=True))
            continue
        values[key] = _value(hints[key], raw, (*path, key), problems)
    for name, f in fields.items():
        if (
            name not in data
            and f.default is dataclasses.MISSING
            and (f.default_factory is dataclasses.MISSING)
        ):
            problems.append(Problem((*path, name), "is required; add it"))
    if len(problems) > before:
        return None
    made = cls(**values)
    object.__setattr__(made, "_keys_given", frozenset(values))  # see keys_given
    return made


def _value(tp: Any, raw: Any, path: Path_, problems: list[Problem]) -> Any:
    """`raw` checked (and, for numbers, converted) against the annotation `tp`."""
    checks: list[Any] = []
    if get_origin(tp) is Annotated:
        tp, *checks = get_args(tp)
    before = len(problems)
    value = _typed(tp, raw, path, problems)
    if len(problems) > before:
        return None
    for extra in checks:
        message: str | None = None
        if isinstance(extra, Bounds) and isinstance(value, int | float):
            message = extra.problem(value)
        elif isinstance(extra, Check):
            try:
                extra.fn(value)
            except ValueError as e:
                message = str(e)
        if message:
            problems.append(Problem(path, message))
            return None
    return value


def _typed(tp: Any, raw: Any, path: Path_, problems: list[Problem]) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        if raw is None and type(None) in options:
            return None
        options = tuple(o for o in options if o is not type(None))
        if len(options) == 1:
            return _value(options[0], raw, path, problems)
        # `str | list[str]`: the option that fits the value's shape.
        shaped = [o for o in options if (get_origin(o) is list) == isinstance(raw, list)]
        if len(shaped) == 1 and (
            isinstance(raw, list) or _SCALARS.get(shaped[0], _same)(raw) is not None
        ):
            return _value(shaped[0], raw, path, problems)
        problems.append(Problem(path, f"must be {_describe(tp)}, not {_shown(raw)}"))
        return None
    if origin is Literal:
        choices = get_args(tp)
        if raw in choices and not isinstance(raw, bool):
            return raw
        shown = ", ".join(map(str, choices))
        problems.append(Problem(path, f"must be one of {shown}, not {_shown(raw)}"))
        return None
    if origin is list:
        if not isinstance(raw, list):
            problems.append(Problem(path, f"must be {_describe(tp)}"))
            return None
        (item,) = get_args(tp)
        return [_value(item, v, (*path, i), problems) for i, v in enumerate(raw)]
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _section(tp, raw, path, problems)
    scalar = _SCALARS.get(tp)
    if scalar is None:  # a programming error in the config's declarations, not the file
        raise TypeError(f"config_check cannot check {tp!r}")
    value = scalar(raw)
    if value is None:
        problems.append(Problem(path, f"must be {_describe(tp)}, not {_shown(raw)}"))
    return value


def _same(raw: Any) -> Any:
    return raw


def _str(raw: Any) -> str | None:
    return raw if isinstance(raw, str) else None


def _int(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().lstrip("+-").isdigit() and len(raw) < 20:
        return int(raw)
    return None


def _float(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        value = float(raw) if not isinstance(raw, str) or len(raw) < 40 else math.nan
    except (ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def _bool(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower() if isinstance(raw, int | str) else ""
    return True if text in _TRUE else False if text in _FALSE else None


_SCALARS: dict[Any, Callable[[Any], Any]] = {str: _str, int: _int, float: _float, bool: _bool}


def _describe(tp: Any) -> str:
    if get_origin(tp) is Annotated:
        return _describe(get_args(tp)[0])
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        parts = [_describe(o) for o in get_args(tp) if o is not type(None)]
        return " or ".join(parts)
    if origin is list:
        item = _describe(get_args(tp)[0]).removeprefix("a ").removeprefix("an ")
        return f"a list of {item}s"
    return {
        str: "a string",
        int: "a whole number",
        float: "a finite number",
        bool: "true or false",
    }.get(tp, "a mapping of keys")


def _shown(raw: Any) -> str:
    if isinstance(raw, dict | list):
        return "a mapping" if isinstance(raw, dict) else "a list"
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."
