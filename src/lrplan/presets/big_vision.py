"""big_vision's ``utils.create_learning_rate_schedule``, reproduced exactly.

``create_learning_rate_schedule(total_steps, batch_size, data_size, base, decay_type, scale_with_batchsize,
**kw)`` multiplies a decay (``decay_type``: ``linear``/``polynomial``, ``cosine``, ``rsqrt``, ``stair``)
by a linear warmup :math:`\\min(1, s/W)` and a linear cooldown :math:`\\min(1, (T - s)/C)`. Durations
(``warmup``, ``cooldown``) are given as ``{name}_steps``, ``_examples`` (÷ batch size), ``_epochs``
(x data_size / batch_size) or ``_percent`` (x total_steps), rounded as big_vision rounds (nearest,
at least 1 unless exactly 0). The value is absolute: ``base`` is what big_vision multiplies by
``config.lr`` (pass ``base=config.lr * base``).

Quirks kept: the rsqrt timescale defaults to 10,000 **regardless of the warmup**; the warmup
multiplies the decay (for rsqrt with a shift, the warmup ramps to :math:`\\eta/\\sqrt{1 + \\sigma/\\tau}`).
Differences said: past ``total_steps`` big_vision's cooldown factor turns negative, the preset holds
0; big_vision returns float32, the preset float64; unknown keyword arguments (which big_vision
ignores) raise :class:`~lrplan.ConfigError`.

Example:
    >>> from lrplan.presets import big_vision
    >>> s = big_vision.create_learning_rate_schedule(20_000, base=5e-4, decay_type="rsqrt", warmup_steps=4000,
    ...                                              cooldown_steps=2000)
    >>> f"{s(2000):.5e}", f"{s(16000):.5e}", f"{s(19000):.4e}", s(20000)
    ('2.50000e-04', '3.37100e-04', '1.5811e-04', 0.0)

References:
    https://github.com/google-research/big_vision/blob/main/big_vision/utils.py;
    Zhai et al. 2022, https://arxiv.org/abs/2106.04560.
"""

from __future__ import annotations

import itertools
from typing import Any

from .. import (
    Constant,
    Cooldown,
    Cosine,
    InverseSqrt,
    Join,
    Linear,
    PiecewiseConstant,
    Polynomial,
    Product,
    Schedule,
    Shift,
)
from ._args import Args, preset, shown

__all__ = ["create_learning_rate_schedule"]

_ARGS = Args("big_vision.create_learning_rate_schedule")
_DURATIONS = ("warmup", "cooldown")
_SUFFIXES = ("steps", "examples", "epochs", "percent")
_OTHER_KW = ("power", "end", "linear_end", "timescale", "timescale_examples", "shift", "steps", "mults")


def _to_integer(x: float) -> int:
    return max(1, round(x)) if x else 0


def _steps(prefix: str, kw: dict[str, Any], data_size: Any, batch_size: Any, total_steps: float) -> float:
    """big_vision's ``utils.steps``: a duration in steps from ``{prefix}_{steps,examples,epochs,percent}``."""
    c = _ARGS
    given = [f"{prefix}_{s}" for s in _SUFFIXES if kw.get(f"{prefix}_{s}") is not None]
    if len(given) > 1:
        raise c.fail(given[1], f"None when `{given[0]}` is given (only one of them)", kw[given[1]])
    if f"{prefix}_steps" in kw:
        return c.nonneg(f"{prefix}_steps", kw[f"{prefix}_steps"])
    if batch_size and f"{prefix}_examples" in kw:
        return _to_integer(c.nonneg(f"{prefix}_examples", kw[f"{prefix}_examples"]) / batch_size)
    if batch_size and data_size and f"{prefix}_epochs" in kw:
        return _to_integer(c.nonneg(f"{prefix}_epochs", kw[f"{prefix}_epochs"]) * data_size / batch_size)
    if total_steps and f"{prefix}_percent" in kw:
        return _to_integer(c.in_range(f"{prefix}_percent", kw[f"{prefix}_percent"], 0.0, 1.0) * total_steps)
    if given:
        raise c.fail(given[0], "convertible to steps (pass batch_size, data_size or total_steps)", kw[given[0]])
    return 0


@preset
def create_learning_rate_schedule(
    total_steps: int,
    batch_size: int | None = None,
    data_size: int | None = None,
    base: float = 1.0,
    decay_type: str = "stair",
    scale_with_batchsize: bool = False,
    **kw: Any,
) -> Schedule:
    r"""big_vision's learning-rate schedule: decay x linear warmup x linear cooldown.

    With :math:`W` warmup, :math:`C` cooldown, :math:`T` = ``total_steps`` and
    :math:`p = \text{clip}((s - W)/(T - W), 0, 1)`, the decay is

    * ``linear``/``polynomial``: :math:`e + (\eta - e)(1 - p)^{q}` (kw ``power`` :math:`q` = 1, ``end``
      or ``linear_end`` :math:`e` = 0);
    * ``cosine``: :math:`\eta\,\tfrac12(1 + \cos \pi p)` (no floor);
    * ``rsqrt``: :math:`\eta/\sqrt{1 + (s + \sigma - W)/\tau}` for :math:`s \ge W`,
      :math:`\eta/\sqrt{1 + \sigma/\tau}` before (kw ``timescale`` :math:`\tau` = 10,000 or
      ``timescale_examples``, ``shift`` :math:`\sigma` = 0);
    * ``stair``: :math:`\eta\,[1, m_1, m_2, \dots]_i`, :math:`i` = the number of ``steps`` boundaries
      :math:`\le s` (kw ``steps``, ``mults``).

    times :math:`\min(1, s/W)` and :math:`\min(1, (T - s)/C)`. ``scale_with_batchsize`` multiplies
    ``base`` by ``batch_size / 256``.

    Example:
        >>> from lrplan.presets import big_vision
        >>> s = big_vision.create_learning_rate_schedule(100, base=1.0, decay_type="cosine", warmup_steps=10)
        >>> s(5), s(10), s(55), s(100)
        (0.5, 1.0, 0.5, 0.0)
        >>> st = big_vision.create_learning_rate_schedule(100, decay_type="stair", steps=[30, 60], mults=[0.1, 0.01])
        >>> st(29), st(30), st(60)
        (1.0, 0.1, 0.01)
    """
    c = _ARGS
    for key in kw:
        if not (key in _OTHER_KW or any(key == f"{d}_{s}" for d in _DURATIONS for s in _SUFFIXES)):
            raise c.fail(key, "an argument big_vision reads (it would silently ignore it)", kw[key])
    t = c.nonneg("total_steps", total_steps)
    lr = c.nonneg("base", base)
    kind = c.choice("decay_type", decay_type, ("linear", "polynomial", "cosine", "rsqrt", "stair"))
    if c.flag("scale_with_batchsize", scale_with_batchsize):
        lr = lr * c.positive("batch_size", batch_size) / 256.0
    w = _steps("warmup", kw, data_size, batch_size, t)
    cool = _steps("cooldown", kw, data_size, batch_size, t)
    if not (t <= 1 or w < t):
        raise c.fail("warmup_steps", f"< total_steps={shown(total_steps)}", w)
    if cool > t:
        raise c.fail("cooldown_steps", f"<= total_steps={shown(total_steps)}", cool)
    span = max(t - w, 1.0)
    decay: Schedule
    if kind in ("linear", "polynomial"):
        end = c.nonneg("end", kw.get("end", kw.get("linear_end", 0)))
        power = c.positive("power", kw.get("power", 1))
        decay = Shift(Polynomial(init_value=lr, end_value=end, decay_steps=span, power=power), steps=w)
    elif kind == "cosine":
        decay = Shift(Cosine(init_value=lr, decay_steps=span), steps=w)
    elif kind == "rsqrt":
        if "timescale_examples" in kw:
            tau = c.positive("timescale_examples", kw["timescale_examples"]) / c.positive("batch_size", batch_size)
        else:
            tau = c.positive("timescale", kw.get("timescale", 10_000))
        sigma = c.nonneg("shift", kw.get("shift", 0))
        rsqrt = InverseSqrt(peak_value=lr, warmup_steps=0, timescale=tau)
        if sigma == 0:
            decay = Shift(rsqrt, steps=w)
        else:
            decay = Join([Constant(rsqrt(sigma)), Shift(rsqrt, steps=-sigma)], boundaries=[w])
    else:
        bounds = c.reals("steps", kw.get("steps", []))
        mults = c.reals("mults", kw.get("mults", []))
        if len(mults) != len(bounds) or any(b2 < b1 for b1, b2 in itertools.pairwise(bounds)):
            raise c.fail("mults", f"one per boundary in the sorted `steps`={shown(list(bounds))}", list(mults))
        values = [lr] + [lr * m for m in mults]
        # searchsorted(steps, s + 1): the index counts the boundaries <= s; repeated boundaries skip values
        pairs: dict[float, float] = {}
        for i, b in enumerate(bounds):
            pairs[float(b)] = values[i + 1]
        start = values[sum(1 for b in bounds if b <= 0)]
        kept = sorted(b for b in pairs if b > 0)
        decay = (
            PiecewiseConstant(boundaries=kept, values=[start] + [pairs[b] for b in kept]) if kept else Constant(start)
        )
    out: Schedule = decay
    if w > 0:
        out = Product([Linear(init_value=0.0, end_value=1.0, decay_steps=w), out])
    if cool > 0:
        out = Cooldown(out, start=t - cool, steps=cool)
    return out
