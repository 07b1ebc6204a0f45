"""Constant, linear, polynomial, power-law, exponential, step, inverse-time and piecewise-constant schedules."""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import fields
from .._base import Schedule
from .._ops import NUMPY, Ops
from .._registry import builtin
from .._shapes import DECAY_SHAPES, interp

__all__ = [
    "Constant",
    "Linear",
    "Polynomial",
    "PowerLaw",
    "Exponential",
    "StepDecay",
    "InverseTime",
    "PiecewiseConstant",
    "Anneal",
]


@builtin("constant")
@fields.schedule_dataclass
class Constant(Schedule):
    r"""A constant value.

    .. math:: \eta(s) = v

    Args:
        value: the value :math:`v` (any finite value).

    Example:
        >>> import lrplan
        >>> lrplan.constant(0.1)(12345)
        0.1
    """

    value: float = fields.value(kw_only=False, nonnegative=False)

    def formula(self, s: Any, ops: Ops) -> Any:
        return s * 0.0 + self.value

    @property
    def horizon(self) -> float | None:
        return 0.0


@builtin("linear")
@fields.schedule_dataclass
class Linear(Schedule):
    r"""Linear interpolation from ``init_value`` to ``end_value`` over ``decay_steps``, then constant (linear decay to a floor).

    .. math::
        \eta(s) = \begin{cases} \eta_0 + (\eta_K - \eta_0)\, s/K & s < K \\ \eta_K & s \ge K \end{cases}

    with :math:`\eta_0` = ``init_value``, :math:`\eta_K` = ``end_value``, :math:`K` = ``decay_steps``.
    ``end_value`` may exceed ``init_value`` (a linear ramp up).

    Args:
        init_value: value at step 0.
        end_value: value from step ``decay_steps`` on.
        decay_steps: length of the ramp (> 0).

    Example:
        >>> import lrplan
        >>> s = lrplan.linear(init_value=1.0, end_value=0.1, decay_steps=10)
        >>> [round(s(k), 4) for k in (0, 5, 10, 20)]
        [1.0, 0.55, 0.1, 0.1]

    References:
        Bishop & Bishop, *Deep Learning: Foundations and Concepts* (2024), §7.3.
    """

    init_value: float = fields.value(nonnegative=False)
    end_value: float = fields.value(nonnegative=False)
    decay_steps: float = fields.steps(positive=True)

    def formula(self, s: Any, ops: Ops) -> Any:
        k = self.decay_steps
        p, r = ops.minimum(s / k, 1.0), ops.maximum((k - s) / k, 0.0)  # each direct: no 1 - p to cancel
        return ops.where(s >= k, self.end_value, self.init_value * r + self.end_value * p)

    @property
    def horizon(self) -> float | None:
        return float(self.decay_steps)

    def breakpoints(self) -> tuple[float, ...]:
        return (float(self.decay_steps),)

    def continuous_at(self) -> tuple[float, ...]:
        return (float(self.decay_steps),)


@builtin("polynomial")
@fields.schedule_dataclass
class Polynomial(Schedule):
    r"""Polynomial decay from ``init_value`` to ``end_value`` over ``decay_steps``, then constant.

    .. math::
        \eta(s) = \eta_K + (\eta_0 - \eta_K)\left(1 - \frac{\min(s, K)}{K}\right)^{p}

    Args:
        init_value: value at step 0 (:math:`\eta_0`).
        end_value: value from ``decay_steps`` on (:math:`\eta_K`).
        decay_steps: :math:`K` (> 0).
        power: :math:`p` (> 0); 1 is linear.

    Example:
        >>> import lrplan
        >>> s = lrplan.polynomial(init_value=1.0, end_value=0.0, decay_steps=10, power=2.0)
        >>> s(0), s(5), s(10)
        (1.0, 0.25, 0.0)

    References:
        optax ``polynomial_schedule``; PyTorch ``PolynomialLR``; Keras ``PolynomialDecay``.
    """

    init_value: float = fields.value(nonnegative=False)
    end_value: float = fields.value(nonnegative=False)
    decay_steps: float = fields.steps(positive=True)
    power: float = fields.positive(default=1.0)

    def formula(self, s: Any, ops: Ops) -> Any:
        q = ops.maximum((self.decay_steps - s) / self.decay_steps, 0.0)
        v = self.end_value + (self.init_value - self.end_value) * q**self.power
        return ops.where(s >= self.decay_steps, self.end_value, v)

    @property
    def horizon(self) -> float | None:
        return float(self.decay_steps)

    def breakpoints(self) -> tuple[float, ...]:
        return (float(self.decay_steps),)

    def continuous_at(self) -> tuple[float, ...]:
        return (float(self.decay_steps),)


@builtin("anneal")
@fields.schedule_dataclass
class Anneal(Schedule):
    r"""A transition of a given shape from ``init_value`` to ``end_value`` over ``steps``, then constant.

    With :math:`p = \min(s/K, 1)`:

    .. math::
        \eta(s) = \begin{cases}
            \eta_0 + (\eta_K - \eta_0)\,p & \text{linear} \\
            \eta_K + (\eta_0 - \eta_K)\,\tfrac12(1 + \cos \pi p) & \text{cosine} \\
            \eta_K + (\eta_0 - \eta_K)(1 - \sqrt{p}) & \text{1-sqrt} \\
            \eta_K + (\eta_0 - \eta_K)(1 - p^2) & \text{square} \\
            \eta_0 (\eta_K/\eta_0)^{p} & \text{exponential (geometric; both values > 0)}
        \end{cases}

    The building block of :func:`wsd`, :func:`one_cycle` and the cooldowns. ``end_value`` may be
    above ``init_value``.

    Args:
        init_value: value at step 0.
        end_value: value from ``steps`` on.
        steps: :math:`K` (> 0).
        shape: one of ``linear``, ``cosine``, ``1-sqrt``, ``square``, ``exponential``.

    Example:
        >>> import lrplan
        >>> s = lrplan.anneal(init_value=1.0, end_value=0.0, steps=100, shape="1-sqrt")
        >>> round(s(1), 4), round(s(25), 4), s(100)
        (0.9, 0.5, 0.0)

    References:
        Hägele et al. 2024, *Scaling Laws and Compute-Optimal Training Beyond Fixed Training
        Durations*, https://arxiv.org/abs/2405.18392 (the 1-sqrt cooldown).
    """

    init_value: float = fields.value(nonnegative=False)
    end_value: float = fields.value(nonnegative=False)
    steps: float = fields.steps(positive=True)
    shape: str = fields.choice(DECAY_SHAPES, default="linear")

    def validate(self) -> None:
        if self.shape == "exponential":
            for name in ("init_value", "end_value"):
                if getattr(self, name) <= 0:
                    raise self.config_error(name, "> 0 with shape='exponential'", getattr(self, name))

    def formula(self, s: Any, ops: Ops) -> Any:
        k = self.steps
        p, r = ops.minimum(s / k, 1.0), ops.maximum((k - s) / k, 0.0)
        v = ops.where(s <= 0.0, self.init_value, interp(ops, self.init_value, self.end_value, p, r, self.shape))
        return ops.where(s >= self.steps, self.end_value, v)

    @property
    def horizon(self) -> float | None:
        return float(self.steps)

    def breakpoints(self) -> tuple[float, ...]:
        return (float(self.steps),)

    def continuous_at(self) -> tuple[float, ...]:
        return (float(self.steps),)


@builtin("power_law")
@fields.schedule_dataclass
class PowerLaw(Schedule):
    r"""Power-law schedule: :math:`\eta(s) = \eta_0 (1 + s/S)^{c}`.

    A negative exponent :math:`c` decays like :math:`s^{c}` for :math:`s \gg S`; there is no horizon.

    Args:
        init_value: :math:`\eta_0`, the value at step 0.
        scale_steps: :math:`S` (> 0), the step scale at which the decay sets in.
        exponent: :math:`c` (finite; negative to decay).

    Example:
        >>> import lrplan
        >>> s = lrplan.power_law(init_value=1.0, scale_steps=100, exponent=-0.5)
        >>> s(0), s(300)
        (1.0, 0.5)

    References:
        Bishop & Bishop, *Deep Learning: Foundations and Concepts* (2024), §7.3.
    """

    init_value: float = fields.value()
    scale_steps: float = fields.steps(positive=True)
    exponent: float = fields.real()

    def formula(self, s: Any, ops: Ops) -> Any:
        return self.init_value * (1.0 + s / self.scale_steps) ** self.exponent


def _exp_decay(ops: Ops, s: Any, init: float, rate: float, steps: float, staircase: bool, end: float | None) -> Any:
    if init == 0:
        return s * 0.0  # zero stays zero, whatever the rate (and rate**p never overflows)
    p = s / steps
    if staircase:
        p = ops.floor(p)
    if end is not None and end > 0 and rate != 1.0 and init > 0:
        p = ops.minimum(p, math.log(end / init) / math.log(rate))  # no overflow before the clamp
    v = init * _power(ops, rate, p)
    if end is None:
        return v
    return ops.maximum(v, end) if rate < 1.0 else ops.minimum(v, end)


def _power(ops: Ops, rate: float, p: Any) -> Any:
    """``rate ** p``, infinite (never ``OverflowError``) where it leaves the float range (``rate > 1``)."""
    if rate <= 1.0:
        return rate**p
    top = math.log(sys.float_info.max) / math.log(rate) * (1.0 - 1e-12)  # rate ** top is finite
    return rate ** ops.minimum(p, top) * rate ** ops.minimum(ops.maximum(p - top, 0.0), top)


def _check_end(schedule: Exponential | StepDecay) -> None:
    """For a positive ``init_value``, the floor (or ceiling) ``end_value`` lies on the side the value goes."""
    init, rate, end = schedule.init_value, schedule.decay_rate, schedule.end_value
    if end is None or init <= 0:  # below 0 the clamp is optax's: max when rate < 1, min otherwise
        return
    if rate < 1.0 and end > init:
        raise schedule.config_error("end_value", f"<= init_value={init!r} when decay_rate < 1", end)
    if rate > 1.0 and end < init:
        raise schedule.config_error("end_value", f">= init_value={init!r} when decay_rate > 1", end)


def _exp_horizon(init: float, rate: float, steps: float, staircase: bool, end: float | None) -> float | None:
    if rate == 1.0:
        return 0.0
    if init == 0:
        return 0.0
    if init < 0:  # the value heads for 0 (rate < 1) or -inf; only a clamp at or above 0 stops it at once
        return 0.0 if end is not None and end >= 0 and rate < 1.0 else None
    if end is None or end == 0:
        return None
    p = math.log(end / init) / math.log(rate)
    return float(math.ceil(p) * steps if staircase else p * steps)


@builtin("exponential")
@fields.schedule_dataclass
class Exponential(Schedule):
    r"""Exponential decay: :math:`\eta(s) = \eta_0\, r^{s/K}`, optionally stepwise and floored.

    .. math::
        \eta(s) = \max\!\left(\eta_0\, r^{e(s)},\ \eta_{end}\right), \qquad
        e(s) = \begin{cases} s/K \\ \lfloor s/K \rfloor & \text{staircase} \end{cases}

    (``min`` instead of ``max`` when :math:`r \ge 1`: ``end_value`` is then a ceiling, as in optax.)
    With :math:`r > 1` and no ``end_value`` the value grows without bound (to ``inf`` past the float range).
    ``init_value`` and ``end_value`` may be negative (the clamp stays optax's ``max``/``min``).

    Args:
        init_value: :math:`\eta_0` (any finite value).
        decay_rate: :math:`r` (> 0): the factor applied every ``decay_steps``.
        decay_steps: :math:`K` (> 0).
        staircase: floor the exponent, so the value changes every ``decay_steps``.
        end_value: optional floor (or ceiling when ``decay_rate > 1``), held once reached.

    Example:
        >>> import lrplan
        >>> s = lrplan.exponential(init_value=1.0, decay_rate=0.5, decay_steps=10)
        >>> s(0), s(10), round(s(15), 6)
        (1.0, 0.5, 0.353553)
        >>> lrplan.exponential(init_value=1.0, decay_rate=0.5, decay_steps=10, end_value=0.3)(50)
        0.3

    References:
        Keras ``ExponentialDecay``; optax ``exponential_decay``.
    """

    init_value: float = fields.value(nonnegative=False)
    decay_rate: float = fields.positive()
    decay_steps: float = fields.steps(positive=True)
    staircase: bool = fields.flag(default=False)
    end_value: float | None = fields.optional_value(default=None, nonnegative=False)

    def validate(self) -> None:
        _check_end(self)

    def formula(self, s: Any, ops: Ops) -> Any:
        return _exp_decay(ops, s, self.init_value, self.decay_rate, self.decay_steps, self.staircase, self.end_value)

    @property
    def horizon(self) -> float | None:
        return _exp_horizon(self.init_value, self.decay_rate, self.decay_steps, self.staircase, self.end_value)


@builtin("step_decay")
@fields.schedule_dataclass
class StepDecay(Schedule):
    r"""Step decay: multiply by ``decay_rate`` every ``decay_steps``, optionally floored.

    .. math:: \eta(s) = \max\!\left(\eta_0\, r^{\lfloor s/K \rfloor},\ \eta_{end}\right)

    (``min`` instead of ``max`` when :math:`r \ge 1`: with :math:`r > 1` the value grows, as PyTorch's
    ``StepLR`` with ``gamma > 1`` does, up to ``end_value`` if given.)

    Args:
        init_value: :math:`\eta_0`.
        decay_rate: :math:`r` (> 0).
        decay_steps: :math:`K` (> 0); the first drop happens at step ``decay_steps``.
        end_value: optional floor (ceiling when ``decay_rate > 1``).

    Example:
        >>> import lrplan
        >>> s = lrplan.step_decay(init_value=1.0, decay_rate=0.1, decay_steps=30)
        >>> s(29), s(30), round(s(60), 6)
        (1.0, 0.1, 0.01)

    References:
        PyTorch ``StepLR``.
    """

    init_value: float = fields.value()
    decay_rate: float = fields.positive()
    decay_steps: float = fields.steps(positive=True)
    end_value: float | None = fields.optional_value(default=None)

    def validate(self) -> None:
        _check_end(self)

    def formula(self, s: Any, ops: Ops) -> Any:
        return _exp_decay(ops, s, self.init_value, self.decay_rate, self.decay_steps, True, self.end_value)

    @property
    def horizon(self) -> float | None:
        return _exp_horizon(self.init_value, self.decay_rate, self.decay_steps, True, self.end_value)


@builtin("inverse_time")
@fields.schedule_dataclass
class InverseTime(Schedule):
    r"""1/t decay: :math:`\eta(s) = \eta_0 / (1 + r\, e(s))`, :math:`e(s) = s/K` or :math:`\lfloor s/K\rfloor`.

    Args:
        init_value: :math:`\eta_0`.
        decay_rate: :math:`r` (>= 0).
        decay_steps: :math:`K` (> 0).
        staircase: floor :math:`s/K`.

    Example:
        >>> import lrplan
        >>> s = lrplan.inverse_time(init_value=1.0, decay_rate=1.0, decay_steps=10)
        >>> s(0), s(10), s(30)
        (1.0, 0.5, 0.25)

    References:
        Keras ``InverseTimeDecay``.
    """

    init_value: float = fields.value()
    decay_rate: float = fields.value()
    decay_steps: float = fields.steps(positive=True)
    staircase: bool = fields.flag(default=False)

    def formula(self, s: Any, ops: Ops) -> Any:
        p = s / self.decay_steps
        if self.staircase:
            p = ops.floor(p)
        return self.init_value / (1.0 + self.decay_rate * p)

    @property
    def horizon(self) -> float | None:
        return 0.0 if self.decay_rate == 0 or self.init_value == 0 else None


@builtin("piecewise_constant")
@fields.schedule_dataclass
class PiecewiseConstant(Schedule):
    r"""Piecewise-constant values switching at the boundaries (``step >= boundary``), as PyTorch and optax do.

    .. math:: \eta(s) = v_i, \quad i = \#\{\, j : b_j \le s \,\}

    Args:
        boundaries: strictly increasing steps (>= 0).
        values: ``len(boundaries) + 1`` values; ``values[0]`` before the first boundary.

    Example:
        >>> import lrplan
        >>> s = lrplan.piecewise_constant(boundaries=[10, 20], values=[1.0, 0.5, 0.1])
        >>> s(9), s(10), s(19), s(20)
        (1.0, 0.5, 0.5, 0.1)
    """

    boundaries: Sequence[float] = fields.reals()
    values: Sequence[float] = fields.reals(nonnegative=False)

    def validate(self) -> None:
        if len(self.values) != len(self.boundaries) + 1:
            raise self.config_error(
                "values",
                f"one longer than `boundaries` ({len(self.boundaries)} boundaries, so {len(self.boundaries) + 1} values)",
                list(self.values),
            )
        if any(b2 <= b1 for b1, b2 in zip(self.boundaries, self.boundaries[1:], strict=False)):
            raise self.config_error("boundaries", "strictly increasing", list(self.boundaries))

    @functools.cached_property
    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.boundaries, dtype=np.float64), np.asarray(self.values, dtype=np.float64)

    def formula(self, s: Any, ops: Ops) -> Any:
        if ops is NUMPY:  # a binary search per step: O(steps log boundaries), not O(steps x boundaries)
            bounds, values = self._table
            return values[np.searchsorted(bounds, s, side="right")] + s * 0.0  # s * 0.0 keeps NaN
        out = s * 0.0 + self.values[0]  # branch-free, for traced frameworks
        for b, val in zip(self.boundaries, self.values[1:], strict=True):
            out = ops.where(s >= b, val, out)
        return out

    @property
    def horizon(self) -> float | None:
        return float(self.boundaries[-1]) if self.boundaries else 0.0

    def breakpoints(self) -> tuple[float, ...]:
        return tuple(float(b) for b in self.boundaries)
