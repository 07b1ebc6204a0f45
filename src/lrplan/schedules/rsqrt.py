"""The inverse square root schedule and its warmup variants (Noam, T5, fairseq, Hugging Face, big_vision)."""

from __future__ import annotations

import math
from typing import Any

from .. import fields
from .._base import Schedule
from .._ops import PY, Ops
from .._registry import builtin
from .._shapes import rise

__all__ = ["InverseSqrt", "DEFAULT_TIMESCALE"]

DEFAULT_TIMESCALE = 10_000
"""The timescale used when ``warmup_steps=0`` and none is given (Hugging Face's and big_vision's default)."""


@builtin("inverse_sqrt")
@fields.schedule_dataclass
class InverseSqrt(Schedule):
    r"""Inverse square root decay after a warmup: the schedule of the Transformer, T5, fairseq and BERT-era models.

    With peak :math:`\eta`, warmup :math:`W` and timescale :math:`\tau`:

    .. math::
        \eta(s) = \begin{cases}
            \eta_{init} + (\eta - \eta_{init})\, s/W & s < W \text{ (linear warmup)} \\
            \eta & s < W \text{ (constant warmup)} \\
            \eta \sqrt{\dfrac{\tau}{s - W + \tau}} & s \ge W
        \end{cases}

    With the default :math:`\tau = W` the decay is :math:`\eta\sqrt{W/s}`. ``warmup_shape="constant"``
    gives the "truncated" form of T5, :math:`1/\sqrt{\max(s, k)}` with ``peak_value = 1/sqrt(k)`` and
    ``warmup_steps = k``. The Noam schedule of *Attention Is All You Need* is
    ``inverse_sqrt(peak_value=(d_model * W) ** -0.5, warmup_steps=W)``. ``warmup_steps=0`` is valid
    (pure decay from the peak); the timescale then defaults to 10,000 steps, as in Hugging Face.

    Args:
        peak_value: :math:`\eta`, reached at step ``warmup_steps``.
        warmup_steps: :math:`W` (>= 0).
        init_value: value at step 0 for the linear and cosine warmups (default 0).
        timescale: :math:`\tau` (> 0); default ``warmup_steps``, or 10,000 if that is 0.
        warmup_shape: ``linear``, ``cosine`` or ``constant``.

    Example:
        >>> import lrplan
        >>> t5 = lrplan.inverse_sqrt(peak_value=0.01, warmup_steps=10_000, warmup_shape="constant")
        >>> t5(0), t5(10_000), t5(40_000)
        (0.01, 0.01, 0.005)
        >>> fairseq = lrplan.inverse_sqrt(peak_value=5e-4, warmup_steps=4000)
        >>> fairseq(2000), fairseq(4000), fairseq(16000)
        (0.00025, 0.0005, 0.00025)

    References:
        Vaswani et al. 2017, https://arxiv.org/abs/1706.03762 (§5.3);
        Raffel et al. 2020 (T5), https://arxiv.org/abs/1910.10683 (§3.1.2);
        Zhai et al. 2022, https://arxiv.org/abs/2106.04560 (timescale, cooldown).
    """

    peak_value: float = fields.value()
    warmup_steps: float = fields.steps()
    init_value: float = fields.value(default=0.0)
    timescale: float | None = fields.optional_steps(default=None)
    warmup_shape: str = fields.choice(("linear", "cosine", "constant"), default="linear")

    def validate(self) -> None:
        if self.warmup_shape == "constant" and self.init_value != 0:
            raise self.config_error("init_value", "0 (unused) with warmup_shape='constant'", self.init_value)

    def formula(self, s: Any, ops: Ops) -> Any:
        w = self.warmup_steps
        tau = self.timescale if self.timescale is not None else w if w > 0 else DEFAULT_TIMESCALE
        if w == 0:
            return self.peak_value * ops.sqrt(tau / (s + tau))
        decay = self.peak_value * ops.sqrt(tau / (ops.maximum(s - w, 0.0) + tau))
        if self.warmup_shape == "constant":
            return ops.where(s < w, self.peak_value, decay)
        p, r = ops.minimum(s / w, 1.0), ops.maximum((w - s) / w, 0.0)
        warm = rise(ops, self.init_value, self.peak_value, p, r, self.warmup_shape)
        return ops.where(s < w, warm, decay)

    def python_formula(self, s: float) -> float:
        # The formula above on Python floats with only the branch it returns: it pays in benchmarks/core.py (a)
        # and on the PyTorch adapter's hot path, and gives the same bits.
        w = self.warmup_steps
        tau = self.timescale if self.timescale is not None else w if w > 0 else DEFAULT_TIMESCALE
        if w == 0:
            return float(self.peak_value * math.sqrt(tau / (s + tau)))
        if s >= w:
            return float(self.peak_value * math.sqrt(tau / (max(s - w, 0.0) + tau)))
        if self.warmup_shape == "constant":
            return float(self.peak_value)
        return float(
            rise(PY, self.init_value, self.peak_value, min(s / w, 1.0), max((w - s) / w, 0.0), self.warmup_shape)
        )

    def breakpoints(self) -> tuple[float, ...]:
        return (float(self.warmup_steps),) if self.warmup_steps > 0 else ()

    def continuous_at(self) -> tuple[float, ...]:
        return self.breakpoints()
