"""Argument checks of the laws package, in the library's one message format.

``<owner>: `<name>` must be <what>. Received: <name>=<value>.``, raised as :class:`lrplan.ConfigError`
(a ``ValueError``).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import ConfigError, Schedule

__all__ = ["fail", "fail_at", "require_schedule", "lr_values", "require_steps", "require_choice", "require_fraction"]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def fail(owner: str, name: str, what: str, value: Any) -> ConfigError:
    """The standard error: ``owner: `name` must be what. Received: name=value.``"""
    return ConfigError(f"{owner}: `{name}` must be {what}. Received: {name}={_show(value)}.")


def fail_at(owner: str, name: str, what: str, label: str, value: Any) -> ConfigError:
    """The standard error for one element: ``... Received: label=value.`` (``label`` like ``loss[3]``)."""
    return ConfigError(f"{owner}: `{name}` must be {what}. Received: {label}={_show(value)}.")


def require_schedule(owner: str, name: str, value: Any) -> Schedule:
    """An lrplan schedule (a plain callable or array is refused, with a hint)."""
    if not isinstance(value, Schedule):
        hint = " (build one with lrplan.parse or the lrplan constructors)"
        raise fail(owner, name, f"an lrplan Schedule{hint}", value)
    return value


def lr_values(owner: str, schedule: Schedule, n: int) -> NDArray[np.float64]:
    """``schedule(np.arange(n))``, checked to be finite and >= 0."""
    lrs = np.asarray(schedule(np.arange(n)), dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(lrs) | (lrs < 0))
    if len(bad):
        k = int(bad[0])
        raise fail(owner, "schedule", "finite and >= 0 at every step", f"{schedule} gives {lrs[k]!r} at step {k}")
    return lrs


def require_steps(owner: str, name: str, value: Any) -> NDArray[np.int64]:
    """Integer steps >= 0 (an int or a 1-D sequence); integral floats are accepted."""
    arr = np.atleast_1d(np.asarray(value))
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iuf":
        raise fail(owner, name, "an integer step >= 0 or a non-empty 1-D list of them", value)
    if arr.dtype.kind == "f" and not (np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))):
        raise fail(owner, name, "whole numbers of steps", value)
    out = arr.astype(np.int64)
    if np.any(out < 0):
        raise fail(owner, name, ">= 0", value)
    return out


def require_choice(owner: str, name: str, value: Any, options: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in options:
        raise fail(owner, name, "one of " + ", ".join(repr(o) for o in options), value)
    return value


def require_fraction(owner: str, name: str, value: Any, *, open_high: bool = True) -> float:
    """A real number in [0, 1) (or [0, 1] with ``open_high=False``)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value >= 1 if open_high else value > 1):
        raise fail(owner, name, "in [0, 1)" if open_high else "in [0, 1]", value)
    return float(value)
