"""Argument checks with one message format.

Every check raises :class:`~lrplan.ConfigError` with the message
``"<owner>: `<name>` must be <what>. Received: <name>=<value>."``, the value cut short by :func:`shown`.
"""

from __future__ import annotations

import itertools
import math
import numbers
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._errors import ConfigError

MAX_DEPTH = 64
"""How deeply schedules and lists may nest, in spec text and in configs alike."""

__all__ = [
    "MAX_DEPTH",
    "fail",
    "shown",
    "is_list",
    "is_mapping",
    "require_real",
    "require_nonnegative",
    "require_positive",
    "require_int",
    "require_choice",
    "require_bool",
    "require_in_range",
    "require_real_tuple",
]


_PLAIN = (list, tuple, dict, str, bytes)


def is_list(value: Any) -> bool:
    """Any sequence but a string: a list, a tuple, OmegaConf's ``ListConfig``..."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def is_mapping(value: Any) -> bool:
    """Any mapping: a dict, OmegaConf's ``DictConfig``..."""
    return isinstance(value, Mapping)


class _Repr(reprlib.Repr):
    """``reprlib.Repr`` that also cuts integers too long for ``int -> str`` and other libraries' containers."""

    def repr1(self, x: Any, level: int) -> str:
        if isinstance(x, Mapping) and not isinstance(x, dict):
            x = dict(itertools.islice(x.items(), self.maxdict + 1))
        elif isinstance(x, Sequence) and not isinstance(x, _PLAIN):
            x = list(itertools.islice(x, self.maxlist + 1))
        return super().repr1(x, level)

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() <= 256:
            return repr(x)
        try:
            return f"<an integer of {len(str(abs(x)))} digits>"
        except ValueError:  # beyond Python's limit for int -> str
            return f"<an integer of about {int(x.bit_length() * math.log10(2))} digits>"


_REPR = _Repr()
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 8
_REPR.maxstring = _REPR.maxother = 80
_REPR.maxlevel = 3


def shown(value: Any) -> str:
    """``repr(value)`` cut short (long containers and strings, huge integers), naming unusual container types.

    A list or mapping of another library (OmegaConf's ``ListConfig``...) looks like a list or dict;
    its type is named after it.

    Example:
        >>> import collections
        >>> shown([1.0, 2.0]), shown(list(range(100))), shown(10**400)
        ('[1.0, 2.0]', '[0, 1, 2, 3, 4, 5, 6, 7, ...]', '<an integer of 401 digits>')
        >>> shown(collections.UserList([100, 200]))
        '[100, 200] (a UserList)'
    """
    text = _REPR.repr(value)
    if isinstance(value, (Mapping, Sequence)) and not isinstance(value, _PLAIN):
        text += f" (a {type(value).__name__})"
    return text


def fail(owner: str, name: str, what: str, value: Any) -> ConfigError:
    """Build the standard error: ``owner: `name` must be what. Received: name=value.``

    The value is shown cut short (:func:`shown`); the error's ``argument`` is ``name``.
    """
    error = ConfigError(f"{owner}: `{name}` must be {what}. Received: {name}={shown(value)}.")
    error.argument = name
    return error


def _finite(value: numbers.Real) -> bool:
    """Not NaN, not infinite, and (an integer) not beyond what a float holds."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def require_real(owner: str, name: str, value: Any) -> float | int:
    """A finite real number (bool, str, None, NaN and infinities are refused). Ints stay ints."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not _finite(value):
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
    """A list, tuple or other sequence (not a string) of finite real numbers, returned as a tuple."""
    if not is_list(value):
        raise fail(owner, name, "a list of finite real numbers", value)
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, numbers.Real) or not _finite(item):
            raise fail(owner, name, "a list of finite real numbers", value)
        out.append(int(item) if isinstance(item, numbers.Integral) else float(item))
    return tuple(out)
