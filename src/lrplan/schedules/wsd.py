"""Warmup-stable-decay (trapezoid) schedules."""

from __future__ import annotations

from .. import fields
from .._base import Derived, Schedule
from .._compose import Join, Warmup
from .._registry import builtin
from .._shapes import DECAY_SHAPES, WARMUP_SHAPES
from .basic import Anneal, Constant

__all__ = ["Wsd"]


@builtin("wsd")
@fields.schedule_dataclass
class Wsd(Derived):
    r"""Warmup-stable-decay: warm up to ``peak_value``, hold it, then cool down to ``end_value``.

    Defined as ``join([warmup(constant(peak), W, init), anneal(peak, end, D, decay_shape)], [W + S])``:

    .. math::
        \eta(s) = \begin{cases}
            \text{warmup from } \eta_{init} \text{ to } \eta \text{ (shape \texttt{warmup\_shape})} & s < W \\
            \eta & W \le s < W + S \\
            \text{anneal}(\eta \to \eta_{end}, q), \ q = (s - W - S)/D & W + S \le s < W + S + D \\
            \eta_{end} & s \ge W + S + D
        \end{cases}

    The default ``1-sqrt`` cooldown is :math:`\eta_{end} + (\eta - \eta_{end})(1 - \sqrt{q})` (Hägele et
    al. 2024); ``exponential`` is geometric and needs ``end_value > 0``. Durations count separately
    (the total is :math:`W + S + D`); ``decay_steps=0`` drops to ``end_value`` at once.

    Args:
        peak_value: :math:`\eta`.
        warmup_steps: :math:`W` (>= 0).
        stable_steps: :math:`S` (>= 0).
        decay_steps: :math:`D` (>= 0).
        init_value: value at step 0 (default 0).
        end_value: final value, at most ``peak_value`` (default 0).
        decay_shape: ``linear``, ``cosine``, ``1-sqrt``, ``square`` or ``exponential``.
        warmup_shape: ``linear``, ``cosine``, ``1-sqrt``, ``square`` or ``exponential``.

    Example:
        >>> import lrplan
        >>> s = lrplan.wsd(peak_value=1.0, warmup_steps=10, stable_steps=80, decay_steps=10)
        >>> s(5), s(50), round(s(91), 4), round(s(95), 4), s(100)
        (0.5, 1.0, 0.6838, 0.2929, 0.0)

    References:
        Hu et al. 2024 (MiniCPM), https://arxiv.org/abs/2404.06395;
        Hägele et al. 2024, https://arxiv.org/abs/2405.18392.
    """

    peak_value: float = fields.value()
    warmup_steps: float = fields.steps()
    stable_steps: float = fields.steps()
    decay_steps: float = fields.steps()
    init_value: float = fields.value(default=0.0)
    end_value: float = fields.value(default=0.0)
    decay_shape: str = fields.choice(DECAY_SHAPES, default="1-sqrt")
    warmup_shape: str = fields.choice(WARMUP_SHAPES, default="linear")

    def validate(self) -> None:
        if self.end_value > self.peak_value:
            raise self.config_error("end_value", f"<= peak_value={self.peak_value!r}", self.end_value)
        if self.decay_shape == "exponential" and self.end_value <= 0 and self.decay_steps > 0:
            raise self.config_error("end_value", "> 0 with decay_shape='exponential'", self.end_value)
        if self.warmup_shape == "exponential" and self.init_value <= 0 and self.warmup_steps > 0:
            raise self.config_error("init_value", "> 0 with warmup_shape='exponential'", self.init_value)

    def define(self) -> Schedule:
        tail: Schedule
        if self.decay_steps > 0:
            tail = Anneal(
                init_value=self.peak_value, end_value=self.end_value, steps=self.decay_steps, shape=self.decay_shape
            )
        else:
            tail = Constant(self.end_value)
        head = Warmup(
            Constant(self.peak_value), steps=self.warmup_steps, init_value=self.init_value, shape=self.warmup_shape
        )
        return Join([head, tail], boundaries=[self.warmup_steps + self.stable_steps])

    def continuous_at(self) -> tuple[float, ...]:  # the stable-to-decay joint too: the decay starts at the peak
        w, st, d = self.warmup_steps, self.stable_steps, self.decay_steps
        points = [w] if w > 0 else []
        if d > 0:
            points += [w + st, w + st + d]
        return tuple(float(p) for p in sorted(set(points)))
