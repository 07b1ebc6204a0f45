"""Argument checks shared by the presets of hf, timm, fairseq, t5, big_vision and megatron.

Every check raises :class:`~lrplan.ConfigError` naming the preset and the argument, in the core's
voice: ``"<preset>: `<arg>` must be <what>. Received: <arg>=<value!r>."``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from .. import _validate as v
from .._errors import ConfigError

__all__ = [
    "v",
    "nonneg",
    "positive",
    "integer",
    "choice",
    "unsupported",
    "real",
    "ratio",
    "optional",
    "last_epoch",
    "is_int",
]


def nonneg(owner: str, name: str, x: Any) -> float:
    """A finite real number >= 0, as a float (ints stay exact up to 2**53)."""
    return v.require_nonnegative(owner, name, x)


def positive(owner: str, name: str, x: Any) -> float:
    """A finite real number > 0."""
    return v.require_positive(owner, name, x)


def real(owner: str, name: str, x: Any) -> float:
    """Any finite real number."""
    return v.require_real(owner, name, x)


def integer(owner: str, name: str, x: Any, minimum: int = 0) -> int:
    """An integer >= ``minimum`` (an integral float is accepted)."""
    return v.require_int(owner, name, x, minimum=minimum)


def ratio(owner: str, name: str, x: Any, high: float = 1.0) -> float:
    """A finite real number in [0, high]."""
    return v.require_in_range(owner, name, x, 0.0, high)


def choice(owner: str, name: str, x: Any, options: tuple[str, ...]) -> str:
    """One of ``options``."""
    return v.require_choice(owner, name, x, options)


def optional(check: Any, owner: str, name: str, x: Any, *args: Any) -> Any:
    """``None`` or whatever ``check`` accepts."""
    return None if x is None else check(owner, name, x, *args)


def unsupported(owner: str, name: str, x: Any, expected: str, why: str) -> ConfigError:
    """The error for an argument the source accepts but lrplan does not support (never silently ignored)."""
    return v.fail(owner, name, f"{expected} ({why})", x)


def last_epoch(owner: str, x: Any) -> None:
    """PyTorch-style ``last_epoch``: only the fresh-start value -1 is meaningful for a stateless schedule."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x != -1:
        raise unsupported(
            owner,
            "last_epoch",
            x,
            "-1",
            "an lrplan schedule is a pure function of the step; to resume, restore the step in the adapter",
        )


def is_int(x: float) -> bool:
    """Whether a real number is integral."""
    return math.isfinite(x) and float(x).is_integer()
