"""Validation of notebook parameters: unknown names and bad values fail loudly."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PROFILES = ("paper", "cpu", "smoke")


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
        ok_type = isinstance(v, p.types) and not (isinstance(v, bool) and bool not in p.types)
        if not ok_type:
            names = " or ".join("None" if t is type(None) else t.__name__ for t in p.types)
            raise ParameterError(f"parameter {name!r} must be {names}, got {type(v).__name__} {v!r} ({p.help})")
        if p.choices is not None and v not in p.choices:
            raise ParameterError(f"parameter {name!r} must be one of {list(p.choices)}, got {v!r} ({p.help})")
        if p.check is not None and v is not None and not p.check(v):
            raise ParameterError(f"parameter {name!r}={v!r} is invalid: {p.check_msg or p.help}")
        out[name] = v
    return out


def positive(v: Any) -> bool:
    return v > 0


def seed_list(v: Any) -> bool:
    return len(v) > 0 and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in v)
