"""The learning-rate range test, split in two: a ramp any training loop can run, and a framework-free analysis.

1. :class:`RangeTestSchedule` (``lrplan.range_test_schedule``): an exponential or linear ramp from
   ``min_value`` to ``max_value`` over ``steps`` updates; an ordinary schedule, so it serialises and runs
   in every adapter.
2. :func:`suggest_lr` ``(lrs, losses)``: smooths the recorded losses, trims the burn-in, stops at
   divergence, takes the slope in log-learning-rate space and returns a :class:`Suggestion` that says
   *why* (or why not): a verdict, a reason, diagnostics, and a ``plot()``.

The library never owns the model or the data loop, so the test works the same under DDP: pass losses
already averaged across ranks. A range test measures how fast the *training* loss falls over a
short ramp; it is a starting point, least reliable for models that need long warmups (Transformers),
for which it tends to suggest rates that are too high.

References:
    Smith 2017, "Cyclical Learning Rates for Training Neural Networks", https://arxiv.org/abs/1506.01186
    (the range test); fastai ``lr_find`` and ``torch-lr-finder`` (EMA smoothing, stopping at 4x the best loss).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from . import fields
from ._base import Schedule
from ._errors import ConfigError
from ._ops import Ops
from ._registry import builtin
from ._validate import fail, require_in_range, require_int, require_positive

__all__ = ["RangeTestSchedule", "Suggestion", "suggest_lr", "plot_range_test", "VERDICTS"]

VERDICTS = ("ok", "flat", "diverging", "non_finite", "too_few_points")
"""Every :attr:`Suggestion.verdict`; only ``"ok"`` comes with a learning rate."""


@builtin("range_test_schedule")
@fields.schedule_dataclass
class RangeTestSchedule(Schedule):
    r"""The learning-rate ramp of a range test: ``min_value`` at step 0 to ``max_value`` at step ``steps - 1``.

    .. math::
        t = \min\Bigl(\frac{s}{N - 1}, 1\Bigr), \qquad
        \eta(s) = \begin{cases}
            m \,(M/m)^{t} & \text{exponential} \\
            m + (M - m)\,t & \text{linear}
        \end{cases}

    with :math:`m` = ``min_value``, :math:`M` = ``max_value``, :math:`N` = ``steps`` (the number of
    updates in the test; the last one, step :math:`N-1`, uses :math:`M`). Held at :math:`M` afterwards.

    Args:
        min_value: the first learning rate (> 0).
        max_value: the last learning rate (> ``min_value``).
        steps: the number of updates in the test, an integer >= 2.
        shape: ``"exponential"`` (evenly spaced in log scale, the usual choice) or ``"linear"``.

    Example:
        >>> import lrplan
        >>> ramp = lrplan.range_test_schedule(min_value=1e-4, max_value=1.0, steps=5)
        >>> [round(ramp(k), 6) for k in range(6)]
        [0.0001, 0.001, 0.01, 0.1, 1.0, 1.0]
        >>> lrplan.parse(str(ramp)) == ramp
        True

    References:
        Smith 2017, https://arxiv.org/abs/1506.01186 (section 3.3, the "LR range test").
    """

    min_value: float = fields.positive()
    max_value: float = fields.positive()
    steps: int = fields.count(minimum=2)
    shape: str = fields.choice(("exponential", "linear"), default="exponential")

    def validate(self) -> None:
        if self.max_value <= self.min_value:
            raise self.config_error("max_value", f"> min_value={self.min_value!r}", self.max_value)

    def formula(self, s: Any, ops: Ops) -> Any:
        t = ops.minimum(s / float(self.steps - 1), 1.0)  # a float: an int past 2**31 overflows jax
        if self.shape == "linear":
            return self.min_value + (self.max_value - self.min_value) * t
        return self.min_value * ops.exp(t * math.log(self.max_value / self.min_value))

    @property
    def horizon(self) -> float | None:
        return float(self.steps - 1)

    def breakpoints(self) -> tuple[float, ...]:
        return (float(self.steps - 1),)

    def continuous_at(self) -> tuple[float, ...]:
        return (float(self.steps - 1),)


@dataclasses.dataclass(frozen=True, eq=False)
class Suggestion:
    """What :func:`suggest_lr` concluded, and why.

    Attributes:
        lr: the suggested learning rate, or ``None`` when the verdict is not ``"ok"``.
        verdict: one of :data:`VERDICTS`.
        reason: one sentence explaining the verdict (and what to try next).
        lrs, losses: the inputs (float64 arrays).
        smoothed: the smoothed loss over the analysed part (``NaN`` elsewhere).
        start, stop: the analysed index range ``[start, stop)`` (after the burn-in, before divergence).
        index: the index of the suggestion (or ``None``).
        min_index: the index of the smallest smoothed loss (or ``None``).
        slope: the slope of the smoothed loss at the suggestion, per unit of ``ln(lr)`` (or ``None``).
        diverged_at: the index at which the loss diverged (or ``None``).
        notes: further remarks (a cut at a NaN, a minimum at the edge of the range, ...).

    Example:
        >>> import numpy as np, lrplan
        >>> lrs = np.geomspace(1e-4, 1.0, 100)
        >>> losses = 2.0 - np.tanh(3 + np.log10(lrs)) + np.where(lrs > 0.3, 50 * (lrs - 0.3), 0.0)
        >>> s = lrplan.suggest_lr(lrs, losses)
        >>> s.verdict, round(s.lr, 5), s.diverged_at
        ('ok', 0.00102, 91)
    """

    lr: float | None
    verdict: str
    reason: str
    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    start: int
    stop: int
    index: int | None = None
    min_index: int | None = None
    slope: float | None = None
    diverged_at: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def lr_at_min(self) -> float | None:
        """The learning rate at the smallest smoothed loss (a common upper bound), or ``None``."""
        return None if self.min_index is None else float(self.lrs[self.min_index])

    def __str__(self) -> str:
        head = f"suggested lr {self.lr:.3g}" if self.lr is not None else "no suggestion"
        text = f"{head} ({self.verdict}): {self.reason}"
        return text + "".join(f"\n  note: {n}" for n in self.notes)

    def plot(self, ax: Any = None, path: str | None = None) -> Any:
        """Plot the loss against the learning rate with the suggestion marked; see :func:`plot_range_test`."""
        return plot_range_test(self, ax=ax, path=path)


def _ema(x: np.ndarray, beta: float) -> np.ndarray:
    """Causal exponential moving average with bias correction (fastai's smoothing)."""
    out = np.empty_like(x)
    avg = 0.0
    for i, v in enumerate(x):
        avg = beta * avg + (1.0 - beta) * v
        out[i] = avg / (1.0 - beta ** (i + 1))
    return out


def _divergence_limit(best: float, start: float, diverge: float) -> float:
    if best > 0:
        return diverge * best
    return best + (diverge - 1.0) * max(start - best, abs(best))


def suggest_lr(
    lrs: Any,
    losses: Any,
    *,
    beta: float = 0.8,
    skip_start: int | None = None,
    diverge: float = 4.0,
    flat_tol: float = 0.02,
    min_points: int = 8,
) -> Suggestion:
    r"""Analyse a range test: the learning rate where the smoothed loss falls fastest in log-lr space.

    Steps, in order:

    1. Non-finite losses mark divergence: the curve is cut at the first one (verdict ``"non_finite"``
       if fewer than ``min_points`` points precede it).
    2. Divergence: the causal EMA :math:`\bar\ell` (factor ``beta``, bias-corrected) is followed from
       ``skip_start``; the curve is cut where :math:`\bar\ell > \text{diverge} \cdot \min \bar\ell`
       (for a non-positive minimum: where it exceeds the minimum by ``diverge - 1`` times the drop so far).
    3. Smoothing: the EMA is run forwards and then backwards over the kept part, which removes its lag
       (a forward-only EMA shifts the curve towards larger rates).
    4. Burn-in: the first ``skip_start`` points (default ``max(1, n // 20)``) are ignored.
    5. Verdict: if the smoothed loss never falls below its value after the burn-in by more than
       ``flat_tol`` (relative), the verdict is ``"diverging"`` when it rises by more than that, else
       ``"flat"``. Otherwise the suggestion is the point of steepest descent,
       :math:`\arg\min_i d\bar\ell / d\ln \eta` (slopes by ``numpy.gradient`` against ``ln(lr)``, so
       uneven spacing is handled), searched between the burn-in and the smallest smoothed loss.

    Args:
        lrs: the learning rates used, increasing, all > 0 (e.g. ``range_test_schedule`` sampled).
        losses: the training loss after each of those updates (same length).
        beta: EMA factor in [0, 1) (0 = no smoothing).
        skip_start: burn-in points to ignore (default ``max(1, n // 20)``).
        diverge: the multiple of the best smoothed loss that counts as divergence (> 1).
        flat_tol: the relative change below which the curve counts as flat (>= 0).
        min_points: the fewest points an analysis needs (an integer >= 3).

    Returns:
        A :class:`Suggestion` (``lr`` is ``None`` unless the verdict is ``"ok"``; ``reason`` says why).

    Raises:
        ConfigError: for empty or mismatched inputs, non-positive or non-increasing learning rates,
            or invalid options.

    Example:
        >>> import numpy as np, lrplan
        >>> lrs = lrplan.range_test_schedule(min_value=1e-5, max_value=1.0, steps=101)(np.arange(101))
        >>> x = np.log10(lrs)                                   # loss falls fastest at 1e-3, explodes past 0.1
        >>> losses = 2.5 - 2.0 / (1 + np.exp(-3 * (x + 3))) + np.exp(np.clip(8 * (x + 1), None, 30))
        >>> s = lrplan.suggest_lr(lrs, losses)
        >>> s.verdict, round(float(np.log10(s.lr)), 1)
        ('ok', -3.0)
        >>> lrplan.suggest_lr(lrs, np.ones(101)).verdict
        'flat'
    """
    lr_arr, loss_arr = _check_inputs(lrs, losses)
    beta = float(require_in_range("suggest_lr", "beta", beta, 0.0, 1.0, high_open=True))
    diverge = float(require_positive("suggest_lr", "diverge", diverge))
    if diverge <= 1.0:
        raise fail("suggest_lr", "diverge", "> 1", diverge)
    flat_tol = float(require_in_range("suggest_lr", "flat_tol", flat_tol, 0.0, math.inf))
    min_points = require_int("suggest_lr", "min_points", min_points, minimum=3)
    n = len(lr_arr)
    skip = max(1, n // 20) if skip_start is None else require_int("suggest_lr", "skip_start", skip_start, minimum=0)
    smoothed = np.full(n, np.nan)
    notes: list[str] = []

    def result(verdict: str, reason: str, start: int = 0, stop: int = 0, **kw: Any) -> Suggestion:
        return Suggestion(
            lr=kw.pop("lr", None),
            verdict=verdict,
            reason=reason,
            lrs=lr_arr,
            losses=loss_arr,
            smoothed=smoothed,
            start=start,
            stop=stop,
            notes=tuple(notes),
            **kw,
        )

    if n < min_points + skip:
        return result(
            "too_few_points",
            f"{n} points are too few to analyse ({min_points} after a burn-in of {skip} are needed); "
            "run the range test for more steps.",
        )

    # 1. cut at the first non-finite loss
    finite = np.isfinite(loss_arr)
    cut = n if finite.all() else int(np.argmin(finite))
    diverged_at: int | None = None
    if cut < n:
        if cut < min_points + skip:
            return result(
                "non_finite",
                f"the loss is {loss_arr[cut]} at point {cut} (lr={lr_arr[cut]:.3g}), before {min_points + skip} "
                "finite points were seen: check the data and the loss, or start from a smaller min_value.",
                stop=cut,
                diverged_at=cut,
            )
        diverged_at = cut
        notes.append(f"the loss is {loss_arr[cut]} from point {cut} (lr={lr_arr[cut]:.3g}) on; analysed before it")

    # 2. divergence on the causal EMA
    causal = _ema(loss_arr[:cut], beta)
    best = causal[skip]
    for i in range(skip, cut):
        best = min(best, causal[i])
        if causal[i] > _divergence_limit(best, causal[skip], diverge):
            cut = diverged_at = i
            break

    # 3. zero-lag smoothing of the kept part
    kept = _ema(_ema(loss_arr[:cut], beta)[::-1], beta)[::-1]
    smoothed[skip:cut] = kept[skip:cut]
    if cut - skip < min_points:
        where = f"lr={lr_arr[cut]:.3g}" if cut < n else "the end"
        return result(
            "diverging",
            f"the loss diverged after only {cut - skip} points after the burn-in (at {where}): "
            "start the ramp at a smaller min_value.",
            start=skip,
            stop=cut,
            diverged_at=diverged_at,
        )

    # 5. verdicts
    seg = kept[skip:cut]
    first = float(seg[0])
    i_min = skip + int(np.argmin(seg))
    scale = max(abs(first), float(np.ptp(seg)) * 1e-12, 1e-300)
    drop = (first - float(kept[i_min])) / scale
    if drop <= flat_tol:
        rise = (float(np.max(seg)) - first) / scale
        span = f"[{lr_arr[skip]:.3g}, {lr_arr[cut - 1]:.3g}]"
        if rise > flat_tol or diverged_at is not None:
            return result(
                "diverging",
                f"the smoothed loss never fell more than {flat_tol:.0%} below its starting value over {span} "
                "and rose instead: every rate tried is already too large; start from a smaller min_value.",
                start=skip,
                stop=cut,
                min_index=i_min,
                diverged_at=diverged_at,
            )
        return result(
            "flat",
            f"the smoothed loss changed by less than {flat_tol:.0%} over {span}: the range is too low or "
            "too narrow (raise max_value), or the model is not learning (check that gradients reach it).",
            start=skip,
            stop=cut,
            min_index=i_min,
        )

    log_lr = np.log(lr_arr[skip : i_min + 1])
    if len(log_lr) < 3:
        notes.append("the loss fell only over the first points; suggesting a tenth of the rate at the minimum")
        idx, slope = i_min, None
        lr = float(lr_arr[i_min]) / 10.0
    else:
        grads = np.gradient(kept[skip : i_min + 1], log_lr)
        idx = skip + int(np.argmin(grads))
        slope = float(grads[idx - skip])
        lr = float(lr_arr[idx])
    if i_min == cut - 1 and diverged_at is None:
        notes.append("the loss was still falling at the largest rate tried; a larger max_value may find more")
    reason = (
        (
            f"steepest descent of the smoothed loss ({slope:.3g} per unit of ln lr) at lr={lr:.3g}; "
            if slope is not None
            else f"lr={lr:.3g}; "
        )
        + f"the loss is lowest at lr={lr_arr[i_min]:.3g}"
        + (f" and diverges from lr={lr_arr[diverged_at]:.3g}" if diverged_at is not None else "")
    )
    return result(
        "ok",
        reason + ".",
        start=skip,
        stop=cut,
        lr=lr,
        index=idx,
        min_index=i_min,
        slope=slope,
        diverged_at=diverged_at,
    )


def _check_inputs(lrs: Any, losses: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        lr_arr = np.asarray(lrs, dtype=np.float64)
        loss_arr = np.asarray(losses, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(
            f"suggest_lr: `lrs` and `losses` must be sequences of numbers. Received: lrs={lrs!r}, losses={losses!r}."
        ) from None
    if lr_arr.ndim != 1 or lr_arr.size == 0:
        raise fail("suggest_lr", "lrs", "a non-empty 1-D sequence of numbers", lrs)
    if loss_arr.ndim != 1 or loss_arr.size == 0:
        raise fail("suggest_lr", "losses", "a non-empty 1-D sequence of numbers", losses)
    if lr_arr.size != loss_arr.size:
        raise ConfigError(
            f"suggest_lr: `lrs` and `losses` must have the same length. Received: {lr_arr.size} lrs and "
            f"{loss_arr.size} losses."
        )
    bad = ~np.isfinite(lr_arr) | (lr_arr <= 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ConfigError(
            f"suggest_lr: every learning rate must be finite and > 0 (slopes are taken in log scale). "
            f"Received: lrs[{i}]={float(lr_arr[i])!r}."
        )
    if lr_arr.size > 1 and not (np.diff(lr_arr) > 0).all():
        i = int(np.argmax(np.diff(lr_arr) <= 0))
        raise ConfigError(
            f"suggest_lr: `lrs` must be strictly increasing (a range test ramps up). "
            f"Received: lrs[{i}]={float(lr_arr[i])!r}, lrs[{i + 1}]={float(lr_arr[i + 1])!r}."
        )
    return lr_arr, loss_arr


def plot_range_test(result: Suggestion, ax: Any = None, path: str | None = None) -> Any:
    """Plot loss against learning rate (log scale), the smoothed curve, and the suggestion; returns the Axes.

    matplotlib is imported here, on first use. With ``path`` the figure is also saved there.

    Example:
        >>> import numpy as np, lrplan
        >>> lrs = np.logspace(-5, 0, 50)
        >>> ax = lrplan.suggest_lr(lrs, 2 - np.tanh(np.log10(lrs) + 3)).plot()
        >>> ax.get_xscale()
        'log'
    """
    if not isinstance(result, Suggestion):
        raise ConfigError(f"plot_range_test: expected a Suggestion from suggest_lr. Received: {result!r}.")
    try:
        import matplotlib

        if ax is None:
            import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised without matplotlib
        raise ImportError("plotting needs matplotlib: pip install 'lrplan[plot]'") from exc
    del matplotlib
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.0))
    lrs, losses = result.lrs, result.losses
    shown = np.isfinite(losses)
    ax.plot(lrs[shown], losses[shown], color="0.75", lw=1, label="loss")
    ok = np.isfinite(result.smoothed)
    if ok.any():
        ax.plot(lrs[ok], result.smoothed[ok], color="C0", lw=2, label="smoothed")
        lo, hi = np.nanmin(result.smoothed), np.nanmax(result.smoothed)
        lo = min(lo, float(np.min(losses[result.start : result.stop])))
        pad = 0.15 * (hi - lo if hi > lo else max(abs(hi), 1.0))
        ax.set_ylim(lo - pad, hi + pad)
    if result.diverged_at is not None:
        ax.axvline(lrs[result.diverged_at], color="C3", ls=":", lw=1, label="diverged")
    if result.lr is not None:
        y = result.smoothed[result.index] if result.index is not None else np.nan
        if not np.isfinite(y):
            y = np.nanmin(result.smoothed) if ok.any() else float(np.nanmin(losses[shown]))
        ax.plot([result.lr], [y], "o", color="C1", ms=9, label=f"suggested lr = {result.lr:.2g}")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    ax.set_title(f"LR range test: {result.verdict}", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    if path is not None:
        ax.figure.tight_layout()
        ax.figure.savefig(path, dpi=80)
    return ax
