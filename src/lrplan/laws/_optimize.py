"""The schedule that minimizes a law's predicted final loss, within a family and under constraints."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import Schedule, constant, cosine, join, linear, warmup, wsd
from ._checks import fail, lr_values, require_choice
from ._fit import _scipy_optimize
from ._values import Law

__all__ = ["optimize", "Optimized", "Baseline", "FAMILIES", "baselines"]

Array = NDArray[np.float64]
FAMILIES = ("free", "wsd", "cosine", "linear", "all")
"""Families :func:`optimize` searches; ``"all"`` tries each and keeps the best."""
_SHAPES = ("linear", "cosine", "1-sqrt", "square", "exponential")


@dataclasses.dataclass(frozen=True)
class Baseline:
    """A reference schedule and how much the optimized one beats it under the law.

    ``gain`` is the baseline's predicted final loss minus the optimized one's (> 0: the optimized
    schedule is predicted better); ``gain_se`` its standard error over the fit's ensemble (0 without one).

    Example:
        >>> import lrplan.laws
        >>> law = lrplan.laws.MomentumLaw(L0=3.07, A=0.49, alpha=0.57, C=0.4)
        >>> b = lrplan.laws.optimize(law, 24_000, peak_value=3e-4, warmup_steps=2_160, family="wsd").gain_over("cosine")
        >>> b.name, b.gain > 0, b.gain_se
        ('cosine', True, 0.0)
    """

    name: str
    schedule: Schedule
    final_loss: float
    gain: float
    gain_se: float


@dataclasses.dataclass(frozen=True)
class Optimized:
    """The result of :func:`optimize`: the schedule, its predicted final loss and the baselines.

    ``final_loss_se`` is the standard error of the predicted final loss over the fit's ensemble.

    Example:
        >>> import lrplan.laws
        >>> law = lrplan.laws.MomentumLaw(L0=3.07, A=0.49, alpha=0.57, C=0.4)
        >>> best = lrplan.laws.optimize(law, 24_000, peak_value=3e-4, warmup_steps=2_160, family="cosine")
        >>> best.family, [b.name for b in best.baselines], round(best.final_loss, 4)
        ('cosine', ['cosine', 'wsd'], 3.3073)
    """

    schedule: Schedule
    family: str
    total_steps: int
    final_loss: float
    final_loss_se: float
    baselines: tuple[Baseline, ...]

    def gain_over(self, name: str) -> Baseline:
        """The baseline called ``name`` (``"cosine"`` or ``"wsd"``)."""
        for b in self.baselines:
            if b.name == name:
                return b
        raise fail("Optimized.gain_over", "name", "one of " + ", ".join(b.name for b in self.baselines), name)

    def __str__(self) -> str:
        lines = [f"{self.family}: {self.schedule}", f"  predicted final loss {self.final_loss:.4f}"]
        for b in self.baselines:
            lines.append(f"  {b.name}: {b.final_loss:.4f}  gain {b.gain:+.4f} (se {b.gain_se:.4f})  {b.schedule}")
        return "\n".join(lines)


def baselines(total_steps: int, peak_value: float, warmup_steps: int = 0, floor: float = 0.0) -> dict[str, Schedule]:
    """The reference schedules of :func:`optimize`: cosine to ``floor``, and WSD with a 20 % 1-sqrt cooldown.

    Both warm up linearly over ``warmup_steps`` and end at ``total_steps``.

    Example:
        >>> for name, s in baselines(1_000, 1e-3, 100).items(): print(name, s)
        cosine warmup(cosine(init_value=0.001, decay_steps=900), steps=100)
        wsd wsd(peak_value=0.001, warmup_steps=100, stable_steps=720, decay_steps=180)
    """
    span = total_steps - warmup_steps
    decay = round(0.2 * span)
    return {
        "cosine": warmup(cosine(init_value=peak_value, decay_steps=span, end_value=floor), steps=warmup_steps),
        "wsd": wsd(
            peak_value=peak_value,
            warmup_steps=warmup_steps,
            stable_steps=span - decay,
            decay_steps=decay,
            end_value=floor,
        ),
    }


def _knots(span: int, count: int) -> NDArray[np.int64]:
    """Knot steps after the warmup, denser towards the end (where the decay happens)."""
    x = 1.0 - (1.0 - np.linspace(0.0, 1.0, count + 1)) ** 2
    out = np.unique(np.round(x * span).astype(np.int64))
    return out


def _free_values(r: Array, peak: float, floor: float) -> Array:
    """Knot values: ``floor + (peak - floor) * prod(r[:i])``, non-increasing from ``peak``."""
    return floor + (peak - floor) * np.concatenate([[1.0], np.cumprod(r)])


def _free_schedule(knots: NDArray[np.int64], values: Array, warmup_steps: int) -> Schedule:
    """The piecewise-linear schedule through ``(knots, values)`` after a linear warmup, holding the last
    value; knots where the slope does not change are dropped, flat pieces are constants."""
    keep = [0]
    for i in range(1, len(knots) - 1):
        left = (values[i] - values[keep[-1]]) / (knots[i] - knots[keep[-1]])
        right = (values[i + 1] - values[i]) / (knots[i + 1] - knots[i])
        if abs(left - right) > 1e-12 * max(abs(values[0]), 1e-300) / max(int(knots[-1]), 1):
            keep.append(i)
    keep.append(len(knots) - 1)
    pieces: list[Schedule] = []
    for s, e in itertools.pairwise(keep):
        a, b = float(values[s]), float(values[e])
        pieces.append(
            constant(a) if a == b else linear(init_value=a, end_value=b, decay_steps=int(knots[e] - knots[s]))
        )
    bounds = [int(knots[i]) for i in keep[1:-1]]
    if values[keep[-2]] != values[-1]:  # hold the last value after a final decrease
        pieces.append(constant(float(values[-1])))
        bounds.append(int(knots[-1]))
    body = join(pieces, boundaries=bounds) if len(pieces) > 1 else pieces[0]
    return warmup(body, steps=warmup_steps) if warmup_steps else body


def optimize(
    law: Law,
    total_steps: int,
    *,
    peak_value: float,
    warmup_steps: int = 0,
    floor: float = 0.0,
    family: str = "free",
    knots: int = 12,
) -> Optimized:
    """The schedule minimizing ``law``'s predicted loss after ``total_steps`` updates.

    Constraints: a linear warmup from 0 to ``peak_value`` over ``warmup_steps``, then values in
    ``[floor, peak_value]``, non-increasing. Families:

    * ``"free"``: piecewise linear through ``knots`` knots (denser towards the end), each value a free
      fraction of the previous one's distance to ``floor``;
    * ``"wsd"``: warmup-stable-decay with the cooldown length (2 % to 90 % of the steps after warmup)
      and its shape (linear, cosine, 1-sqrt, square, exponential) searched;
    * ``"cosine"`` and ``"linear"``: decay over all the steps after warmup to a searched end value >= ``floor``;
    * ``"all"``: each of the above; the best is returned.

    The result (:class:`Optimized`) is an lrplan schedule built from lrplan schedules and combinators
    (it prints as a spec and serializes), its predicted final loss, and the gain over the
    :func:`baselines` cosine and WSD with standard errors over the fit's ensemble (for a fitted law).

    Example:
        >>> import lrplan.laws
        >>> law = lrplan.laws.MultiPowerLaw(L0=3.04045406, A=0.52468604, alpha=0.50786857, B=363.78751622,
        ...                                 C=2.06560812, beta=0.58279013, gamma=0.64142257)
        >>> best = lrplan.laws.optimize(law, 24_000, peak_value=3e-4, warmup_steps=2_160, family="wsd")
        >>> best.final_loss < best.gain_over("cosine").final_loss
        True

    References:
        Luo et al. 2025, https://arxiv.org/abs/2503.12811 (schedules optimized under the multi-power law);
        Hägele et al. 2024, https://arxiv.org/abs/2405.18392 (WSD with a 1-sqrt cooldown).
    """
    owner = "optimize"
    if not isinstance(law, Law):
        raise fail(owner, "law", "an lrplan.laws law (MultiPowerLaw or MomentumLaw)", law)
    require_choice(owner, "family", family, FAMILIES)
    if isinstance(total_steps, bool) or not isinstance(total_steps, (int, np.integer)) or total_steps < 2:
        raise fail(owner, "total_steps", "an integer >= 2", total_steps)
    if (
        isinstance(warmup_steps, bool)
        or not isinstance(warmup_steps, (int, np.integer))
        or not 0 <= warmup_steps < total_steps - 1
    ):
        raise fail(owner, "warmup_steps", f"an integer in [0, total_steps - 1) = [0, {total_steps - 1})", warmup_steps)
    if not (isinstance(peak_value, (int, float)) and math.isfinite(peak_value) and peak_value > 0):
        raise fail(owner, "peak_value", "a number > 0", peak_value)
    if not (isinstance(floor, (int, float)) and math.isfinite(floor) and 0 <= floor < peak_value):
        raise fail(owner, "floor", f"in [0, peak_value={peak_value!r})", floor)
    if isinstance(knots, bool) or not isinstance(knots, int) or knots < 2:
        raise fail(owner, "knots", "an integer >= 2", knots)
    total, w, peak = int(total_steps), int(warmup_steps), float(peak_value)
    final = np.array([total - 1])
    ramp = np.arange(w) / w * peak if w else np.zeros(0)

    def loss_of(lrs: Array) -> float:
        return float(law._curve(lrs, final, "direct")[0])

    def loss_of_schedule(s: Schedule) -> float:
        return loss_of(lr_values(owner, s, total))

    candidates: list[tuple[float, str, Schedule]] = []
    families = ("free", "wsd", "cosine", "linear") if family == "all" else (family,)
    for fam in families:
        if fam == "free":
            seed = _optimize_wsd(loss_of_schedule, total, w, peak, float(floor))
            s = _optimize_free(loss_of, seed, total, w, peak, float(floor), knots, ramp)
        elif fam == "wsd":
            s = _optimize_wsd(loss_of_schedule, total, w, peak, float(floor))
        else:
            s = _optimize_end(loss_of_schedule, total, w, peak, float(floor), fam)
        candidates.append((loss_of_schedule(s), fam, s))
    best_loss, best_family, best = min(candidates, key=lambda c: c[0])

    def spread(f: Callable[[Law], float]) -> float:
        return float(law._standard_error(lambda member: np.float64(f(member))))

    def final_under(member: Law, s: Schedule) -> float:
        return float(member._curve(lr_values(owner, s, total), final, "direct")[0])

    out = []
    for name, s in baselines(total, peak, w, float(floor)).items():
        base_loss = loss_of_schedule(s)
        se = spread(lambda m, s=s: final_under(m, s) - final_under(m, best))  # type: ignore[misc]
        out.append(Baseline(name, s, base_loss, base_loss - best_loss, se))
    return Optimized(
        schedule=best,
        family=best_family,
        total_steps=total,
        final_loss=best_loss,
        final_loss_se=spread(lambda m: final_under(m, best)),
        baselines=tuple(out),
    )


def _optimize_free(
    loss_of: Callable[[Array], float],
    seed: Schedule,
    total: int,
    w: int,
    peak: float,
    floor: float,
    count: int,
    ramp: Array,
) -> Schedule:
    opt = _scipy_optimize()
    span = total - 1 - w
    knots = _knots(span, count)
    grid = np.arange(total - w)

    def lrs_of(r: Array) -> Array:
        values = _free_values(r, peak, floor)
        return np.concatenate([ramp, np.interp(grid, knots, values)])

    def objective(r: Array) -> float:
        return loss_of(lrs_of(np.clip(r, 0.0, 1.0)))

    n = len(knots) - 1
    # the best WSD through the knots is one start: the free form does at least about as well
    above = seed(w + knots) - floor
    with np.errstate(divide="ignore", invalid="ignore"):
        from_seed = np.clip(np.where(above[:-1] > 0, above[1:] / above[:-1], 0.0), 0.0, 1.0)
    starts = [from_seed, np.full(n, 0.9), np.r_[np.ones(n - 1), 0.02]]
    best: Any = None
    for x0 in starts:
        res = opt.minimize(objective, x0, method="L-BFGS-B", bounds=[(0.0, 1.0)] * n, options={"maxiter": 300})
        if best is None or res.fun < best.fun:
            best = res
    values = _free_values(np.clip(best.x, 0.0, 1.0), peak, floor)
    return _free_schedule(knots, values, w)


def _optimize_wsd(
    loss_of_schedule: Callable[[Schedule], float], total: int, w: int, peak: float, floor: float
) -> Schedule:
    opt = _scipy_optimize()
    span = total - w

    def make(fraction: float, shape: str) -> Schedule:
        decay = max(1, min(span - 1, round(fraction * span)))
        return wsd(
            peak_value=peak,
            warmup_steps=w,
            stable_steps=span - decay,
            decay_steps=decay,
            end_value=floor,
            decay_shape=shape,
        )

    found = []
    for shape in _SHAPES:
        if shape == "exponential" and floor <= 0:
            continue
        res = opt.minimize_scalar(
            lambda f, shape=shape: loss_of_schedule(make(f, shape)),
            bounds=(0.02, 0.9),
            method="bounded",
            options={"xatol": 1e-3},
        )
        for fraction in (float(res.x), 0.2, 0.02, 0.9):  # the search never lands on the bounds exactly
            s = make(fraction, shape)
            found.append((loss_of_schedule(s), s))
    return min(found, key=lambda t: t[0])[1]


def _optimize_end(
    loss_of_schedule: Callable[[Schedule], float], total: int, w: int, peak: float, floor: float, family: str
) -> Schedule:
    opt = _scipy_optimize()
    span = total - w

    def make(end: float) -> Schedule:
        body = (
            cosine(init_value=peak, decay_steps=span, end_value=end)
            if family == "cosine"
            else linear(init_value=peak, end_value=end, decay_steps=span)
        )
        return warmup(body, steps=w) if w else body

    res = opt.minimize_scalar(
        lambda e: loss_of_schedule(make(e)), bounds=(floor, peak), method="bounded", options={"xatol": 1e-3 * peak}
    )
    return min((make(e) for e in (float(res.x), floor)), key=loss_of_schedule)
