"""Argument checks with one message format.

Every check raises :class:`~lrplan.ConfigError` with the message
``"<owner>: `<name>` must be <what>. Received: <name>=<value!r>."``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from ._errors import ConfigError

MAX_DEPTH = 64
"""How deeply schedules and lists may nest, in spec text and in configs alike."""

__all__ = [
    "MAX_DEPTH",
    "fail",
    "require_real",
    "require_nonnegative",
    "require_positive",
    "require_int",
    "require_choice",
    "require_bool",
    "require_in_range",
    "require_real_tuple",
]


def fail(owner: str, name: str, what: str, value: Any) -> ConfigError:
    """Build the standard error: ``owner: `name` must be what. Received: name=value.``"""
    return ConfigError(f"{owner}: `{name}` must be {what}. Received: {name}={value!r}.")


def require_real(owner: str, name: str, value: Any) -> float | int:
    """A finite real number (bool, str, None, NaN and infinities are refused). Ints stay ints."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise fail(owner, name, "a finite real number", value)
    if not math.isfinite(value):
        raise fail(owner, name, "a finite real number", value)
    if isinstance(value, numbers.Integral):
        return int(value)
    return float(value)


def require_nonnegative(owner: str, name: str, value: Any) -> float | int:
    """A finite real number >= 0."""
    v = require_real(owner, name, value)
    if v < 0:
        raise fail(owner, name, ">= 0", value)
    return v


def require_positive(owner: str, name: str, value: Any) -> float | int:
    """A finite real number > 0."""
    v = require_real(owner, name, value)
    if v <= 0:
        raise fail(owner, name, "> 0", value)
    return v


def require_in_range(
    owner: str, name: str, value: Any, low: float, high: float, *, low_open: bool = False, high_open: bool = False
) -> float | int:
    """A finite real number in the interval from ``low`` to ``high`` (closed unless told open)."""
    v = require_real(owner, name, value)
    below = v <= low if low_open else v < low
    above = v >= high if high_open else v > high
    if below or above:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise fail(owner, name, f"in {lo}{low}, {high}{hi}", value)
    return v


def require_int(owner: str, name: str, value: Any, *, minimum: int | None = None) -> int:
    """An integer (a float with an integral value is accepted), optionally >= ``minimum``."""
    if isinstance(value, bool):
        raise fail(owner, name, "an integer", value)
    if isinstance(value, numbers.Integral):
        v = int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        v = int(float(value))
    else:
        raise fail(owner, name, "an integer", value)
    if minimum is not None and v < minimum:
        raise fail(owner, name, f"an integer >= {minimum}", value)
    return v


def require_bool(owner: str, name: str, value: Any) -> bool:
    """True or False (not 0/1, not a string)."""
    if not isinstance(value, bool):
        raise fail(owner, name, "True or False", value)
    return value


def require_choice(owner: str, name: str, value: Any, choices: Iterable[str]) -> str:
    """One of the given strings."""
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(c) for c in options)
        raise fail(owner, name, f"one of {listed}", value)
    return value


def require_real_tuple(owner: str, name: str, value: Any) -> tuple[float | int, ...]:
    """A list or tuple of finite real numbers, returned as a tuple."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise fail(owner, name, "a list of finite real numbers", value)
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, numbers.Real) or not math.isfinite(item):
            raise fail(owner, name, "a list of finite real numbers", value)
        out.append(int(item) if isinstance(item, numbers.Integral) else float(item))
    return tuple(out)
