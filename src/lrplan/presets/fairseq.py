"""fairseq's learning-rate schedulers (``fairseq/optim/lr_scheduler/*.py``), reproduced exactly.

Each preset keeps the scheduler's registered name and its ``cfg`` field names; ``lr`` is fairseq's
``--lr`` (the first value of the list). The step is fairseq's ``num_updates``. fairseq recomputes
the value from ``num_updates`` on resume, as these presets do.

Where fairseq crashes the presets do the sensible thing, and say so: ``inverse_sqrt`` with
``warmup_updates=0`` (fairseq raises ZeroDivisionError, issue #1341) decays as
:math:`\\eta/\\sqrt{\\max(n, 1)}`; ``tri_stage`` with ``decay_steps=0`` (ZeroDivisionError in the
constructor) drops to the final lr after the hold. Epoch-driven options (``force_anneal``) are
refused with :class:`~lrplan.ConfigError`.

Example:
    >>> from lrplan.presets import fairseq
    >>> s = fairseq.inverse_sqrt(lr=5e-4, warmup_updates=4000)
    >>> s(2000), s(4000), s(16000)
    (0.00025, 0.0005, 0.00025)
    >>> print(s)
    inverse_sqrt(peak_value=0.0005, warmup_steps=4000)

References:
    https://github.com/facebookresearch/fairseq/tree/main/fairseq/optim/lr_scheduler
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import (
    Constant,
    CosineRestarts,
    CycleAnneal,
    Exponential,
    InverseSqrt,
    Join,
    Linear,
    PiecewiseConstant,
    Polynomial,
    Schedule,
    StepDecay,
    Warmup,
)
from ._args import Args, preset, shown

__all__ = ["inverse_sqrt", "polynomial_decay", "tri_stage", "cosine", "triangular", "step"]


def _lr(c: Args, lr: Any) -> float:
    if isinstance(lr, (list, tuple)):
        if len(lr) != 1:
            raise c.unsupported("lr", lr, "a single value", "fairseq uses lr[0]; several values are epoch lists")
        lr = lr[0]
    return c.nonneg("lr", lr)


def _warmup_to_floor(
    c: Args, lr: Any, warmup_updates: Any, min_lr: Any, warmup_init_lr: Any
) -> tuple[float, float, float, float]:
    """Checked ``(lr, warmup_updates, min_lr, warmup_init_lr)`` of the schedulers that decay to ``min_lr``
    (``warmup_init_lr < 0`` means "start from ``min_lr``", as fairseq does)."""
    lr = _lr(c, lr)
    w = c.nonneg("warmup_updates", warmup_updates)
    low = c.nonneg("min_lr", min_lr)
    if not lr > low:
        raise c.fail("lr", f"> min_lr={shown(min_lr)}", lr)
    init = c.real("warmup_init_lr", warmup_init_lr)
    return lr, w, low, (low if init < 0 else init)


@preset
def inverse_sqrt(lr: float, warmup_updates: int = 4000, warmup_init_lr: float = -1) -> Schedule:
    r"""``--lr-scheduler inverse_sqrt``: linear warmup, then :math:`\eta\sqrt{W/n}`.

    .. math::
        \eta(n) = \begin{cases} \eta_{init} + n(\eta - \eta_{init})/W & n < W \\ \eta \sqrt{W}/\sqrt{n} & n \ge W \end{cases}

    ``warmup_init_lr < 0`` (the default) means 0 when ``warmup_updates > 0``. The result is the core
    :func:`lrplan.inverse_sqrt` with ``peak_value=lr, warmup_steps=W, init_value=warmup_init_lr``.
    **fairseq crashes** with ``warmup_updates=0`` (ZeroDivisionError); here it means no warmup and
    the decay :math:`\eta/\sqrt{\max(n, 1)}` (Megatron's convention for W = 0).

    Example:
        >>> from lrplan.presets import fairseq
        >>> s = fairseq.inverse_sqrt(lr=5e-4, warmup_updates=4000, warmup_init_lr=1e-7)
        >>> f"{s(1):.5e}", f"{s(2000):.5e}"
        ('2.24975e-07', '2.50050e-04')
        >>> z = fairseq.inverse_sqrt(lr=1.0, warmup_updates=0)
        >>> z(0), z(1), z(4)
        (1.0, 1.0, 0.5)
    """
    c = Args("fairseq.inverse_sqrt")
    lr = _lr(c, lr)
    w = c.nonneg("warmup_updates", warmup_updates)
    init = c.real("warmup_init_lr", warmup_init_lr)
    if w == 0:
        return InverseSqrt(peak_value=lr, warmup_steps=1, timescale=None, warmup_shape="constant")
    return InverseSqrt(peak_value=lr, warmup_steps=w, init_value=0.0 if init < 0 else init, timescale=None)


@preset
def polynomial_decay(
    lr: float,
    total_num_update: int,
    warmup_updates: int = 0,
    end_learning_rate: float = 0.0,
    power: float = 1.0,
    force_anneal: int | None = None,
) -> Schedule:
    r"""``--lr-scheduler polynomial_decay``: linear warmup (inclusive of step W), then polynomial decay to ``end_learning_rate``.

    .. math::
        \eta(n) = \begin{cases} \eta\, n/W & n \le W \\
        (\eta - \eta_{end})\left(1 - \frac{n - W}{T - W}\right)^{p} + \eta_{end} & W < n < T \\
        \eta_{end} & n \ge T \end{cases}

    ``total_num_update`` (:math:`T`) is fairseq's default ``max_update``; it is required here.
    ``force_anneal`` (per-epoch annealing) is not supported.

    Example:
        >>> from lrplan.presets import fairseq
        >>> s = fairseq.polynomial_decay(lr=1.0, total_num_update=110, warmup_updates=10)
        >>> s(5), s(10), s(60), s(110)
        (0.5, 1.0, 0.5, 0.0)
    """
    c = Args("fairseq.polynomial_decay")
    lr = _lr(c, lr)
    t = c.nonneg("total_num_update", total_num_update)
    w = c.nonneg("warmup_updates", warmup_updates)
    end = c.nonneg("end_learning_rate", end_learning_rate)
    p = c.positive("power", power)
    if force_anneal is not None:
        raise c.unsupported("force_anneal", force_anneal, "None", "per-epoch annealing is driven by the epoch")
    tail: Schedule = Polynomial(init_value=lr, end_value=end, decay_steps=t - w, power=p) if t > w else Constant(end)
    if w == 0:
        return tail
    ramp = Linear(init_value=0.0, end_value=lr, decay_steps=w)
    if t > w:
        return Warmup(tail, steps=w)
    return Join([ramp, tail], boundaries=[w + 1])


@preset
def tri_stage(
    lr: float,
    warmup_steps: int = 0,
    hold_steps: int = 0,
    decay_steps: int = 0,
    phase_ratio: Sequence[float] | None = None,
    init_lr_scale: float = 0.01,
    final_lr_scale: float = 0.01,
    max_update: int | None = None,
) -> Schedule:
    r"""``--lr-scheduler tri_stage`` (wav2vec 2.0, SpecAugment): warmup, hold, exponential decay, floor.

    .. math::
        \eta(n) = \begin{cases}
            \eta_i + (\eta - \eta_i)\, n/W & n < W \\
            \eta & n < W + H \\
            \eta \exp(-k (n - W - H)), \ k = -\ln(f)/D & n \le W + H + D \\
            f \eta & \text{after}
        \end{cases}

    with :math:`\eta_i` = ``init_lr_scale * lr``, :math:`f` = ``final_lr_scale``. The decay is the
    core :func:`lrplan.exponential` (floored at :math:`f\eta`). With ``phase_ratio`` (three
    fractions summing to 1) the phases are ``int(max_update * ratio)``. **fairseq crashes** with
    ``decay_steps=0``; here the value holds ``lr`` through step :math:`W + H` and then drops to
    :math:`f\eta`.

    Example:
        >>> from lrplan.presets import fairseq
        >>> s = fairseq.tri_stage(lr=1.0, warmup_steps=10, hold_steps=10, decay_steps=10, final_lr_scale=0.01)
        >>> s(0), s(10), s(20), round(s(25), 6), round(s(30), 6), s(100)
        (0.01, 1.0, 1.0, 0.1, 0.01, 0.01)
    """
    c = Args("fairseq.tri_stage")
    lr = _lr(c, lr)
    if phase_ratio is not None:
        if max_update is None:
            raise c.fail("max_update", "given with `phase_ratio`", None)
        ratios = c.reals("phase_ratio", phase_ratio)
        if len(ratios) != 3 or abs(sum(ratios) - 1.0) > 1e-12 or min(ratios) < 0:
            raise c.fail("phase_ratio", "three fractions >= 0 summing to 1", phase_ratio)
        total = c.integer("max_update", max_update, minimum=1)
        warmup_steps, hold_steps, decay_steps = (int(total * r) for r in ratios)
    w = c.nonneg("warmup_steps", warmup_steps)
    h = c.nonneg("hold_steps", hold_steps)
    d = c.nonneg("decay_steps", decay_steps)
    init = lr * c.nonneg("init_lr_scale", init_lr_scale)
    f = c.positive("final_lr_scale", final_lr_scale)
    final = lr * f
    if d > 0:
        decay: Schedule = Exponential(init_value=lr, decay_rate=f, decay_steps=d, end_value=final)
        body: Schedule = Join([Constant(lr), decay], boundaries=[h]) if h > 0 else decay
    else:
        body = PiecewiseConstant(boundaries=[h + 1], values=[lr, final])
    if w == 0:
        return body
    return Join([Linear(init_value=init, end_value=lr, decay_steps=w), body], boundaries=[w])


@preset
def cosine(
    lr: float,
    warmup_updates: int = 0,
    warmup_init_lr: float = -1,
    min_lr: float = 0.0,
    t_mult: float = 1.0,
    lr_period_updates: float = -1,
    lr_shrink: float = 0.1,
    max_update: int | None = None,
) -> Schedule:
    r"""``--lr-scheduler cosine``: linear warmup, then cosine cycles (SGDR) that shrink by ``lr_shrink``.

    Cycle :math:`i` (period ``lr_period_updates`` :math:`P`, growing by ``t_mult``) runs from
    :math:`\eta\, s^i` down to ``min_lr`` :math:`\cdot s^i` (fairseq shrinks both ends):

    .. math:: \eta(n) = s^i\left(\eta_{min} + \tfrac12(\eta - \eta_{min})(1 + \cos(\pi t_{cur}/t_i))\right)

    ``lr_period_updates <= 0`` means ``max_update - warmup_updates``; ``warmup_init_lr < 0`` means
    ``min_lr``. **Quirk kept:** there is no cycle limit, so past the period the schedule restarts at
    ``lr * lr_shrink`` (relevant when training runs past ``max_update``).

    Example:
        >>> from lrplan.presets import fairseq
        >>> s = fairseq.cosine(lr=1.0, max_update=100)
        >>> s(0), s(50), round(s(100), 6)
        (1.0, 0.5, 0.1)
    """
    c = Args("fairseq.cosine")
    lr, w, low, init = _warmup_to_floor(c, lr, warmup_updates, min_lr, warmup_init_lr)
    m = c.positive("t_mult", t_mult)
    if m < 1:
        raise c.unsupported("t_mult", t_mult, ">= 1", "shrinking periods run out and fairseq raises")
    period = c.real("lr_period_updates", lr_period_updates)
    if period <= 0:
        if max_update is None:
            raise c.fail("max_update", "given when `lr_period_updates` <= 0", None)
        period = c.nonneg("max_update", max_update) - w
        if period <= 0:
            raise c.fail("max_update", f"> warmup_updates={shown(warmup_updates)}", max_update)
    shrink = c.positive("lr_shrink", lr_shrink)
    main: Schedule
    if low == 0:
        main = CosineRestarts(init_value=lr, decay_steps=period, period_mult=m, peak_decay=shrink)
    else:
        main = CycleAnneal(
            init_value=lr,
            cycle_steps=period,
            end_value=low,
            period_mult=m,
            peak_decay=shrink,
            max_cycles=None,
            end_decay=True,
        )
    return Warmup(main, steps=w, init_value=init) if w > 0 else main


@preset
def triangular(
    lr: float, max_lr: float, lr_period_updates: float = 5000, lr_shrink: float = 0.1, shrink_min: bool = False
) -> Schedule:
    r"""``--lr-scheduler triangular`` (cyclical learning rates): up from ``lr`` to ``max_lr`` and back, each cycle shrunk.

    With stepsize :math:`h = \lfloor P/2 \rfloor` and cycle :math:`c = \lfloor n / 2h \rfloor`:

    .. math:: \eta(n) = \eta_{lo} + (\eta_{max} s^c - \eta_{lo}) \max(0, 1 - |n/h - 2c - 1|)

    with :math:`\eta_{lo}` = ``lr`` (times :math:`s^c` if ``shrink_min``). Periodic.

    Example:
        >>> from lrplan.presets import fairseq
        >>> s = fairseq.triangular(lr=0.1, max_lr=1.0, lr_period_updates=10, lr_shrink=0.5)
        >>> s(0), s(5), s(10), s(15)
        (0.1, 1.0, 0.1, 0.5)
    """
    c = Args("fairseq.triangular")
    lr = _lr(c, lr)
    peak = c.nonneg("max_lr", max_lr)
    if not peak > lr:
        raise c.fail("max_lr", f"> lr={shown(lr)}", max_lr)
    period = c.real("lr_period_updates", lr_period_updates)
    half = int(period // 2)
    if half < 1:
        raise c.fail("lr_period_updates", ">= 2", lr_period_updates)
    shrink = c.positive("lr_shrink", lr_shrink)
    flag = c.flag("shrink_min", shrink_min)
    return CycleAnneal(
        init_value=peak,
        cycle_steps=2 * half,
        end_value=lr,
        shape="triangular",
        peak_decay=shrink,
        max_cycles=None,
        end_decay=flag,
    )


@preset
def step(
    lr: float,
    warmup_updates: int = 0,
    warmup_init_lr: float = -1,
    min_lr: float = 0.0,
    lr_deacy_period: float = 25000,
    lr_decay: float = 0.5,
) -> Schedule:
    r"""``--lr-scheduler step``: linear warmup, then :math:`\max(\eta\, r^{\lfloor (n - W)/K \rfloor}, \eta_{min})`.

    ``lr_deacy_period`` keeps fairseq's spelling (sic). ``warmup_init_lr < 0`` means ``min_lr``.

    Example:
        >>> from lrplan.presets import fairseq
        >>> s = fairseq.step(lr=1.0, lr_deacy_period=10, lr_decay=0.5, min_lr=0.2)
        >>> s(9), s(10), s(20), s(30)
        (1.0, 0.5, 0.25, 0.2)
    """
    c = Args("fairseq.step")
    lr, w, low, init = _warmup_to_floor(c, lr, warmup_updates, min_lr, warmup_init_lr)
    k = c.positive("lr_deacy_period", lr_deacy_period)
    r = c.positive("lr_decay", lr_decay)
    if r > 1:
        raise c.fail("lr_decay", "in (0, 1]", lr_decay)
    main = StepDecay(init_value=lr, decay_rate=r, decay_steps=k, end_value=low)
    return Warmup(main, steps=w, init_value=init) if w > 0 else main
