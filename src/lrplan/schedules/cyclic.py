"""Cyclical learning rates (triangular, triangular2, exp_range)."""

from __future__ import annotations

from typing import Any

from .. import fields
from .._base import Schedule
from .._ops import Ops
from .._registry import register

__all__ = ["Cyclic"]


@register("cyclic", _builtin=True)
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

    def _check(self) -> None:
        if self.gamma > 1:
            from .._validate import fail

            raise fail("cyclic", "gamma", "in (0, 1]", self.gamma)

    def _f(self, s: Any, ops: Ops) -> Any:
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
