"""Keras 3's ``keras.optimizers.schedules`` as lrplan schedules.

Each function keeps the Keras class name and argument names (positional order included) and returns
a plain lrplan schedule whose value at step ``k`` is what the Keras schedule returns for
``optimizer.iterations == k``. ``name`` is accepted and has no effect on the values. Keras computes
in float32 by default; the presets compute in float64 and agree with Keras to float32 precision.
They follow Keras's formulas with exact division: under ``jax.jit``, XLA may replace a division by
a constant with a multiplication by its reciprocal, so Keras on JAX can switch a staircase, cycle or
restart one step late at an exact multiple (``159 * (1/159) < 1`` in float32).

Example:
    >>> from lrplan.presets import keras as P
    >>> s = P.CosineDecay(0.0, decay_steps=1000, warmup_target=1e-3, warmup_steps=100)
    >>> s
    warmup(cosine(init_value=0.001, decay_steps=1000), steps=100)
    >>> s(0), s(50), s(100), s(1100)
    (0.0, 0.0005, 0.001, 0.0)

References:
    Keras ``keras/src/optimizers/schedules/learning_rate_schedule.py`` (Keras 3.15).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from .. import (
    Constant,
    Cosine,
    CosineRestartsFixedFloor,
    Exponential,
    InverseTime,
    PiecewiseConstant,
    Polynomial,
    PolynomialCycle,
    Schedule,
    Warmup,
)
from ._args import Args, preset

__all__ = [
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "CosineDecayRestarts",
]


def _name(c: Args, name: Any) -> None:
    if not isinstance(name, str):
        raise c.fail("name", "a string", name)


@preset
def ExponentialDecay(
    initial_learning_rate: float,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str = "ExponentialDecay",
) -> Schedule:
    r"""Keras ``ExponentialDecay``: :math:`\eta_0\, r^{t/K}` (:math:`\lfloor t/K \rfloor` with ``staircase``).

    No floor, as in Keras: ``decay_rate > 1`` grows without bound, ``decay_rate = 0`` drops to 0 after
    the first step (after the first ``decay_steps`` with ``staircase``), and ``initial_learning_rate``
    may be negative.

    Args:
        initial_learning_rate: :math:`\eta_0` (any sign).
        decay_steps: :math:`K` (> 0).
        decay_rate: :math:`r` (>= 0: Keras gives NaN between whole periods with a negative rate).
        staircase: decay in discrete steps every ``decay_steps``.
        name: accepted, no effect.

    Example:
        >>> from lrplan.presets import keras as P
        >>> s = P.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5, staircase=True)
        >>> s(99), s(100), s(250)
        (0.1, 0.05, 0.025)
    """
    c = Args("keras.ExponentialDecay")
    _name(c, name)
    lr0 = c.real("initial_learning_rate", initial_learning_rate)
    k = c.positive("decay_steps", decay_steps)
    r = c.real("decay_rate", decay_rate)
    if r < 0:
        raise c.fail("decay_rate", ">= 0 (Keras gives NaN between whole periods with a negative rate)", decay_rate)
    stair = c.flag("staircase", staircase)
    if r == 0:  # 0 ** 0 = 1 at first, then 0
        return PiecewiseConstant(boundaries=[k if stair else 1], values=[lr0, 0.0]) if lr0 else Constant(0.0)
    return Exponential(init_value=lr0, decay_rate=r, decay_steps=k, staircase=stair, end_value=None)


@preset
def PiecewiseConstantDecay(
    boundaries: Sequence[int], values: Sequence[float], name: str = "PiecewiseConstant"
) -> Schedule:
    r"""Keras ``PiecewiseConstantDecay``: ``values[i]`` while :math:`b_{i-1} < t \le b_i`.

    Quirk kept: Keras switches one step *after* each boundary (``step > boundary``), unlike optax and
    PyTorch (``step >= boundary``). The preset is :func:`lrplan.piecewise_constant` with every
    boundary plus one; it is defined at integer steps, as Keras's boundaries are (they must have the
    type of the step).

    Args:
        boundaries: strictly increasing integer steps (>= 0).
        values: ``len(boundaries) + 1`` learning rates (>= 0).
        name: accepted, no effect.

    Example:
        >>> from lrplan.presets import keras as P
        >>> s = P.PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])
        >>> s
        piecewise_constant(boundaries=[3, 5], values=[1.0, 0.5, 0.1])
        >>> [s(t) for t in range(6)]
        [1.0, 1.0, 1.0, 0.5, 0.5, 0.1]
    """
    c = Args("keras.PiecewiseConstantDecay")
    _name(c, name)
    bounds = c.steps_list("boundaries", boundaries, integral=True)
    if any(b2 <= b1 for b1, b2 in itertools.pairwise(bounds)):
        raise c.fail("boundaries", "strictly increasing", boundaries)
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        raise c.fail("values", "a list of learning rates", values)
    vals = [c.nonneg("values", v) for v in values]
    if len(vals) != len(bounds) + 1:
        raise c.fail("values", f"one longer than `boundaries` ({len(bounds) + 1} values)", values)
    return PiecewiseConstant(boundaries=[b + 1 for b in bounds], values=vals)


@preset
def PolynomialDecay(
    initial_learning_rate: float,
    decay_steps: int,
    end_learning_rate: float = 0.0001,
    power: float = 1.0,
    cycle: bool = False,
    name: str = "PolynomialDecay",
) -> Schedule:
    r"""Keras ``PolynomialDecay``: :math:`(\eta_0 - \eta_e)(1 - \min(t, K)/K)^p + \eta_e`.

    With ``cycle=True`` the horizon stretches to the next multiple of :math:`K`,
    :math:`K' = K \max(\lceil t/K \rceil, 1)`, and :math:`(1 - t/K')^p` replaces the clamped term
    (:func:`lrplan.polynomial_cycle`). Quirk kept: a cycle does *not* restart at
    ``initial_learning_rate``; after the :math:`n`-th multiple of :math:`K` it jumps to the point of a
    decay stretched over :math:`(n+1)K`. ``power=0`` is the constant ``initial_learning_rate`` (as in
    Keras, where :math:`0^0 = 1`).

    Args:
        initial_learning_rate: :math:`\eta_0` (>= 0).
        decay_steps: :math:`K` (> 0).
        end_learning_rate: :math:`\eta_e` (>= 0; default 1e-4).
        power: :math:`p` (>= 0; default 1).
        cycle: stretch the horizon instead of holding the end value.
        name: accepted, no effect.

    Example:
        >>> from lrplan.presets import keras as P
        >>> s = P.PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.1, cycle=True)
        >>> s(4), s(5), s(8), s(9)
        (0.1, 0.4375, 0.1, 0.325)
    """
    c = Args("keras.PolynomialDecay")
    _name(c, name)
    lr0 = c.nonneg("initial_learning_rate", initial_learning_rate)
    k = c.positive("decay_steps", decay_steps)
    end = c.nonneg("end_learning_rate", end_learning_rate)
    p = c.nonneg("power", power)
    cyc = c.flag("cycle", cycle)
    if p == 0:
        return Constant(lr0)
    if cyc:
        return PolynomialCycle(init_value=lr0, end_value=end, decay_steps=k, power=p)
    return Polynomial(init_value=lr0, end_value=end, decay_steps=k, power=p)


@preset
def InverseTimeDecay(
    initial_learning_rate: float,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str = "InverseTimeDecay",
) -> Schedule:
    r"""Keras ``InverseTimeDecay``: :math:`\eta_0 / (1 + r\, t/K)` (:math:`\lfloor t/K \rfloor` with ``staircase``).

    Args:
        initial_learning_rate: :math:`\eta_0` (>= 0).
        decay_steps: :math:`K` (> 0).
        decay_rate: :math:`r` (>= 0).
        staircase: use :math:`\lfloor t/K \rfloor`.
        name: accepted, no effect.

    Example:
        >>> from lrplan.presets import keras as P
        >>> s = P.InverseTimeDecay(1.0, decay_steps=10, decay_rate=1.0)
        >>> s(0), s(10), s(30)
        (1.0, 0.5, 0.25)
    """
    c = Args("keras.InverseTimeDecay")
    _name(c, name)
    lr0 = c.nonneg("initial_learning_rate", initial_learning_rate)
    k = c.positive("decay_steps", decay_steps)
    r = c.nonneg("decay_rate", decay_rate)
    stair = c.flag("staircase", staircase)
    return InverseTime(init_value=lr0, decay_rate=r, decay_steps=k, staircase=stair)


@preset
def CosineDecay(
    initial_learning_rate: float,
    decay_steps: int,
    alpha: float = 0.0,
    name: str = "CosineDecay",
    warmup_target: float | None = None,
    warmup_steps: int = 0,
) -> Schedule:
    r"""Keras ``CosineDecay``, with its optional linear warmup.

    Without ``warmup_target``: :math:`\eta_0\left((1 - \alpha)\tfrac12(1 + \cos(\pi \min(t, K)/K)) + \alpha\right)`.
    With it: a linear warmup from ``initial_learning_rate`` to ``warmup_target`` over :math:`W` =
    ``warmup_steps``, then the same cosine from ``warmup_target`` (to :math:`\alpha` times
    ``warmup_target``) over :math:`K` more steps: ``decay_steps`` *excludes* the warmup (optax's
    ``warmup_cosine_decay_schedule`` includes it).

    Quirk kept: ``warmup_steps`` is **ignored when** ``warmup_target`` **is None** (no warmup happens,
    as in Keras).

    Args:
        initial_learning_rate: :math:`\eta_0` (>= 0): the start of the warmup, or of the decay.
        decay_steps: :math:`K` (> 0), after the warmup.
        alpha: the floor as a fraction of the decay's start (>= 0; default 0).
        name: accepted, no effect.
        warmup_target: the value reached at the end of the warmup, or None for no warmup.
        warmup_steps: :math:`W` (>= 0).

    Example:
        >>> from lrplan.presets import keras as P
        >>> P.CosineDecay(1.0, decay_steps=100, alpha=0.1)(50)
        0.55
        >>> P.CosineDecay(1.0, decay_steps=100, warmup_steps=10) == P.CosineDecay(1.0, decay_steps=100)
        True
    """
    c = Args("keras.CosineDecay")
    _name(c, name)
    lr0 = c.nonneg("initial_learning_rate", initial_learning_rate)
    k = c.positive("decay_steps", decay_steps)
    a = c.nonneg("alpha", alpha)
    w = c.nonneg("warmup_steps", warmup_steps)
    if warmup_target is None:
        return Cosine(init_value=lr0, decay_steps=k, end_value=a * lr0)
    target = c.nonneg("warmup_target", warmup_target)
    decay = Cosine(init_value=target, decay_steps=k, end_value=a * target)
    if w == 0:
        return decay
    return Warmup(decay, steps=w, init_value=lr0)


@preset
def CosineDecayRestarts(
    initial_learning_rate: float,
    first_decay_steps: int,
    t_mul: float = 2.0,
    m_mul: float = 1.0,
    alpha: float = 0.0,
    name: str = "SGDRDecay",
) -> Schedule:
    r"""Keras ``CosineDecayRestarts`` (SGDR): cycles of ``first_decay_steps``, times ``t_mul`` each.

    In cycle :math:`i`, at fraction :math:`f` of it:
    :math:`\eta_0\left((1 - \alpha)\, m^{i}\, \tfrac12(1 + \cos \pi f) + \alpha\right)`.

    Quirk kept: ``alpha`` is **not** scaled by ``m_mul``: the floor :math:`\alpha\eta_0` stays put while
    the height above it shrinks (:func:`lrplan.cosine_restarts_fixed_floor`), so the :math:`i`-th
    restart value is :math:`\eta_0((1 - \alpha)m^i + \alpha)`. Periodic by definition; never quite
    reaches the floor at integer steps. ``t_mul < 1`` (cycles that shrink until Keras returns NaN) and
    ``alpha > 1`` are not supported.

    Args:
        initial_learning_rate: :math:`\eta_0` (>= 0).
        first_decay_steps: length of the first cycle (> 0).
        t_mul: :math:`\ge 1`, each cycle is this much longer (default 2).
        m_mul: :math:`m \ge 0`, each cycle's height above the floor is this fraction of the previous.
        alpha: the floor as a fraction of :math:`\eta_0`, in [0, 1].
        name: accepted, no effect.

    Example:
        >>> from lrplan.presets import keras as P
        >>> s = P.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0, m_mul=0.5, alpha=0.1)
        >>> s(0), s(10), s(20)
        (1.0, 0.55, 0.325)
    """
    c = Args("keras.CosineDecayRestarts")
    _name(c, name)
    lr0 = c.nonneg("initial_learning_rate", initial_learning_rate)
    k = c.positive("first_decay_steps", first_decay_steps)
    tm = c.real("t_mul", t_mul)
    if tm < 1:
        raise c.fail("t_mul", ">= 1 (shrinking cycles are not supported)", t_mul)
    mm = c.nonneg("m_mul", m_mul)
    a = c.in_range("alpha", alpha, 0.0, 1.0)
    return CosineRestartsFixedFloor(init_value=lr0, decay_steps=k, end_value=a * lr0, period_mult=tm, peak_decay=mm)
