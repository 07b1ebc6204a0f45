"""Periodic schedules: waves that keep going (no restart bookkeeping, no horizon).

* :class:`Cyclic` (``cyclic``): the triangle wave of cyclical learning rates (PyTorch's ``CyclicLR``).
* :class:`CosineWave` (``cosine_wave``): a cosine that keeps oscillating past its decay length
  (Hugging Face's cosine schedule and PyTorch's ``CosineAnnealingLR`` past the end).
* :class:`PolynomialCycle` (``polynomial_cycle``): a polynomial decay whose horizon stretches to the
  next multiple of its length (Keras's ``PolynomialDecay(cycle=True)``).
"""

from __future__ import annotations

import math
from typing import Any

from .. import fields
from .._base import Schedule
from .._ops import Ops
from .._registry import builtin

__all__ = ["Cyclic", "CosineWave", "PolynomialCycle"]

_PI = math.pi
_FLOAT64 = ("python", "numpy")  # ops that evaluate in float64: keep the source's exact arithmetic


@builtin("cyclic")
@fields.schedule_dataclass
class Cyclic(Schedule):
    r"""Cyclical learning rate: a triangle wave between ``init_value`` and ``peak_value`` (periodic by definition).

    With :math:`U` = ``up_steps``, :math:`D` = ``down_steps``, :math:`c = \lfloor 1 + s/(U + D) \rfloor`,
    :math:`x = 1 + s/(U+D) - c`, :math:`r = U/(U+D)` and :math:`f = x/r` if :math:`x \le r` else
    :math:`(x - 1)/(r - 1)`:

    .. math:: \eta(s) = \eta_{base} + (\eta_{max} - \eta_{base})\, f\, g(s)

    where :math:`g = 1` (``triangular``), :math:`2^{1-c}` (``triangular2``) or :math:`\gamma^{s}`
    (``exp_range``). This is PyTorch's ``CyclicLR`` formula.

    Args:
        init_value: :math:`\eta_{base}`, the bottom of the cycle and the value at step 0.
        peak_value: :math:`\eta_{max}`, the top.
        up_steps: :math:`U` (> 0).
        down_steps: :math:`D` (> 0); default ``up_steps``.
        mode: ``triangular``, ``triangular2`` or ``exp_range``.
        gamma: :math:`\gamma` in (0, 1] for ``exp_range``.

    Example:
        >>> import lrplan
        >>> s = lrplan.cyclic(init_value=0.1, peak_value=1.0, up_steps=2, mode="triangular2")
        >>> [round(s(k), 3) for k in range(7)]
        [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55]

    References:
        Smith 2017, *Cyclical Learning Rates for Training Neural Networks*, https://arxiv.org/abs/1506.01186.
    """

    init_value: float = fields.value()
    peak_value: float = fields.value()
    up_steps: float = fields.steps(positive=True)
    down_steps: float | None = fields.optional_steps(default=None)
    mode: str = fields.choice(("triangular", "triangular2", "exp_range"), default="triangular")
    gamma: float = fields.positive(default=1.0)

    def validate(self) -> None:
        if self.gamma > 1:
            raise self.config_error("gamma", "in (0, 1]", self.gamma)

    def formula(self, s: Any, ops: Ops) -> Any:
        up = float(self.up_steps)
        down = up if self.down_steps is None else float(self.down_steps)
        total = up + down
        cycle = ops.floor(1.0 + s / total)
        # PyTorch's x = 1 + s/total - cycle, measured in steps (pos = x * total) so that float32 loses
        # no digits to the cancellation: f = x/r = pos/U rising, (x - 1)/(r - 1) = (total - pos)/D falling.
        # The clip keeps the value in range where float32 cannot hold the step (beyond 2**24).
        pos = ops.minimum(ops.maximum(s - (cycle - 1.0) * total, 0.0), total)
        f = ops.where(pos <= up, pos / up, (total - pos) / down)
        amp = (self.peak_value - self.init_value) * f
        if self.mode == "triangular2":
            amp = amp * 0.5 ** (cycle - 1.0)
        elif self.mode == "exp_range":
            amp = amp * self.gamma**s
        return self.init_value + amp

    def breakpoints(self) -> tuple[float, ...]:
        up = float(self.up_steps)
        down = up if self.down_steps is None else float(self.down_steps)
        return (up, up + down, 2 * up + down, 2 * (up + down))

    def continuous_at(self) -> tuple[float, ...]:
        return self.breakpoints()


@builtin("cosine_wave")
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

    def formula(self, s: Any, ops: Ops) -> Any:
        if ops.name in _FLOAT64:
            w = _PI * float(self.num_cycles) * 2.0  # Hugging Face's order of operations
            c = 0.5 * (1.0 + ops.cos(w * (s / self.decay_steps)))
        else:  # float32 frameworks: the exact remainder of n*s/K first, so long runs keep their accuracy
            frac = ops.mod(float(self.num_cycles) * s, self.decay_steps) / self.decay_steps
            c = 0.5 * (1.0 + ops.cos((2.0 * _PI) * frac))
        return self.end_value + (self.init_value - self.end_value) * c

    def breakpoints(self) -> tuple[float, ...]:
        return (float(self.decay_steps),)

    def continuous_at(self) -> tuple[float, ...]:
        return (float(self.decay_steps),)


@builtin("polynomial_cycle")
@fields.schedule_dataclass
class PolynomialCycle(Schedule):
    r"""Polynomial decay whose horizon stretches to the next multiple of ``decay_steps`` (Keras ``cycle=True``).

    With :math:`K' = K \max(\lceil s/K \rceil, 1)`:

    .. math::
        \eta(s) = \eta_{end} + (\eta_0 - \eta_{end})\left(1 - \frac{s}{K'}\right)^{p}

    It reaches ``end_value`` at every multiple of :math:`K` and then jumps up, but *not* back to
    ``init_value``: after :math:`nK` it restarts from the point of a decay stretched over
    :math:`(n+1)K`, so the jumps shrink (:math:`\eta_0 = 1`, :math:`\eta_{end} = 0.1`, :math:`K = 4`:
    0.1 at 4, 0.4375 at 5, 0.1 at 8, 0.325 at 9). No horizon.

    Args:
        init_value: :math:`\eta_0`, the value at step 0.
        end_value: :math:`\eta_{end}`, reached at every multiple of :math:`K`.
        decay_steps: :math:`K` (> 0).
        power: :math:`p` (> 0); 1 is linear.

    Example:
        >>> import lrplan
        >>> s = lrplan.polynomial_cycle(init_value=1.0, end_value=0.1, decay_steps=4)
        >>> s(0), s(4), s(5), s(8), s(9)
        (1.0, 0.1, 0.4375, 0.1, 0.325)

    References:
        Keras ``keras/src/optimizers/schedules/learning_rate_schedule.py`` ``PolynomialDecay``.
    """

    init_value: float = fields.value()
    end_value: float = fields.value()
    decay_steps: float = fields.steps(positive=True)
    power: float = fields.positive(default=1.0)

    def formula(self, s: Any, ops: Ops) -> Any:
        k = float(self.decay_steps)
        n = -ops.floor(-s / k)  # ceil(s / k) ...
        n = ops.where((n - 1.0) * k >= s, n - 1.0, n)  # ... exactly, even where s / k was rounded (jit)
        n = ops.where(n * k < s, n + 1.0, n)
        horizon = k * ops.maximum(n, 1.0)
        q = ops.maximum((horizon - s) / horizon, 0.0)
        return self.end_value + (self.init_value - self.end_value) * q**self.power

    def breakpoints(self) -> tuple[float, ...]:
        k = float(self.decay_steps)
        return (k, 2 * k, 3 * k)
