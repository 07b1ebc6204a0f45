"""Combinators: schedules built from schedules by nesting, never by chaining state.

Each combinator writes its formula once (``formula``) and, where ``benchmarks/core.py`` shows it pays,
walks its children on Python floats (``python_formula``) without the generic ``ops``.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import fields
from ._base import Schedule
from ._ops import NUMPY, PY, Ops
from ._registry import builtin
from ._shapes import DECAY_SHAPES, WARMUP_SHAPES, interp, rise
from ._validate import fail, is_list, require_nonnegative

__all__ = ["Warmup", "Join", "Scale", "Product", "Clip", "Shift", "Cooldown", "Quantize", "sequence"]


def _shifted(points: tuple[float, ...], by: float, below: float = math.inf) -> list[float]:
    return [p + by for p in points if p + by < below]


def _by_phase(s: Any, bounds: list[float], phases: list[Any]) -> Any:
    """NumPy evaluation of a piecewise formula: ``phases[i]`` on the steps in ``[bounds[i-1], bounds[i])`` only.

    Each phase sees the same step values, and each value is computed by the same operations, as in the
    branch-free formula that evaluates every phase everywhere and selects with ``where``.
    """
    steps = np.asarray(s, dtype=np.float64)
    out = np.empty(steps.shape)
    below = np.ones(steps.shape, dtype=bool)  # steps not yet given to a phase
    for bound, phase in zip([*bounds, None], phases, strict=True):
        mask = below if bound is None else below & (steps < bound)
        if mask.any():
            out[mask] = phase(steps[mask])
        if bound is not None:
            below = below & ~mask
    return out


def _offset_horizon(h: float, by: float) -> float:
    """The first step ``H`` whose ``H - by`` (what the formulas hand the child) is at least the child's horizon ``h``.

    ``(by + h) - by`` can fall one rounding short of ``h`` for fractional values, so ``by + h`` is
    moved up to the next float until it does not: past the returned horizon the child holds its end.
    """
    total = float(h) + float(by)
    while total - by < h:
        total = math.nextafter(total, math.inf)
    return total


@builtin("warmup")
@fields.schedule_dataclass
class Warmup(Schedule):
    r"""Prepend a warmup to any schedule; the wrapped schedule starts its own clock when the warmup ends.

    .. math::
        \eta(s) = \begin{cases}
            \text{rise}(\eta_{init} \to f(0),\ s/W) & s < W \\
            f(s - W) & s \ge W
        \end{cases}

    The warmup ends exactly at the wrapped schedule's first value :math:`f(0)`, so the curve is
    continuous. ``steps`` count *before* the wrapped schedule (its durations are not shortened).
    ``steps=0`` is a no-op.

    Args:
        schedule: :math:`f`, the schedule after the warmup.
        steps: :math:`W` (>= 0).
        init_value: value at step 0 (default 0).
        shape: ``linear``, ``cosine``, ``1-sqrt``, ``square`` or ``exponential`` (needs ``init_value > 0``).

    Example:
        >>> import lrplan
        >>> s = lrplan.warmup(lrplan.cosine(init_value=1.0, decay_steps=100), steps=10)
        >>> s(0), s(5), s(10), s(60), s(110)
        (0.0, 0.5, 1.0, 0.5, 0.0)

    References:
        Goyal et al. 2017, https://arxiv.org/abs/1706.02677 (gradual warmup).
    """

    schedule: Schedule = fields.schedule(kw_only=False)
    steps: float = fields.steps()
    init_value: float = fields.value(default=0.0, nonnegative=False)
    shape: str = fields.choice(WARMUP_SHAPES, default="linear")

    def validate(self) -> None:
        if self.shape == "exponential" and self.steps > 0:
            if self.init_value <= 0 or self.schedule.python_formula(0.0) <= 0:
                raise self.config_error(
                    "init_value",
                    "> 0, and the wrapped schedule's first value > 0, with shape='exponential'",
                    self.init_value,
                )

    @functools.cached_property
    def _target(self) -> float:
        """The wrapped schedule's first value, where the warmup ends."""
        return self.schedule.python_formula(0.0)

    def formula(self, s: Any, ops: Ops) -> Any:
        w = self.steps
        if w == 0:
            return self.schedule.formula(s, ops)
        if ops is NUMPY:  # each phase on its own steps only: the same values, without computing both everywhere
            return _by_phase(s, [w], [self._warm, lambda x: self.schedule.formula(np.maximum(x - w, 0.0), ops)])
        after = self.schedule.formula(ops.maximum(s - w, 0.0), ops)
        return ops.where(s < w, self._warm(s, ops), after)

    def _warm(self, s: Any, ops: Ops = NUMPY) -> Any:
        w = self.steps
        p, r = ops.minimum(s / w, 1.0), ops.maximum((w - s) / w, 0.0)
        return rise(ops, self.init_value, self._target, p, r, self.shape)

    def python_formula(self, s: float) -> float:
        w = self.steps
        if s >= w:
            return self.schedule.python_formula(s - w)
        if self.shape == "linear":
            return self.init_value * ((w - s) / w) + self._target * (s / w)
        return float(self.formula(s, PY))

    @property
    def horizon(self) -> float | None:
        h = self.schedule.horizon
        return None if h is None else _offset_horizon(h, self.steps)

    def breakpoints(self) -> tuple[float, ...]:
        head = [float(self.steps)] if self.steps > 0 else []
        return tuple(head + _shifted(self.schedule.breakpoints(), self.steps))

    def continuous_at(self) -> tuple[float, ...]:
        head = [float(self.steps)] if self.steps > 0 else []
        return tuple(head + _shifted(self.schedule.continuous_at(), self.steps))


@builtin("join")
@fields.schedule_dataclass
class Join(Schedule):
    r"""Run schedules one after another; each child counts steps from its own start (optax's ``join_schedules``).

    .. math:: \eta(s) = f_i(s - b_{i-1}) \quad \text{for } b_{i-1} \le s < b_i, \qquad b_{-1} = 0

    Boundaries are absolute steps; child :math:`i` takes over at ``step >= boundaries[i-1]``. Equal
    boundaries make a zero-length phase, which is skipped. Continuity at the boundaries is not
    implied (use :func:`warmup` or :func:`cooldown` for continuous joins).

    Args:
        schedules: the children :math:`f_0, \dots, f_n`.
        boundaries: :math:`n` non-decreasing steps (>= 0).

    Example:
        >>> import lrplan
        >>> s = lrplan.join([lrplan.constant(1.0), lrplan.linear(init_value=0.5, end_value=0.0, decay_steps=10)],
        ...                  boundaries=[5])
        >>> s(4), s(5), s(10), s(20)
        (1.0, 0.5, 0.25, 0.0)
    """

    schedules: Sequence[Schedule] = fields.schedules(kw_only=False)
    boundaries: Sequence[float] = fields.reals(default=())

    def validate(self) -> None:
        if len(self.boundaries) != len(self.schedules) - 1:
            raise self.config_error(
                "boundaries",
                f"{len(self.schedules) - 1} step(s), one fewer than `schedules`",
                list(self.boundaries),
            )
        if any(b2 < b1 for b1, b2 in zip(self.boundaries, self.boundaries[1:], strict=False)):
            raise self.config_error("boundaries", "non-decreasing", list(self.boundaries))

    def formula(self, s: Any, ops: Ops) -> Any:
        if ops is NUMPY:  # each child on its own steps only, found by binary search
            steps = np.asarray(s, dtype=np.float64)
            phase = np.searchsorted(np.asarray(self.boundaries, dtype=np.float64), steps, side="right")
            out = np.empty(steps.shape)
            for i in np.unique(phase):
                mask = phase == i
                here = steps[mask]
                out[mask] = self.schedules[i].formula(
                    np.maximum(here - self.boundaries[i - 1], 0.0) if i else here, ops
                )
            return out
        out = self.schedules[0].formula(s, ops)  # branch-free, for traced frameworks
        for b, child in zip(self.boundaries, self.schedules[1:], strict=True):
            out = ops.where(s >= b, child.formula(ops.maximum(s - b, 0.0), ops), out)
        return out

    def python_formula(self, s: float) -> float:
        i = bisect.bisect_right(self.boundaries, s)
        return self.schedules[i].python_formula(s - self.boundaries[i - 1] if i else s)

    @property
    def horizon(self) -> float | None:
        h = self.schedules[-1].horizon
        if h is None:
            return None
        return _offset_horizon(h, self.boundaries[-1]) if self.boundaries else h

    def _phases(self) -> list[tuple[Schedule, float, float]]:
        starts = (0.0, *self.boundaries)
        ends = (*self.boundaries, math.inf)
        return [(c, float(a), float(b)) for c, a, b in zip(self.schedules, starts, ends, strict=True) if b > a]

    def breakpoints(self) -> tuple[float, ...]:
        points: set[float] = {float(b) for b in self.boundaries}
        for child, start, end in self._phases():
            points.update(_shifted(child.breakpoints(), start, end))
        return tuple(sorted(points))

    def continuous_at(self) -> tuple[float, ...]:
        points: set[float] = set()
        for child, start, end in self._phases():
            points.update(_shifted(child.continuous_at(), start, end))
        return tuple(sorted(points))


def sequence(phases: Sequence[tuple[Schedule, float | None]]) -> Schedule:
    r"""Run schedules one after another, given by duration instead of absolute boundaries.

    ``sequence([(a, 100), (b, 900), (c, None)])`` is ``join([a, b, c], boundaries=[100, 1000])``: each
    phase counts steps from its own start. The last duration may be ``None`` (run forever); a one-phase
    sequence is its only schedule. Phases with duration 0 are dropped.

    Args:
        phases: ``(schedule, duration)`` pairs; durations >= 0.

    Example:
        >>> import lrplan
        >>> s = lrplan.sequence([(lrplan.constant(1.0), 10), (lrplan.cosine(init_value=0.5, decay_steps=10), None)])
        >>> s(9), s(10), s(20)
        (1.0, 0.5, 0.0)
        >>> s
        join([constant(1.0), cosine(init_value=0.5, decay_steps=10)], boundaries=[10])
    """
    if not is_list(phases) or not phases:
        raise fail("sequence", "phases", "a non-empty list of (schedule, duration) pairs", phases)
    schedules: list[Schedule] = []
    bounds: list[float] = []
    at = 0.0
    for i, item in enumerate(phases):
        if not is_list(item) or len(item) != 2:
            raise fail("sequence", f"phases[{i}]", "a (schedule, duration) pair", item)
        sched, duration = item
        last = i == len(phases) - 1
        if duration is None and not last:
            raise fail("sequence", f"phases[{i}]", "given a duration (only the last phase may use None)", item)
        if duration is not None:
            duration = require_nonnegative("sequence", f"phases[{i}] duration", duration)
            if duration == 0 and not (last and not schedules):
                continue
        if schedules:
            bounds.append(at)
        schedules.append(sched)
        at += 0.0 if duration is None else duration
    if len(schedules) == 1:
        return fields.require_schedule("sequence", "phases[0]", schedules[0])
    return Join(schedules, boundaries=[int(b) if float(b).is_integer() else b for b in bounds])


@builtin("scale")
@fields.schedule_dataclass
class Scale(Schedule):
    r"""Multiply a schedule by a constant: :math:`\eta(s) = c\, f(s)`. ``0.5 * schedule`` builds one.

    Args:
        schedule: :math:`f`.
        factor: :math:`c` (>= 0).

    Example:
        >>> import lrplan
        >>> (0.5 * lrplan.constant(0.2))(0)
        0.1
    """

    schedule: Schedule = fields.schedule(kw_only=False)
    factor: float = fields.value()

    def formula(self, s: Any, ops: Ops) -> Any:
        return self.schedule.formula(s, ops) * self.factor

    def python_formula(self, s: float) -> float:
        return self.schedule.python_formula(s) * self.factor

    @property
    def horizon(self) -> float | None:
        return self.schedule.horizon

    def breakpoints(self) -> tuple[float, ...]:
        return self.schedule.breakpoints()

    def continuous_at(self) -> tuple[float, ...]:
        return self.schedule.continuous_at()


@builtin("product")
@fields.schedule_dataclass
class Product(Schedule):
    r"""The pointwise product of schedules: :math:`\eta(s) = \prod_i f_i(s)`. ``a * b`` builds one.

    Useful for multiplicative factors such as tensor2tensor's ``constant*linear_warmup*rsqrt_decay``.

    Args:
        schedules: the factors (at least one).

    Example:
        >>> import lrplan
        >>> s = lrplan.constant(2.0) * lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=4)
        >>> s(1)
        1.5
    """

    schedules: Sequence[Schedule] = fields.schedules(kw_only=False)

    def formula(self, s: Any, ops: Ops) -> Any:
        out = self.schedules[0].formula(s, ops)
        for child in self.schedules[1:]:
            out = out * child.formula(s, ops)
        return out

    def python_formula(self, s: float) -> float:
        out = self.schedules[0].python_formula(s)
        for child in self.schedules[1:]:
            out *= child.python_formula(s)
        return out

    @property
    def horizon(self) -> float | None:
        hs = [c.horizon for c in self.schedules]
        return None if any(h is None for h in hs) else max(h for h in hs if h is not None)

    def breakpoints(self) -> tuple[float, ...]:
        return tuple(sorted({p for c in self.schedules for p in c.breakpoints()}))

    def continuous_at(self) -> tuple[float, ...]:
        sets = [set(c.continuous_at()) | (set(self.breakpoints()) - set(c.breakpoints())) for c in self.schedules]
        return tuple(sorted(set.intersection(*sets))) if sets else ()


@builtin("clip")
@fields.schedule_dataclass
class Clip(Schedule):
    r"""Clamp a schedule: :math:`\eta(s) = \min(\max(f(s), \eta_{min}), \eta_{max})`.

    Args:
        schedule: :math:`f`.
        min_value: lower bound or ``None``.
        max_value: upper bound or ``None`` (at least one bound; ``min_value <= max_value``).

    Example:
        >>> import lrplan
        >>> s = lrplan.clip(lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=10), min_value=0.2)
        >>> s(5), s(10)
        (0.5, 0.2)
    """

    schedule: Schedule = fields.schedule(kw_only=False)
    min_value: float | None = fields.optional_value(default=None)
    max_value: float | None = fields.optional_value(default=None)

    def validate(self) -> None:
        if self.min_value is None and self.max_value is None:
            raise self.config_error("min_value", "given (or max_value): a clip needs at least one bound", None)
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise self.config_error("min_value", f"<= max_value={self.max_value!r}", self.min_value)

    def formula(self, s: Any, ops: Ops) -> Any:
        v = self.schedule.formula(s, ops)
        if self.min_value is not None:
            v = ops.maximum(v, self.min_value)
        if self.max_value is not None:
            v = ops.minimum(v, self.max_value)
        return v

    @property
    def horizon(self) -> float | None:
        return self.schedule.horizon

    def breakpoints(self) -> tuple[float, ...]:
        return self.schedule.breakpoints()

    def continuous_at(self) -> tuple[float, ...]:
        return self.schedule.continuous_at()


@builtin("shift")
@fields.schedule_dataclass
class Shift(Schedule):
    r"""Shift a schedule in time: :math:`\eta(s) = f(\max(s - d, 0))`.

    A positive ``steps`` delays the schedule (holding :math:`f(0)` for the first :math:`d` steps); a
    negative one starts it part-way (T5X's ``step_offset`` is ``shift(f, steps=offset)``).

    Args:
        schedule: :math:`f`.
        steps: :math:`d`, any finite number.

    Example:
        >>> import lrplan
        >>> s = lrplan.shift(lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=10), steps=-5)
        >>> s(0), s(5)
        (0.5, 0.0)
    """

    schedule: Schedule = fields.schedule(kw_only=False)
    steps: float = fields.real()

    def formula(self, s: Any, ops: Ops) -> Any:
        return self.schedule.formula(ops.maximum(s - self.steps, 0.0), ops)

    def python_formula(self, s: float) -> float:
        return self.schedule.python_formula(max(s - self.steps, 0.0))

    @property
    def horizon(self) -> float | None:
        h = self.schedule.horizon
        return None if h is None else max(_offset_horizon(h, self.steps), 0.0)

    def breakpoints(self) -> tuple[float, ...]:
        return tuple(p for p in _shifted(self.schedule.breakpoints(), self.steps) if p > 0)

    def continuous_at(self) -> tuple[float, ...]:
        return tuple(p for p in _shifted(self.schedule.continuous_at(), self.steps) if p > 0)


@builtin("cooldown")
@fields.schedule_dataclass
class Cooldown(Schedule):
    r"""Anneal any schedule to ``end_value`` from step ``start`` over ``steps`` steps.

    With :math:`q = \min((s - t_0)/D, 1)` and :math:`m(q)` the shape's multiplier (linear
    :math:`1 - q`, cosine :math:`\frac12(1 + \cos \pi q)`, 1-sqrt :math:`1 - \sqrt q`, square :math:`1 - q^2`):

    .. math::
        \eta(s) = \begin{cases}
            f(s) & s < t_0 \\
            \eta_{end} + (f(s) - \eta_{end})\, m(q) & t_0 \le s < t_0 + D \\
            \eta_{end} & s \ge t_0 + D
        \end{cases}

    The cooldown multiplies the *live* schedule (as big_vision does), so it is continuous at
    :math:`t_0` and ends exactly at ``end_value``. ``inverse_sqrt`` + ``cooldown`` is the
    horizon-free recipe: train with rsqrt, and decide the length of the run when you start the
    cooldown. ``steps=0`` drops to ``end_value`` at ``start``.

    Args:
        schedule: :math:`f`, followed until ``start``.
        start: :math:`t_0` (>= 0), the first step of the cooldown (an absolute step).
        steps: :math:`D` (>= 0).
        end_value: value from :math:`t_0 + D` on (default 0).
        shape: ``linear``, ``cosine``, ``1-sqrt``, ``square`` or ``exponential`` (needs ``end_value > 0``).

    Example:
        >>> import lrplan
        >>> s = lrplan.cooldown(lrplan.constant(1.0), start=80, steps=20, shape="1-sqrt")
        >>> s(79), round(s(85), 4), s(100)
        (1.0, 0.5, 0.0)

    References:
        Zhai et al. 2022, https://arxiv.org/abs/2106.04560;
        Hägele et al. 2024, https://arxiv.org/abs/2405.18392.
    """

    schedule: Schedule = fields.schedule(kw_only=False)
    start: float = fields.steps()
    steps: float = fields.steps()
    end_value: float = fields.value(default=0.0)
    shape: str = fields.choice(DECAY_SHAPES, default="linear")

    def validate(self) -> None:
        if self.shape == "exponential" and self.end_value <= 0:
            raise self.config_error("end_value", "> 0 with shape='exponential'", self.end_value)

    def formula(self, s: Any, ops: Ops) -> Any:
        t0, d = self.start, self.steps
        if ops is NUMPY and d > 0:  # each phase on its own steps only: the same values, fewer operations
            inner = self.schedule.formula
            return _by_phase(
                s,
                [t0, t0 + d],
                [lambda x: inner(x, ops), lambda x: self._cooled(x, inner(x, ops), ops), lambda x: self.end_value],
            )
        v = self.schedule.formula(s, ops)
        if d == 0:
            return ops.where(s < t0, v, self.end_value)
        return ops.where(s < t0, v, ops.where(s >= t0 + d, self.end_value, self._cooled(s, v, ops)))

    def _cooled(self, s: Any, v: Any, ops: Ops) -> Any:
        t0, d = self.start, self.steps
        q = ops.minimum(ops.maximum(s - t0, 0.0) / d, 1.0)
        r = ops.minimum(ops.maximum((t0 + d) - s, 0.0) / d, 1.0)  # the remaining fraction, not 1 - q
        live = ops.maximum(v, 1e-300) if self.shape == "exponential" else v  # geometric: a zero stays zero
        return interp(ops, live, self.end_value, q, r, self.shape)

    def python_formula(self, s: float) -> float:
        if s < self.start:
            return self.schedule.python_formula(s)
        end = self.start + self.steps
        if s >= end:
            return float(self.end_value)
        if self.shape == "linear":
            d = self.steps
            return self.schedule.python_formula(s) * ((end - s) / d) + self.end_value * ((s - self.start) / d)
        return float(self.formula(s, PY))

    @property
    def horizon(self) -> float | None:
        return float(self.start + self.steps)

    def breakpoints(self) -> tuple[float, ...]:
        inner = [p for p in self.schedule.breakpoints() if p < self.start]
        ends = {float(self.start), float(self.start + self.steps)}
        return tuple(sorted(set(inner) | ends))

    def continuous_at(self) -> tuple[float, ...]:
        inner = [p for p in self.schedule.continuous_at() if p < self.start]
        ends = {float(self.start + self.steps)} if self.steps > 0 else set()
        child_jumps = set(self.schedule.breakpoints()) - set(self.schedule.continuous_at())
        if self.steps > 0 and float(self.start) not in child_jumps:
            ends.add(float(self.start))
        return tuple(sorted(set(inner) | ends))


@builtin("quantize")
@fields.schedule_dataclass
class Quantize(Schedule):
    r"""Evaluate a schedule at whole units of ``unit_steps`` steps: :math:`\eta(s) = f(\lfloor s / U \rfloor)`.

    The wrapped schedule counts units (epochs), the result counts steps (optimizer updates), and the
    value is constant within each unit: timm's ``t_in_epochs=True`` with ``U`` updates per epoch.

    Args:
        schedule: :math:`f`, in units.
        unit_steps: :math:`U` (> 0), steps per unit.

    Example:
        >>> import lrplan
        >>> s = lrplan.quantize(lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=4), unit_steps=10)
        >>> s(0), s(9), s(10), s(25), s(40)
        (1.0, 1.0, 0.75, 0.5, 0.0)
    """

    schedule: Schedule = fields.schedule(kw_only=False)
    unit_steps: float = fields.steps(positive=True)

    def formula(self, s: Any, ops: Ops) -> Any:
        return self.schedule.formula(ops.floor(s / self.unit_steps), ops)

    def python_formula(self, s: float) -> float:
        return self.schedule.python_formula(float(math.floor(s / self.unit_steps)))

    @property
    def horizon(self) -> float | None:
        h = self.schedule.horizon
        if h is None:
            return None
        units, at = math.ceil(h), float(math.ceil(h) * self.unit_steps)
        while math.floor(at / self.unit_steps) < units:  # the formula's floor(s / U) must reach ceil(h)
            at = math.nextafter(at, math.inf)
        return at

    def breakpoints(self) -> tuple[float, ...]:
        return tuple(sorted({float(math.ceil(p) * self.unit_steps) for p in self.schedule.breakpoints()}))
