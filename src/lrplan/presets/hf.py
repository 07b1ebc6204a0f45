"""Hugging Face Transformers' schedules (``transformers.optimization``), reproduced exactly.

Every ``get_*_schedule*`` of ``transformers.optimization`` returns a ``LambdaLR`` whose value is the
optimizer's learning rate times a multiplier. lrplan values are absolute learning rates, so each
preset takes that learning rate explicitly as its first argument, ``lr``, in the place of
``optimizer``; the other arguments keep Hugging Face's names and defaults. The step is the number of
scheduler steps (optimizer updates, the Trainer's ``global_step``).

Parity: over the library's own domain the values equal ``group["lr"]`` of a ``LambdaLR`` driven
by Hugging Face's function to about 1e-15 relative (tests/presets/test_presets_hf.py).

Metric-driven schedules (``reduce_lr_on_plateau``, ``greedy``) are not closed-form curves: they
raise :class:`~lrplan.ConfigError` pointing to lrplan's reduce-on-plateau support.

Example:
    >>> from lrplan.presets import hf
    >>> s = hf.get_cosine_schedule_with_warmup(1e-3, num_warmup_steps=10, num_training_steps=110)
    >>> s(0), s(5), s(10), round(s(60), 12), s(110)
    (0.0, 0.0005, 0.001, 0.0005, 0.0)
    >>> print(s)
    warmup(cosine_wave(init_value=0.001, decay_steps=100), steps=10)

References:
    https://github.com/huggingface/transformers/blob/main/src/transformers/optimization.py
"""

from __future__ import annotations

import difflib
import warnings
from typing import Any

from .. import (
    Anneal,
    ConfigError,
    Constant,
    CosineHardRestarts,
    CosineWave,
    InverseSqrt,
    Join,
    Linear,
    PiecewiseConstant,
    Polynomial,
    Schedule,
    Shift,
    Warmup,
    Wsd,
)
from ._args import Args, preset, shown

__all__ = [
    "get_constant_schedule",
    "get_constant_schedule_with_warmup",
    "get_linear_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_inverse_sqrt_schedule",
    "get_cosine_with_min_lr_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "get_wsd_schedule",
    "get_scheduler",
]

_PLATEAU_HINT = (
    "it is driven by a metric, not by the step alone; use lrplan's reduce-on-plateau support "
    "(a pure state machine updated with the metric) instead"
)


def _warmup(lr: float, w: float, body: Schedule) -> Schedule:
    """Hugging Face's linear warmup ``lr * s / W`` for ``s < W``, then ``body`` on its own clock."""
    if w == 0:
        return body
    if body(0.0) == lr:
        return Warmup(body, steps=w)
    return Join([Linear(init_value=0.0, end_value=lr, decay_steps=w), body], boundaries=[w])


def _lr(c: Args, lr: Any) -> float:
    return c.nonneg("lr", lr)


@preset
def get_constant_schedule(lr: float, last_epoch: int = -1) -> Schedule:
    """A constant learning rate (``"constant"``): ``lr`` at every step.

    Args:
        lr: the optimizer's learning rate.
        last_epoch: only -1 (lrplan schedules are stateless; resume by restoring the step).

    Example:
        >>> from lrplan.presets import hf
        >>> hf.get_constant_schedule(3e-4)(1000)
        0.0003
    """
    c = Args("hf.get_constant_schedule")
    c.last_epoch(last_epoch)
    return Constant(_lr(c, lr))


@preset
def get_constant_schedule_with_warmup(lr: float, num_warmup_steps: int, last_epoch: int = -1) -> Schedule:
    r"""Linear warmup from 0, then constant (``"constant_with_warmup"``).

    .. math:: \eta(s) = \eta \min(1, s/W)

    Example:
        >>> from lrplan.presets import hf
        >>> s = hf.get_constant_schedule_with_warmup(1e-3, num_warmup_steps=4)
        >>> s(0), s(2), s(4), s(100)
        (0.0, 0.0005, 0.001, 0.001)
    """
    c = Args("hf.get_constant_schedule_with_warmup")
    c.last_epoch(last_epoch)
    lr = _lr(c, lr)
    w = c.nonneg("num_warmup_steps", num_warmup_steps)
    return _warmup(lr, w, Constant(lr))


@preset
def get_linear_schedule_with_warmup(
    lr: float, num_warmup_steps: int, num_training_steps: int, last_epoch: int = -1
) -> Schedule:
    r"""Linear warmup from 0, then linear decay to 0 at ``num_training_steps`` (``"linear"``, the Trainer default).

    .. math::
        \eta(s) = \begin{cases} \eta\, s/W & s < W \\ \eta \max\left(0, \dfrac{T - s}{\max(1, T - W)}\right) & s \ge W \end{cases}

    Quirk kept: with ``num_training_steps <= num_warmup_steps`` the value drops to 0 at the end of
    the warmup.

    Example:
        >>> from lrplan.presets import hf
        >>> s = hf.get_linear_schedule_with_warmup(1e-3, num_warmup_steps=10, num_training_steps=110)
        >>> s(5), s(10), s(60), s(110), s(500)
        (0.0005, 0.001, 0.0005, 0.0, 0.0)
    """
    c = Args("hf.get_linear_schedule_with_warmup")
    c.last_epoch(last_epoch)
    lr = _lr(c, lr)
    w = c.nonneg("num_warmup_steps", num_warmup_steps)
    t = c.nonneg("num_training_steps", num_training_steps)
    body: Schedule
    if t - w > 0:
        body = Linear(init_value=lr, end_value=0.0, decay_steps=max(1.0, t - w))
    else:
        body = Constant(0.0)
    return _warmup(lr, w, body)


@preset
def get_cosine_schedule_with_warmup(
    lr: float, num_warmup_steps: int, num_training_steps: int, num_cycles: float = 0.5, last_epoch: int = -1
) -> Schedule:
    r"""Linear warmup from 0, then a cosine wave (``"cosine"``).

    .. math::
        \eta(s) = \eta \max\left(0, \tfrac12\left(1 + \cos(2\pi n p)\right)\right), \quad p = \frac{s - W}{\max(1, T - W)}

    **Quirk kept:** the cosine is not clamped at ``num_training_steps``: past the end it rises again
    (to ``lr`` at :math:`2T - W` with the default ``num_cycles=0.5``). Use
    ``lrplan.warmup(lrplan.cosine(...))`` for a cosine that stays at 0.

    Args:
        lr: the optimizer's learning rate (the peak).
        num_warmup_steps: :math:`W`.
        num_training_steps: :math:`T`.
        num_cycles: :math:`n` (>= 0), waves of the cosine in :math:`T - W` steps (0.5: down to 0 once).
        last_epoch: only -1.

    Example:
        >>> from lrplan.presets import hf
        >>> s = hf.get_cosine_schedule_with_warmup(1.0, num_warmup_steps=0, num_training_steps=100)
        >>> [round(s(k), 6) for k in (0, 50, 100, 150, 200)]
        [1.0, 0.5, 0.0, 0.5, 1.0]
    """
    c = Args("hf.get_cosine_schedule_with_warmup")
    c.last_epoch(last_epoch)
    lr = _lr(c, lr)
    w = c.nonneg("num_warmup_steps", num_warmup_steps)
    t = c.nonneg("num_training_steps", num_training_steps)
    n = c.nonneg("num_cycles", num_cycles)
    body: Schedule = Constant(lr) if n == 0 else CosineWave(init_value=lr, decay_steps=max(1.0, t - w), num_cycles=n)
    return _warmup(lr, w, body)


@preset
def get_cosine_with_hard_restarts_schedule_with_warmup(
    lr: float, num_warmup_steps: int, num_training_steps: int, num_cycles: int = 1, last_epoch: int = -1
) -> Schedule:
    r"""Linear warmup from 0, then ``num_cycles`` cosine cycles with hard restarts, then 0 (``"cosine_with_restarts"``).

    .. math::
        \eta(s) = \begin{cases} \eta\,\tfrac12\left(1 + \cos(\pi \{n p\})\right) & p < 1 \\ 0 & p \ge 1 \end{cases},
        \quad p = \frac{s - W}{\max(1, T - W)}

    Example:
        >>> from lrplan.presets import hf
        >>> s = hf.get_cosine_with_hard_restarts_schedule_with_warmup(1.0, 0, 100, num_cycles=2)
        >>> s(0), s(25), s(50), s(100)
        (1.0, 0.5, 1.0, 0.0)
    """
    c = Args("hf.get_cosine_with_hard_restarts_schedule_with_warmup")
    c.last_epoch(last_epoch)
    lr = _lr(c, lr)
    w = c.nonneg("num_warmup_steps", num_warmup_steps)
    t = c.nonneg("num_training_steps", num_training_steps)
    n = c.integer("num_cycles", num_cycles, minimum=0)
    d = max(1.0, t - w)
    body: Schedule
    if n == 0:  # (0 * p) % 1 == 0: the peak until p = 1
        body = PiecewiseConstant(boundaries=[d], values=[lr, 0.0])
    else:
        body = CosineHardRestarts(init_value=lr, decay_steps=d, num_cycles=n)
    return _warmup(lr, w, body)


@preset
def get_polynomial_decay_schedule_with_warmup(
    lr: float,
    num_warmup_steps: int,
    num_training_steps: int,
    lr_end: float = 1e-7,
    power: float = 1.0,
    last_epoch: int = -1,
) -> Schedule:
    r"""Linear warmup from 0, then polynomial decay from ``lr`` to ``lr_end`` (``"polynomial"``).

    .. math::
        \eta(s) = \eta_{end} + (\eta - \eta_{end})\left(1 - \frac{s - W}{T - W}\right)^{p}, \quad W \le s \le T;
        \qquad \eta_{end} \text{ after } T

    **Quirk:** Hugging Face turns ``lr_end`` into a ratio of ``optimizer.defaults["lr"]``, so a
    parameter group with a different learning rate gets a proportionally different end value. Here
    ``lr`` is that default learning rate; for another group scale the schedule
    (``group_lr / lr * schedule``). **Undefined in the source:** with ``num_training_steps ==
    num_warmup_steps`` Hugging Face divides by zero at step W; the preset gives ``lr_end`` from W on.

    Example:
        >>> from lrplan.presets import hf
        >>> s = hf.get_polynomial_decay_schedule_with_warmup(1.0, 0, 10, lr_end=0.0, power=2.0)
        >>> s(0), s(5), s(10), s(20)
        (1.0, 0.25, 0.0, 0.0)
    """
    c = Args("hf.get_polynomial_decay_schedule_with_warmup")
    c.last_epoch(last_epoch)
    lr = _lr(c, lr)
    w = c.nonneg("num_warmup_steps", num_warmup_steps)
    t = c.nonneg("num_training_steps", num_training_steps)
    end = c.nonneg("lr_end", lr_end)
    p = c.positive("power", power)
    if not lr > end:
        raise c.fail("lr_end", f"smaller than the initial lr={shown(lr)}", lr_end)
    body: Schedule
    if t > w:
        body = Polynomial(init_value=lr, end_value=end, decay_steps=t - w, power=p)
    else:
        body = Constant(end)
    return _warmup(lr, w, body)


@preset
def get_inverse_sqrt_schedule(
    lr: float, num_warmup_steps: int, timescale: int | None = None, last_epoch: int = -1
) -> Schedule:
    r"""Linear warmup from 0, then inverse square root decay (``"inverse_sqrt"``; adapted from big_vision).

    .. math:: \eta(s) = \eta / \sqrt{(s - W + \tau)/\tau}, \quad s \ge W

    with :math:`\tau` = ``timescale``, default ``num_warmup_steps`` (or 10,000 if that is 0).

    Example:
        >>> from lrplan.presets import hf
        >>> s = hf.get_inverse_sqrt_schedule(5e-4, num_warmup_steps=4000)
        >>> s(2000), s(4000), s(16000)
        (0.00025, 0.0005, 0.00025)
        >>> print(s)
        inverse_sqrt(peak_value=0.0005, warmup_steps=4000, timescale=4000)
    """
    c = Args("hf.get_inverse_sqrt_schedule")
    c.last_epoch(last_epoch)
    lr = _lr(c, lr)
    w = c.nonneg("num_warmup_steps", num_warmup_steps)
    tau = c.optional(c.positive, "timescale", timescale)
    if tau is None:
        tau = w or 10_000
    return InverseSqrt(peak_value=lr, warmup_steps=w, timescale=tau)


def _min_lr(c: Args, lr: float, min_lr: Any, min_lr_rate: Any) -> float:
    if min_lr is not None and min_lr_rate is not None:
        raise c.fail("min_lr", "None when `min_lr_rate` is given (only one of them)", min_lr)
    if min_lr is not None:
        return c.nonneg("min_lr", min_lr)
    if min_lr_rate is None:
        raise c.fail("min_lr_rate", "given, or `min_lr` (one of them is required)", min_lr_rate)
    return lr * c.nonneg("min_lr_rate", min_lr_rate)


@preset
def get_cosine_with_min_lr_schedule_with_warmup(
    lr: float,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    last_epoch: int = -1,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
) -> Schedule:
    r"""Linear warmup from 0, then a cosine wave between ``lr`` and a floor (``"cosine_with_min_lr"``).

    .. math:: \eta(s) = \eta_{min} + (\eta - \eta_{min})\,\tfrac12\left(1 + \cos(2\pi n p)\right)

    Exactly one of ``min_lr`` (absolute; Hugging Face converts it to a ratio of
    ``optimizer.defaults["lr"]``) or ``min_lr_rate`` (a ratio of ``lr``). **Quirk kept:** like
    ``cosine``, the curve rises again after ``num_training_steps``.

    Example:
        >>> from lrplan.presets import hf
        >>> s = hf.get_cosine_with_min_lr_schedule_with_warmup(1.0, 0, 100, min_lr_rate=0.1)
        >>> round(s(50), 12), round(s(100), 12)
        (0.55, 0.1)
    """
    c = Args("hf.get_cosine_with_min_lr_schedule_with_warmup")
    c.last_epoch(last_epoch)
    lr = _lr(c, lr)
    w = c.nonneg("num_warmup_steps", num_warmup_steps)
    t = c.nonneg("num_training_steps", num_training_steps)
    n = c.nonneg("num_cycles", num_cycles)
    end = _min_lr(c, lr, min_lr, min_lr_rate)
    body: Schedule
    if n == 0:
        body = Constant(lr)
    else:
        body = CosineWave(init_value=lr, decay_steps=max(1.0, t - w), end_value=end, num_cycles=n)
    return _warmup(lr, w, body)


@preset
def get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
    lr: float,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    last_epoch: int = -1,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
    warmup_lr_rate: float | None = None,
) -> Schedule:
    r"""``cosine_with_min_lr`` **shifted by one step** (``"cosine_warmup_with_min_lr"``).

    Warmup :math:`\eta (s + 1)/W` (or, with ``warmup_lr_rate`` :math:`w`,
    :math:`\eta(w + (1 - w) s/\max(1, W - 1))`), reaching the peak at step :math:`W - 1`; then the
    cosine at :math:`p = (s - W + 1)/\max(1, T - W)`, which reaches the floor at :math:`T - 1` and
    rises again after it. The shift is Hugging Face's, kept as is.

    Example:
        >>> from lrplan.presets import hf
        >>> s = hf.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(1.0, 4, 104, min_lr_rate=0.0)
        >>> s(0), s(3), round(s(53), 12), round(s(103), 12)
        (0.25, 1.0, 0.5, 0.0)
    """
    c = Args("hf.get_cosine_with_min_lr_schedule_with_warmup_lr_rate")
    c.last_epoch(last_epoch)
    lr = _lr(c, lr)
    w = c.nonneg("num_warmup_steps", num_warmup_steps)
    t = c.nonneg("num_training_steps", num_training_steps)
    n = c.nonneg("num_cycles", num_cycles)
    end = _min_lr(c, lr, min_lr, min_lr_rate)
    rate = c.optional(c.nonneg, "warmup_lr_rate", warmup_lr_rate)
    wave: Schedule
    if n == 0:
        wave = Constant(lr)
    else:
        wave = CosineWave(init_value=lr, decay_steps=max(1.0, t - w), end_value=end, num_cycles=n)
    if rate is None:
        return Shift(_warmup(lr, w, wave), steps=-1)
    tail = Shift(wave, steps=-1)
    if w == 0:
        return tail
    ramp = Linear(init_value=lr * rate, end_value=lr, decay_steps=max(1.0, w - 1))
    return Join([ramp, tail], boundaries=[w])


_WSD_SHAPES = ("linear", "cosine", "1-sqrt")


@preset
def get_wsd_schedule(
    lr: float,
    num_warmup_steps: int,
    num_decay_steps: int,
    num_training_steps: int | None = None,
    num_stable_steps: int | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: float = 0,
    num_cycles: float = 0.5,
    last_epoch: int = -1,
) -> Schedule:
    r"""Warmup-stable-decay (``"warmup_stable_decay"``): warm up from ``min_lr_ratio * lr``, hold ``lr``, decay back.

    With :math:`m` = ``min_lr_ratio``, :math:`S` = ``num_stable_steps`` (default
    :math:`T - W - D`) and :math:`D` = ``num_decay_steps``: warmup (:math:`s < W`, shape
    ``warmup_type``: linear, cosine or 1-sqrt) from :math:`m\eta` to :math:`\eta`; :math:`\eta` until
    :math:`W + S`; decay (shape ``decay_type``; cosine is :math:`\tfrac12(1 + \cos 2\pi n q)`) to
    :math:`m\eta` at :math:`W + S + D`; :math:`m\eta` after.

    Quirks kept: when both ``num_training_steps`` and ``num_stable_steps`` are given, the stable
    steps win (with a warning, as in Hugging Face); a negative stable phase (``num_training_steps <
    W + D``) starts the decay part-way, at :math:`q = -S/D`. ``min_lr_ratio`` must lie in [0, 1].

    Example:
        >>> from lrplan.presets import hf
        >>> s = hf.get_wsd_schedule(1.0, 10, 10, num_training_steps=100, decay_type="1-sqrt")
        >>> s(5), s(50), round(s(91), 4), round(s(95), 4), s(100)
        (0.5, 1.0, 0.6838, 0.2929, 0.0)
    """
    c = Args("hf.get_wsd_schedule")
    c.last_epoch(last_epoch)
    lr = _lr(c, lr)
    w = c.nonneg("num_warmup_steps", num_warmup_steps)
    d = c.nonneg("num_decay_steps", num_decay_steps)
    wt = c.choice("warmup_type", warmup_type, _WSD_SHAPES)
    dt = c.choice("decay_type", decay_type, _WSD_SHAPES)
    m = c.in_range("min_lr_ratio", min_lr_ratio, 0.0, 1.0)
    n = c.nonneg("num_cycles", num_cycles)
    if num_training_steps is None and num_stable_steps is None:
        raise c.fail("num_training_steps", "given, or `num_stable_steps`", None)
    if num_stable_steps is not None:
        if num_training_steps is not None:
            warnings.warn(
                "Both num_training_steps and num_stable_steps are specified. num_stable_steps will be used.",
                stacklevel=2,
            )
        stable = c.real("num_stable_steps", num_stable_steps)
    else:
        stable = c.nonneg("num_training_steps", num_training_steps) - w - d
    low = lr * m
    # core wsd warms up to its body's first value, which is the floor when S = D = 0: compose by hand then
    if stable >= 0 and (dt != "cosine" or n == 0.5) and (stable > 0 or d > 0):
        return Wsd(
            peak_value=lr,
            warmup_steps=w,
            stable_steps=stable,
            decay_steps=d,
            init_value=low,
            end_value=low,
            decay_shape=dt,
            warmup_shape=wt,
        )
    decay: Schedule
    if d == 0:
        decay = Constant(low)
    elif dt == "cosine":
        wave = CosineWave(init_value=lr, decay_steps=d, end_value=low, num_cycles=n) if n else Constant(lr)
        decay = Join([wave, Constant(low)], boundaries=[d])
    else:
        decay = Anneal(init_value=lr, end_value=low, steps=d, shape=dt)
    body: Schedule = Join([Constant(lr), decay], boundaries=[stable]) if stable > 0 else Shift(decay, steps=stable)
    if w == 0:
        return body
    ramp = Warmup(Constant(lr), steps=w, init_value=low, shape=wt)
    return Join([ramp, body], boundaries=[w])


_BY_NAME = {
    "linear": get_linear_schedule_with_warmup,
    "cosine": get_cosine_schedule_with_warmup,
    "cosine_with_restarts": get_cosine_with_hard_restarts_schedule_with_warmup,
    "polynomial": get_polynomial_decay_schedule_with_warmup,
    "constant": get_constant_schedule,
    "constant_with_warmup": get_constant_schedule_with_warmup,
    "inverse_sqrt": get_inverse_sqrt_schedule,
    "cosine_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup,
    "cosine_warmup_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
    "warmup_stable_decay": get_wsd_schedule,
}
_METRIC_DRIVEN = ("reduce_lr_on_plateau", "greedy")


@preset
def get_scheduler(
    name: str,
    lr: float,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    scheduler_specific_kwargs: dict[str, Any] | None = None,
) -> Schedule:
    """Any of the above by its ``SchedulerType`` name (the Trainer's ``lr_scheduler_type``), as Hugging Face dispatches.

    Names: ``linear``, ``cosine``, ``cosine_with_restarts``, ``polynomial``, ``constant``,
    ``constant_with_warmup``, ``inverse_sqrt``, ``cosine_with_min_lr``, ``cosine_warmup_with_min_lr``,
    ``warmup_stable_decay``. ``constant`` ignores the step counts; ``constant_with_warmup`` and
    ``inverse_sqrt`` need ``num_warmup_steps``; ``warmup_stable_decay`` also takes
    ``num_training_steps`` (or ``num_stable_steps`` in ``scheduler_specific_kwargs``); the others
    need both. ``scheduler_specific_kwargs`` go to the schedule (``lr_scheduler_kwargs`` in
    ``TrainingArguments``). ``reduce_lr_on_plateau`` and ``greedy`` are metric-driven and raise.

    Example:
        >>> from lrplan.presets import hf
        >>> s = hf.get_scheduler("linear", 1e-3, num_warmup_steps=10, num_training_steps=110)
        >>> s(10), s(60)
        (0.001, 0.0005)
        >>> try:
        ...     hf.get_scheduler("reduce_lr_on_plateau", 1e-3)
        ... except ValueError as err:
        ...     print(str(err)[:70])
        hf.get_scheduler: `name` must be a closed-form schedule (it is driven
    """
    c = Args("hf.get_scheduler")
    key = getattr(name, "value", name)  # accept transformers' SchedulerType members
    if key in _METRIC_DRIVEN:
        raise c.unsupported("name", name, "a closed-form schedule", _PLATEAU_HINT)
    if key not in _BY_NAME:
        close = (
            difflib.get_close_matches(key, list(_BY_NAME) + list(_METRIC_DRIVEN), n=1) if isinstance(key, str) else []
        )
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise c.fail("name", f"one of {', '.join(map(repr, _BY_NAME))}{hint}", name)
    kwargs = dict(scheduler_specific_kwargs or {})
    if not isinstance(scheduler_specific_kwargs, (dict, type(None))):
        raise c.fail("scheduler_specific_kwargs", "a dict or None", scheduler_specific_kwargs)
    if key == "constant":
        return get_constant_schedule(lr)
    if num_warmup_steps is None:
        raise c.fail("num_warmup_steps", f"given for {shown(key)}", None)
    if key == "constant_with_warmup":
        return get_constant_schedule_with_warmup(lr, num_warmup_steps=num_warmup_steps)
    fn: Any = _BY_NAME[key]
    try:
        if key == "inverse_sqrt":
            return fn(lr, num_warmup_steps=num_warmup_steps, **kwargs)  # type: ignore[no-any-return]
        if key == "warmup_stable_decay":
            return fn(lr, num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps, **kwargs)  # type: ignore[no-any-return]
        if num_training_steps is None:
            raise c.fail("num_training_steps", f"given for {shown(key)}", None)
        return fn(lr, num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps, **kwargs)  # type: ignore[no-any-return]
    except TypeError as exc:
        raise ConfigError(
            f"{c.owner}: `scheduler_specific_kwargs` must hold only arguments that {shown(key)} takes ({exc}). "
            f"Received: scheduler_specific_kwargs={shown(scheduler_specific_kwargs)}."
        ) from None


def get_reduce_on_plateau_schedule(lr: float | None = None, **kwargs: Any) -> Schedule:
    """Not a preset: ``reduce_lr_on_plateau`` is driven by a metric (raises :class:`~lrplan.ConfigError`)."""
    raise Args("hf.get_reduce_on_plateau_schedule").unsupported(
        "lr", lr, "a closed-form schedule's argument", _PLATEAU_HINT
    )


def get_greedy_schedule(lr: float | None = None, **kwargs: Any) -> Schedule:
    """Not a preset: ``greedy`` (GreedyLR) is driven by a metric (raises :class:`~lrplan.ConfigError`)."""
    raise Args("hf.get_greedy_schedule").unsupported("lr", lr, "a closed-form schedule's argument", _PLATEAU_HINT)


def get_adafactor_schedule(lr: float | None = None, initial_lr: float = 0.0) -> Schedule:
    """Not a preset: ``AdafactorSchedule`` only reports the lr Adafactor computes inside the optimizer.

    Adafactor's relative step is ``lrplan.presets.t5.adafactor_relative_step`` (the RMS(param)
    scaling stays inside the optimizer). Raises :class:`~lrplan.ConfigError`.
    """
    raise Args("hf.get_adafactor_schedule").unsupported(
        "lr",
        lr,
        "a closed-form schedule's argument",
        "Adafactor computes its step size inside the optimizer; "
        "use lrplan.presets.t5.adafactor_relative_step for the relative step",
    )
