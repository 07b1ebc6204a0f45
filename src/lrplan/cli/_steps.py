"""Step ranges: the automatic range that shows every phase, and ``--steps`` counts and ranges."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal

from .. import Schedule
from ._errors import CliError, clip

__all__ = [
    "MAX_AUTO_STEPS",
    "MAX_EVAL",
    "MAX_STEP",
    "auto_steps",
    "used_steps",
    "parse_count",
    "steps_option",
    "parse_range",
]

MAX_AUTO_STEPS = 10_000_000
"""The automatic step range never goes beyond this many steps."""
MAX_EVAL = 10**9
"""At most this many steps are evaluated one by one (``show``, ``sample``, ``compare``, ``demo``)."""
MAX_STEP = 2**53
"""No step past this (the last integer a float64 counts exactly); ``plot`` draws up to it."""


def _nice_ceil(x: float) -> int:
    """``x`` rounded up to two significant digits."""
    if x <= 10:
        return max(math.ceil(x), 1)
    mag = 10 ** (math.floor(math.log10(x)) - 1)
    return int(math.ceil(x / mag) * mag)


def auto_steps(*schedules: Schedule) -> int:
    """A step count that shows every phase of ``schedules``, and the decay of those without a horizon.

    With a horizon (the step from which a schedule holds its end value): 10% past it, or past the last
    phase boundary. Without one (inverse square root, power law, cyclic...): ten times the last phase
    boundary, or ten times the longest step-valued argument, or 1,000 steps. Rounded up to two
    significant digits; the longest of ``schedules`` wins.

    Example:
        >>> import lrplan
        >>> auto_steps(lrplan.warmup(lrplan.cosine(init_value=1.0, decay_steps=10_000), steps=500))
        12000
        >>> auto_steps(lrplan.inverse_sqrt(peak_value=0.01, warmup_steps=4000))
        40000
        >>> auto_steps(lrplan.power_law(init_value=1.0, scale_steps=100, exponent=-0.5))
        1000
    """
    best = 0
    for s in schedules:
        points = [p for p in s.breakpoints() if math.isfinite(p)]
        horizon = s.horizon if s.horizon is not None and math.isfinite(s.horizon) else None
        if horizon is not None and max([horizon, *points]) > 0:
            n = _nice_ceil(max([horizon, *points]) * 1.1 + 1)
        elif horizon is None and points and max(points) > 0:
            n = _nice_ceil(max(points) * 10)
        else:
            scales = [v for name, v in _step_fields(s) if v and v > 0]
            n = _nice_ceil(max(scales) * 10) if scales else 1000
        best = max(best, n)
    return max(1, min(best or 1000, MAX_AUTO_STEPS))


def used_steps(*schedules: Schedule) -> tuple[int, str]:
    """The steps where ``schedules`` are used, ``0 .. n - 1``, and a phrase that says why.

    Up to the longer of their horizons (from there on each holds its end value, so nothing later is
    used); the automatic range (:func:`auto_steps`) when none has a horizon.

    Example:
        >>> import lrplan
        >>> used_steps(lrplan.cosine(init_value=1.0, decay_steps=1000), lrplan.constant(1.0))
        (1000, 'up to the longer horizon, step 1,000')
        >>> used_steps(lrplan.power_law(init_value=1.0, scale_steps=100, exponent=-0.5))
        (1000, 'the automatic range: no horizon')
    """
    horizons = [s.horizon for s in schedules if s.horizon is not None and math.isfinite(s.horizon)]
    if not horizons or max(horizons) <= 0:
        return auto_steps(*schedules), "the automatic range: no horizon"
    end = max(horizons)
    which = "the horizon" if len(schedules) == 1 else "the longer horizon"
    return min(max(math.ceil(end), 1), MAX_EVAL), f"up to {which}, step {end:,.10g}"


def _step_fields(s: Schedule) -> Iterator[tuple[str, float]]:
    for f in dataclasses.fields(s):
        val = getattr(s, f.name)
        if isinstance(val, Schedule):
            yield from _step_fields(val)
        elif isinstance(val, tuple) and val and all(isinstance(v, Schedule) for v in val):
            for v in val:
                yield from _step_fields(v)
        elif (f.name.endswith("steps") or f.name == "timescale") and isinstance(val, (int, float)):
            yield f.name, float(val)


_NUMBER = re.compile(r"^[+-]?(\d[\d_,]*)(\.\d*)?([eE][+-]?\d+)?$")


def parse_count(text: str, option: str, minimum: int, maximum: int = MAX_STEP) -> int:
    """A whole number from ``minimum`` to ``maximum`` written as ``1000``, ``1_000``, ``1,000`` or ``1e3``.

    Read exactly (no rounding through a float), so ``2**53 + 1`` stays itself.

    Example:
        >>> parse_count("12_000", "--steps", 1), parse_count("1e3", "--steps", 1)
        (12000, 1000)
    """
    raw = str(text).strip()
    if len(raw) > 40 or not _NUMBER.match(raw):
        raise CliError(f"{option} must be a whole number. Received: {option}={clip(text, 40)}.")
    value = Decimal(raw.replace("_", "").replace(",", ""))
    if value != value.to_integral_value():
        raise CliError(f"{option} must be a whole number. Received: {option}={text}.")
    if value < minimum:
        raise CliError(f"{option} must be >= {minimum}. Received: {option}={text}.")
    if value > maximum:
        raise CliError(f"{option} must be at most {maximum:,}{_WHY.get(maximum, '')}. Received: {option}={text}.")
    return int(value)


_WHY = {MAX_EVAL: " (the steps evaluated one by one)", MAX_STEP: " (2**53, the last step a float64 counts exactly)"}


def steps_option(text: str | None, schedules: Sequence[Schedule], maximum: int = MAX_EVAL) -> int:
    """``--steps N``, or the automatic range of ``schedules`` when it is not given."""
    if text is None:
        return auto_steps(*schedules)
    return parse_count(text, "--steps", 1, maximum)


def parse_range(text: str | None, schedule: Schedule) -> range:
    """``N`` (0..N-1) or ``START:STOP[:STRIDE]`` (STOP excluded), as in Python's ``range``.

    At most :data:`MAX_EVAL` steps, none past :data:`MAX_STEP`.

    Example:
        >>> import lrplan
        >>> parse_range("10:20:5", lrplan.constant(0.1)), parse_range("3", lrplan.constant(0.1))
        (range(10, 20, 5), range(0, 3))
    """
    if text is None:
        return range(auto_steps(schedule))
    parts = str(text).split(":")
    if len(parts) == 1:
        return range(parse_count(parts[0], "--steps", 1, MAX_EVAL))
    if len(parts) > 3:
        raise CliError(f"--steps is N or START:STOP[:STRIDE]. Received: --steps={clip(text, 40)}.")
    start = parse_count(parts[0], "--steps START", 0) if parts[0].strip() else 0
    if not parts[1].strip():
        raise CliError(f"--steps START:STOP needs a STOP. Received: --steps={text}.")
    stop = parse_count(parts[1], "--steps STOP", 0)
    stride = parse_count(parts[2], "--steps STRIDE", 1) if len(parts) == 3 and parts[2].strip() else 1
    if stop <= start:
        raise CliError(f"--steps STOP must be greater than START (STOP is excluded). Received: --steps={text}.")
    steps = range(start, stop, stride)
    if len(steps) > MAX_EVAL:
        raise CliError(
            f"--steps covers {len(steps):,} steps; at most {MAX_EVAL:,} are evaluated at once "
            f"(use a STRIDE, or several ranges). Received: --steps={text}."
        )
    return steps
