"""Primitives that other libraries' schedules need and the core catalogue lacks.

* :class:`CosineWave` -- a cosine that keeps oscillating past its decay length (Hugging Face's
  ``get_cosine_schedule_with_warmup`` rises again after ``num_training_steps``; ``num_cycles`` waves).
* :class:`CosineHardRestarts` -- Hugging Face's ``cosine_with_restarts``: ``num_cycles`` equal cosine
  cycles in a fixed horizon, then 0.
* :class:`CycleAnneal` -- timm/fairseq-style cycles (SGDR bookkeeping with ``period_mult``,
  ``peak_decay``, ``max_cycles``) of a cosine, tanh, polynomial or triangular shape, with k-decay.
* :class:`Quantize` -- evaluate a schedule at whole units of ``unit_steps`` steps (timm's
  ``t_in_epochs=True``: the value is constant within an epoch).

Each reproduces the arithmetic of the source it was written for, so that presets match the source
to the last bit or two.
"""

from __future__ import annotations

import math
from typing import Any

from .. import fields
from .._base import Schedule
from .._ops import Ops
from .._registry import register
from .._validate import fail

__all__ = ["CosineWave", "CosineHardRestarts", "CycleAnneal", "Quantize"]

_PI = math.pi
_FLOAT64 = ("python", "numpy")  # ops that evaluate in float64: keep the source's exact arithmetic


@register("cosine_wave", _builtin=True)
@fields.schedule_dataclass
class CosineWave(Schedule):
    r"""A cosine between ``init_value`` and ``end_value`` that keeps going past ``decay_steps`` (no clamp).

    .. math::
        \eta(s) = \eta_{end} + (\eta_0 - \eta_{end})\,\tfrac12\left(1 + \cos\left(2\pi n \frac{s}{K}\right)\right)

    With the default :math:`n = 0.5` (``num_cycles``) it is a half cosine from ``init_value`` at step 0
    to ``end_value`` at step :math:`K`, and then **rises again**, reaching ``init_value`` at
    :math:`2K`: this is Hugging Face's ``get_cosine_schedule_with_warmup`` (and PyTorch's
    ``CosineAnnealingLR``) past the end. Use :func:`lrplan.cosine` for a cosine that holds its end.
    Periodic by definition: no horizon.

    Args:
        init_value: :math:`\eta_0`, the value at step 0 (and at every multiple of :math:`K/n`).
        decay_steps: :math:`K` (> 0).
        end_value: :math:`\eta_{end}`, the trough (default 0).
        num_cycles: :math:`n` (> 0), the number of full waves in :math:`K` steps (0.5 = half a wave).

    Example:
        >>> import lrplan
        >>> s = lrplan.cosine_wave(init_value=1.0, decay_steps=100)
        >>> [round(s(k), 12) for k in (0, 50, 100, 150, 200)]
        [1.0, 0.5, 0.0, 0.5, 1.0]

    References:
        Hugging Face ``transformers/optimization.py`` (``_get_cosine_schedule_with_warmup_lr_lambda``).
    """

    init_value: float = fields.value()
    decay_steps: float = fields.steps(positive=True)
    end_value: float = fields.value(default=0.0)
    num_cycles: float = fields.positive(default=0.5)

    def _f(self, s: Any, ops: Ops) -> Any:
        if ops.name in _FLOAT64:
            w = _PI * float(self.num_cycles) * 2.0  # Hugging Face's order of operations
            c = 0.5 * (1.0 + ops.cos(w * (s / self.decay_steps)))
        else:  # float32 frameworks: the exact remainder of n*s/K first, so long runs keep their accuracy
            frac = ops.mod(float(self.num_cycles) * s, self.decay_steps) / self.decay_steps
            c = 0.5 * (1.0 + ops.cos((2.0 * _PI) * frac))
        return self.end_value + (self.init_value - self.end_value) * c

    def _scalar(self, s: float) -> float:
        w = _PI * float(self.num_cycles) * 2.0
        c = 0.5 * (1.0 + math.cos(w * (s / self.decay_steps)))
        return self.end_value + (self.init_value - self.end_value) * c

    def breakpoints(self) -> tuple[float, ...]:
        return (float(self.decay_steps),)

    def continuous_at(self) -> tuple[float, ...]:
        return (float(self.decay_steps),)


@register("cosine_hard_restarts", _builtin=True)
@fields.schedule_dataclass
class CosineHardRestarts(Schedule):
    r"""``num_cycles`` cosine cycles from ``init_value`` to 0 in ``decay_steps`` steps, then 0 (hard restarts).

    With :math:`p = s/K` and :math:`\{x\}` the fractional part:

    .. math::
        \eta(s) = \begin{cases}
            \eta_0\,\tfrac12\left(1 + \cos\left(\pi \{ n p \}\right)\right) & p < 1 \\
            0 & p \ge 1
        \end{cases}

    The fractional part is computed as Hugging Face computes it (``(n * p) % 1``), so restarts land on
    the same steps, rounding included.

    Args:
        init_value: :math:`\eta_0`, the value at the start of every cycle.
        decay_steps: :math:`K` (> 0), the length of all cycles together.
        num_cycles: :math:`n` (an integer >= 1).

    Example:
        >>> import lrplan
        >>> s = lrplan.cosine_hard_restarts(init_value=1.0, decay_steps=100, num_cycles=2)
        >>> s(0), s(25), s(50), s(75), s(100)
        (1.0, 0.5, 1.0, 0.5, 0.0)

    References:
        Hugging Face ``transformers/optimization.py``
        (``get_cosine_with_hard_restarts_schedule_with_warmup``); Loshchilov & Hutter 2017,
        https://arxiv.org/abs/1608.03983.
    """

    init_value: float = fields.value()
    decay_steps: float = fields.steps(positive=True)
    num_cycles: int = fields.count(default=1)

    def _f(self, s: Any, ops: Ops) -> Any:
        p = s / self.decay_steps
        if ops.name in _FLOAT64:  # Hugging Face's arithmetic, so restarts land on the same steps
            x = float(self.num_cycles) * p
            frac = x - ops.floor(x)
        else:  # float32 frameworks: the exact remainder of n*s/K, so restarts stay sharp
            frac = ops.mod(float(self.num_cycles) * s, self.decay_steps) / self.decay_steps
        v = self.init_value * (0.5 * (1.0 + ops.cos(_PI * frac)))
        return ops.where(p >= 1.0, 0.0, v)

    def _scalar(self, s: float) -> float:
        p = s / self.decay_steps
        if p >= 1.0:
            return 0.0
        return self.init_value * (0.5 * (1.0 + math.cos(_PI * ((float(self.num_cycles) * p) % 1.0))))

    @property
    def horizon(self) -> float | None:
        return float(self.decay_steps)

    def breakpoints(self) -> tuple[float, ...]:
        k, n = self.decay_steps, self.num_cycles
        return tuple(float(k * i / n) for i in range(1, n + 1))


_SHAPES = ("cosine", "tanh", "poly", "triangular")


@register("cycle_anneal", _builtin=True)
@fields.schedule_dataclass
class CycleAnneal(Schedule):
    r"""Annealing cycles with restarts, as timm and fairseq count them (cosine, tanh, poly or triangular).

    Cycle bookkeeping (timm's ``cycle_mul``/``cycle_decay``/``cycle_limit``, fairseq's ``t_mult``/
    ``lr_shrink``), with :math:`K` = ``cycle_steps`` and :math:`m` = ``period_mult``:

    .. math::
        i = \begin{cases} \lfloor s/K \rfloor & m = 1 \\
                          \lfloor \log(1 - (s/K)(1 - m)) / \log m \rfloor & m \ne 1 \end{cases}, \quad
        K_i = m^i K, \quad t = s - \frac{1 - m^i}{1 - m} K

    (``t = s - iK`` when :math:`m = 1`; the index is computed exactly as timm does, rounding
    included). The peak of cycle :math:`i` is :math:`\hat\eta_i = \eta_0 d^{\,i}` (``peak_decay``),
    the floor :math:`\check\eta_i = \eta_{end}` (or :math:`\eta_{end} d^{\,i}` with
    ``end_decay=True``, as fairseq's cosine does). Within a cycle, with :math:`x = t^k / K_i^k`
    (``k_decay``; :math:`k = 1` is plain) and :math:`r = t/K_i`:

    .. math::
        \eta(s) = \check\eta_i + (\hat\eta_i - \check\eta_i)\, g, \qquad g = \begin{cases}
            \tfrac12 (1 + \cos \pi x) & \text{cosine} \\
            \tfrac12 (1 - \tanh(l (1 - r) + u\, r)) & \text{tanh} \\
            (1 - x)^{p} & \text{poly} \\
            \max(0, 1 - |2r - 1|) & \text{triangular (starts at the floor, peaks mid-cycle)}
        \end{cases}

    After ``max_cycles`` cycles the value is ``end_value`` (``None``: cycles forever). The tanh shape
    never quite reaches the peak: :math:`g(0) = 0.99999917` with the defaults :math:`l = -7, u = 3`.

    Args:
        init_value: :math:`\eta_0`, the first peak.
        cycle_steps: :math:`K` (> 0), the length of the first cycle.
        end_value: :math:`\eta_{end}`, the floor.
        shape: ``cosine``, ``tanh``, ``poly`` or ``triangular``.
        period_mult: :math:`m` (>= 1).
        peak_decay: :math:`d` (> 0).
        max_cycles: number of cycles before holding ``end_value``, or ``None``.
        k_decay: :math:`k` (> 0), for ``cosine`` and ``poly``.
        power: :math:`p` (> 0), for ``poly``.
        lb, ub: :math:`l < u`, for ``tanh``.
        end_decay: also multiply the floor by :math:`d^{\,i}`.

    Example:
        >>> import lrplan
        >>> s = lrplan.cycle_anneal(init_value=1.0, cycle_steps=10, shape="tanh")
        >>> round(s(0), 6), round(s(5), 4), s(10)
        (0.999999, 0.982, 0.0)
        >>> r = lrplan.cycle_anneal(init_value=1.0, cycle_steps=4, period_mult=2, peak_decay=0.5, max_cycles=None)
        >>> [round(r(k), 3) for k in (0, 2, 4, 8, 12)]
        [1.0, 0.5, 0.5, 0.25, 0.25]

    References:
        timm ``timm/scheduler/{cosine,tanh,poly}_lr.py``; fairseq
        ``fairseq/optim/lr_scheduler/{cosine,triangular}_lr_scheduler.py``;
        Loshchilov & Hutter 2017, https://arxiv.org/abs/1608.03983;
        Hsueh et al. 2019 (tanh), https://arxiv.org/abs/1806.01593;
        Zhang & Li 2020 (k-decay), https://arxiv.org/abs/2004.05909.
    """

    init_value: float = fields.value()
    cycle_steps: float = fields.steps(positive=True)
    end_value: float = fields.value(default=0.0)
    shape: str = fields.choice(_SHAPES, default="cosine")
    period_mult: float = fields.positive(default=1.0)
    peak_decay: float = fields.positive(default=1.0)
    max_cycles: int | None = fields.count(default=1, optional=True)
    k_decay: float = fields.positive(default=1.0)
    power: float = fields.positive(default=0.5)
    lb: float = fields.real(default=-7.0)
    ub: float = fields.real(default=3.0)
    end_decay: bool = fields.flag(default=False)

    def _check(self) -> None:
        if self.period_mult < 1:
            raise fail("cycle_anneal", "period_mult", ">= 1", self.period_mult)
        if self.lb >= self.ub:
            raise fail("cycle_anneal", "lb", f"< ub={self.ub!r}", self.lb)

    def _cycle(self, s: Any, ops: Ops) -> tuple[Any, Any, Any]:
        k, m = self.cycle_steps, self.period_mult
        if m == 1.0:
            i = ops.floor(s / k)
            return i, s * 0.0 + k, s - k * i
        i = ops.floor(ops.log(1.0 - s / k * (1.0 - m)) / math.log(m))
        return i, m**i * k, s - (1.0 - m**i) / (1.0 - m) * k

    def _g(self, t: Any, ti: Any, ops: Ops) -> Any:
        if self.shape == "tanh":
            r = t / ti
            return 0.5 * (1.0 - ops.tanh(self.lb * (1.0 - r) + self.ub * r))
        if self.shape == "triangular":
            r = t / ti
            return ops.maximum(1.0 - ops.maximum(2.0 * r - 1.0, 1.0 - 2.0 * r), 0.0)
        kk = self.k_decay
        if self.shape == "cosine":
            return 0.5 * (1.0 + ops.cos(_PI * t**kk / ti**kk))
        return ops.maximum(1.0 - t**kk / ti**kk, 0.0) ** self.power

    def _f(self, s: Any, ops: Ops) -> Any:
        i, ti, t = self._cycle(s, ops)
        gamma = self.peak_decay**i if self.peak_decay != 1.0 else 1.0
        peak = self.init_value * gamma
        low = self.end_value * gamma if self.end_decay else self.end_value
        if self.shape in ("cosine", "tanh"):  # timm's order of operations
            v = low + 0.5 * (peak - low) * (2.0 * self._g(t, ti, ops))
        else:
            v = low + (peak - low) * self._g(t, ti, ops)
        if self.max_cycles is None:
            return v
        return ops.where(i >= float(self.max_cycles), self.end_value, v)

    def _scalar(self, s: float) -> float:
        k, m = self.cycle_steps, self.period_mult
        if m != 1.0:
            i = math.floor(math.log(1 - s / k * (1 - m), m))
            ti = m**i * k
            t = s - (1 - m**i) / (1 - m) * k
        else:
            i = math.floor(s / k)
            ti = k
            t = s - k * i
        if self.max_cycles is not None and i >= self.max_cycles:
            return float(self.end_value)
        gamma = self.peak_decay**i
        peak = self.init_value * gamma
        low = self.end_value * gamma if self.end_decay else self.end_value
        kk = self.k_decay
        if self.shape == "cosine":
            return low + 0.5 * (peak - low) * (1 + math.cos(_PI * t**kk / ti**kk))
        if self.shape == "tanh":
            r = t / ti
            return low + 0.5 * (peak - low) * (1 - math.tanh(self.lb * (1.0 - r) + self.ub * r))
        if self.shape == "poly":
            return low + (peak - low) * float(max(1 - t**kk / ti**kk, 0.0) ** self.power)
        r = t / ti
        return low + (peak - low) * max(0.0, 1.0 - abs(2.0 * r - 1.0))

    def _start(self, n: int) -> float:
        k, m = self.cycle_steps, self.period_mult
        return float(n * k if m == 1.0 else k * (m**n - 1.0) / (m - 1.0))

    @property
    def horizon(self) -> float | None:
        return None if self.max_cycles is None else self._start(self.max_cycles)

    def breakpoints(self) -> tuple[float, ...]:
        n = self.max_cycles if self.max_cycles is not None else 4
        return tuple(self._start(i) for i in range(1, n + 1))


@register("quantize", _builtin=True)
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

    def _f(self, s: Any, ops: Ops) -> Any:
        return self.schedule._f(ops.floor(s / self.unit_steps), ops)

    def _scalar(self, s: float) -> float:
        return self.schedule._scalar(float(math.floor(s / self.unit_steps)))

    @property
    def horizon(self) -> float | None:
        h = self.schedule.horizon
        return None if h is None else float(math.ceil(h) * self.unit_steps)

    def breakpoints(self) -> tuple[float, ...]:
        return tuple(sorted({float(math.ceil(p) * self.unit_steps) for p in self.schedule.breakpoints()}))
