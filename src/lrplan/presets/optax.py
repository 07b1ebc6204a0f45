"""optax's ``optax.schedules`` as lrplan schedules.

Every schedule function of ``optax.schedules`` (optax 0.2.8), with optax's name and arguments
(positional order included), returning a plain lrplan schedule whose value at step ``k`` is the
optax schedule's value at ``count = k``. optax schedules are already pure functions of the step, so
the presets are exact, quirks included: ``transition_steps <= 0`` makes ``polynomial_schedule``,
``linear_schedule`` and ``exponential_decay`` constant (as does ``decay_rate == 0``), a negative
``transition_begin`` counts as 0, and a warmup of 0 steps starts at the peak. lrplan schedules are
callables ``count -> value`` that work under ``jax.jit``, so a preset can be handed to an optax
optimizer as its ``learning_rate`` directly.

Values may be negative and may grow, as in optax (``exponential_decay`` with ``decay_rate > 1``
grows without bound unless ``end_value`` caps it). Where optax would produce ``inf`` or ``NaN``
(a negative ``power`` or ``exponent``, a negative ``decay_rate``) or raises (``decay_steps <= 0``,
negative scales), the preset raises :class:`~lrplan.ConfigError` instead, naming the preset; a
negative boundary in ``piecewise_interpolate_schedule`` is refused too.

Example:
    >>> from lrplan.presets import optax as P
    >>> s = P.warmup_cosine_decay_schedule(0.0, peak_value=1.0, warmup_steps=5, decay_steps=15, end_value=0.1)
    >>> s
    warmup(cosine(init_value=1.0, decay_steps=10, end_value=0.1), steps=5)
    >>> s(4), s(5), s(10), s(15)
    (0.8, 1.0, 0.55, 0.1)

References:
    optax ``optax/schedules/_schedule.py`` and ``_join.py`` (optax 0.2.8).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .. import (
    Anneal,
    ConfigError,
    Constant,
    Cosine,
    Exponential,
    Join,
    Linear,
    PiecewiseConstant,
    Polynomial,
    Schedule,
    Shift,
    Warmup,
)
from ._args import Args, preset, shown

__all__ = [
    "constant_schedule",
    "polynomial_schedule",
    "linear_schedule",
    "piecewise_constant_schedule",
    "exponential_decay",
    "cosine_decay_schedule",
    "piecewise_interpolate_schedule",
    "linear_onecycle_schedule",
    "cosine_onecycle_schedule",
    "warmup_constant_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
    "sgdr_schedule",
    "join_schedules",
]


def _begin(c: Args, transition_begin: Any) -> float:
    b = c.real("transition_begin", transition_begin)
    return float(max(b, 0))  # optax: a negative begin falls back to 0


def _shifted(s: Schedule, begin: float) -> Schedule:
    return Shift(s, steps=begin) if begin > 0 else s


@preset
def constant_schedule(value: float) -> Schedule:
    r"""optax ``constant_schedule``: :math:`\eta(t) = v`.

    Example:
        >>> from lrplan.presets import optax as P
        >>> P.constant_schedule(5e-4)(10_000)
        0.0005
    """
    return Constant(Args("optax.constant_schedule").real("value", value))


@preset
def polynomial_schedule(
    init_value: float, end_value: float, power: float, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    r"""optax ``polynomial_schedule``: from ``init_value`` to ``end_value`` as :math:`(1 - c/T)^p`.

    With :math:`c = \text{clip}(t - B, 0, T)`:

    .. math:: \eta(t) = (\eta_0 - \eta_{end})(1 - c/T)^{p} + \eta_{end}

    Quirks kept: ``transition_steps <= 0`` gives the constant ``init_value``, a negative
    ``transition_begin`` counts as 0, and ``power=0`` is the constant ``init_value`` (:math:`0^0 = 1`).

    Args:
        init_value: :math:`\eta_0`.
        end_value: :math:`\eta_{end}`, held from :math:`B + T`.
        power: :math:`p` (>= 0: a negative power gives ``inf`` from :math:`B + T` on).
        transition_steps: :math:`T`.
        transition_begin: :math:`B`, steps held at ``init_value`` first.

    Example:
        >>> from lrplan.presets import optax as P
        >>> s = P.polynomial_schedule(1.0, 0.01, power=2, transition_steps=100, transition_begin=5)
        >>> s
        shift(polynomial(init_value=1.0, end_value=0.01, decay_steps=100, power=2), steps=5.0)
        >>> round(s(6), 4), s(105)
        (0.9803, 0.01)
    """
    c = Args("optax.polynomial_schedule")
    i = c.real("init_value", init_value)
    e = c.real("end_value", end_value)
    p = c.nonneg("power", power)
    n = c.real("transition_steps", transition_steps)
    b = _begin(c, transition_begin)
    if n <= 0 or p == 0:
        return Constant(i)
    return _shifted(Polynomial(init_value=i, end_value=e, decay_steps=n, power=p), b)


@preset
def linear_schedule(init_value: float, end_value: float, transition_steps: int, transition_begin: int = 0) -> Schedule:
    r"""optax ``linear_schedule``: linear from ``init_value`` to ``end_value`` over ``transition_steps``.

    .. math:: \eta(t) = \eta_0 + (\eta_{end} - \eta_0)\,\text{clip}(t - B, 0, T)/T

    Quirks kept: ``transition_steps <= 0`` gives the constant ``init_value``; a negative
    ``transition_begin`` counts as 0.

    Example:
        >>> from lrplan.presets import optax as P
        >>> s = P.linear_schedule(1.0, 0.1, transition_steps=10)
        >>> s
        linear(init_value=1.0, end_value=0.1, decay_steps=10)
        >>> s(5), s(10), P.linear_schedule(1.0, 0.1, transition_steps=0)(5)
        (0.55, 0.1, 1.0)
    """
    c = Args("optax.linear_schedule")
    i = c.real("init_value", init_value)
    e = c.real("end_value", end_value)
    n = c.real("transition_steps", transition_steps)
    b = _begin(c, transition_begin)
    if n <= 0:
        return Constant(i)
    return _shifted(Linear(init_value=i, end_value=e, decay_steps=n), b)


@preset
def piecewise_constant_schedule(
    init_value: float, boundaries_and_scales: Mapping[int, float] | None = None
) -> Schedule:
    r"""optax ``piecewise_constant_schedule``: ``init_value`` times every scale whose boundary is reached.

    .. math:: \eta(t) = \eta_0 \prod_{b \le t} s_b

    The change happens *at* the boundary (``t >= b``), unlike Keras. Boundaries at or below 0 apply
    from the first step.

    Args:
        init_value: :math:`\eta_0` (any sign).
        boundaries_and_scales: ``{step: scale}`` with scales >= 0, or None.

    Example:
        >>> from lrplan.presets import optax as P
        >>> s = P.piecewise_constant_schedule(1.0, {3: 0.1, 5: 0.1})
        >>> [round(s(t), 12) for t in range(7)]
        [1.0, 1.0, 1.0, 0.1, 0.1, 0.01, 0.01]
    """
    c = Args("optax.piecewise_constant_schedule")
    v = float(c.real("init_value", init_value))
    items = c.scales_dict("boundaries_and_scales", boundaries_and_scales)
    bounds: list[float] = []
    values = [v]
    for b, s in items:
        v = v * s
        if b <= 0:
            values[-1] = v
        else:
            bounds.append(b)
            values.append(v)
    if not bounds:
        return Constant(values[0])
    return PiecewiseConstant(boundaries=bounds, values=values)


def _exponential(
    c: Args, init: float, transition_steps: Any, decay_rate: Any, begin: float, staircase: Any, end_value: Any
) -> Schedule:
    n = c.real("transition_steps", transition_steps)
    r = c.real("decay_rate", decay_rate)
    if r < 0:
        raise c.fail("decay_rate", ">= 0 (optax gives NaN between whole periods with a negative rate)", decay_rate)
    stair = c.flag("staircase", staircase)
    e = None if end_value is None else float(c.real("end_value", end_value))
    if n <= 0 or r == 0:
        return Constant(init)
    if r == 1:  # optax clamps with min once the rate is >= 1
        return Constant(init if e is None else min(init, e))
    if init == 0:
        return Constant(0.0 if e is None else (max(0.0, e) if r < 1 else min(0.0, e)))
    if e is not None and init > 0 and ((r < 1 and e > init) or (r > 1 and e < init)):
        return Constant(e)  # the clamp wins from the first step
    return _shifted(Exponential(init_value=init, decay_rate=r, decay_steps=n, staircase=stair, end_value=e), begin)


@preset
def exponential_decay(
    init_value: float,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    r"""optax ``exponential_decay``: :math:`\eta_0\, r^{(t - B)/T}` after ``transition_begin``, clamped at ``end_value``.

    .. math::
        \eta(t) = \text{clamp}\left(\eta_0\, r^{e(t)},\ \eta_{end}\right), \quad
        e(t) = \max(t - B, 0)/T \ (\lfloor\cdot\rfloor \text{ with staircase})

    The clamp is a floor when :math:`r < 1` and a ceiling when :math:`r >= 1`; without it a rate above 1
    grows without bound, as in optax. Quirks kept:
    ``transition_steps <= 0`` or ``decay_rate == 0`` give the constant ``init_value``; a negative
    ``transition_begin`` counts as 0; an ``end_value`` on the wrong side of ``init_value`` holds
    ``end_value`` from step 0. Where optax overflows to NaN (``init_value=0`` with ``decay_rate > 1``
    computes ``0 * inf`` once :math:`r^{e(t)}` overflows), the preset holds its value, 0.

    Args:
        init_value: :math:`\eta_0` (any sign).
        transition_steps: :math:`T`.
        decay_rate: :math:`r` (>= 0; above 1 the value grows).
        transition_begin: :math:`B`.
        staircase: floor the exponent.
        end_value: the clamp, or None.

    Example:
        >>> from lrplan.presets import optax as P
        >>> s = P.exponential_decay(1.0, transition_steps=10, decay_rate=0.5, end_value=0.2)
        >>> s(0), s(10), s(100)
        (1.0, 0.5, 0.2)
    """
    c = Args("optax.exponential_decay")
    i = float(c.real("init_value", init_value))
    b = _begin(c, transition_begin)
    return _exponential(c, i, transition_steps, decay_rate, b, staircase, end_value)


def _exponent(c: Args, exponent: Any) -> float | int:
    x = c.real("exponent", exponent)
    if x < 0:
        raise c.fail("exponent", ">= 0 (a negative exponent gives inf at the end of the decay in optax)", exponent)
    return x


def _cosine(c: Args, init: float, decay_steps: Any, alpha: float, exponent: Any) -> Schedule:
    k = c.positive("decay_steps", decay_steps)
    x = _exponent(c, exponent)
    if x == 0:
        return Constant(init)  # c**0 == 1 everywhere, 0**0 included
    return Cosine(init_value=init, decay_steps=k, end_value=alpha * init, exponent=x)


@preset
def cosine_decay_schedule(init_value: float, decay_steps: int, alpha: float = 0.0, exponent: float = 1.0) -> Schedule:
    r"""optax ``cosine_decay_schedule``: cosine from ``init_value`` to ``alpha * init_value`` over ``decay_steps``.

    .. math:: \eta(t) = \eta_0\left((1 - \alpha)\left[\tfrac12\left(1 + \cos\frac{\pi \min(t, K)}{K}\right)\right]^{e} + \alpha\right)

    The exponent applies to the cosine factor only. ``exponent=0`` is the constant ``init_value``.

    Args:
        init_value: :math:`\eta_0` (any sign).
        decay_steps: :math:`K` (> 0).
        alpha: the final value as a fraction of ``init_value`` (any sign).
        exponent: :math:`e` (>= 0).

    Example:
        >>> from lrplan.presets import optax as P
        >>> s = P.cosine_decay_schedule(1.0, decay_steps=100, alpha=0.1)
        >>> s
        cosine(init_value=1.0, decay_steps=100, end_value=0.1)
        >>> s(50), s(1000)
        (0.55, 0.1)
    """
    c = Args("optax.cosine_decay_schedule")
    i = float(c.real("init_value", init_value))
    a = float(c.real("alpha", alpha))
    return _cosine(c, i, decay_steps, a, exponent)


def _interpolate(c: Args, kind: str, init: float, items: list[tuple[float | int, float | int]]) -> Schedule:
    for b, _ in items:
        if b < 0:
            raise c.fail("boundaries_and_scales", "a dict whose boundaries are >= 0", dict(items))
    bounds = [0.0] + [float(b) for b, _ in items]
    values = [init]
    for _, s in items:
        values.append(values[-1] * s)
    if not items:
        return Constant(init)
    children: list[Schedule] = []
    starts: list[float] = []
    for k in range(1, len(bounds)):
        lo, hi = bounds[k - 1], bounds[k]
        if hi <= lo:
            continue  # an empty interval (a boundary at 0)
        length = max(hi - lo, 1.0)  # optax: interval sizes of at least one step
        if kind == "linear":
            child: Schedule = Linear(init_value=values[k - 1], end_value=values[k], decay_steps=length)
        else:
            child = Anneal(init_value=values[k - 1], end_value=values[k], steps=length, shape="cosine")
        children.append(child)
        starts.append(lo)
    last_len = bounds[-1] - bounds[-2]
    if not children or last_len < 1:  # a short last interval is cut before its end value
        children.append(Constant(values[-1]))
        starts.append(bounds[-1])
    if len(children) == 1:
        return children[0]
    return Join(children, boundaries=starts[1:])


@preset
def piecewise_interpolate_schedule(
    interpolate_type: str, init_value: float, boundaries_and_scales: Mapping[int, float] | None = None
) -> Schedule:
    r"""optax ``piecewise_interpolate_schedule``: linear or cosine interpolation between cumulative-scale nodes.

    With sorted boundaries :math:`b_1 < \dots < b_n`, :math:`b_0 = 0`, node values
    :math:`v_0 = \eta_0` and :math:`v_k = v_{k-1} s_k` (**cumulative products** of the scales, quirk
    kept), on :math:`[b_{k-1}, b_k)` the value goes from :math:`v_{k-1}` towards :math:`v_k` with
    :math:`p = (t - b_{k-1})/\max(b_k - b_{k-1}, 1)`; from :math:`b_n` on it is :math:`v_n`. The
    preset is a :func:`lrplan.join` of :func:`lrplan.linear` or cosine :func:`lrplan.anneal`
    phases. Negative boundaries are not supported.

    Args:
        interpolate_type: ``"linear"`` or ``"cosine"``.
        init_value: :math:`\eta_0` (any sign).
        boundaries_and_scales: ``{step: scale}`` with scales >= 0, or None.

    Example:
        >>> from lrplan.presets import optax as P
        >>> s = P.piecewise_interpolate_schedule("linear", 1.0, {4: 0.1, 8: 0.01})
        >>> [round(s(t), 6) for t in (0, 2, 4, 6, 8, 10)]
        [1.0, 0.55, 0.1, 0.0505, 0.001, 0.001]
    """
    c = Args("optax.piecewise_interpolate_schedule")
    kind = c.choice("interpolate_type", interpolate_type, ("linear", "cosine"))
    i = float(c.real("init_value", init_value))
    return _interpolate(c, kind, i, c.scales_dict("boundaries_and_scales", boundaries_and_scales))


def _onecycle_checks(c: Args, transition_steps: Any, peak_value: Any, div: Any, final_div: Any) -> tuple[Any, ...]:
    n = c.real("transition_steps", transition_steps)
    if n <= 0:
        raise c.fail("transition_steps", "> 0", transition_steps)
    return (
        n,
        float(c.real("peak_value", peak_value)),
        float(c.positive("div_factor", div)),  # optax refuses the negative scales a negative factor makes
        float(c.positive("final_div_factor", final_div)),
    )


def _pct(c: Args, name: str, pct: Any, n: Any) -> int:
    p = c.real(name, pct)
    if int(p * n) < 0:
        raise c.fail(name, ">= 0", pct)
    return int(p * n)


@preset
def linear_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    pct_final: float = 0.85,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    r"""optax ``linear_onecycle_schedule``: three linear phases through :math:`P/d`, :math:`P`, :math:`P/d`, :math:`P/(d f)`.

    It is :func:`piecewise_interpolate_schedule` ``("linear", P/d, {int(pct_start T): d,
    int(pct_final T): 1/d, T: 1/f})``, built the same way (so coinciding boundaries overwrite one
    another as in optax's dict). :math:`d` = ``div_factor``, :math:`f` = ``final_div_factor``.

    Example:
        >>> from lrplan.presets import optax as P
        >>> s = P.linear_onecycle_schedule(100, peak_value=1.0)
        >>> s(0), s(30), s(85), round(s(100), 8)
        (0.04, 1.0, 0.04, 4e-06)
    """
    c = Args("optax.linear_onecycle_schedule")
    n, peak, div, final = _onecycle_checks(c, transition_steps, peak_value, div_factor, final_div_factor)
    a = _pct(c, "pct_start", pct_start, n)
    b = _pct(c, "pct_final", pct_final, n)
    scales = {a: div, b: 1.0 / div, transition_steps: 1.0 / final}
    return _interpolate(c, "linear", peak / div, c.scales_dict("boundaries_and_scales", scales))


@preset
def cosine_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    r"""optax ``cosine_onecycle_schedule``: cosine up from :math:`P/d` to :math:`P`, then down to :math:`P/(d f)`.

    It is :func:`piecewise_interpolate_schedule` ``("cosine", P/d, {int(pct_start T): d,
    T: 1/(d f)})``: the peak is at step ``int(pct_start * T)``, the end value :math:`P/(d f)` at
    :math:`T` (note: ``final_div_factor`` divides the *initial* value, :math:`4 \cdot 10^{-6} P` with
    the defaults).

    Example:
        >>> from lrplan.presets import optax as P
        >>> s = P.cosine_onecycle_schedule(100, peak_value=1.0)
        >>> s(0), s(30), round(s(100), 8)
        (0.04, 1.0, 4e-06)
    """
    c = Args("optax.cosine_onecycle_schedule")
    n, peak, div, final = _onecycle_checks(c, transition_steps, peak_value, div_factor, final_div_factor)
    a = _pct(c, "pct_start", pct_start, n)
    scales = {a: div, int(transition_steps): 1.0 / (div * final)}
    return _interpolate(c, "cosine", peak / div, c.scales_dict("boundaries_and_scales", scales))


def _warmup(c: Args, init: float, warmup_steps: Any, after: Schedule) -> Schedule:
    w = c.nonneg("warmup_steps", warmup_steps)
    return Warmup(after, steps=w, init_value=init) if w > 0 else after


@preset
def warmup_constant_schedule(init_value: float, peak_value: float, warmup_steps: int) -> Schedule:
    r"""optax ``warmup_constant_schedule``: linear from ``init_value`` to ``peak_value`` over ``warmup_steps``, then constant.

    Quirk kept: it *is* ``linear_schedule(init_value, peak_value, warmup_steps)``, so
    ``warmup_steps=0`` gives the constant **init_value**, not the peak.

    Example:
        >>> from lrplan.presets import optax as P
        >>> s = P.warmup_constant_schedule(0.0, 1.0, warmup_steps=4)
        >>> s(2), s(4), s(100)
        (0.5, 1.0, 1.0)
        >>> P.warmup_constant_schedule(0.0, 1.0, warmup_steps=0)(100)
        0.0
    """
    c = Args("optax.warmup_constant_schedule")
    i = c.real("init_value", init_value)
    p = c.real("peak_value", peak_value)
    w = c.real("warmup_steps", warmup_steps)
    if w <= 0:
        return Constant(i)
    return Linear(init_value=i, end_value=p, decay_steps=w)


@preset
def warmup_cosine_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    decay_steps: int,
    end_value: float = 0.0,
    exponent: float = 1.0,
) -> Schedule:
    r"""optax ``warmup_cosine_decay_schedule``: linear warmup to ``peak_value``, then cosine to ``end_value``.

    .. math::
        \eta(t) = \begin{cases}
            \eta_0 + (P - \eta_0)\, t/W & t < W \\
            E + (P - E)\left[\tfrac12\left(1 + \cos\frac{\pi \min(t - W, D - W)}{D - W}\right)\right]^{e} & t \ge W
        \end{cases}

    ``decay_steps`` :math:`D` **includes** the warmup (Keras's ``CosineDecay`` excludes it). Quirks
    kept: with ``warmup_steps=0`` the value at step 0 is the peak (``init_value`` is unused); with
    ``peak_value=0`` the decay is 0 whatever ``end_value`` is (optax scales ``end_value`` by
    ``1/peak_value``, taken as 0).

    Args:
        init_value: :math:`\eta_0` (any sign).
        peak_value: :math:`P` (any sign).
        warmup_steps: :math:`W` (>= 0).
        decay_steps: :math:`D` (> ``warmup_steps``), the total length.
        end_value: :math:`E` (any sign, also above :math:`P`).
        exponent: :math:`e` (>= 0).

    Example:
        >>> from lrplan.presets import optax as P
        >>> s = P.warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=0, decay_steps=10)
        >>> s(0), s(5), s(10)
        (1.0, 0.5, 0.0)
    """
    c = Args("optax.warmup_cosine_decay_schedule")
    i = float(c.real("init_value", init_value))
    p = float(c.real("peak_value", peak_value))
    w = c.nonneg("warmup_steps", warmup_steps)
    d = c.real("decay_steps", decay_steps)
    e = float(c.real("end_value", end_value))
    if d <= w:
        raise c.fail("decay_steps", f"> warmup_steps={shown(warmup_steps)} (it includes the warmup)", decay_steps)
    x = _exponent(c, exponent)
    decay: Schedule
    if x == 0:
        decay = Constant(p)  # c**0 == 1 everywhere, 0**0 included
    elif p == 0:  # optax: peak * ((1 - alpha) c^x + alpha) with alpha = end / peak, taken as 0 when peak == 0
        decay = Constant(0.0)
    else:
        decay = Cosine(init_value=p, decay_steps=d - w, end_value=e, exponent=x)
    return _warmup(c, i, w, decay)


@preset
def warmup_exponential_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    r"""optax ``warmup_exponential_decay_schedule``: linear warmup to ``peak_value``, then :func:`exponential_decay`.

    The decay runs on its own clock from the end of the warmup (its ``transition_begin`` counts from
    there). Quirks kept: those of :func:`exponential_decay`, and ``warmup_steps=0`` starts at the peak.

    Example:
        >>> from lrplan.presets import optax as P
        >>> s = P.warmup_exponential_decay_schedule(0.0, 1.0, warmup_steps=10, transition_steps=10, decay_rate=0.5)
        >>> s
        warmup(exponential(init_value=1.0, decay_rate=0.5, decay_steps=10), steps=10)
        >>> s(5), s(10), s(20)
        (0.5, 1.0, 0.5)
    """
    c = Args("optax.warmup_exponential_decay_schedule")
    i = float(c.real("init_value", init_value))
    p = float(c.real("peak_value", peak_value))
    b = _begin(c, transition_begin)
    w = c.nonneg("warmup_steps", warmup_steps)
    decay = _exponential(c, p, transition_steps, decay_rate, b, staircase, end_value)
    if w == 0:
        return decay
    if decay(0) != p:  # an end_value on the wrong side of the peak: the warmup still ends at the peak
        return Join([Linear(init_value=i, end_value=p, decay_steps=w), decay], boundaries=[w])
    return Warmup(decay, steps=w, init_value=i)


@preset
def sgdr_schedule(cosine_kwargs: Iterable[Mapping[str, Any]]) -> Schedule:
    r"""optax ``sgdr_schedule``: cycles of :func:`warmup_cosine_decay_schedule`, one per dict of arguments.

    Cycle :math:`i` lasts its ``decay_steps`` (warmup included) and restarts on its own clock, with
    its own warmup; the last cycle holds its ``end_value``.

    Args:
        cosine_kwargs: dicts of :func:`warmup_cosine_decay_schedule` arguments.

    Example:
        >>> from lrplan.presets import optax as P
        >>> cycle = dict(init_value=0.0, peak_value=1.0, warmup_steps=2, decay_steps=10)
        >>> s = P.sgdr_schedule([cycle, cycle])
        >>> s(2), s(10), s(12), s(100)
        (1.0, 0.0, 1.0, 0.0)
    """
    c = Args("optax.sgdr_schedule")
    if isinstance(cosine_kwargs, (str, bytes, Mapping)) or not isinstance(cosine_kwargs, Iterable):
        raise c.fail("cosine_kwargs", "a list of dicts of warmup_cosine_decay_schedule arguments", cosine_kwargs)
    items = list(cosine_kwargs)
    if not items:
        raise c.fail("cosine_kwargs", "a non-empty list of dicts", cosine_kwargs)
    children: list[Schedule] = []
    bounds: list[float] = []
    step = 0.0
    for k, kw in enumerate(items):
        if not isinstance(kw, Mapping):
            raise c.fail(f"cosine_kwargs[{k}]", "a dict of warmup_cosine_decay_schedule arguments", kw)
        try:
            children.append(warmup_cosine_decay_schedule(**kw))
        except TypeError as e:
            raise ConfigError(
                f"{c.owner}: `cosine_kwargs[{k}]` has a bad argument list ({e}). Received: {shown(kw)}."
            ) from None
        step += kw["decay_steps"]
        bounds.append(step)
    if len(children) == 1:
        return children[0]
    return Join(children, boundaries=bounds[:-1])


@preset
def join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    r"""optax ``join_schedules``: schedule :math:`i` from ``boundaries[i-1]`` on, on its own clock.

    .. math:: \eta(t) = f_i(t - b_{i-1}) \quad \text{for } b_{i-1} \le t < b_i \quad (b_{-1} = 0)

    This is :func:`lrplan.join`; the schedules must be lrplan schedules (for instance other presets).

    Example:
        >>> from lrplan.presets import optax as P
        >>> s = P.join_schedules([P.constant_schedule(1.0), P.linear_schedule(0.5, 0.0, 10)], boundaries=[5])
        >>> s(4), s(5), s(10)
        (1.0, 0.5, 0.25)
    """
    c = Args("optax.join_schedules")
    children = c.schedules("schedules", schedules)
    bounds = c.steps_list("boundaries", boundaries)
    if len(bounds) != len(children) - 1:
        raise c.fail("boundaries", f"{len(children) - 1} step(s), one fewer than `schedules`", boundaries)
    if len(children) == 1:
        return children[0]
    return Join(children, boundaries=bounds)
