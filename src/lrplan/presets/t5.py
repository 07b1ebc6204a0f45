"""The Transformer/T5 family: Noam, tensor2tensor, Mesh TensorFlow, T5, T5X and Adafactor's relative step.

* :func:`noam` and :func:`rate` -- *Attention Is All You Need* (§5.3) and the Annotated Transformer's helper.
* :func:`learning_rate_schedule` -- tensor2tensor's factor string (``"constant*linear_warmup*rsqrt_decay"``)
  with the ``legacy`` schemes (legacy ``noam`` uses step + 1).
* :func:`truncated_rsqrt`, :func:`learning_rate_schedule_noam` -- Mesh TensorFlow, as T5's gin
  files use them (``rsqrt_no_ramp_down.gin`` is ``truncated_rsqrt()``: :math:`1/\\sqrt{\\max(n, 10^4)}`).
* :func:`create_learning_rate_scheduler` -- T5X's factor string with ``step_offset`` and the
  ``min_learning_rate`` clamp.
* :func:`adafactor_relative_step` -- Adafactor's ``relative_step`` step size.

Factor strings are parsed by splitting on ``*`` and looking each name up in a whitelist (no eval);
an unknown factor raises :class:`~lrplan.ConfigError`. The sources compute in float32 (TensorFlow,
JAX); the presets compute in float64.

Example:
    >>> from lrplan.presets import t5
    >>> s = t5.truncated_rsqrt()
    >>> s(0), s(10_000), s(40_000)
    (0.01, 0.01, 0.005)
    >>> x = t5.create_learning_rate_scheduler("constant * linear_warmup * rsqrt_decay", base_learning_rate=0.5,
    ...                                       warmup_steps=4000)
    >>> f"{x(0):.5e}", f"{x(1):.5e}", f"{x(16000):.5e}"
    ('1.00000e-08', '1.97642e-06', '3.95285e-03')

References:
    Vaswani et al. 2017, https://arxiv.org/abs/1706.03762; Raffel et al. 2020, https://arxiv.org/abs/1910.10683;
    Shazeer & Stern 2018 (Adafactor), https://arxiv.org/abs/1804.04235;
    tensorflow/tensor2tensor ``tensor2tensor/utils/learning_rate.py``; tensorflow/mesh
    ``mesh_tensorflow/transformer/learning_rate_schedules.py``; google-research/t5x ``t5x/utils.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import (
    Anneal,
    Clip,
    Constant,
    Cooldown,
    CosineRestarts,
    CosineWave,
    Cyclic,
    Exponential,
    InverseSqrt,
    Join,
    Linear,
    PiecewiseConstant,
    Product,
    Scale,
    Schedule,
    Shift,
    StepDecay,
    Warmup,
)
from ._args import Args, preset, shown

__all__ = [
    "noam",
    "rate",
    "truncated_rsqrt",
    "learning_rate_schedule_noam",
    "learning_rate_schedule",
    "create_learning_rate_scheduler",
    "adafactor_relative_step",
    "T2T_FACTORS",
    "T5X_FACTORS",
]

T2T_FACTORS = (
    "constant",
    "linear_warmup",
    "linear_decay",
    "cosdecay",
    "single_cycle_cos_decay",
    "multi_cycle_cos_decay",
    "rsqrt_decay",
    "rsqrt_normalized_decay",
    "exp_decay",
    "rsqrt_hidden_size",
    "legacy",
)
"""The factor names tensor2tensor's ``learning_rate_schedule`` accepts."""

T5X_FACTORS = (
    "constant",
    "linear_warmup",
    "linear_decay",
    "rsqrt_decay",
    "rsqrt_normalized_decay",
    "decay_every",
    "cosine_decay",
)
"""The factor names T5X's ``create_learning_rate_scheduler`` accepts."""


def _factors(c: Args, name: str, text: Any, allowed: tuple[str, ...], skip_empty: bool) -> list[str]:
    if not isinstance(text, str):
        raise c.fail(name, "a string of factor names joined by '*'", text)
    names = [part.strip() for part in text.split("*")]
    if skip_empty:
        names = [n for n in names if n]
    for n in names:
        if n not in allowed:
            raise c.fail(name, f"factors from {', '.join(allowed)} (unknown factor {shown(n)})", text)
    if not names:
        raise c.fail(name, "at least one factor", text)
    return names


def _product(parts: list[Schedule | float]) -> Schedule:
    """The product of schedules and numbers, numbers folded into one scale."""
    factor = 1.0
    schedules: list[Schedule] = []
    for p in parts:
        if isinstance(p, Schedule):
            if isinstance(p, Constant):
                factor *= p.value
            else:
                schedules.append(p)
        else:
            factor *= p
    if not schedules:
        return Constant(factor)
    out: Schedule = schedules[0] if len(schedules) == 1 else Product(schedules)
    return out if factor == 1.0 else Scale(out, factor=factor)


def _rsqrt(w: float, peak: float) -> Schedule:
    """``peak * sqrt(W) / sqrt(max(s, W))`` (W = 0 is read as 1: the sources divide by zero at step 0)."""
    w = max(w, 1.0)
    return InverseSqrt(peak_value=peak, warmup_steps=w, timescale=None, warmup_shape="constant")


@preset
def noam(d_model: float, warmup_steps: float = 4000, factor: float = 1.0) -> Schedule:
    r"""The Transformer's schedule: :math:`f\, d^{-1/2} \min(s^{-1/2},\ s\, W^{-3/2})` (0 at step 0).

    This is :func:`lrplan.inverse_sqrt` with ``peak_value = factor * (d_model * W) ** -0.5``.

    Example:
        >>> from lrplan.presets import t5
        >>> s = t5.noam(512, 4000)
        >>> s(0), f"{s(4000):.5e}", f"{s(16000):.5e}"
        (0.0, '6.98771e-04', '3.49386e-04')
    """
    c = Args("t5.noam")
    d = c.positive("d_model", d_model)
    w = c.positive("warmup_steps", warmup_steps)
    f = c.nonneg("factor", factor)
    return InverseSqrt(peak_value=f * (d * w) ** -0.5, warmup_steps=w, timescale=None)


@preset
def rate(model_size: float, factor: float = 1.0, warmup: float = 4000) -> Schedule:
    r"""The Annotated Transformer's ``rate(step, model_size, factor, warmup)``: Noam, with step 0 read as step 1.

    Example:
        >>> from lrplan.presets import t5
        >>> s = t5.rate(512, 1.0, 4000)
        >>> f"{s(0):.5e}", f"{s(1):.5e}", f"{s(2000):.5e}"
        ('1.74693e-07', '1.74693e-07', '3.49386e-04')
    """
    c = Args("t5.rate")
    base = noam(c.positive("model_size", model_size), c.positive("warmup", warmup), factor)
    return Join([Constant(base(1)), Shift(base, steps=-1)], boundaries=[1])


@preset
def truncated_rsqrt(warmup_steps: int = 10_000) -> Schedule:
    r"""Mesh TensorFlow's ``truncated_rsqrt`` (T5's schedule): :math:`1/\sqrt{\max(n, W)}`.

    Constant at :math:`W^{-1/2}` for ``warmup_steps`` steps (T5: 0.01 for 10,000 steps), then the
    inverse square root. ``warmup_steps=0`` (a division by zero at step 0 in the source) is read as 1.

    Example:
        >>> from lrplan.presets import t5
        >>> print(t5.truncated_rsqrt())
        inverse_sqrt(peak_value=0.01, warmup_steps=10000, warmup_shape='constant')
    """
    w = Args("t5.truncated_rsqrt").nonneg("warmup_steps", warmup_steps)
    return _rsqrt(w, max(w, 1.0) ** -0.5)


@preset
def learning_rate_schedule_noam(
    total_train_steps: int | None = None,
    warmup_steps: int = 10_000,
    linear_decay_fraction: float = 0.1,
    multiplier: float = 1.0,
    offset: int = 0,
) -> Schedule:
    r"""Mesh TensorFlow's ``learning_rate_schedule_noam`` (T5's gin default with ``linear_decay_fraction``).

    .. math::
        \eta(n) = \frac{c}{\sqrt{\max(n', W)}} \min\left(1, \frac{T' - n'}{f\, T'}\right), \quad n' = n - o,\ T' = T - o

    ``linear_decay_fraction=0`` drops the linear decay (``rsqrt_no_ramp_down.gin``). **The source goes
    negative** after ``total_train_steps``; the preset holds 0 there. Before ``offset`` the value is
    the one at ``offset``.

    Example:
        >>> from lrplan.presets import t5
        >>> s = t5.learning_rate_schedule_noam(total_train_steps=100_000)
        >>> s(0), s(40_000), round(s(95_000), 8), s(100_000)
        (0.01, 0.005, 0.00162221, 0.0)
    """
    c = Args("t5.learning_rate_schedule_noam")
    w = c.nonneg("warmup_steps", warmup_steps)
    frac = c.in_range("linear_decay_fraction", linear_decay_fraction, 0.0, 1.0)
    mult = c.nonneg("multiplier", multiplier)
    o = c.nonneg("offset", offset)
    out = _rsqrt(w, mult * max(w, 1.0) ** -0.5)
    if frac > 0:
        if total_train_steps is None:
            raise c.fail("total_train_steps", "given when linear_decay_fraction > 0", None)
        t = c.positive("total_train_steps", total_train_steps) - o
        if t <= 0:
            raise c.fail("total_train_steps", f"> offset={shown(offset)}", total_train_steps)
        out = Cooldown(out, start=t * (1.0 - frac), steps=t * frac)
    return Shift(out, steps=o) if o else out


def _exp_factor(c: Args, rate: float, steps: float, staircase: bool) -> Schedule:
    if rate > 1:
        raise c.unsupported("learning_rate_decay_rate", rate, "<= 1", "a growing decay has no end value")
    return Exponential(init_value=1.0, decay_rate=rate, decay_steps=steps, staircase=staircase, end_value=None)


def _legacy(
    c: Args,
    scheme: str,
    w: float,
    hidden: float | None,
    decay_steps: float,
    decay_rate: float,
    staircase: bool,
    boundaries: Sequence[float],
    multiples: Sequence[float],
    cycle: float,
) -> Schedule:
    if scheme == "noam":
        if hidden is None:
            raise c.fail("hidden_size", "given for the legacy 'noam' scheme", None)
        k = 5000.0 * hidden**-0.5
        inner = _rsqrt(1.0, k) if w == 0 else InverseSqrt(peak_value=k * w**-0.5, warmup_steps=w, timescale=None)
        return Shift(inner, steps=-1)
    decay: Schedule
    if scheme == "none":
        decay = Constant(1.0)
    elif scheme == "exp":
        decay = _exp_factor(c, decay_rate, decay_steps, staircase)
    elif scheme == "sqrt":
        decay = _rsqrt(1.0, 500.0)
    elif scheme == "cosine":
        decay = Shift(CosineWave(init_value=1.0, decay_steps=cycle), steps=-w)
    elif scheme == "cyclelinear10x":
        if w == 0:
            raise c.fail("learning_rate_warmup_steps", "> 0 for 'cyclelinear10x'", w)
        decay = Shift(Cyclic(init_value=0.3, peak_value=3.3, up_steps=w, down_steps=w), steps=-w)
    else:  # piecewise: tf.train.piecewise_constant switches after the boundary (s > b)
        if len(multiples) != len(boundaries):
            raise c.fail("learning_rate_multiples", "one per boundary", list(multiples))
        steps = [float(b) + 1.0 for b in boundaries]
        decay = Shift(PiecewiseConstant(boundaries=steps, values=[1.0, *multiples]), steps=-w)
    if w == 0:
        return decay
    warm = Anneal(init_value=0.01, end_value=1.0, steps=w, shape="exponential")
    return Join([warm, decay], boundaries=[w])


@preset
def learning_rate_schedule(
    learning_rate_schedule: str = "legacy",
    learning_rate_constant: float = 1.0,
    learning_rate_warmup_steps: int = 100,
    hidden_size: int | None = None,
    learning_rate_decay_steps: int = 5000,
    learning_rate_decay_rate: float = 1.0,
    learning_rate_decay_staircase: bool = False,
    train_steps: int | None = None,
    learning_rate: float = 0.1,
    learning_rate_decay_scheme: str = "none",
    optimizer: str = "adam",
    learning_rate_boundaries: Sequence[float] = (),
    learning_rate_multiples: Sequence[float] = (),
    learning_rate_cosine_cycle_steps: int = 250_000,
    num_async_replicas: int = 1,
) -> Schedule:
    r"""tensor2tensor's ``learning_rate_schedule(hparams)``: the product of the named factors.

    The arguments are the hparams of the same names. Factors (:math:`s` the step, :math:`W` the warmup):
    ``constant`` (``learning_rate_constant``), ``linear_warmup`` :math:`\min(1, s/W)`, ``linear_decay``
    :math:`\min(1, \max(0, (T - s)/D))`, ``cosdecay`` (1 until :math:`W`, then
    :math:`\tfrac12(1 + \cos(\pi s/D))` on the **raw** step: a jump at :math:`W`, periodic),
    ``single_cycle_cos_decay`` and ``multi_cycle_cos_decay`` (cosine of :math:`\max(s, W) - W` over
    :math:`T - W` or :math:`D`; not clamped), ``rsqrt_decay`` :math:`1/\sqrt{\max(s, W)}`,
    ``rsqrt_normalized_decay`` :math:`\sqrt{W}/\sqrt{\max(s, W)}`, ``exp_decay``
    :math:`r^{\max(0, (s - W)/D)}`, ``rsqrt_hidden_size`` :math:`h^{-1/2}`, and ``legacy``.

    ``legacy`` follows ``learning_rate_decay_scheme``: ``noam`` is
    :math:`5000 h^{-1/2} \min((s + 1) W^{-3/2}, (s + 1)^{-1/2})` (**step + 1**: Noam at :math:`s + 1`);
    otherwise an exponential warmup :math:`0.01^{(W - s)/W}` then ``none``, ``exp``, ``piecewise``
    (switching after each boundary), ``cosine`` (triangle-wave cosine on the raw step),
    ``cyclelinear10x`` or ``sqrt`` (:math:`500/\sqrt{\max(s - W, 1)}`: **a 500x jump at W**); times
    0.002 if the optimizer name contains "adam" (any case), times ``learning_rate``. The product is
    divided by :math:`\sqrt{\text{num\_async\_replicas}}` (``T2TModel.optimize``).

    Example:
        >>> from lrplan.presets import t5
        >>> s = t5.learning_rate_schedule("constant*linear_warmup*rsqrt_decay*rsqrt_hidden_size",
        ...                               learning_rate_constant=2.0, learning_rate_warmup_steps=4000, hidden_size=512)
        >>> s(0), f"{s(4000):.5e}"
        (0.0, '1.39754e-03')
        >>> legacy = t5.learning_rate_schedule(learning_rate_decay_scheme="noam", learning_rate_warmup_steps=4000,
        ...                                    hidden_size=512)
        >>> f"{legacy(0):.5e}", f"{legacy(1):.5e}"
        ('1.74693e-07', '3.49386e-07')
    """
    c = Args("t5.learning_rate_schedule")
    names = _factors(c, "learning_rate_schedule", learning_rate_schedule, T2T_FACTORS, skip_empty=True)
    w = c.nonneg("learning_rate_warmup_steps", learning_rate_warmup_steps)
    d = c.positive("learning_rate_decay_steps", learning_rate_decay_steps)
    r = c.positive("learning_rate_decay_rate", learning_rate_decay_rate)
    stair = c.flag("learning_rate_decay_staircase", learning_rate_decay_staircase)
    hidden = c.optional(c.positive, "hidden_size", hidden_size)
    t = c.optional(c.nonneg, "train_steps", train_steps)
    replicas = c.integer("num_async_replicas", num_async_replicas, minimum=1)
    parts: list[Schedule | float] = []
    for n in names:
        if n == "constant":
            parts.append(c.nonneg("learning_rate_constant", learning_rate_constant))
        elif n == "linear_warmup":
            parts.append(Linear(init_value=0.0, end_value=1.0, decay_steps=w) if w > 0 else 1.0)
        elif n == "linear_decay":
            if t is None:
                raise c.fail("train_steps", "given for the 'linear_decay' factor", None)
            if t >= d:
                parts.append(Cooldown(Constant(1.0), start=t - d, steps=d))
            else:
                parts.append(Linear(init_value=t / d, end_value=0.0, decay_steps=t) if t > 0 else 0.0)
        elif n == "cosdecay":
            wave = Shift(CosineWave(init_value=1.0, decay_steps=d), steps=-(w + 1))
            parts.append(Join([Constant(1.0), wave], boundaries=[w + 1]))
        elif n == "single_cycle_cos_decay":
            if t is None or not t > w:
                raise c.fail("train_steps", "> learning_rate_warmup_steps for 'single_cycle_cos_decay'", t)
            parts.append(Shift(CosineWave(init_value=1.0, decay_steps=t - w), steps=w))
        elif n == "multi_cycle_cos_decay":
            parts.append(Shift(CosineWave(init_value=1.0, decay_steps=d), steps=w))
        elif n == "rsqrt_decay":
            parts.append(_rsqrt(w, max(w, 1.0) ** -0.5))
        elif n == "rsqrt_normalized_decay":
            parts.append(_rsqrt(w, 1.0))
        elif n == "exp_decay":
            parts.append(Shift(_exp_factor(c, r, d, stair), steps=w))
        elif n == "rsqrt_hidden_size":
            if hidden is None:
                raise c.fail("hidden_size", "given for the 'rsqrt_hidden_size' factor", None)
            parts.append(hidden**-0.5)
        else:  # legacy
            scheme = c.choice(
                "learning_rate_decay_scheme",
                learning_rate_decay_scheme,
                ("none", "noam", "exp", "piecewise", "cosine", "cyclelinear10x", "sqrt"),
            )
            if not isinstance(optimizer, str):
                raise c.fail("optimizer", "an optimizer name", optimizer)
            cycle = c.positive("learning_rate_cosine_cycle_steps", learning_rate_cosine_cycle_steps)
            bounds = c.reals("learning_rate_boundaries", learning_rate_boundaries)
            mults = c.reals("learning_rate_multiples", learning_rate_multiples)
            parts.append(_legacy(c, scheme, w, hidden, d, r, stair, bounds, mults, cycle))
            parts.append(0.002 if "adam" in optimizer.lower() else 1.0)
            parts.append(c.nonneg("learning_rate", learning_rate))
    if replicas > 1:
        parts.append(replicas**-0.5)
    return _product(parts)


@preset
def create_learning_rate_scheduler(
    factors: str = "constant * linear_warmup * rsqrt_decay",
    base_learning_rate: float = 0.5,
    warmup_steps: int = 1000,
    decay_factor: float = 0.5,
    steps_per_decay: int = 20000,
    steps_per_cycle: int = 100000,
    step_offset: int = 0,
    min_learning_rate: float = 1e-8,
) -> Schedule:
    r"""T5X's ``utils.create_learning_rate_scheduler``: a product of named factors, clamped below.

    Factors (:math:`s = \max(0, \text{step} - \text{step\_offset})`): ``constant`` (the base),
    ``linear_warmup`` :math:`\min(1, s/W)`, ``linear_decay``
    :math:`\text{base} \cdot \min(s/W, 1 + d(W - s))` (**the base a second time**, as T5X does),
    ``rsqrt_decay`` :math:`1/\sqrt{\max(s, W)}`, ``rsqrt_normalized_decay``
    :math:`\sqrt{W}/\sqrt{\max(s, W)}`, ``decay_every`` :math:`d^{\lfloor s/P \rfloor}`, ``cosine_decay``
    (cyclic: :math:`\tfrac12(1 + \cos(\pi \{(s - W)^+/C\}))`). **The result is clamped below at
    ``min_learning_rate``** (1e-8: step 0 of a warmup gives 1e-8, not 0). ``warmup_steps=0``, a
    division by zero in T5X, means no warmup (and :math:`1/\sqrt{\max(s, 1)}` for the rsqrt factors).
    T5's pretraining (``pretrain.gin``) is ``factors="constant * rsqrt_decay", base_learning_rate=1.0,
    warmup_steps=10000``.

    Example:
        >>> from lrplan.presets import t5
        >>> s = t5.create_learning_rate_scheduler("constant * rsqrt_decay", 1.0, warmup_steps=10_000)
        >>> s(0), s(40_000)
        (0.01, 0.005)
    """
    c = Args("t5.create_learning_rate_scheduler")
    names = _factors(c, "factors", factors, T5X_FACTORS, skip_empty=False)
    base = c.nonneg("base_learning_rate", base_learning_rate)
    w = c.nonneg("warmup_steps", warmup_steps)
    df = c.nonneg("decay_factor", decay_factor)
    spd = c.positive("steps_per_decay", steps_per_decay)
    spc = c.positive("steps_per_cycle", steps_per_cycle)
    offset = c.nonneg("step_offset", step_offset)
    floor = c.nonneg("min_learning_rate", min_learning_rate)
    parts: list[Schedule | float] = []
    for n in names:
        if n == "constant":
            parts.append(base)
        elif n == "linear_warmup":
            parts.append(Linear(init_value=0.0, end_value=1.0, decay_steps=w) if w > 0 else 1.0)
        elif n == "linear_decay":
            down: Schedule = Linear(init_value=1.0, end_value=0.0, decay_steps=1.0 / df) if df > 0 else Constant(1.0)
            up: Schedule = Warmup(down, steps=w) if w > 0 else down
            parts += [up, base]
        elif n == "rsqrt_decay":
            parts.append(_rsqrt(w, max(w, 1.0) ** -0.5))
        elif n == "rsqrt_normalized_decay":
            parts.append(_rsqrt(w, 1.0))
        elif n == "decay_every":
            if df > 1:
                raise c.unsupported("decay_factor", decay_factor, "<= 1", "a growing decay has no end value")
            parts.append(StepDecay(init_value=1.0, decay_rate=df, decay_steps=spd, end_value=None) if df > 0 else 1.0)
        else:  # cosine_decay
            parts.append(Shift(CosineRestarts(init_value=1.0, decay_steps=spc), steps=w))
    out = _product(parts)
    if floor > 0:
        out = Clip(out, min_value=floor, max_value=None)
    return Shift(out, steps=offset) if offset else out


@preset
def adafactor_relative_step(warmup_init: bool = False) -> Schedule:
    r"""Adafactor's relative step size (``relative_step=True``): :math:`\min(10^{-2}, 1/\sqrt{k})`, :math:`k = s + 1`.

    With ``warmup_init``: :math:`\min(10^{-6} k, 1/\sqrt{k})`, a linear warmup to 0.01 at
    :math:`k = 10^4`. Adafactor counts :math:`k` from 1 (the step after the update), hence the shift
    by one. With ``scale_parameter=True`` the optimizer also multiplies by
    :math:`\max(\epsilon_2, \text{RMS}(p))` per parameter; that stays inside the optimizer.

    Example:
        >>> from lrplan.presets import t5
        >>> s = t5.adafactor_relative_step(warmup_init=True)
        >>> round(s(0), 12), round(s(99), 12), s(9999), s(39999)
        (1e-06, 0.0001, 0.01, 0.005)
    """
    flag = Args("t5.adafactor_relative_step").flag("warmup_init", warmup_init)
    shape = "linear" if flag else "constant"
    return Shift(InverseSqrt(peak_value=0.01, warmup_steps=10_000, timescale=None, warmup_shape=shape), steps=-1)
