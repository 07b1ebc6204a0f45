"""Argument checks for the presets, in the core's error voice with the preset as the owner.

``"torch.StepLR: `step_size` must be > 0. Received: step_size=0."``
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Mapping
from typing import Any

from .._base import Schedule
from .._errors import ConfigError
from .._validate import (
    fail,
    require_bool,
    require_choice,
    require_int,
    require_nonnegative,
    require_positive,
    require_real,
)

__all__ = [
    "fail",
    "real",
    "nonneg",
    "positive",
    "integer",
    "flag",
    "choice",
    "in_range",
    "schedule_list",
    "steps_list",
    "scales_dict",
    "unsupported",
    "last_epoch",
    "not_available",
]

real = require_real
nonneg = require_nonnegative
positive = require_positive
flag = require_bool
choice = require_choice


def integer(owner: str, name: str, value: Any, *, minimum: int | None = None) -> int:
    """An integer (an integral float is accepted), optionally >= ``minimum``."""
    return require_int(owner, name, value, minimum=minimum)


def in_range(owner: str, name: str, value: Any, low: float, high: float) -> float | int:
    """A finite real number in the closed interval from ``low`` to ``high``."""
    v = require_real(owner, name, value)
    if v < low or v > high:
        raise fail(owner, name, f"in [{low}, {high}]", value)
    return v


def schedule_list(owner: str, name: str, value: Any) -> list[Schedule]:
    """A non-empty list of lrplan schedules (for instance other presets)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or not value:
        raise fail(owner, name, "a non-empty list of lrplan schedules (for instance other presets)", value)
    for i, item in enumerate(value):
        if not isinstance(item, Schedule):
            raise fail(
                owner,
                f"{name}[{i}]",
                "an lrplan Schedule (build it with a preset; framework scheduler objects are not accepted)",
                item,
            )
    return list(value)


def steps_list(owner: str, name: str, value: Any, *, integral: bool = False) -> list[float | int]:
    """A list of non-decreasing steps >= 0."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise fail(owner, name, "a list of steps", value)
    out: list[float | int] = []
    for item in value:  # a list of anything: checked item by item
        if isinstance(item, bool) or not isinstance(item, numbers.Real) or not math.isfinite(item) or item < 0:
            raise fail(owner, name, "a list of steps >= 0", value)
        if integral and not float(item).is_integer():
            raise fail(owner, name, "a list of integer steps", value)
        out.append(int(float(item)) if integral else (int(item) if isinstance(item, int) else float(item)))
    if any(b < a for a, b in itertools.pairwise(out)):
        raise fail(owner, name, "non-decreasing", value)
    return out


def scales_dict(owner: str, name: str, value: Any) -> list[tuple[float | int, float | int]]:
    """A ``{step: scale}`` dict (or None), as a list of (step, scale) sorted by step; scales >= 0."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        raise fail(owner, name, "a dict {step: scale} or None", value)
    items: list[tuple[float | int, float | int]] = []
    for step, scale in value.items():
        if isinstance(step, bool) or not isinstance(step, numbers.Real) or not math.isfinite(step):
            raise fail(owner, name, "a dict whose keys are finite steps", value)
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not math.isfinite(scale) or scale < 0:
            raise fail(owner, name, "a dict whose scales are finite numbers >= 0", value)
        items.append((int(step) if isinstance(step, int) else float(step), float(scale)))
    return sorted(items, key=lambda kv: kv[0])


def unsupported(owner: str, name: str, value: Any, default: Any, why: str) -> None:
    """Refuse an argument the source accepts but the preset cannot honour, unless it has its default."""
    if value is default or (default is not None and not isinstance(value, bool) and value == default):
        return
    raise ConfigError(f"{owner}: `{name}` is not supported: {why}. Received: {name}={value!r}.")


def last_epoch(owner: str, value: Any) -> None:
    """PyTorch's ``last_epoch`` resume argument: only the default -1 is accepted."""
    unsupported(
        owner,
        "last_epoch",
        value,
        -1,
        "a preset is a pure function of the step, so there is nothing to resume; evaluate it at any "
        "step (lrplan.torch.Scheduler takes `start_step`)",
    )


def not_available(owner: str, why: str) -> ConfigError:
    """The error for a source schedule that has no preset."""
    return ConfigError(f"{owner} is not available as a preset: {why}.")
