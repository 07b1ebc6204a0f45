"""Cosine annealing with warm restarts: the SGDR family.

* :class:`CosineRestarts` (``cosine_restarts``): cycles growing by ``period_mult``, peaks shrinking
  by ``peak_decay`` (PyTorch's ``CosineAnnealingWarmRestarts``, SGDR).
* :class:`CosineRestartsFixedFloor` (``cosine_restarts_fixed_floor``): the height *above* a fixed
  floor shrinks instead (Keras's ``CosineDecayRestarts``).
* :class:`CosineHardRestarts` (``cosine_hard_restarts``): ``num_cycles`` equal cycles in a fixed
  horizon, then 0 (Hugging Face's ``cosine_with_restarts``).
* :class:`CycleAnneal` (``cycle_anneal``): timm's and fairseq's cycles of a cosine, tanh,
  polynomial or triangular shape, with their own arithmetic (rounding included).

:func:`cycle_start` and :func:`sgdr_cycle` are the cycle bookkeeping they share.
"""

from __future__ import annotations

import math
from typing import Any

from .. import fields
from .._base import Schedule
from .._ops import Ops
from .._registry import builtin
from .._shapes import cos_half

__all__ = [
    "CosineRestarts",
    "CosineRestartsFixedFloor",
    "CosineHardRestarts",
    "CycleAnneal",
    "cycle_start",
    "sgdr_cycle",
]

_PI = math.pi
_FLOAT64 = ("python", "numpy")  # ops that evaluate in float64: keep the source's exact arithmetic
_LISTED = 1000
"""Restarts listed by ``breakpoints()`` at most (the first ones, then the end): a billion cycles list 1001 steps."""
_LOG_MAX = math.log(1e300)  # room below the largest float for the arithmetic around a cycle start


def _listed(n: int) -> list[int]:
    """The cycle numbers whose starts ``breakpoints()`` lists: 1..n, or the first ``_LISTED`` and n."""
    return list(range(1, n + 1)) if n <= _LISTED + 1 else [*range(1, _LISTED + 1), n]


def check_cycles(schedule: Schedule, k: float, m: float, n: int | None, d: float = 1.0) -> None:
    """Refuse a ``max_cycles`` whose last cycle would end (or whose peak would grow) beyond the float range."""
    if n is None:
        return
    room = _LOG_MAX - math.log(k)  # ints compared with floats, never converted (max_cycles may be huge)
    too_long = math.log(n) > room if m == 1 else n > (room + math.log(m - 1)) / math.log(m)
    if too_long or (d > 1 and n > _LOG_MAX / math.log(d)):
        raise schedule.config_error("max_cycles", "small enough that the last cycle ends at a finite step", n)


def cycle_start(i: Any, k: float, m: float) -> Any:
    """First step of cycle ``i``: :math:`S_i = K(m^i - 1)/(m - 1)`, or :math:`iK` when :math:`m = 1`."""
    if m == 1.0:
        return i * k
    return k * (float(m) ** i - 1.0) / (m - 1.0)  # a float power: an int one is exact, and endless


def sgdr_cycle(ops: Ops, s: Any, k: float, m: float, max_cycles: int | None = None) -> tuple[Any, Any, Any]:
    """Cycle index ``i`` (a float), step ``t`` within the cycle and the cycle's length, at step ``s``.

    The closed form of ``i`` is corrected so that :math:`S_i \\le s < S_{i+1}` on every path, with a
    relative slack of 1e-12 so that a step landing on a restart is the restart whatever the last bit
    of the framework's ``pow`` or ``log``. With ``max_cycles``, ``i`` is capped at that count.
    """
    if m == 1.0:
        i = ops.floor(s / k)
    else:
        i = ops.floor(ops.log(1.0 + s * (m - 1.0) / k) / math.log(m))
    if max_cycles is not None:
        i = ops.minimum(i, float(max_cycles))
    i = ops.where(s < cycle_start(i, k, m) * (1.0 - 1e-12), i - 1.0, i)
    i = ops.where(s >= cycle_start(i + 1.0, k, m) * (1.0 - 1e-12), i + 1.0, i)
    length = k * m**i
    t = ops.minimum(ops.maximum(s - cycle_start(i, k, m), 0.0), length)
    return i, t, length


@builtin("cosine_restarts")
@fields.schedule_dataclass
class CosineRestarts(Schedule):
    r"""Cosine annealing with warm restarts (SGDR): periods growing by ``period_mult``, peaks shrinking by ``peak_decay``.

    Cycle :math:`i` (from 0) lasts :math:`K_i = K m^i` steps and starts at
    :math:`S_i = K(m^i - 1)/(m - 1)` (:math:`S_i = iK` when :math:`m = 1`). Within it, with
    :math:`t = s - S_i`:

    .. math::
        \eta(s) = \eta_{end} + (\eta_0 d^{\,i} - \eta_{end})\,\tfrac12\left(1 + \cos\frac{\pi t}{K_i}\right)

    The value jumps back up at every restart and never quite reaches ``end_value`` at integer steps
    (as PyTorch's ``CosineAnnealingWarmRestarts``). After ``max_cycles`` cycles it holds ``end_value``;
    with ``max_cycles=None`` it is periodic by definition.

    Args:
        init_value: :math:`\eta_0`, the first peak.
        decay_steps: :math:`K` (> 0), the length of the first cycle.
        end_value: :math:`\eta_{end}`, the floor of every cycle.
        period_mult: :math:`m` (>= 1), each cycle is this much longer than the previous.
        peak_decay: :math:`d` (> 0), each peak is this fraction of the previous (timm's ``cycle_decay``).
        max_cycles: number of cycles before holding ``end_value``; ``None`` for no limit.

    Example:
        >>> import lrplan
        >>> s = lrplan.cosine_restarts(init_value=1.0, decay_steps=3, period_mult=2)
        >>> [round(s(k), 3) for k in range(10)]
        [1.0, 0.75, 0.25, 1.0, 0.933, 0.75, 0.5, 0.25, 0.067, 1.0]

    References:
        Loshchilov & Hutter 2017, *SGDR: Stochastic Gradient Descent with Warm Restarts*,
        https://arxiv.org/abs/1608.03983.
    """

    init_value: float = fields.value()
    decay_steps: float = fields.steps(positive=True)
    end_value: float = fields.value(default=0.0)
    period_mult: float = fields.positive(default=1.0)
    peak_decay: float = fields.positive(default=1.0)
    max_cycles: int | None = fields.count(default=None, optional=True)

    def validate(self) -> None:
        if self.period_mult < 1:
            raise self.config_error("period_mult", ">= 1", self.period_mult)
        check_cycles(self, float(self.decay_steps), float(self.period_mult), self.max_cycles, self.peak_decay)

    def formula(self, s: Any, ops: Ops) -> Any:
        i, t, length = sgdr_cycle(ops, s, float(self.decay_steps), float(self.period_mult), self.max_cycles)
        peak = self.init_value * self.peak_decay**i
        v = self.end_value + (peak - self.end_value) * cos_half(ops, t / length, (length - t) / length)
        if self.max_cycles is not None:
            v = ops.where(s >= self._start(float(self.max_cycles)), self.end_value, v)
        return v

    def _start(self, i: Any) -> Any:
        return cycle_start(i, float(self.decay_steps), float(self.period_mult))

    @property
    def horizon(self) -> float | None:
        return None if self.max_cycles is None else float(self._start(float(self.max_cycles)))

    def breakpoints(self) -> tuple[float, ...]:
        n = self.max_cycles if self.max_cycles is not None else 4
        return tuple(float(self._start(float(i))) for i in _listed(n))


@builtin("cosine_restarts_fixed_floor")
@fields.schedule_dataclass
class CosineRestartsFixedFloor(Schedule):
    r"""Cosine warm restarts where each restart shrinks the height *above* a fixed floor (Keras's SGDR).

    Cycle :math:`i` (from 0) lasts :math:`K_i = K m^i` steps and starts at
    :math:`S_i = K(m^i - 1)/(m - 1)` (:math:`iK` when :math:`m = 1`); with :math:`t = s - S_i`:

    .. math::
        \eta(s) = \eta_{end} + (\eta_0 - \eta_{end})\, d^{\,i}\, \tfrac12\left(1 + \cos\frac{\pi t}{K_i}\right)

    Compare :func:`~lrplan.cosine_restarts`, where the *peak* :math:`\eta_0 d^i` decays and the curve
    spans :math:`\eta_{end}` to :math:`\eta_0 d^i`. Here the floor :math:`\eta_{end}` is never scaled,
    which is what Keras's ``CosineDecayRestarts`` does with ``alpha`` and ``m_mul``: its ``k``-th restart
    value is :math:`\eta_0((1 - \alpha) m^k + \alpha)`. Periodic by definition (no horizon); it never
    quite reaches ``end_value`` at integer steps.

    Args:
        init_value: :math:`\eta_0`, the first peak.
        decay_steps: :math:`K` (> 0), the length of the first cycle.
        end_value: :math:`\eta_{end}`, the floor of every cycle (default 0).
        period_mult: :math:`m` (>= 1), each cycle is this much longer than the previous.
        peak_decay: :math:`d` (>= 0; <= 1 when ``end_value > init_value``, or the value would turn
            negative), each cycle's height above the floor is this fraction of the previous.

    Example:
        >>> import lrplan
        >>> s = lrplan.cosine_restarts_fixed_floor(init_value=1.0, decay_steps=4, end_value=0.1, peak_decay=0.5)
        >>> s(0), s(2), s(4), s(6)
        (1.0, 0.55, 0.55, 0.325)

    References:
        Keras ``keras/src/optimizers/schedules/learning_rate_schedule.py`` ``CosineDecayRestarts``;
        Loshchilov & Hutter 2017, *SGDR*, https://arxiv.org/abs/1608.03983.
    """

    init_value: float = fields.value()
    decay_steps: float = fields.steps(positive=True)
    end_value: float = fields.value(default=0.0)
    period_mult: float = fields.positive(default=1.0)
    peak_decay: float = fields.value(default=1.0)

    def validate(self) -> None:
        if self.period_mult < 1:
            raise self.config_error("period_mult", ">= 1", self.period_mult)
        # With the floor above the first peak the height is negative: growing it (as Keras's m_mul > 1
        # does) takes the value below 0 (Keras itself returns -0.6 at step 30 of the reproducer).
        if self.end_value > self.init_value and self.peak_decay > 1:
            raise self.config_error(
                "peak_decay",
                f"<= 1 when end_value={self.end_value!r} > init_value={self.init_value!r}",
                self.peak_decay,
            )

    def formula(self, s: Any, ops: Ops) -> Any:
        i, t, length = sgdr_cycle(ops, s, float(self.decay_steps), float(self.period_mult))
        height = (self.init_value - self.end_value) * self.peak_decay**i
        return self.end_value + height * cos_half(ops, t / length, (length - t) / length)

    def breakpoints(self) -> tuple[float, ...]:
        return tuple(float(cycle_start(i, float(self.decay_steps), float(self.period_mult))) for i in range(1, 5))


@builtin("cosine_hard_restarts")
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

    def validate(self) -> None:
        if self.num_cycles > 2**53:  # n * s must stay a float that counts cycles
            raise self.config_error("num_cycles", "at most 2**53", self.num_cycles)

    def formula(self, s: Any, ops: Ops) -> Any:
        p = s / self.decay_steps
        if ops.name in _FLOAT64:  # Hugging Face's arithmetic, so restarts land on the same steps
            x = float(self.num_cycles) * p
            frac, rest = x - ops.floor(x), ops.floor(x) + 1.0 - x
        else:  # float32 frameworks: the exact remainder of n*s/K, so restarts stay sharp
            k = float(self.decay_steps)
            into = ops.mod(float(self.num_cycles) * s, k)
            frac, rest = into / k, (k - into) / k
        v = self.init_value * cos_half(ops, frac, rest)
        return ops.where(p >= 1.0, 0.0, v)

    @property
    def horizon(self) -> float | None:
        return float(self.decay_steps)

    def breakpoints(self) -> tuple[float, ...]:
        k, n = self.decay_steps, self.num_cycles
        return tuple(float(k * i / n) for i in _listed(n))


_SHAPES = ("cosine", "tanh", "poly", "triangular")


@builtin("cycle_anneal")
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

    def validate(self) -> None:
        if self.period_mult < 1:
            raise self.config_error("period_mult", ">= 1", self.period_mult)
        if self.lb >= self.ub:
            raise self.config_error("lb", f"< ub={self.ub!r}", self.lb)
        check_cycles(self, float(self.cycle_steps), float(self.period_mult), self.max_cycles, self.peak_decay)

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
            if kk == 1.0:
                return cos_half(ops, t / ti, (ti - t) / ti)
            return 0.5 * (1.0 + ops.cos(_PI * (t / ti) ** kk))
        return ops.maximum(1.0 - (t / ti) ** kk, 0.0) ** self.power  # (t/ti)**k: t**k alone overflows

    def formula(self, s: Any, ops: Ops) -> Any:
        i, ti, t = self._cycle(s, ops)
        if self.peak_decay == 1.0:
            gamma: Any = 1.0
        else:  # past the last cycle the value is end_value: the exponent stops there (no overflow)
            gamma = self.peak_decay ** (i if self.max_cycles is None else ops.minimum(i, float(self.max_cycles)))
        peak = self.init_value * gamma
        low = self.end_value * gamma if self.end_decay else self.end_value
        if self.shape in ("cosine", "tanh"):  # timm's order of operations
            v = low + 0.5 * (peak - low) * (2.0 * self._g(t, ti, ops))
        else:
            v = low + (peak - low) * self._g(t, ti, ops)
        if self.max_cycles is None:
            return v
        return ops.where(i >= float(self.max_cycles), self.end_value, v)

    def _start(self, n: int) -> float:
        return float(cycle_start(float(n), float(self.cycle_steps), float(self.period_mult)))

    @property
    def horizon(self) -> float | None:
        return None if self.max_cycles is None else self._start(self.max_cycles)

    def breakpoints(self) -> tuple[float, ...]:
        n = self.max_cycles if self.max_cycles is not None else 4
        return tuple(self._start(i) for i in _listed(n))
