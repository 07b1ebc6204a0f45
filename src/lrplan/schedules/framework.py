"""Primitives that other libraries' schedules need and the rest of the catalogue does not express.

* :class:`CosineRestartsFixedFloor` (``cosine_restarts_fixed_floor``): warm restarts whose peak
  *above the floor* decays, the floor staying put (Keras ``CosineDecayRestarts``).
* :class:`PolynomialCycle` (``polynomial_cycle``): polynomial decay whose horizon stretches to the
  next multiple of ``decay_steps`` (Keras ``PolynomialDecay(cycle=True)``).

They are ordinary registered schedules: the presets in :mod:`lrplan.presets` build on them, and
they can be used, printed, parsed and serialized like any other. (PyTorch's never-clamped
``CosineAnnealingLR`` is :func:`lrplan.cosine_wave`, shared with the Hugging Face presets.)
"""

from __future__ import annotations

import math
from typing import Any

from .. import fields
from .._base import Schedule
from .._ops import Ops
from .._registry import register
from .._validate import fail
from ._cycles import cycle_start, sgdr_cycle

__all__ = ["CosineRestartsFixedFloor", "PolynomialCycle"]

_PI = math.pi


@register("cosine_restarts_fixed_floor", _builtin=True)
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
        peak_decay: :math:`d` (>= 0), each cycle's height above the floor is this fraction of the previous.

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

    def _check(self) -> None:
        if self.period_mult < 1:
            raise fail("cosine_restarts_fixed_floor", "period_mult", ">= 1", self.period_mult)

    def _f(self, s: Any, ops: Ops) -> Any:
        i, t, length = sgdr_cycle(ops, s, float(self.decay_steps), float(self.period_mult))
        height = (self.init_value - self.end_value) * self.peak_decay**i
        return self.end_value + height * (0.5 * (1.0 + ops.cos(_PI * t / length)))

    def breakpoints(self) -> tuple[float, ...]:
        return tuple(float(cycle_start(i, float(self.decay_steps), float(self.period_mult))) for i in range(1, 5))


@register("polynomial_cycle", _builtin=True)
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

    def _f(self, s: Any, ops: Ops) -> Any:
        k = float(self.decay_steps)
        n = -ops.floor(-s / k)  # ceil(s / k) ...
        n = ops.where((n - 1.0) * k >= s, n - 1.0, n)  # ... exactly, even where s / k was rounded (jit)
        n = ops.where(n * k < s, n + 1.0, n)
        horizon = k * ops.maximum(n, 1.0)
        q = ops.maximum(1.0 - s / horizon, 0.0)
        return self.end_value + (self.init_value - self.end_value) * q**self.power

    def breakpoints(self) -> tuple[float, ...]:
        k = float(self.decay_steps)
        return (k, 2 * k, 3 * k)
