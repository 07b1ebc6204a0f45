"""Cosine decay and the one-cycle policy (a rise and a cosine fall, defined as a join of anneals)."""

from __future__ import annotations

import math
from typing import Any

from .. import fields
from .._base import Derived, Schedule
from .._compose import Join
from .._ops import Ops
from .._registry import builtin
from .._shapes import cos_half, cos_half_py
from .basic import Anneal, Linear

__all__ = ["Cosine", "OneCycle"]

_PI = math.pi


@builtin("cosine")
@fields.schedule_dataclass
class Cosine(Schedule):
    r"""Cosine decay from ``init_value`` to ``end_value`` over ``decay_steps``, then constant.

    .. math::
        \eta(s) = \eta_{end} + (\eta_0 - \eta_{end})
                  \left[\tfrac12\left(1 + \cos\frac{\pi \min(s, K)}{K}\right)\right]^{e}

    Args:
        init_value: :math:`\eta_0`, the value at step 0.
        decay_steps: :math:`K` (> 0).
        end_value: :math:`\eta_{end}`, held from ``decay_steps`` on (default 0).
        exponent: :math:`e` (> 0), applied to the cosine factor as optax does.

    Example:
        >>> import lrplan
        >>> s = lrplan.cosine(init_value=1.0, decay_steps=100, end_value=0.1)
        >>> s(0), s(50), s(100), s(1000)
        (1.0, 0.55, 0.1, 0.1)

    References:
        Loshchilov & Hutter 2017, *SGDR*, https://arxiv.org/abs/1608.03983.
    """

    init_value: float = fields.value(nonnegative=False)
    decay_steps: float = fields.steps(positive=True)
    end_value: float = fields.value(default=0.0, nonnegative=False)
    exponent: float = fields.positive(default=1.0)

    def formula(self, s: Any, ops: Ops) -> Any:
        k = self.decay_steps
        p, r = ops.minimum(s / k, 1.0), ops.maximum((k - s) / k, 0.0)
        c = cos_half(ops, p, r)
        if self.exponent != 1.0:
            v = self.end_value + (self.init_value - self.end_value) * ops.maximum(c, 0.0) ** self.exponent
        else:
            v = self.init_value * c + self.end_value * cos_half(ops, r, p)
        return ops.where(s >= k, self.end_value, v)

    def python_formula(self, s: float) -> float:
        # The formula above on Python floats with only the branch it returns: it pays on the PyTorch
        # adapter's hot path (benchmarks/torch_overhead.py), and gives the same bits.
        k = self.decay_steps
        if s >= k:
            return float(self.end_value)
        p, r = s / k, (k - s) / k
        c = cos_half_py(p, r)
        if self.exponent != 1.0:
            return float(self.end_value + (self.init_value - self.end_value) * max(c, 0.0) ** self.exponent)
        return float(self.init_value * c + self.end_value * cos_half_py(r, p))

    @property
    def horizon(self) -> float | None:
        return float(self.decay_steps)

    def breakpoints(self) -> tuple[float, ...]:
        return (float(self.decay_steps),)

    def continuous_at(self) -> tuple[float, ...]:
        return (float(self.decay_steps),)


@builtin("one_cycle")
@fields.schedule_dataclass
class OneCycle(Derived):
    r"""The one-cycle policy: up from ``init_value`` to ``peak_value``, then down to ``end_value``.

    Two phases (PyTorch's ``OneCycleLR`` timing): from step 0 to :math:`e_1 = p T - 1` from
    ``init_value`` to ``peak_value``; from :math:`e_1` to :math:`T - 1` down to ``end_value``. Three
    phases: up to :math:`e_1`, back to ``init_value`` at :math:`2 p T - 2`, then to ``end_value`` at
    :math:`T - 1`. Each phase is an :func:`anneal` (``cosine`` or ``linear``). The last of the
    ``total_steps`` updates (step :math:`T - 1`) uses ``end_value``, which is held afterwards
    (PyTorch extrapolates at :math:`T` and raises beyond).

    For momentum cycling, use the same call with ``init_value=0.95, peak_value=0.85, end_value=0.95``.

    Args:
        peak_value: the maximum value.
        total_steps: :math:`T`, the number of updates in the cycle.
        pct_start: :math:`p`, the fraction of the cycle spent rising (in (0, 1); three-phase: (0, 0.5)).
        init_value: value at step 0; default ``peak_value / 25`` (PyTorch's ``div_factor``).
        end_value: final value; default ``init_value / 1e4`` (PyTorch's ``final_div_factor``).
        shape: ``cosine`` or ``linear``.
        three_phase: use the three-phase variant.

    Example:
        >>> import lrplan
        >>> s = lrplan.one_cycle(peak_value=1.0, total_steps=100)
        >>> s(0), s(29), round(s(99), 8)
        (0.04, 1.0, 4e-06)

    References:
        Smith & Topin 2017, *Super-Convergence*, https://arxiv.org/abs/1708.07120.
    """

    peak_value: float = fields.value()
    total_steps: float = fields.steps(positive=True)
    pct_start: float = fields.positive(default=0.3)
    init_value: float | None = fields.optional_value(default=None)
    end_value: float | None = fields.optional_value(default=None)
    shape: str = fields.choice(("cosine", "linear"), default="cosine")
    three_phase: bool = fields.flag(default=False)

    def validate(self) -> None:
        limit = 0.5 if self.three_phase else 1.0
        if self.pct_start >= limit:
            raise self.config_error("pct_start", f"in (0, {limit})", self.pct_start)
        e1, e2, e_last = self._ends()
        if e1 <= 0 or e2 <= e1 or e_last < e2 or (self.three_phase and e_last <= e2):
            raise self.config_error(
                "total_steps",
                f"large enough that every phase lasts at least one step with pct_start={self.pct_start!r}",
                self.total_steps,
            )

    def _ends(self) -> tuple[float, float, float]:
        """The steps where the rise ends, the second phase ends, and the last update."""
        e1 = self.pct_start * self.total_steps - 1
        e_last = self.total_steps - 1
        e2 = 2 * self.pct_start * self.total_steps - 2 if self.three_phase else e_last
        return e1, e2, e_last

    def define(self) -> Schedule:
        e1, e2, e_last = self._ends()
        init = self.peak_value / 25.0 if self.init_value is None else self.init_value
        end = init / 1e4 if self.end_value is None else self.end_value
        if self.three_phase:
            phases = [
                self._phase(init, self.peak_value, e1),
                self._phase(self.peak_value, init, e2 - e1),
                self._phase(init, end, e_last - e2),
            ]
            return Join(phases, boundaries=(e1, e2))
        return Join(
            [self._phase(init, self.peak_value, e1), self._phase(self.peak_value, end, e_last - e1)], boundaries=(e1,)
        )

    def _phase(self, a: float, b: float, steps: float) -> Schedule:
        if self.shape == "linear":
            return Linear(init_value=a, end_value=b, decay_steps=steps)
        return Anneal(init_value=a, end_value=b, steps=steps, shape="cosine")

    def continuous_at(self) -> tuple[float, ...]:
        return self.breakpoints()
