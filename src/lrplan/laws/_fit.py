"""Fitting a law to runs: Huber loss on log residuals, bounded parameters, several starts (SciPy)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._checks import fail, require_choice
from ._kernel import momentum_area
from ._runs import Run, derived
from ._values import LAWS, FitReport, Law, MomentumLaw, MultiPowerLaw, RunFit

__all__ = ["fit", "diagnose", "HUBER_DELTA"]

Array = NDArray[np.float64]
HUBER_DELTA = 1e-3
"""Huber threshold on the residuals ``log(loss) - log(predicted)`` (the reference code's value,
``config.py`` of thu-yao-01-luo/MultiPowerLaw; Luo et al. 2025, https://arxiv.org/abs/2503.12811)."""

_MAX_PAIRS = 12_000_000  # (point, lr change) pairs held for the multi-power fit
_CONVERGE = 150  # evaluations to converge on a quarter of the points
_POLISH = 60  # evaluations to converge on all points from there


def _scipy_optimize() -> Any:
    try:
        import scipy.optimize
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("lrplan.laws.fit and optimize need SciPy: pip install 'lrplan[laws]'") from None
    return scipy.optimize


@dataclasses.dataclass
class _Data:
    """The runs' points, with learning rates divided by the largest one (``eta_max``)."""

    eta_max: float
    loss: Array
    area: Array  # sum of normalized lrs up to each point's step (inclusive)
    run: NDArray[np.int64]  # run index of each point
    drop0: Array  # 1 - normalized lr at the point: the drop if every decrease were felt at once
    lrs: list[Array]  # normalized lrs of each run, steps 0 .. last
    steps: list[NDArray[np.int64]]


def _data(runs: Sequence[Run]) -> _Data:
    lrs = [r.lrs() for r in runs]
    eta_max = max(float(x.max()) for x in lrs)
    norm = [x / eta_max for x in lrs]
    steps = [r.arrays()[0] for r in runs]
    return _Data(
        eta_max=eta_max,
        loss=np.concatenate([r.arrays()[1] for r in runs]),
        area=np.concatenate([np.cumsum(x)[s] for x, s in zip(norm, steps, strict=True)]),
        run=np.concatenate([np.full(len(s), i) for i, s in enumerate(steps)]),
        drop0=np.concatenate([1.0 - x[s] for x, s in zip(norm, steps, strict=True)]),
        lrs=norm,
        steps=steps,
    )


class _Pairs:
    """The multi-power drop at the fitted points, term by term, with its derivatives (normalized units).

    For every point ``t`` and every step ``k <= t`` where the lr changes: ``w_k G(C eta_k^-gamma S_k(t))``.
    Steps whose lr is 0 contribute a constant (1 once the lr has moved since, else 0).
    """

    def __init__(self, data: _Data) -> None:
        pts, srcs, dists = [], [], []
        w_all, logeta_all = [], []
        self.fixed = np.zeros(len(data.loss))
        offset_pt = 0
        offset_src = 0
        for lrs, steps in zip(data.lrs, data.steps, strict=True):
            sigma = np.cumsum(lrs)
            w = np.zeros(len(lrs))
            w[1:] = lrs[:-1] - lrs[1:]
            k = np.flatnonzero(w)
            live = k[lrs[k] > 0]
            dead = k[lrs[k] == 0]
            for j, t in enumerate(steps):
                for kk in dead[dead <= t]:
                    if sigma[t] > sigma[kk - 1]:
                        self.fixed[offset_pt + j] += w[kk]
            s_prev = sigma[live - 1]
            on = live[None, :] <= steps[:, None]
            pi, si = np.nonzero(on)
            pts.append(pi + offset_pt)
            srcs.append(si + offset_src)
            dists.append(sigma[steps][pi] - s_prev[si])
            w_all.append(w[live])
            logeta_all.append(np.log(lrs[live]))
            offset_pt += len(steps)
            offset_src += len(live)
        pt = np.concatenate(pts) if pts else np.zeros(0, dtype=np.int64)
        self.src = np.concatenate(srcs) if srcs else np.zeros(0, dtype=np.int64)
        self.dist = np.concatenate(dists) if dists else np.zeros(0)
        self.w = np.concatenate(w_all) if w_all else np.zeros(0)
        self.logeta = np.concatenate(logeta_all) if logeta_all else np.zeros(0)
        self.points = len(data.loss)
        # pairs are sorted by point: sum each point's segment with reduceat
        counts = np.bincount(pt, minlength=self.points)
        self.has = counts > 0
        self.starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[self.has]
        self.w_pair = self.w[self.src]
        self.logeta_pair = self.logeta[self.src]
        self.key: tuple[float, float, float] | None = None

    def __len__(self) -> int:
        return len(self.src)

    def _sum(self, values: Array) -> Array:
        out = np.zeros(self.points)
        if len(values):
            out[self.has] = np.add.reduceat(values, self.starts)
        return out

    def _terms(self, C: float, beta: float, gamma: float) -> tuple[Array, Array, Array]:
        """(y, log(1 + y), (1 + y)^-beta) per pair, for the last parameters asked (cached)."""
        key = (C, beta, gamma)
        if self.key != key:
            y = np.exp(-gamma * self.logeta)[self.src]
            y *= self.dist
            y *= C
            log_z = np.log1p(y)
            zb = np.exp(-beta * log_z)
            self.key, self.cache = key, (y, log_z, zb)
        return self.cache

    def value(self, C: float, beta: float, gamma: float) -> Array:
        """The drop at each point."""
        _, _, zb = self._terms(C, beta, gamma)
        return self._sum(self.w_pair * (1.0 - zb)) + self.fixed

    def derivatives(self, C: float, beta: float, gamma: float) -> Array:
        """The drop's derivatives in C, beta and gamma, as three columns."""
        y, log_z, zb = self._terms(C, beta, gamma)
        wz = self.w_pair * zb
        common = wz * y
        common /= 1.0 + y
        common *= beta
        jac = np.empty((self.points, 3))
        jac[:, 0] = self._sum(common) / C
        jac[:, 1] = self._sum(wz * log_z)
        common *= self.logeta_pair
        jac[:, 2] = -self._sum(common)
        return jac


class _Problem:
    """Predictions and their Jacobian for one law family, in normalized parameters."""

    names: tuple[str, ...] = ()

    def __init__(self, data: _Data) -> None:
        self.data = data

    def predict(self, theta: Array) -> Array:
        raise NotImplementedError

    def jacobian(self, theta: Array) -> Array:
        """d predict / d theta, one column per parameter."""
        raise NotImplementedError

    def bounds(self) -> tuple[Array, Array]:
        raise NotImplementedError

    def starts(self) -> list[Array]:
        raise NotImplementedError

    def to_law(self, theta: Array) -> Law:
        raise NotImplementedError

    def from_law(self, law: Law) -> Array:
        raise NotImplementedError


def _linear_starts(data: _Data, annealing: Array, count: int) -> list[tuple[float, float, float, float]]:
    """Grid over (L0, alpha); the amplitudes (A, B) by least squares on relative residuals of
    ``loss - L0 = A area^-alpha - B annealing``. The ``count`` best distinct (L0, A, alpha, B)."""
    y = data.loss
    low = float(y.min())
    found = []
    for l0 in low * np.linspace(0.5, 0.995, 24):
        for alpha in np.linspace(0.05, 1.5, 30):
            x = np.column_stack([data.area ** (-alpha), -annealing]) / y[:, None]
            coef, *_ = np.linalg.lstsq(x, (y - l0) / y, rcond=None)
            coef = np.maximum(coef, 0.0)
            res = (y - l0) / y - x @ coef
            found.append((float(res @ res), float(l0), float(coef[0]), float(alpha), float(coef[1])))
    found.sort()
    out: list[tuple[float, float, float, float]] = []
    for _, l0, a, alpha, b in found:
        if all(abs(alpha - o[2]) > 0.1 or abs(l0 - o[0]) > 0.05 * low for o in out):
            out.append((l0, a, alpha, b))
        if len(out) == count:
            break
    return out


class _MultiPower(_Problem):
    names = MultiPowerLaw.parameter_names()

    def __init__(self, data: _Data) -> None:
        super().__init__(data)
        self.pairs = _Pairs(data)

    def predict(self, theta: Array) -> Array:
        l0, a, alpha, b, c, beta, gamma = (float(x) for x in theta)
        return l0 + a * self.data.area ** (-alpha) - b * self.pairs.value(c, beta, gamma)

    def jacobian(self, theta: Array) -> Array:
        _l0, a, alpha, b, c, beta, gamma = (float(x) for x in theta)
        power = self.data.area ** (-alpha)
        jac = np.empty((len(power), 7))
        jac[:, 0] = 1.0
        jac[:, 1] = power
        jac[:, 2] = -a * np.log(self.data.area) * power
        jac[:, 3] = -self.pairs.value(c, beta, gamma)
        jac[:, 4:] = -b * self.pairs.derivatives(c, beta, gamma)
        return jac

    def bounds(self) -> tuple[Array, Array]:
        top = float(self.data.loss.max())
        return (np.array([0.0, 0.0, 0.0, 0.0, 1e-6, 1e-3, 0.0]), np.array([top, np.inf, 5.0, np.inf, 1e4, 10.0, 3.0]))

    def starts(self) -> list[Array]:
        out = []
        for l0, a, alpha, b in _linear_starts(self.data, self.data.drop0, 2):
            for c in (0.03, 0.3):
                out.append(np.array([l0, a, alpha, b, c, 0.5, 0.5]))
        return out

    def to_law(self, theta: Array) -> Law:
        l0, a, alpha, b, c, beta, gamma = (float(x) for x in theta)
        m = self.data.eta_max
        return MultiPowerLaw(
            L0=l0, A=a * m**alpha, alpha=alpha, B=b / m, C=c * m ** (gamma - 1.0), beta=beta, gamma=gamma
        )

    def from_law(self, law: Law) -> Array:
        if not isinstance(law, MultiPowerLaw):
            raise TypeError(law)
        m = self.data.eta_max
        return np.array(
            [law.L0, law.A / m**law.alpha, law.alpha, law.B * m, law.C / m ** (law.gamma - 1.0), law.beta, law.gamma]
        )


class _Momentum(_Problem):
    names = ("L0", "A", "alpha", "C")

    def __init__(self, data: _Data, decay: float) -> None:
        super().__init__(data)
        self.decay = decay
        self.s2 = np.concatenate([momentum_area(x, decay)[s] for x, s in zip(data.lrs, data.steps, strict=True)])

    def predict(self, theta: Array) -> Array:
        l0, a, alpha, c = (float(x) for x in theta)
        return l0 + a * self.data.area ** (-alpha) - c * self.s2

    def jacobian(self, theta: Array) -> Array:
        _l0, a, alpha, _c = (float(x) for x in theta)
        power = self.data.area ** (-alpha)
        return np.column_stack([np.ones_like(power), power, -a * np.log(self.data.area) * power, -self.s2])

    def bounds(self) -> tuple[Array, Array]:
        top = float(self.data.loss.max())
        return np.array([0.0, 0.0, 0.0, 0.0]), np.array([top, np.inf, 5.0, np.inf])

    def starts(self) -> list[Array]:
        return [np.array(s) for s in _linear_starts(self.data, self.s2, 3)]

    def to_law(self, theta: Array) -> Law:
        l0, a, alpha, c = (float(x) for x in theta)
        m = self.data.eta_max
        return MomentumLaw(L0=l0, A=a * m**alpha, alpha=alpha, C=c / m, decay=self.decay)

    def from_law(self, law: Law) -> Array:
        if not isinstance(law, MomentumLaw):
            raise TypeError(law)
        m = self.data.eta_max
        return np.array([law.L0, law.A / m**law.alpha, law.alpha, law.C * m])


def _solve(
    problem: _Problem, start: Array, rows: NDArray[np.int64] | None, max_nfev: int | None
) -> tuple[Array, float]:
    """Least squares with the Huber loss on ``log(loss) - log(pred)``; ``rows`` resamples the points."""
    opt = _scipy_optimize()
    log_y = np.log(problem.data.loss)
    low, high = problem.bounds()
    x0 = np.clip(start, low, np.where(np.isfinite(high), high, np.inf))
    x0 = np.where(x0 >= high, np.nextafter(high, -np.inf), x0)

    def residual(theta: Array) -> Array:
        r = log_y - np.log(np.maximum(problem.predict(theta), 1e-10))
        return r if rows is None else r[rows]

    def jacobian(theta: Array) -> Array:
        out = -problem.jacobian(theta) / np.maximum(problem.predict(theta), 1e-10)[:, None]
        return out if rows is None else out[rows]

    res = opt.least_squares(
        residual,
        x0,
        jac=jacobian,
        bounds=(low, high),
        loss="huber",
        f_scale=HUBER_DELTA,
        x_scale="jac",
        max_nfev=max_nfev,
        xtol=1e-8,
        ftol=1e-8,
        gtol=1e-8,
    )
    return np.asarray(res.x, dtype=np.float64), float(res.cost)


def _optimum(problem: _Problem, coarse: _Problem) -> tuple[Array, float, int]:
    """The best of several starts: each runs a few iterations on the coarse problem (a quarter of the
    points), the best two converge there, and the better one converges on all points."""
    starts = coarse.starts()
    trials = sorted((_solve(coarse, s, None, 12) for s in starts), key=lambda t: t[1])
    finals = [_solve(coarse, theta, None, _CONVERGE) for theta, _ in trials[:2]]
    theta = min(finals, key=lambda t: t[1])[0]
    return (*_solve(problem, theta, None, _POLISH), len(starts))


def _coarse(runs: list[Run], free: int) -> list[Run]:
    """Every fourth point of each run (the last kept), where enough points remain."""
    out = []
    for run in runs:
        keep = np.unique(np.r_[np.arange(0, run.points, 4), run.points - 1])
        if len(keep) < 3:
            return runs
        steps, loss = run.arrays()
        out.append(derived(run, steps=tuple(int(x) for x in steps[keep]), loss=tuple(float(x) for x in loss[keep])))
    return out if sum(r.points for r in out) > 4 * free else runs


def diagnose(law: Law, runs: Sequence[Run]) -> tuple[RunFit, ...]:
    """Per-run errors of ``law``: mean, worst and final-step relative error and R^2 of the losses.

    Example:
        >>> import lrplan.laws
        >>> law = lrplan.laws.MultiPowerLaw(L0=3.04045406, A=0.52468604, alpha=0.50786857, B=363.78751622,
        ...                                 C=2.06560812, beta=0.58279013, gamma=0.64142257)
        >>> runs = lrplan.laws.load_manifest(lrplan.laws.example_manifest("25M"), "test")
        >>> print(f"{sum(d.mean_error for d in lrplan.laws.diagnose(law, runs)) / len(runs):.3%}")
        0.110%
    """
    out = []
    for run in runs:
        steps, loss = run.arrays()
        pred = law.predict(run.schedule, steps)
        rel = np.abs(pred - loss) / loss
        total = float(((loss - loss.mean()) ** 2).sum())
        r2 = 1.0 - float(((loss - pred) ** 2).sum()) / total if total > 0 else math.nan
        out.append(RunFit(run.name, run.points, float(rel.mean()), float(rel.max()), float(rel[-1]), r2))
    return tuple(out)


def _blocks(rng: np.random.Generator, data: _Data) -> NDArray[np.int64]:
    """Point indices of a moving-block bootstrap: blocks of about a tenth of each run, drawn with replacement."""
    rows = []
    for i in range(len(data.steps)):
        idx = np.flatnonzero(data.run == i)
        n = len(idx)
        size = max(1, n // 10)
        starts = rng.integers(0, n - size + 1, size=-(-n // size))
        rows.append(np.concatenate([idx[s : s + size] for s in starts])[:n])
    return np.concatenate(rows)


def fit(
    runs: Sequence[Run],
    law: str = "multi_power",
    *,
    uncertainty: str = "auto",
    decay: float = 0.999,
    bootstrap: int = 8,
    seed: int = 0,
) -> Law:
    """Fit a law to runs: the parameters minimizing the Huber loss of the log residuals.

    .. math::
        \\min_\\theta \\sum_{\\text{runs}} \\sum_{i} H_\\delta\\bigl(\\log L_i - \\log \\hat L_\\theta(t_i)\\bigr),
        \\qquad H_\\delta(r) = \\begin{cases} r^2/2 & |r| \\le \\delta \\\\ \\delta(|r| - \\delta/2) & |r| > \\delta
        \\end{cases}, \\quad \\delta = 10^{-3}

    (the reference code's objective), by bounded trust-region least squares (SciPy) with analytic
    derivatives, from several starting points: a grid over :math:`(L_0, \\alpha)` with the amplitudes
    solved linearly, then (multi-power) two drop shapes each; the best two are run to convergence.

    The result carries a :class:`~lrplan.laws.FitReport` (``law.report``): per-run errors and R^2, and an
    ensemble for :meth:`~lrplan.laws.Law.predict_band`: refits leaving out one run at a time
    (``"jackknife"``, the default with 3 runs or more: it shows how much a prediction leans on one
    schedule) or on ``bootstrap`` resamples of blocks of points (``"bootstrap"``, the default with fewer
    runs), or none (``"none"``).

    Args:
        runs: the :class:`~lrplan.laws.Run` values to fit.
        law: ``"multi_power"`` (7 parameters) or ``"momentum"`` (4 parameters; ``decay`` is held fixed).
        uncertainty: ``"auto"``, ``"jackknife"``, ``"bootstrap"`` or ``"none"``.
        decay: the momentum law's :math:`\\lambda`.
        bootstrap: refits for ``"bootstrap"``.
        seed: seed of the bootstrap draws.

    Raises:
        ConfigError: no runs, something that is not a Run, too few points for the parameters, or an
            unknown law or option.
        ImportError: SciPy is missing (``pip install 'lrplan[laws]'``).

    Example:
        >>> import lrplan.laws
        >>> runs = lrplan.laws.load_manifest(lrplan.laws.example_manifest("25M"))  # the 3-curve fit set
        >>> law = lrplan.laws.fit(runs, law="momentum", uncertainty="none")
        >>> [f"{d.name}: {d.mean_error:.2%}" for d in law.report.runs]
        ['cosine_24000: 0.06%', 'constant_24000: 0.07%', 'wsdcon_9: 0.15%']

    References:
        Luo et al. 2025, https://arxiv.org/abs/2503.12811 (multi-power law, Huber objective);
        Tissue et al. 2024, https://arxiv.org/abs/2408.11029 (momentum law).
    """
    owner = "fit"
    require_choice(owner, "law", law, tuple(LAWS))
    require_choice(owner, "uncertainty", uncertainty, ("auto", "jackknife", "bootstrap", "none"))
    if isinstance(runs, Run) or not isinstance(runs, Sequence) or len(runs) == 0:
        raise fail(owner, "runs", "a non-empty list of lrplan.laws.Run", runs)
    for i, run in enumerate(runs):
        if not isinstance(run, Run):
            raise fail(owner, f"runs[{i}]", "an lrplan.laws.Run", run)
    if not isinstance(bootstrap, int) or bootstrap < 2:
        raise fail(owner, "bootstrap", "an integer >= 2", bootstrap)
    cls = LAWS[law]
    free = 4 if law == "momentum" else 7
    points = sum(r.points for r in runs)
    if points <= 2 * free:
        names = ", ".join(repr(r.name) for r in runs)
        raise fail(owner, "runs", f"more than {2 * free} points in all for {free} parameters", f"{points} in {names}")
    original = list(runs)
    runs = _thinned(original) if cls is MultiPowerLaw else original
    make: Callable[[list[Run]], _Problem] = (
        (lambda rs: _MultiPower(_data(rs))) if cls is MultiPowerLaw else (lambda rs: _Momentum(_data(rs), decay))
    )
    problem = make(runs)
    coarse_runs = _coarse(runs, free)
    coarse = problem if coarse_runs is runs else make(coarse_runs)
    theta, cost, starts = _optimum(problem, coarse)
    best = problem.to_law(theta)
    mode = uncertainty if uncertainty != "auto" else ("jackknife" if len(runs) >= 3 else "bootstrap")
    ensemble: list[tuple[float, ...]] = []
    if mode == "jackknife":
        if len(runs) < 3:
            raise fail(owner, "uncertainty", "'bootstrap' or 'none' with fewer than 3 runs", uncertainty)
        for i in range(len(runs)):
            sub = make(coarse_runs[:i] + coarse_runs[i + 1 :])
            refit, _ = _solve(sub, sub.from_law(best), None, _CONVERGE)
            ensemble.append(sub.to_law(refit).params)
    elif mode == "bootstrap":
        rng = np.random.default_rng(seed)
        start = coarse.from_law(best)
        for _ in range(bootstrap):
            refit, _ = _solve(coarse, start, _blocks(rng, coarse.data), _CONVERGE)
            ensemble.append(coarse.to_law(refit).params)
    report = FitReport(
        runs=diagnose(best, original),
        objective=cost,
        starts=starts,
        uncertainty=mode,
        ensemble=tuple(ensemble),
    )
    return dataclasses.replace(best, report=report)


def _thinned(runs: list[Run]) -> list[Run]:
    """Runs with every k-th point kept where the multi-power pairs would not fit in memory."""
    cost = 0
    for run in runs:
        lrs = run.lrs()
        changes = np.flatnonzero(np.diff(lrs)) + 1
        steps = run.arrays()[0]
        cost += int(np.searchsorted(changes, steps, side="right").sum())
    if cost <= _MAX_PAIRS:
        return runs
    keep = math.ceil(cost / _MAX_PAIRS)
    out = []
    for run in runs:
        idx = np.unique(np.r_[np.arange(0, run.points, keep), run.points - 1])
        steps, loss = run.arrays()
        thin = derived(run, steps=tuple(int(s) for s in steps[idx]), loss=tuple(float(x) for x in loss[idx]))
        out.append(thin)
    return out
