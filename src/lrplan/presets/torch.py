"""PyTorch's ``torch.optim.lr_scheduler`` schedulers as lrplan schedules.

Each function keeps the scheduler's name and argument names and returns a plain lrplan schedule
whose value at step ``k`` is the learning rate PyTorch sets after ``k`` calls of ``scheduler.step()``
(the first update uses step 0). PyTorch schedulers multiply the optimizer's learning rate, so each
preset takes that learning rate explicitly as ``base_lr`` (``CyclicLR`` has its own ``base_lr``
argument, and ``OneCycleLR`` ignores the optimizer's learning rate, as PyTorch does). All arguments
are keywords, since PyTorch's first positional argument is the optimizer.

PyTorch computes most of these recursively (multiplying the current learning rate); the presets are
the closed forms, which agree with PyTorch's stepping to about 1e-15 relative.

Not available: ``LambdaLR`` and ``MultiplicativeLR`` (arbitrary Python functions: write a
:class:`~lrplan.Schedule` subclass instead), ``ChainedScheduler`` (use ``lrplan.product``) and
``ReduceLROnPlateau`` (metric-driven, not a function of the step). Calling them raises
:class:`~lrplan.ConfigError` saying so.

Example:
    >>> from lrplan.presets import torch as P
    >>> s = P.CosineAnnealingLR(base_lr=0.1, T_max=100)
    >>> s
    cosine_wave(init_value=0.1, decay_steps=100)
    >>> s(0), s(100), s(200)
    (0.1, 0.0, 0.1)

References:
    PyTorch ``torch/optim/lr_scheduler.py`` (torch 2.13).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import (
    Anneal,
    ConfigError,
    Constant,
    CosineRestarts,
    CosineWave,
    Cyclic,
    Exponential,
    Join,
    Linear,
    OneCycle,
    PiecewiseConstant,
    Polynomial,
    Schedule,
    Shift,
    StepDecay,
)
from ._args import Args, preset, shown, unavailable

__all__ = [
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CyclicLR",
    "CyclicLR_momentum",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "OneCycleLR_momentum",
    "SequentialLR",
]


def _base(c: Args, base_lr: Any) -> float:
    return float(c.nonneg("base_lr", base_lr))


def _factor(c: Args, gamma: Any) -> float:
    g = c.real("gamma", gamma)
    if g < 0:
        raise c.fail(
            "gamma", ">= 0 (a negative factor makes the lr negative, which PyTorch's optimizers refuse)", gamma
        )
    return float(g)


@preset
def StepLR(*, base_lr: float, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> Schedule:
    r"""PyTorch ``StepLR``: multiply by ``gamma`` every ``step_size`` steps.

    .. math:: \eta(t) = b\,\gamma^{\lfloor t / \text{step\_size} \rfloor}

    ``gamma=0`` drops to exactly 0 at ``step_size`` (a piecewise constant); ``gamma > 1`` grows
    without bound, as in PyTorch.

    Args:
        base_lr: :math:`b`, the optimizer's learning rate.
        step_size: period of the decay (> 0).
        gamma: factor per period, >= 0 (default 0.1; a negative one would make the lr negative).
        last_epoch: only the default -1 (resuming is restoring the step).

    Example:
        >>> from lrplan.presets import torch as P
        >>> s = P.StepLR(base_lr=1.0, step_size=30)
        >>> s
        step_decay(init_value=1.0, decay_rate=0.1, decay_steps=30)
        >>> s(29), s(30), round(s(60), 12)
        (1.0, 0.1, 0.01)
    """
    c = Args("torch.StepLR")
    c.last_epoch(last_epoch)
    b = _base(c, base_lr)
    k = c.positive("step_size", step_size)
    g = _factor(c, gamma)
    if g == 0:
        return PiecewiseConstant(boundaries=[k], values=[b, 0.0])
    return StepDecay(init_value=b, decay_rate=g, decay_steps=k, end_value=None)


@preset
def MultiStepLR(*, base_lr: float, milestones: Sequence[int], gamma: float = 0.1, last_epoch: int = -1) -> Schedule:
    r"""PyTorch ``MultiStepLR``: multiply by ``gamma`` at each milestone.

    .. math:: \eta(t) = b\,\gamma^{\#\{m \in \text{milestones} : m \le t\}}

    ``milestones`` is a multiset, as in PyTorch: a milestone listed twice multiplies by
    :math:`\gamma^2` (quirk kept). Milestones may be given in any order; a milestone at 0 applies from
    the first step.

    Args:
        base_lr: :math:`b`, the optimizer's learning rate.
        milestones: integer steps >= 0 (duplicates count twice).
        gamma: factor per milestone (>= 0; default 0.1).
        last_epoch: only the default -1.

    Example:
        >>> from lrplan.presets import torch as P
        >>> s = P.MultiStepLR(base_lr=1.0, milestones=[2, 4, 4], gamma=0.5)
        >>> s
        piecewise_constant(boundaries=[2, 4], values=[1.0, 0.5, 0.125])
        >>> [s(t) for t in range(5)]
        [1.0, 1.0, 0.5, 0.5, 0.125]
    """
    c = Args("torch.MultiStepLR")
    c.last_epoch(last_epoch)
    b = _base(c, base_lr)
    g = float(c.nonneg("gamma", gamma))
    ms = c.integers("milestones", milestones, minimum=0)
    bounds = sorted(set(ms))
    if not bounds:
        return Constant(b)
    values = [b * g ** sum(1 for m in ms if m <= x) for x in [-1, *bounds]]
    return PiecewiseConstant(boundaries=bounds, values=values)


@preset
def ConstantLR(*, base_lr: float, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1) -> Schedule:
    r"""PyTorch ``ConstantLR``: ``base_lr * factor`` for the first ``total_iters`` steps, then ``base_lr``.

    .. math:: \eta(t) = \begin{cases} b\,f & t < \text{total\_iters} \\ b & t \ge \text{total\_iters} \end{cases}

    Quirks kept: with ``total_iters=0`` PyTorch's stepping never restores the learning rate, so the
    value is ``base_lr * factor`` forever. With ``factor=0`` PyTorch's stepping divides by zero at
    ``total_iters``; the preset follows PyTorch's closed form there (``base_lr`` from ``total_iters`` on).

    Args:
        base_lr: :math:`b`, the optimizer's learning rate.
        factor: :math:`f`, in [0, 1] (default 1/3).
        total_iters: number of steps at the reduced value (integer >= 0, default 5).
        last_epoch: only the default -1.

    Example:
        >>> from lrplan.presets import torch as P
        >>> s = P.ConstantLR(base_lr=0.1, factor=0.5, total_iters=4)
        >>> s(3), s(4)
        (0.05, 0.1)
    """
    c = Args("torch.ConstantLR")
    c.last_epoch(last_epoch)
    b = _base(c, base_lr)
    f = c.in_range("factor", factor, 0.0, 1.0)
    n = c.integer("total_iters", total_iters, minimum=0)
    if n == 0:
        return Constant(b * f)
    return PiecewiseConstant(boundaries=[n], values=[b * f, b])


@preset
def LinearLR(
    *,
    base_lr: float,
    start_factor: float = 1.0 / 3,
    end_factor: float = 1.0,
    total_iters: int = 5,
    last_epoch: int = -1,
) -> Schedule:
    r"""PyTorch ``LinearLR``: the factor moves linearly from ``start_factor`` to ``end_factor``.

    .. math:: \eta(t) = b\left(f_0 + (f_1 - f_0)\frac{\min(t, n)}{n}\right)

    Quirk kept: with ``total_iters=0`` PyTorch's stepping stays at ``base_lr * start_factor`` forever.

    Args:
        base_lr: :math:`b`, the optimizer's learning rate.
        start_factor: :math:`f_0`, in (0, 1] (default 1/3).
        end_factor: :math:`f_1`, in [0, 1] (default 1).
        total_iters: :math:`n`, integer >= 0 (default 5).
        last_epoch: only the default -1.

    Example:
        >>> from lrplan.presets import torch as P
        >>> s = P.LinearLR(base_lr=1.0, start_factor=0.5, total_iters=4)
        >>> s
        linear(init_value=0.5, end_value=1.0, decay_steps=4)
        >>> [s(t) for t in range(6)]
        [0.5, 0.625, 0.75, 0.875, 1.0, 1.0]
    """
    c = Args("torch.LinearLR")
    c.last_epoch(last_epoch)
    b = _base(c, base_lr)
    f0 = c.in_range("start_factor", start_factor, 0.0, 1.0)
    if f0 == 0:
        raise c.fail("start_factor", "in (0, 1]", start_factor)
    f1 = c.in_range("end_factor", end_factor, 0.0, 1.0)
    n = c.integer("total_iters", total_iters, minimum=0)
    if n == 0:
        return Constant(b * f0)
    return Linear(init_value=b * f0, end_value=b * f1, decay_steps=n)


@preset
def ExponentialLR(*, base_lr: float, gamma: float, last_epoch: int = -1) -> Schedule:
    r"""PyTorch ``ExponentialLR``: multiply by ``gamma`` every step.

    .. math:: \eta(t) = b\,\gamma^{t}

    ``gamma=0`` drops to exactly 0 at step 1; ``gamma > 1`` grows without bound, as in PyTorch.

    Args:
        base_lr: :math:`b`, the optimizer's learning rate.
        gamma: the factor per step, >= 0.
        last_epoch: only the default -1.

    Example:
        >>> from lrplan.presets import torch as P
        >>> s = P.ExponentialLR(base_lr=1.0, gamma=0.5)
        >>> s
        exponential(init_value=1.0, decay_rate=0.5, decay_steps=1)
        >>> s(0), s(1), s(3)
        (1.0, 0.5, 0.125)
    """
    c = Args("torch.ExponentialLR")
    c.last_epoch(last_epoch)
    b = _base(c, base_lr)
    g = _factor(c, gamma)
    if g == 0:
        return PiecewiseConstant(boundaries=[1], values=[b, 0.0])
    return Exponential(init_value=b, decay_rate=g, decay_steps=1, end_value=None)


@preset
def PolynomialLR(*, base_lr: float, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1) -> Schedule:
    r"""PyTorch ``PolynomialLR``: polynomial decay to exactly 0 at ``total_iters``.

    .. math:: \eta(t) = b\left(1 - \frac{\min(t, n)}{n}\right)^{p}

    Quirks kept: ``total_iters=0`` or ``power=0`` leave ``base_lr`` unchanged (PyTorch's stepping).

    Args:
        base_lr: :math:`b`, the optimizer's learning rate.
        total_iters: :math:`n`, integer >= 0 (default 5).
        power: :math:`p` (>= 0; default 1).
        last_epoch: only the default -1.

    Example:
        >>> from lrplan.presets import torch as P
        >>> s = P.PolynomialLR(base_lr=1.0, total_iters=4, power=2.0)
        >>> [s(t) for t in range(6)]
        [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """
    c = Args("torch.PolynomialLR")
    c.last_epoch(last_epoch)
    b = _base(c, base_lr)
    n = c.integer("total_iters", total_iters, minimum=0)
    p = c.nonneg("power", power)
    if n == 0 or p == 0:
        return Constant(b)
    return Polynomial(init_value=b, end_value=0.0, decay_steps=n, power=p)


@preset
def CosineAnnealingLR(*, base_lr: float, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> Schedule:
    r"""PyTorch ``CosineAnnealingLR``: a cosine from ``base_lr`` to ``eta_min`` over ``T_max`` steps, never clamped.

    .. math:: \eta(t) = \eta_{min} + (b - \eta_{min})\,\frac{1 + \cos(\pi t / T_{max})}{2}

    Quirk kept: past ``T_max`` the curve rises again (period ``2 T_max``), as PyTorch's does; the
    preset is a :func:`~lrplan.cosine_wave`, periodic by definition. For a cosine that holds
    ``eta_min``, use :func:`lrplan.cosine`.

    Args:
        base_lr: :math:`b`, the optimizer's learning rate.
        T_max: the half period (> 0).
        eta_min: the value at ``T_max`` (>= 0; default 0).
        last_epoch: only the default -1.

    Example:
        >>> from lrplan.presets import torch as P
        >>> s = P.CosineAnnealingLR(base_lr=1.0, T_max=10, eta_min=0.1)
        >>> s(10), round(s(15), 6), s(20)
        (0.1, 0.55, 1.0)
    """
    c = Args("torch.CosineAnnealingLR")
    c.last_epoch(last_epoch)
    b = _base(c, base_lr)
    t_max = c.positive("T_max", T_max)
    e = c.nonneg("eta_min", eta_min)
    return CosineWave(init_value=b, decay_steps=t_max, end_value=e)


def _cyclic(
    c: Args,
    low: Any,
    high: Any,
    names: tuple[str, str],
    step_size_up: Any,
    step_size_down: Any,
    mode: Any,
    gamma: Any,
    scale_fn: Any,
    scale_mode: Any,
) -> Schedule:
    c.not_a_list(names[0], low)
    c.not_a_list(names[1], high)
    lo = c.nonneg(names[0], low)
    hi = c.nonneg(names[1], high)
    c.only_default("scale_fn", scale_fn, None, "an arbitrary Python function; use `mode` instead")
    c.choice("scale_mode", scale_mode, ("cycle", "iterations"))  # ignored by PyTorch without scale_fn
    m = c.choice("mode", mode, ("triangular", "triangular2", "exp_range"))
    up = c.positive("step_size_up", step_size_up)
    down = None
    if step_size_down is not None:
        down = c.real("step_size_down", step_size_down)
        if down == 0:
            raise ConfigError(
                f"{c.owner}: `step_size_down` is not supported at 0 (a sawtooth); use a value > 0. "
                f"Received: step_size_down={shown(step_size_down)}."
            )
        down = c.positive("step_size_down", step_size_down)
    g = 1.0
    if m == "exp_range":
        g = c.real("gamma", gamma)
        if not 0 < g <= 1:
            raise c.fail("gamma", "in (0, 1] with mode='exp_range' (growth is not supported)", gamma)
    return Cyclic(init_value=lo, peak_value=hi, up_steps=up, down_steps=down, mode=m, gamma=g)


@preset
def CyclicLR(
    *,
    base_lr: float,
    max_lr: float,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: Any = None,
    scale_mode: str = "cycle",
    cycle_momentum: bool = True,
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
    last_epoch: int = -1,
) -> Schedule:
    r"""PyTorch ``CyclicLR``: a triangle wave between ``base_lr`` and ``max_lr`` (periodic by definition).

    With :math:`c = \lfloor 1 + t/(U + D) \rfloor`, :math:`x = 1 + t/(U+D) - c`, :math:`r = U/(U+D)`
    and :math:`f = x/r` if :math:`x \le r` else :math:`(x - 1)/(r - 1)`:

    .. math:: \eta(t) = \eta_{base} + (\eta_{max} - \eta_{base})\, f\, g(t)

    with :math:`g = 1` (triangular), :math:`2^{1-c}` (triangular2) or :math:`\gamma^t` (exp_range).
    ``base_lr`` is CyclicLR's own argument: PyTorch overwrites the optimizer's learning rate with it.
    The momentum cycle is :func:`CyclicLR_momentum`; ``cycle_momentum``, ``base_momentum`` and
    ``max_momentum`` do not affect the learning rate. Not supported: a custom ``scale_fn``, per-group
    lists, ``step_size_down=0``, ``gamma > 1``.

    Args:
        base_lr: :math:`\eta_{base}`, the bottom of the cycle and the value at step 0.
        max_lr: :math:`\eta_{max}`, the top.
        step_size_up: :math:`U` (> 0; default 2000).
        step_size_down: :math:`D` (> 0); default ``step_size_up``.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: :math:`\gamma` in (0, 1], used by ``exp_range`` only (as in PyTorch).
        scale_fn: only ``None``.
        scale_mode: ignored without ``scale_fn`` (as in PyTorch).
        cycle_momentum, base_momentum, max_momentum: see :func:`CyclicLR_momentum`.
        last_epoch: only the default -1.

    Example:
        >>> from lrplan.presets import torch as P
        >>> s = P.CyclicLR(base_lr=0.1, max_lr=1.0, step_size_up=2, mode="triangular2")
        >>> [round(s(t), 3) for t in range(7)]
        [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55]
    """
    c = Args("torch.CyclicLR")
    c.last_epoch(last_epoch)
    c.flag("cycle_momentum", cycle_momentum)
    return _cyclic(
        c, base_lr, max_lr, ("base_lr", "max_lr"), step_size_up, step_size_down, mode, gamma, scale_fn, scale_mode
    )


@preset
def CyclicLR_momentum(
    *,
    base_lr: float = 0.0,
    max_lr: float = 0.0,
    step_size_up: int = 2000,
    step_size_down: int | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: Any = None,
    scale_mode: str = "cycle",
    cycle_momentum: bool = True,
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
    last_epoch: int = -1,
) -> Schedule:
    r"""The momentum that PyTorch's ``CyclicLR`` sets (``momentum``, or ``beta1`` for Adam-style optimizers).

    It runs opposite to the learning rate, with the same :math:`f` and :math:`g` as :func:`CyclicLR`:

    .. math:: m(t) = m_{max} - (m_{max} - m_{base})\, f\, g(t)

    Takes the same arguments as :func:`CyclicLR`, so one set of keyword arguments gives both
    schedules (``base_lr`` and ``max_lr`` are checked but do not affect the momentum). Raises
    :class:`~lrplan.ConfigError` if ``cycle_momentum=False``: PyTorch then leaves momentum alone.

    Example:
        >>> from lrplan.presets import torch as P
        >>> kw = dict(base_lr=0.1, max_lr=1.0, step_size_up=2)
        >>> m = P.CyclicLR_momentum(**kw)
        >>> [round(m(t), 3) for t in range(5)]
        [0.9, 0.85, 0.8, 0.85, 0.9]
    """
    c = Args("torch.CyclicLR_momentum")
    c.last_epoch(last_epoch)
    if not c.flag("cycle_momentum", cycle_momentum):
        raise c.fail("cycle_momentum", "True (with False, PyTorch does not schedule momentum)", cycle_momentum)
    _cyclic(c, base_lr, max_lr, ("base_lr", "max_lr"), step_size_up, step_size_down, mode, gamma, scale_fn, "cycle")
    return _cyclic(
        c,
        max_momentum,
        base_momentum,
        ("max_momentum", "base_momentum"),
        step_size_up,
        step_size_down,
        mode,
        gamma,
        scale_fn,
        scale_mode,
    )


@preset
def CosineAnnealingWarmRestarts(
    *, base_lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1
) -> Schedule:
    r"""PyTorch ``CosineAnnealingWarmRestarts`` (SGDR): cosine cycles of ``T_0``, ``T_0 T_mult``, ... steps.

    Cycle :math:`i` lasts :math:`T_i = T_0 T_{mult}^i` steps; within it, after :math:`T_{cur}` steps,

    .. math:: \eta = \eta_{min} + (b - \eta_{min})\,\frac{1 + \cos(\pi T_{cur}/T_i)}{2}

    It restarts at ``base_lr`` and never quite reaches ``eta_min`` at integer steps (quirk kept).
    Periodic by definition.

    Args:
        base_lr: :math:`b`, the optimizer's learning rate.
        T_0: length of the first cycle (integer > 0).
        T_mult: growth of the cycle length (integer >= 1; default 1).
        eta_min: the floor (>= 0; default 0).
        last_epoch: only the default -1.

    Example:
        >>> from lrplan.presets import torch as P
        >>> s = P.CosineAnnealingWarmRestarts(base_lr=1.0, T_0=3, T_mult=2)
        >>> [round(s(t), 3) for t in range(10)]
        [1.0, 0.75, 0.25, 1.0, 0.933, 0.75, 0.5, 0.25, 0.067, 1.0]
    """
    c = Args("torch.CosineAnnealingWarmRestarts")
    c.last_epoch(last_epoch)
    b = _base(c, base_lr)
    t0 = c.integer("T_0", T_0, minimum=1)
    tm = c.integer("T_mult", T_mult, minimum=1)
    e = c.nonneg("eta_min", eta_min)
    return CosineRestarts(init_value=b, decay_steps=t0, end_value=e, period_mult=tm)


def _one_cycle_total(c: Args, total_steps: Any, epochs: Any, steps_per_epoch: Any) -> int:
    if total_steps is not None:
        return c.integer("total_steps", total_steps, minimum=1)
    if epochs is not None and steps_per_epoch is not None:
        e = c.integer("epochs", epochs, minimum=1)
        n = c.integer("steps_per_epoch", steps_per_epoch, minimum=1)
        return e * n
    raise ConfigError(
        f"{c.owner}: give `total_steps`, or both `epochs` and `steps_per_epoch`. "
        f"Received: total_steps={shown(total_steps)}, epochs={shown(epochs)}, steps_per_epoch={shown(steps_per_epoch)}."
    )


def _phase(a: float, b: float, length: float, linear: bool) -> Schedule:
    if linear:
        return Linear(init_value=a, end_value=b, decay_steps=length)
    return Anneal(init_value=a, end_value=b, steps=length, shape="cosine")


def _torch_phases(ends: list[float], pairs: list[tuple[float, float]], total: int, linear: bool) -> Schedule:
    """PyTorch OneCycleLR's phase walk, for every ``pct_start`` it accepts, held from step ``total - 1`` on.

    At step ``t`` PyTorch uses the first phase with ``t <= end_i`` (else the last), at
    ``pct = (t - start_i)/(end_i - start_i)``, ``start_0 = 0`` and ``start_i = end_{i-1}``. Phases
    that no step in ``[0, total - 1]`` reaches are dropped; a phase starting before 0 is shifted.
    """
    last_step = float(total - 1)
    children: list[Schedule] = []
    bounds: list[float] = []
    covered_to = last_step
    for i, (end, (a, b)) in enumerate(zip(ends, pairs, strict=True)):
        origin = 0.0 if i == 0 else ends[i - 1]  # where PyTorch's pct is 0
        lower = max(ends[:i], default=-float("inf"))  # phase i serves lower < t <= upper (t >= 0 for i = 0)
        upper = end if i < len(ends) - 1 else float("inf")
        hi = min(upper, last_step)
        if hi < 0 or lower >= hi:
            continue  # no step in [0, total - 1] reaches this phase
        child = _phase(a, b, end - origin, linear)
        at = 0.0 if not children else lower  # where the join starts this child
        if origin != at:
            child = Shift(child, steps=origin - at)
        if children:
            bounds.append(at)
        children.append(child)
        covered_to = end
    out: Schedule = children[0] if len(children) == 1 else Join(children, boundaries=bounds)
    if covered_to > last_step:  # the phase serving the last step goes on past it: hold its value there
        out = Join([out, Constant(out(last_step))], boundaries=[last_step])
    return out


def _one_cycle(
    c: Args,
    *,
    max_lr: Any,
    total_steps: Any,
    epochs: Any,
    steps_per_epoch: Any,
    pct_start: Any,
    anneal_strategy: Any,
    cycle_momentum: Any,
    base_momentum: Any,
    max_momentum: Any,
    div_factor: Any,
    final_div_factor: Any,
    three_phase: Any,
    last_epoch: Any,
    base_lr: Any,
    momentum: bool,
) -> Schedule:
    c.last_epoch(last_epoch)
    if base_lr is not None:
        c.nonneg("base_lr", base_lr)
    total = _one_cycle_total(c, total_steps, epochs, steps_per_epoch)
    p = float(c.in_range("pct_start", pct_start, 0.0, 1.0))
    shape = c.choice("anneal_strategy", anneal_strategy, ("cos", "linear"))
    three = c.flag("three_phase", three_phase)
    c.not_a_list("max_lr", max_lr)
    peak = float(c.nonneg("max_lr", max_lr))
    div = float(c.positive("div_factor", div_factor))
    final_div = float(c.positive("final_div_factor", final_div_factor))
    cyc = c.flag("cycle_momentum", cycle_momentum)
    c.not_a_list("base_momentum", base_momentum)
    c.not_a_list("max_momentum", max_momentum)
    m_lo = float(c.nonneg("base_momentum", base_momentum))
    m_hi = float(c.nonneg("max_momentum", max_momentum))
    if momentum and not cyc:
        raise c.fail("cycle_momentum", "True (with False, PyTorch does not schedule momentum)", cyc)
    init = peak / div
    low = init / final_div
    e1 = float(p * total) - 1
    if e1 == 0:
        raise c.fail(
            "pct_start",
            f"such that pct_start * total_steps != 1 (PyTorch divides by zero at step 0 then; total_steps={total})",
            pct_start,
        )
    e_last = float(total - 1)
    if three:
        e2 = float(2 * p * total) - 2
        ends = [e1, e2, e_last]
        pairs = [(init, peak), (peak, init), (init, low)]
        mpairs = [(m_hi, m_lo), (m_lo, m_hi), (m_hi, m_hi)]
    else:
        ends = [e1, e_last]
        pairs = [(init, peak), (peak, low)]
        mpairs = [(m_hi, m_lo), (m_lo, m_hi)]
    linear = shape == "linear"
    core_shape = "linear" if linear else "cosine"
    try:  # the common case is the core's one_cycle, with PyTorch's timing
        if momentum:
            end = m_hi
            return OneCycle(
                peak_value=m_lo,
                total_steps=total,
                pct_start=p,
                init_value=m_hi,
                end_value=end,
                shape=core_shape,
                three_phase=three,
            )
        return OneCycle(
            peak_value=peak,
            total_steps=total,
            pct_start=p,
            init_value=init,
            end_value=low,
            shape=core_shape,
            three_phase=three,
        )
    except ConfigError:  # phases shorter than a step, starting before 0 or ending after the last step
        return _torch_phases(ends, mpairs if momentum else pairs, total, linear)


@preset
def OneCycleLR(
    *,
    max_lr: float,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
    last_epoch: int = -1,
    base_lr: float | None = None,
) -> Schedule:
    r"""PyTorch ``OneCycleLR``, the learning rate; the momentum is :func:`OneCycleLR_momentum` (same arguments).

    With :math:`T` = ``total_steps`` (or ``epochs * steps_per_epoch``), :math:`p` = ``pct_start``,
    :math:`\eta_0 = \eta_{max}/\text{div\_factor}` and :math:`\eta_{min} = \eta_0/\text{final\_div\_factor}`:
    from step 0 to :math:`pT - 1` up from :math:`\eta_0` to :math:`\eta_{max}`, then down to
    :math:`\eta_{min}` at step :math:`T - 1` (three phases: back to :math:`\eta_0` at
    :math:`2pT - 2`, then to :math:`\eta_{min}` at :math:`T - 1`). Each phase is a cosine
    (``anneal_strategy="cos"``) or linear interpolation. Usually this is :func:`lrplan.one_cycle`;
    for the ``pct_start`` values where a phase is shorter than a step or starts before step 0, the
    preset follows PyTorch's phase walk exactly.

    Past the end: PyTorch extrapolates the last phase at step :math:`T` (a step no update of a
    :math:`T`-update run uses) and raises beyond; the preset holds its value at step :math:`T - 1`
    (:math:`\eta_{min}`) from there on.

    ``base_lr`` (the optimizer's learning rate) is accepted for uniformity and does not matter:
    PyTorch overwrites it with :math:`\eta_0`. Not supported: per-group lists, and
    ``pct_start * total_steps == 1`` (PyTorch divides by zero).

    Example:
        >>> from lrplan.presets import torch as P
        >>> s = P.OneCycleLR(max_lr=1.0, total_steps=100)
        >>> s
        one_cycle(peak_value=1.0, total_steps=100, init_value=0.04, end_value=4e-06)
        >>> s(0), s(29), round(s(99), 8), round(s(500), 8)
        (0.04, 1.0, 4e-06, 4e-06)
    """
    return _one_cycle(Args("torch.OneCycleLR"), momentum=False, **locals())  # every argument, by name


@preset
def OneCycleLR_momentum(
    *,
    max_lr: float,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
    last_epoch: int = -1,
    base_lr: float | None = None,
) -> Schedule:
    r"""The momentum (or Adam's ``beta1``) that PyTorch's ``OneCycleLR`` sets; same arguments as :func:`OneCycleLR`.

    It mirrors the learning rate on the same phases: ``max_momentum`` down to ``base_momentum`` while
    the learning rate rises, back up to ``max_momentum`` while it falls (three phases: held at
    ``max_momentum`` in the third). Raises :class:`~lrplan.ConfigError` with ``cycle_momentum=False``
    (PyTorch then leaves momentum alone).

    Example:
        >>> from lrplan.presets import torch as P
        >>> kw = dict(max_lr=1.0, total_steps=100)
        >>> m = P.OneCycleLR_momentum(**kw)
        >>> m(0), m(29), m(99)
        (0.95, 0.85, 0.95)
    """
    return _one_cycle(Args("torch.OneCycleLR_momentum"), momentum=True, **locals())  # every argument, by name


@preset
def SequentialLR(*, schedulers: Sequence[Schedule], milestones: Sequence[int], last_epoch: int = -1) -> Schedule:
    r"""PyTorch ``SequentialLR``: run presets one after another, switching at the milestones.

    .. math:: \eta(t) = f_i(t - m_{i-1}) \quad \text{for } m_{i-1} \le t < m_i \quad (m_{-1} = 0)

    Each phase restarts on its own clock, from its own ``base_lr`` (PyTorch resets the learning rate
    to the optimizer's initial one at each milestone), not from where the previous phase ended: this
    is :func:`lrplan.join`. Equal milestones skip a phase; a milestone at 0 skips the first. A
    phase built with ``total_iters=0`` (``ConstantLR``, ``LinearLR``, ``PolynomialLR``) behaves as it
    does alone; PyTorch restarts later phases through their closed form, which differs there
    (``ConstantLR``) or divides by zero (``LinearLR``, ``PolynomialLR``).

    Args:
        schedulers: the phases, as lrplan schedules (build each with a preset and the same ``base_lr``).
        milestones: ``len(schedulers) - 1`` non-decreasing integer steps.
        last_epoch: only the default -1.

    Example:
        >>> from lrplan.presets import torch as P
        >>> s = P.SequentialLR(
        ...     schedulers=[P.ConstantLR(base_lr=1.0, factor=0.1, total_iters=20), P.ExponentialLR(base_lr=1.0, gamma=0.9)],
        ...     milestones=[3],
        ... )
        >>> [round(s(t), 4) for t in range(6)]
        [0.1, 0.1, 0.1, 1.0, 0.9, 0.81]
    """
    c = Args("torch.SequentialLR")
    c.last_epoch(last_epoch)
    children = c.schedules("schedulers", schedulers)
    ms = c.steps_list("milestones", milestones, integral=True)
    if len(ms) != len(children) - 1:
        raise c.fail("milestones", f"{len(children) - 1} step(s), one fewer than `schedulers`", milestones)
    if len(children) == 1:
        return children[0]
    return Join(children, boundaries=ms)


LambdaLR = unavailable(
    "torch.LambdaLR",
    "it wraps an arbitrary Python function, which cannot be serialized or compared; write a small "
    "lrplan.Schedule subclass with the formula (see lrplan.register), or find the preset it implements",
)
MultiplicativeLR = unavailable(
    "torch.MultiplicativeLR",
    "it wraps an arbitrary Python function applied recursively; write the closed form as an lrplan.Schedule subclass",
)
ChainedScheduler = unavailable(
    "torch.ChainedScheduler",
    "chained PyTorch schedulers multiply; use lrplan.product([...]) of the presets (each with base_lr=1.0 but one)",
)
ReduceLROnPlateau = unavailable(
    "torch.ReduceLROnPlateau", "it is driven by a metric, not by the step; use lrplan's plateau handling"
)
