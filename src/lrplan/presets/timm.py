"""timm's schedulers (``timm/scheduler/*.py``), reproduced exactly.

Each preset keeps the class's name and arguments; ``optimizer`` is replaced by ``lr``, the base
learning rate of the parameter group (timm's ``initial_lr``). timm's schedulers are stateless
functions of ``t`` which the training loop passes explicitly: the epoch (``step(epoch)``,
``t_in_epochs=True``, timm's default) or the number of updates (``step_update(num_updates)``).

**Units.** A preset counts optimizer updates. With ``t_in_epochs=False`` the value at update
``k`` is timm's value at ``t = k``. With ``t_in_epochs=True`` pass ``updates_per_epoch``: the value at
update ``k`` is timm's value at epoch ``floor(k / updates_per_epoch)``, constant within an epoch
(pass ``updates_per_epoch=1`` to step the schedule once per epoch).

Common to every scheduler: a linear warmup over ``warmup_t`` from ``warmup_lr_init`` to the base lr;
after it, with ``warmup_prefix=True`` the main curve starts its own clock, otherwise it is evaluated
at the raw ``t`` (so the cosine **jumps** at the end of the warmup: timm's behaviour, kept).
``lr_scale`` of a parameter group multiplies the value (``lr_scale * schedule``).

Not supported, refused with :class:`~lrplan.ConfigError` rather than ignored: ``noise_range_t``
(timm draws the noise from torch's RNG), ``cycle_mul < 1`` (timm raises a math domain error once
the shrinking cycles run out), ``initialize=False`` (there is no optimizer to read ``initial_lr``
from). ``noise_pct``, ``noise_std`` and ``noise_seed`` only matter with ``noise_range_t`` and are
accepted. The value at ``t = 0`` is ``_get_lr(0)``; timm's constructor writes the base lr (or
``warmup_lr_init``) before the first ``step`` call, which differs only for ``TanhLRScheduler``
without warmup (by 8e-7 relative) and for a ``MultiStepLRScheduler`` milestone <= 1.

Parity: the values equal timm's ``step``/``step_update`` output to about 1e-15 relative
(tests/presets/test_presets_timm.py runs timm's own modules).

Example:
    >>> from lrplan.presets import timm
    >>> s = timm.CosineLRScheduler(0.1, t_initial=10, warmup_t=3, warmup_lr_init=0.01, t_in_epochs=False)
    >>> [round(s(k), 4) for k in (0, 1, 2, 3, 10)]
    [0.01, 0.04, 0.07, 0.0794, 0.0]

References:
    https://github.com/huggingface/pytorch-image-models/tree/main/timm/scheduler
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from typing import Any

from .. import (
    Constant,
    Cosine,
    CosineRestarts,
    CycleAnneal,
    Join,
    Linear,
    PiecewiseConstant,
    Polynomial,
    Quantize,
    Schedule,
    Shift,
    StepDecay,
    Warmup,
)
from ._args import Args, preset, shown

__all__ = [
    "CosineLRScheduler",
    "TanhLRScheduler",
    "StepLRScheduler",
    "MultiStepLRScheduler",
    "PolyLRScheduler",
]

_NOISE_WHY = "timm draws the noise from torch's RNG; lrplan schedules are deterministic closed forms"


def _common(
    c: Args, lr: Any, warmup_t: Any, warmup_lr_init: Any, noise_range_t: Any, initialize: Any
) -> tuple[float, float, float]:
    lr = c.nonneg("lr", lr)
    w = c.nonneg("warmup_t", warmup_t)
    init = c.nonneg("warmup_lr_init", warmup_lr_init)
    if noise_range_t is not None:
        raise c.unsupported("noise_range_t", noise_range_t, "None", _NOISE_WHY)
    if initialize is not True:
        raise c.unsupported("initialize", initialize, "True", "pass the base learning rate as `lr`")
    return lr, w, init


def _finish(
    c: Args,
    main: Schedule,
    target: float,
    w: float,
    init: float,
    warmup_prefix: Any,
    t_in_epochs: Any,
    updates_per_epoch: Any,
) -> Schedule:
    prefix = c.flag("warmup_prefix", warmup_prefix)
    epochs = c.flag("t_in_epochs", t_in_epochs)
    out = main
    if w > 0:
        if prefix and main(0.0) == target:
            out = Warmup(main, steps=w, init_value=init)
        else:
            tail = main if prefix else Shift(main, steps=-w)
            ramp = Linear(init_value=init, end_value=target, decay_steps=w)
            out = Join([ramp, tail], boundaries=[w])
    if epochs:
        if updates_per_epoch is None:
            raise c.fail(
                "updates_per_epoch",
                "given when t_in_epochs=True (presets count optimizer updates; pass 1 to count epochs)",
                None,
            )
        return Quantize(out, unit_steps=c.positive("updates_per_epoch", updates_per_epoch))
    if updates_per_epoch is not None:
        c.positive("updates_per_epoch", updates_per_epoch)
    return out


def _cycles(
    c: Args, cycle_mul: Any, cycle_decay: Any, cycle_limit: Any, k_decay: Any
) -> tuple[float, float, int, float]:
    m = c.positive("cycle_mul", cycle_mul)
    if m < 1:
        raise c.unsupported(
            "cycle_mul", cycle_mul, ">= 1", "timm raises a math domain error once cycles shorter than 1 run out"
        )
    d = c.positive("cycle_decay", cycle_decay)
    n = c.integer("cycle_limit", cycle_limit, minimum=0)
    k = c.positive("k_decay", k_decay)
    return m, d, n, k


@preset
def CosineLRScheduler(
    lr: float,
    t_initial: int,
    lr_min: float = 0.0,
    cycle_mul: float = 1.0,
    cycle_decay: float = 1.0,
    cycle_limit: int = 1,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = False,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    k_decay: float = 1.0,
    initialize: bool = True,
    updates_per_epoch: int | None = None,
) -> Schedule:
    r"""timm's cosine decay with restarts (SGDR), warmup and k-decay.

    .. math:: \eta(t) = \eta_{min} + \tfrac12(\eta\, d^{\,i} - \eta_{min})\left(1 + \cos\frac{\pi t_{cur}^k}{t_i^k}\right)

    in cycle :math:`i < ` ``cycle_limit`` (cycle bookkeeping of :func:`lrplan.cycle_anneal`), then
    ``lr_min``. Quirk kept: without ``warmup_prefix`` the warmup ramps to ``lr`` and then jumps to the
    cosine's value at ``warmup_t``. The single-cycle, ``k_decay=1`` case is the core
    :func:`lrplan.cosine` (with cycles, :func:`lrplan.cosine_restarts`).

    Example:
        >>> from lrplan.presets import timm
        >>> s = timm.CosineLRScheduler(1.0, t_initial=10, lr_min=0.1, t_in_epochs=True, updates_per_epoch=100)
        >>> s(0), s(99), s(500), s(1000)
        (1.0, 1.0, 0.55, 0.1)
    """
    c = Args("timm.CosineLRScheduler")
    lr, w, init = _common(c, lr, warmup_t, warmup_lr_init, noise_range_t, initialize)
    t0 = c.positive("t_initial", t_initial)
    low = c.nonneg("lr_min", lr_min)
    m, d, n, k = _cycles(c, cycle_mul, cycle_decay, cycle_limit, k_decay)
    main: Schedule
    if n == 0:
        main = Constant(low)
    elif k == 1.0 and n == 1:
        main = Cosine(init_value=lr, decay_steps=t0, end_value=low)
    elif k == 1.0 and m == 1.0:
        main = CosineRestarts(init_value=lr, decay_steps=t0, end_value=low, peak_decay=d, max_cycles=n)
    else:
        main = CycleAnneal(
            init_value=lr, cycle_steps=t0, end_value=low, period_mult=m, peak_decay=d, max_cycles=n, k_decay=k
        )
    return _finish(c, main, lr, w, init, warmup_prefix, t_in_epochs, updates_per_epoch)


@preset
def TanhLRScheduler(
    lr: float,
    t_initial: int,
    lb: float = -7.0,
    ub: float = 3.0,
    lr_min: float = 0.0,
    cycle_mul: float = 1.0,
    cycle_decay: float = 1.0,
    cycle_limit: int = 1,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = False,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    initialize: bool = True,
    updates_per_epoch: int | None = None,
) -> Schedule:
    r"""timm's hyperbolic-tangent decay with restarts (Hsueh et al. 2019).

    .. math:: \eta(t) = \eta_{min} + \tfrac12(\eta\, d^{\,i} - \eta_{min})\left(1 - \tanh(l(1 - r) + u r)\right), \quad r = t_{cur}/t_i

    Quirks kept: the factor is 0.99999917, not 1, at :math:`r = 0` (with the defaults), and without
    ``warmup_prefix`` the warmup ramps to the tanh curve's value at ``warmup_t`` (not to ``lr``).

    Example:
        >>> from lrplan.presets import timm
        >>> s = timm.TanhLRScheduler(1.0, t_initial=10, t_in_epochs=False)
        >>> round(s(0), 8), round(s(9), 5), s(10)
        (0.99999917, 0.01799, 0.0)
    """
    c = Args("timm.TanhLRScheduler")
    lr, w, init = _common(c, lr, warmup_t, warmup_lr_init, noise_range_t, initialize)
    t0 = c.positive("t_initial", t_initial)
    low = c.nonneg("lr_min", lr_min)
    lo, hi = c.real("lb", lb), c.real("ub", ub)
    if not lo < hi:
        raise c.fail("lb", f"< ub={shown(ub)}", lb)
    m, d, n, _ = _cycles(c, cycle_mul, cycle_decay, cycle_limit, 1.0)
    main: Schedule
    if n == 0:
        main = Constant(low)
    else:
        main = CycleAnneal(
            init_value=lr,
            cycle_steps=t0,
            end_value=low,
            shape="tanh",
            period_mult=m,
            peak_decay=d,
            max_cycles=n,
            lb=lo,
            ub=hi,
        )
    prefix = c.flag("warmup_prefix", warmup_prefix)
    target = lr if prefix or w == 0 else main(float(w))
    return _finish(c, main, target, w, init, prefix, t_in_epochs, updates_per_epoch)


@preset
def PolyLRScheduler(
    lr: float,
    t_initial: int,
    power: float = 0.5,
    lr_min: float = 0.0,
    cycle_mul: float = 1.0,
    cycle_decay: float = 1.0,
    cycle_limit: int = 1,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = False,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    k_decay: float = 1.0,
    initialize: bool = True,
    updates_per_epoch: int | None = None,
) -> Schedule:
    r"""timm's polynomial decay with restarts and k-decay.

    .. math:: \eta(t) = \eta_{min} + (\eta\, d^{\,i} - \eta_{min})\left(1 - t_{cur}^k / t_i^k\right)^{p}

    The single-cycle, ``k_decay=1`` case is the core :func:`lrplan.polynomial`.

    Example:
        >>> from lrplan.presets import timm
        >>> s = timm.PolyLRScheduler(1.0, t_initial=4, power=2.0, t_in_epochs=False)
        >>> s(0), s(2), s(4)
        (1.0, 0.25, 0.0)
    """
    c = Args("timm.PolyLRScheduler")
    lr, w, init = _common(c, lr, warmup_t, warmup_lr_init, noise_range_t, initialize)
    t0 = c.positive("t_initial", t_initial)
    p = c.positive("power", power)
    low = c.nonneg("lr_min", lr_min)
    m, d, n, k = _cycles(c, cycle_mul, cycle_decay, cycle_limit, k_decay)
    main: Schedule
    if n == 0:
        main = Constant(low)
    elif k == 1.0 and n == 1:
        main = Polynomial(init_value=lr, end_value=low, decay_steps=t0, power=p)
    else:
        main = CycleAnneal(
            init_value=lr,
            cycle_steps=t0,
            end_value=low,
            shape="poly",
            period_mult=m,
            peak_decay=d,
            max_cycles=n,
            k_decay=k,
            power=p,
        )
    return _finish(c, main, lr, w, init, warmup_prefix, t_in_epochs, updates_per_epoch)


@preset
def StepLRScheduler(
    lr: float,
    decay_t: float,
    decay_rate: float = 1.0,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = True,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    initialize: bool = True,
    updates_per_epoch: int | None = None,
) -> Schedule:
    r"""timm's step decay: :math:`\eta\, r^{\lfloor t / \text{decay\_t} \rfloor}` (note ``warmup_prefix=True`` by default).

    Example:
        >>> from lrplan.presets import timm
        >>> s = timm.StepLRScheduler(1.0, decay_t=3, decay_rate=0.5, t_in_epochs=False)
        >>> s(2), s(3), s(6)
        (1.0, 0.5, 0.25)
    """
    c = Args("timm.StepLRScheduler")
    lr, w, init = _common(c, lr, warmup_t, warmup_lr_init, noise_range_t, initialize)
    k = c.positive("decay_t", decay_t)
    r = c.positive("decay_rate", decay_rate)
    if r > 1:
        raise c.unsupported("decay_rate", decay_rate, "<= 1", "a growing step schedule has no end value")
    main = StepDecay(init_value=lr, decay_rate=r, decay_steps=k, end_value=None)
    return _finish(c, main, lr, w, init, warmup_prefix, t_in_epochs, updates_per_epoch)


@preset
def MultiStepLRScheduler(
    lr: float,
    decay_t: Sequence[int],
    decay_rate: float = 1.0,
    warmup_t: int = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = True,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    initialize: bool = True,
    updates_per_epoch: int | None = None,
) -> Schedule:
    r"""timm's multi-step decay: :math:`\eta\, r^{n(t)}`, :math:`n(t) = \#\{m \in \text{decay\_t} : m \le t + 1\}`.

    **Quirk kept:** milestones are compared with :math:`t + 1`, so each decay happens **one step
    earlier** than PyTorch's ``MultiStepLR`` (and timm's own ``StepLRScheduler``): milestone 10 applies
    from ``t = 9``. Repeated milestones decay repeatedly. ``decay_t`` must be sorted, as timm's bisect
    assumes. Built as :func:`lrplan.piecewise_constant` with boundaries ``m - 1``.

    Example:
        >>> from lrplan.presets import timm
        >>> s = timm.MultiStepLRScheduler(1.0, decay_t=[3, 6], decay_rate=0.1, t_in_epochs=False)
        >>> s(1), s(2), round(s(5), 12)
        (1.0, 0.1, 0.01)
        >>> print(s)
        piecewise_constant(boundaries=[2, 5], values=[1.0, 0.1, 0.010000000000000002])
    """
    c = Args("timm.MultiStepLRScheduler")
    lr, w, init = _common(c, lr, warmup_t, warmup_lr_init, noise_range_t, initialize)
    if isinstance(decay_t, (str, bytes)) or not isinstance(decay_t, Sequence):
        raise c.fail("decay_t", "a sorted list of steps", decay_t)
    milestones = [c.real("decay_t", m) for m in decay_t]
    if any(y < x for x, y in itertools.pairwise(milestones)):
        raise c.fail("decay_t", "sorted (timm bisects it)", list(decay_t))
    r = c.positive("decay_rate", decay_rate)
    starts = sorted({m - 1 for m in milestones if m - 1 > 0})
    boundaries = starts
    counts = [bisect.bisect_right(milestones, 1)] + [bisect.bisect_right(milestones, b + 1) for b in boundaries]
    main: Schedule
    if boundaries:
        main = PiecewiseConstant(boundaries=boundaries, values=[lr * (r**n) for n in counts])
    else:
        main = Constant(lr * (r ** counts[0]))
    return _finish(c, main, lr, w, init, warmup_prefix, t_in_epochs, updates_per_epoch)
