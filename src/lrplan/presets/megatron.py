"""LLM pretraining schedules: Megatron-LM's ``OptimizerParamScheduler``, Hägele et al.'s WSD, DeepSeek's multi-step.

* :func:`OptimizerParamScheduler` -- Megatron-LM's learning-rate schedule (``lr_decay_style``
  constant, linear, cosine, inverse-square-root, WSD), with its quirks.
* :func:`wsd_schedule` -- the warmup-stable-decay schedule of Hägele et al. 2024 (epfml/schedules-and-scaling).
* :func:`deepseek_multistep` -- DeepSeek LLM's multi-step schedule (put here with the other LLM
  pretraining schedules).

Megatron's step counter is whatever its training loop passes to ``step(increment)``: samples in
Megatron-LM's own loop (increment = global batch size). The presets count whatever the adapter counts;
express the durations in the same unit.

Example:
    >>> from lrplan.presets import megatron
    >>> s = megatron.OptimizerParamScheduler(init_lr=0.0, max_lr=1.0, min_lr=0.0, lr_warmup_steps=10,
    ...                                      lr_decay_steps=100, lr_decay_style="WSD", wsd_decay_steps=10,
    ...                                      lr_wsd_decay_style="minus_sqrt")
    >>> s(5), s(50), round(s(91), 4), round(s(95), 4), s(100)
    (0.5, 1.0, 0.6838, 0.2929, 0.0)

References:
    NVIDIA/Megatron-LM ``megatron/core/optimizer_param_scheduler.py``;
    Hägele et al. 2024, https://arxiv.org/abs/2405.18392 (epfml/schedules-and-scaling ``src/optim/utils.py``);
    DeepSeek-AI 2024, *DeepSeek LLM*, https://arxiv.org/abs/2401.02954 (§2.3).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from .. import (
    Anneal,
    Clip,
    Constant,
    Cosine,
    InverseSqrt,
    Join,
    Linear,
    PiecewiseConstant,
    Schedule,
    Shift,
    Warmup,
    Wsd,
)
from ._args import Args, preset, shown

__all__ = ["OptimizerParamScheduler", "wsd_schedule", "deepseek_multistep"]

_STYLES = ("constant", "linear", "cosine", "inverse-square-root", "WSD")
_WSD_STYLES = {"linear": "linear", "cosine": "cosine", "minus_sqrt": "1-sqrt"}


@preset
def OptimizerParamScheduler(
    init_lr: float,
    max_lr: float,
    min_lr: float,
    lr_warmup_steps: int,
    lr_decay_steps: int,
    lr_decay_style: str,
    wsd_decay_steps: int | None = None,
    lr_wsd_decay_style: str | None = None,
) -> Schedule:
    r"""Megatron-LM's learning rate at ``num_steps`` :math:`n` (the weight-decay schedule is not a learning rate).

    .. math::
        \eta(n) = \begin{cases}
            \eta_{init} + (\eta_{max} - \eta_{init})\, n/W & W > 0,\ n \le W \text{ (inclusive)} \\
            \eta_{max} & \text{constant} \\
            \eta_{min} & n > D \text{ (all other styles)} \\
            \max(\eta_{min},\ \eta_{max}\sqrt{\max(W, 1)}/\sqrt{\max(n, 1)}) & \text{inverse-square-root} \\
            \eta_{min} + c(r)(\eta_{max} - \eta_{min}), \ r = (n - W)/(D - W) & \text{linear, cosine, WSD}
        \end{cases}

    with :math:`D` = ``lr_decay_steps``; WSD holds :math:`c = 1` until :math:`D - D_w` and then
    decays over ``wsd_decay_steps`` :math:`D_w` (``lr_wsd_decay_style``: linear, cosine or
    minus_sqrt :math:`1 - \sqrt q`). **Quirks kept:** the inverse-square-root style is floored at
    ``min_lr`` and drops to ``min_lr`` after ``lr_decay_steps`` (a cliff); the warmup end is
    inclusive. Not supported: the WSD style ``exponential`` (:math:`2 \cdot 0.5^q - 1`, not a core
    shape), refused with :class:`~lrplan.ConfigError`.

    Example:
        >>> from lrplan.presets import megatron
        >>> s = megatron.OptimizerParamScheduler(0.0, 5e-4, 1e-5, 4000, 20000, "inverse-square-root")
        >>> s(2000), s(16000), s(20000), s(20001)
        (0.00025, 0.00025, 0.00022360679774997898, 1e-05)
    """
    c = Args("megatron.OptimizerParamScheduler")
    init = c.nonneg("init_lr", init_lr)
    peak = c.nonneg("max_lr", max_lr)
    low = c.nonneg("min_lr", min_lr)
    if not peak >= low:
        raise c.fail("max_lr", f">= min_lr={shown(min_lr)}", max_lr)
    if not init <= peak:
        raise c.fail("init_lr", f"<= max_lr={shown(max_lr)}", init_lr)
    w = c.nonneg("lr_warmup_steps", lr_warmup_steps)
    d = c.positive("lr_decay_steps", lr_decay_steps)
    if not w < d:
        raise c.fail("lr_warmup_steps", f"< lr_decay_steps={shown(lr_decay_steps)}", lr_warmup_steps)
    style = c.choice("lr_decay_style", lr_decay_style, _STYLES)
    ramp = Linear(init_value=init, end_value=peak, decay_steps=w) if w > 0 else None
    if style == "constant":
        return Warmup(Constant(peak), steps=w, init_value=init) if w > 0 else Constant(peak)
    if style == "inverse-square-root":
        decay: Schedule = (
            InverseSqrt(peak_value=peak, warmup_steps=0, timescale=w)
            if w >= 1
            else Shift(InverseSqrt(peak_value=peak, warmup_steps=1, timescale=None, warmup_shape="constant"), steps=-w)
        )
        if low > 0:
            decay = Clip(decay, min_value=low, max_value=None)
        if ramp is None:
            return Join([decay, Constant(low)], boundaries=[d + 1])
        return Join([ramp, decay, Constant(low)], boundaries=[w, d + 1])
    if style in ("linear", "cosine"):
        if style == "linear":
            body: Schedule = Linear(init_value=peak, end_value=low, decay_steps=d - w)
        else:
            body = Cosine(init_value=peak, decay_steps=d - w, end_value=low)
        return Warmup(body, steps=w, init_value=init) if w > 0 else body
    if wsd_decay_steps is None:
        raise c.fail("wsd_decay_steps", "given with lr_decay_style='WSD'", None)
    dw = c.positive("wsd_decay_steps", wsd_decay_steps)
    if dw > d:
        raise c.fail("wsd_decay_steps", f"<= lr_decay_steps={shown(lr_decay_steps)}", wsd_decay_steps)
    if lr_wsd_decay_style == "exponential":
        raise c.unsupported(
            "lr_wsd_decay_style",
            lr_wsd_decay_style,
            "linear, cosine or minus_sqrt",
            "2*0.5**q - 1 is not a core shape",
        )
    shape = _WSD_STYLES[c.choice("lr_wsd_decay_style", lr_wsd_decay_style, tuple(_WSD_STYLES))]
    start = d - dw
    if start >= w:
        return Wsd(
            peak_value=peak,
            warmup_steps=w,
            stable_steps=start - w,
            decay_steps=dw,
            init_value=init,
            end_value=low,
            decay_shape=shape,
        )
    # the anneal starts inside the warmup: after the (inclusive) warmup, continue it part-way
    anneal = Anneal(init_value=peak, end_value=low, steps=dw, shape=shape)
    tail = Shift(anneal, steps=start - w - 1)
    if ramp is None:
        return tail
    return Join([ramp, tail], boundaries=[w + 1])


_HAGELE = {"linear": "linear", "sqrt": "1-sqrt", "cosine": "cosine", "square": "square", "exp": "exponential"}


@preset
def wsd_schedule(
    n_iterations: int,
    final_lr_factor: float = 0.0,
    n_warmup: int = 1000,
    init_div_factor: float = 100,
    fract_decay: float = 0.1,
    decay_type: str = "linear",
    lr: float = 1.0,
) -> Schedule:
    r"""Hägele et al.'s warmup-stable-decay (``wsd_schedule`` in epfml/schedules-and-scaling), times ``lr``.

    With :math:`N` = ``n_iterations``, :math:`A = \lfloor f_d N \rfloor` decay steps and
    :math:`H = N - A`: warmup :math:`s/W + (1 - s/W)/\text{init\_div\_factor}` (it starts at
    1/100, not 0), 1 until :math:`H`, then the cooldown to ``final_lr_factor`` :math:`f` over
    :math:`A` steps (``decay_type``: linear, sqrt (the "1-sqrt" cooldown), cosine, square, exp
    :math:`f^q`), :math:`f` after :math:`N`. The source returns a multiplier; ``lr`` (default 1)
    scales it. Not supported: ``miror_cosine`` (2 linear - cosine, not a core shape). With
    ``decay_type='exp'`` and :math:`f = 0` the source drops to 0 right after step :math:`H`; so does
    the preset.

    Example:
        >>> from lrplan.presets import megatron
        >>> s = megatron.wsd_schedule(100, n_warmup=10, decay_type="sqrt")
        >>> s(0), round(s(1), 4), s(10), round(s(91), 4), round(s(99), 5), s(100)
        (0.01, 0.109, 1.0, 0.6838, 0.05132, 0.0)
    """
    c = Args("megatron.wsd_schedule")
    n = c.positive("n_iterations", n_iterations)
    f = c.in_range("final_lr_factor", final_lr_factor, 0.0, 1.0)
    w = c.nonneg("n_warmup", n_warmup)
    div = c.positive("init_div_factor", init_div_factor)
    fd = c.in_range("fract_decay", fract_decay, 0.0, 1.0)
    if decay_type == "miror_cosine":
        raise c.unsupported("decay_type", decay_type, "one of " + ", ".join(map(repr, _HAGELE)), "not a core shape")
    kind = _HAGELE[c.choice("decay_type", decay_type, tuple(_HAGELE))]
    peak = c.nonneg("lr", lr)
    anneal = int(fd * n)
    hold = n - anneal
    end = peak * f
    if anneal == 0:
        decay: Schedule = Constant(end)
    elif kind == "exponential" and f == 0:
        decay = PiecewiseConstant(boundaries=[1], values=[peak, 0.0])
    else:
        decay = Anneal(init_value=peak, end_value=end, steps=anneal, shape=kind)
    if hold >= w:
        if kind == "exponential" or anneal == 0:
            body: Schedule = Join([Constant(peak), decay], boundaries=[hold - w]) if hold > w else decay
            ramp = Linear(init_value=peak / div, end_value=peak, decay_steps=w)
            return Join([ramp, body], boundaries=[w]) if w > 0 else body
        return Wsd(
            peak_value=peak,
            warmup_steps=w,
            stable_steps=hold - w,
            decay_steps=anneal,
            init_value=peak / div,
            end_value=end,
            decay_shape=kind,
        )
    ramp = Linear(init_value=peak / div, end_value=peak, decay_steps=w)
    return Join([ramp, Shift(decay, steps=hold - w)], boundaries=[w])


@preset
def deepseek_multistep(
    lr: float,
    total_steps: int,
    warmup_steps: int = 2000,
    milestones: Sequence[float] = (0.8, 0.9),
    factors: Sequence[float] = (0.316, 0.1),
) -> Schedule:
    r"""DeepSeek LLM's multi-step schedule: linear warmup over 2,000 steps, then ``lr``, 31.6% of it after 80% of training, 10% after 90%.

    .. math::
        \eta(s) = \begin{cases} \eta\, s/W & s < W \\ \eta & s < 0.8 T \\ 0.316\,\eta & s < 0.9 T \\ 0.1\,\eta & s \ge 0.9 T \end{cases}

    ``milestones`` are fractions of ``total_steps`` (of the training tokens, at a fixed batch size);
    the switch happens at ``step >= milestone * total_steps``.

    Example:
        >>> from lrplan.presets import megatron
        >>> s = megatron.deepseek_multistep(4.2e-4, total_steps=100_000)
        >>> [round(s(k), 12) for k in (1000, 79_999, 80_000, 90_000)]
        [0.00021, 0.00042, 0.00013272, 4.2e-05]
    """
    c = Args("megatron.deepseek_multistep")
    peak = c.nonneg("lr", lr)
    t = c.positive("total_steps", total_steps)
    w = c.nonneg("warmup_steps", warmup_steps)
    fractions = c.reals("milestones", milestones)
    mults = c.reals("factors", factors)
    if len(fractions) != len(mults):
        raise c.fail("factors", f"one per milestone ({len(fractions)})", list(factors))
    bounds = [fr * t - w for fr in fractions]
    if any(b <= 0 for b in bounds) or any(y <= x for x, y in itertools.pairwise(bounds)):
        raise c.fail("milestones", f"increasing fractions, after the warmup of {shown(w)} steps", list(milestones))
    body = PiecewiseConstant(boundaries=bounds, values=[peak] + [peak * m for m in mults])
    return Warmup(body, steps=w) if w > 0 else body
