"""Validation of notebook parameters against a paper's declaration: unknown names and bad values
fail loudly, naming the parameter, the value and what is allowed.

A declaration lists each parameter as a small spec (see :data:`SPEC_KEYS`)::

    lr: {type: float, gt: 0, help: Adam learning rate}
    folds: {type: list|null, min_items: 1, items: {type: int, ge: 0, le: 4}, help: fold indices}
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PROFILES = ("paper", "cpu", "smoke")
TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "null": type(None)}
# named sets a value must belong to (``in: corpora``), resolved lazily so that nothing heavy loads here
DOMAINS: dict[str, Callable[[], set]] = {
    "corpora": lambda: set(__import__("core.data", fromlist=["CORPORA"]).CORPORA),
    "seven_corpora": lambda: set(__import__("core.data", fromlist=["SEVEN_MAP"]).SEVEN_MAP),
    "wavelets": lambda: set(__import__("pywt").wavelist(kind="continuous")),
    "colormaps": lambda: set(__import__("matplotlib").colormaps),
}
SPEC_KEYS = (
    "type",
    "help",
    "choices",
    "gt",
    "ge",
    "lt",
    "le",
    "odd",
    "divides",
    "in",
    "items",
    "min_items",
    "len",
    "unique",
)


class ParameterError(ValueError):
    """A notebook parameter is unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class Param:
    """Spec of one parameter: accepted types, optional choices or check, and a help text."""

    types: tuple[type, ...]
    help: str
    choices: tuple[Any, ...] | None = None
    check: Callable[[Any], bool] | None = None
    check_msg: str = ""


def _is(v: Any, types: tuple[type, ...]) -> bool:
    return isinstance(v, types) and not (isinstance(v, bool) and bool not in types)


def _value_ok(v: Any, spec: Mapping[str, Any]) -> bool:
    """Whether a non-None value meets the range and set constraints of ``spec``."""
    checks = (
        ("gt", lambda b: v > b),
        ("ge", lambda b: v >= b),
        ("lt", lambda b: v < b),
        ("le", lambda b: v <= b),
        ("odd", lambda b: (v % 2 == 1) == b),
        ("divides", lambda b: v > 0 and b % v == 0),
        ("in", lambda b: v in DOMAINS[b]()),
        ("choices", lambda b: v in b),
    )
    return all(fn(spec[key]) for key, fn in checks if key in spec)


def _list_ok(v: list, spec: Mapping[str, Any]) -> bool:
    if "min_items" in spec and len(v) < spec["min_items"]:
        return False
    if "len" in spec and len(v) != spec["len"]:
        return False
    if spec.get("unique") and len(set(map(repr, v))) != len(v):
        return False
    items = spec.get("items")
    if items:
        types = parse_types(items.get("type", "str|int|float|bool"))
        return all(_is(x, types) and _value_ok(x, items) for x in v)
    return True


def parse_types(text: str) -> tuple[type, ...]:
    """``'float|int|null'`` -> ``(float, int, NoneType)``."""
    try:
        return tuple(TYPES[t.strip()] for t in text.split("|"))
    except KeyError as err:
        raise ValueError(f"unknown type {err.args[0]!r} in {text!r}; known: {sorted(TYPES)}") from None


def _describe(spec: Mapping[str, Any]) -> str:
    parts = [f"{k} {spec[k]}" for k in ("gt", "ge", "lt", "le", "divides", "len", "min_items") if k in spec]
    if spec.get("odd"):
        parts.append("odd")
    if "in" in spec:
        parts.append(f"one of the {spec['in']}")
    if "items" in spec:
        parts.append(f"items: {_describe(spec['items']) or spec['items'].get('type', 'any')}")
        if "choices" in spec["items"]:
            parts.append(f"from {list(spec['items']['choices'])}")
    return ", ".join(parts)


def from_spec(spec: Mapping[str, Any]) -> Param:
    """A :class:`Param` from one declaration entry (see :data:`SPEC_KEYS`)."""
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if unknown:
        raise ValueError(f"unknown key(s) {unknown} in parameter spec; allowed: {list(SPEC_KEYS)}")
    constraints = {k: v for k, v in spec.items() if k not in ("type", "help", "choices")}

    def check(v: Any) -> bool:
        return _list_ok(v, constraints) if isinstance(v, list) else _value_ok(v, constraints)

    return Param(
        types=parse_types(spec["type"]),
        help=spec["help"],
        choices=tuple(spec["choices"]) if "choices" in spec else None,
        check=check if constraints else None,
        check_msg=f"{spec['help']} ({_describe(constraints)})" if constraints else "",
    )


def validate(values: Mapping[str, Any], spec: Mapping[str, Param]) -> dict[str, Any]:
    """Return ``values`` as a dict after checking names, types and ranges against ``spec``."""
    unknown = sorted(set(values) - set(spec))
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, list(spec), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ParameterError(f"unknown parameter {name!r}.{hint} Known parameters: {', '.join(sorted(spec))}")
    missing = sorted(set(spec) - set(values))
    if missing:
        raise ParameterError(f"missing parameter(s): {', '.join(missing)}")
    out: dict[str, Any] = {}
    for name, p in spec.items():
        v = values[name]
        if not _is(v, p.types):
            names = " or ".join("None" if t is type(None) else t.__name__ for t in p.types)
            raise ParameterError(f"parameter {name!r} must be {names}, got {type(v).__name__} {v!r} ({p.help})")
        if p.choices is not None and v not in p.choices:
            raise ParameterError(f"parameter {name!r} must be one of {list(p.choices)}, got {v!r} ({p.help})")
        if p.check is not None and v is not None and not p.check(v):
            raise ParameterError(f"parameter {name!r}={v!r} is invalid: {p.check_msg or p.help}")
        out[name] = v
    return out
