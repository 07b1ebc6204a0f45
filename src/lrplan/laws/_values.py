"""Loss-curve laws as values: frozen, validated, printable as a spec, serializable as a JSON config.

A law maps a learning-rate schedule to a predicted loss curve. It needs nothing from the schedule but
its values at integer steps, ``schedule(np.arange(n))``, so every lrplan schedule, preset and
composition works unchanged.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import statistics
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from .. import ConfigError, Schedule, fields
from . import _kernel
from ._checks import fail, lr_values, require_choice, require_fraction, require_schedule, require_steps

__all__ = [
    "Law",
    "MultiPowerLaw",
    "MomentumLaw",
    "Prediction",
    "RunFit",
    "FitReport",
    "parse_law",
    "law_from_config",
    "law_params",
    "LAWS",
]

Array = NDArray[np.float64]
FORMAT = 1


@dataclasses.dataclass(frozen=True)
class RunFit:
    """How well a fitted law matches one run: mean, worst and final-step relative error, and R^2.

    Relative errors are ``|loss - predicted| / loss`` over the run's points (fractions, not percent).

    Example:
        >>> import lrplan.laws
        >>> runs = lrplan.laws.load_manifest(lrplan.laws.example_manifest("25M"))
        >>> law = lrplan.laws.fit(runs, law="momentum", uncertainty="none")
        >>> d = law.report.runs[0]
        >>> d.name, d.points, f"{d.mean_error:.3%}", round(d.r2, 4)
        ('cosine_24000', 171, '0.064%', 0.9992)
    """

    name: str
    points: int
    mean_error: float
    max_error: float
    final_error: float
    r2: float

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class FitReport:
    """What :func:`lrplan.laws.fit` found: per-run diagnostics and the ensemble behind the bands.

    Attributes:
        runs: one :class:`RunFit` per fitted run.
        objective: the Huber objective at the optimum (sum over points of Huber(log residual)).
        starts: how many starting points were optimized.
        uncertainty: ``"jackknife"`` (refits leaving out one run at a time), ``"bootstrap"`` (refits on
            blocks of points drawn with replacement) or ``"none"``.
        ensemble: the refits' parameters, in the law's parameter order.

    Example:
        >>> import lrplan.laws
        >>> law = lrplan.laws.fit(lrplan.laws.load_manifest(lrplan.laws.example_manifest("25M")), law="momentum")
        >>> law.report.uncertainty, len(law.report.ensemble), law.report.starts
        ('jackknife', 3, 3)
    """

    runs: tuple[RunFit, ...] = ()
    objective: float = 0.0
    starts: int = 0
    uncertainty: str = "none"
    ensemble: tuple[tuple[float, ...], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": [r.to_dict() for r in self.runs],
            "objective": self.objective,
            "starts": self.starts,
            "uncertainty": self.uncertainty,
            "ensemble": [list(p) for p in self.ensemble],
        }

    @classmethod
    def from_dict(cls, data: Any) -> FitReport:
        if not isinstance(data, dict):
            raise fail("law_from_config", "fit", "an object", data)
        try:
            return cls(
                runs=tuple(RunFit(**r) for r in data.get("runs", [])),
                objective=float(data.get("objective", 0.0)),
                starts=int(data.get("starts", 0)),
                uncertainty=str(data.get("uncertainty", "none")),
                ensemble=tuple(tuple(float(x) for x in p) for p in data.get("ensemble", [])),
            )
        except (TypeError, ValueError) as exc:
            raise fail("law_from_config", "fit", f"a fit report ({exc})", data) from None


@dataclasses.dataclass(frozen=True, eq=False)
class Prediction:
    """A predicted curve with its band: ``loss`` at ``steps``, and ``low``/``high`` at ``level``.

    Without an uncertainty estimate (a law built by hand) ``low`` and ``high`` equal ``loss``.

    Example:
        >>> import lrplan, lrplan.laws
        >>> law = lrplan.laws.fit(lrplan.laws.load_manifest(lrplan.laws.example_manifest("25M")), law="momentum")
        >>> p = law.predict_band(lrplan.constant(3e-4), [20_000], level=0.9)
        >>> bool(p.low[0] < p.loss[0] < p.high[0])
        True
    """

    steps: NDArray[np.int64]
    loss: Array
    low: Array
    high: Array
    level: float


def _z(level: float) -> float:
    return statistics.NormalDist().inv_cdf(0.5 + level / 2.0)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Law:
    """Base class of the laws: checks every field once after construction, as schedules do.

    Subclasses declare their parameters with :mod:`lrplan.fields` and implement ``_curve``. ``report``
    holds the fit diagnostics and ensemble of a fitted law; it takes no part in equality or the spec.

    Example:
        >>> import lrplan.laws
        >>> law = lrplan.laws.MomentumLaw(L0=3.07, A=0.49, alpha=0.57, C=0.4)
        >>> isinstance(law, lrplan.laws.Law), law.parameter_names(), law.replace(C=0.5).C
        (True, ('L0', 'A', 'alpha', 'C', 'decay'), 0.5)
    """

    name: ClassVar[str] = ""
    report: FitReport | None = dataclasses.field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        owner = type(self).__name__
        for f in dataclasses.fields(self):
            check = f.metadata.get("check")
            if check is not None:
                object.__setattr__(self, f.name, check(owner, f.name, getattr(self, f.name)))

    # ------------------------------------------------------------------ parameters
    @classmethod
    def parameter_names(cls) -> tuple[str, ...]:
        """The law's parameters, in constructor order (``report`` excluded)."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.name != "report")

    @property
    def params(self) -> tuple[float, ...]:
        """The parameter values, in :meth:`parameter_names` order."""
        return tuple(float(getattr(self, n)) for n in self.parameter_names())

    def replace(self, **changes: Any) -> Law:
        """A copy with some parameters changed (checked again); the fit report is dropped."""
        return dataclasses.replace(self, report=None, **changes)

    # ------------------------------------------------------------------ prediction
    def _curve(self, lrs: Array, steps: NDArray[np.int64], method: str) -> Array:
        raise NotImplementedError

    def predict(self, schedule: Schedule, steps: Any, *, method: str = "auto") -> Any:
        """The predicted loss at ``steps`` (an int, or a list or array of ints) under ``schedule``.

        Returns a float for an int step, else a float64 array. ``method`` chooses the evaluation of the
        multi-power sum: ``"direct"`` (term by term), ``"fast"`` (sum of exponentials, within the stated
        bound of the direct sum) or ``"auto"`` (whichever is cheaper). Where no update has moved the
        weights yet (the lr sum up to the step is 0) the loss is ``inf``.
        """
        owner = f"{type(self).__name__}.predict"
        require_schedule(owner, "schedule", schedule)
        require_choice(owner, "method", method, ("auto", "direct", "fast"))
        idx = require_steps(owner, "steps", steps)
        lrs = lr_values(owner, schedule, int(idx.max()) + 1)
        out = self._curve(lrs, idx, method)
        return float(out[0]) if np.ndim(steps) == 0 else out

    def predict_band(self, schedule: Schedule, steps: Any, *, level: float = 0.9) -> Prediction:
        """The prediction with a band at ``level`` from the fit's ensemble (:class:`Prediction`).

        With a jackknife ensemble of m refits the standard error is
        :math:`\\sqrt{\\tfrac{m-1}{m}\\sum_i (f_i - \\bar f)^2}`; with a bootstrap one, the ensemble's
        standard deviation; the band is the prediction :math:`\\pm z_{level}` standard errors. It reflects
        how much the curve depends on the runs and points fitted, not the noise of a single run.
        """
        owner = f"{type(self).__name__}.predict_band"
        require_schedule(owner, "schedule", schedule)
        level = require_fraction(owner, "level", level)
        idx = require_steps(owner, "steps", steps)
        lrs = lr_values(owner, schedule, int(idx.max()) + 1)
        loss = self._curve(lrs, idx, "auto")
        with np.errstate(invalid="ignore"):
            se = self._standard_error(lambda law: law._curve(lrs, idx, "auto"))
        half = np.where(np.isfinite(loss), _z(level) * se, 0.0) if level > 0 else np.zeros_like(loss)
        return Prediction(steps=idx, loss=loss, low=loss - half, high=loss + half, level=level)

    def _standard_error(self, f: Any) -> Any:
        """Standard error of ``f(law)`` (a number or an array) over the fit's ensemble; 0 without one."""
        report = self.report
        if report is None or len(report.ensemble) < 2:
            return np.zeros_like(np.asarray(f(self), dtype=np.float64))
        values = np.array([f(law_params(type(self), p)) for p in report.ensemble])
        m = len(values)
        if report.uncertainty == "jackknife":
            return np.sqrt((m - 1) / m * ((values - values.mean(axis=0)) ** 2).sum(axis=0))
        return values.std(axis=0, ddof=1)

    # ------------------------------------------------------------------ description
    def __str__(self) -> str:
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.parameter_names())
        return f"{self.name}({args})"

    def __repr__(self) -> str:
        return str(self)

    def to_config(self) -> dict[str, Any]:
        """A JSON-safe dict: ``{"format": 1, "law": name, "args": {...}}`` plus ``"fit"`` for a fitted law."""
        out: dict[str, Any] = {
            "format": FORMAT,
            "law": self.name,
            "args": {n: getattr(self, n) for n in self.parameter_names()},
        }
        if self.report is not None:
            out["fit"] = self.report.to_dict()
        return out


def _check_range(low: float, high: float, *, open_high: bool = False) -> Any:
    def check(owner: str, name: str, x: Any) -> Any:
        ok = isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
        if not ok or x < low or (x >= high if open_high else x > high):
            raise fail(owner, name, f"in [{low}, {high}{')' if open_high else ']'}", x)
        return float(x)

    return check


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class MultiPowerLaw(Law):
    r"""The multi-power law: the loss after the updates ``0 .. t`` of a schedule :math:`\eta`.

    .. math::
        L(t) = L_0 + A\,\Bigl(\sum_{\tau=0}^{t}\eta_\tau\Bigr)^{-\alpha} - B \sum_{k=1}^{t}
            (\eta_{k-1} - \eta_k)\, G\bigl(\eta_k^{-\gamma} S_k(t)\bigr), \qquad
        S_k(t) = \sum_{\tau=k}^{t} \eta_\tau, \quad G(x) = 1 - (C x + 1)^{-\beta}.

    The first sum includes the warmup (the paper's :math:`S_1(t) + S_W`), exactly as the reference code
    sums ``cumsum(lrs)[t]``; a step where the lr is 0 from then on contributes :math:`G = 0` (the limit).
    :meth:`predict` evaluates the second sum in O(n) per curve (a sum of exponentials whose error is
    below ``1e-10 * B * sum|eta_{k-1} - eta_k|``) instead of the direct O(n^2).

    Args:
        L0: the loss floor :math:`L_0` (>= 0).
        A, alpha: amplitude and exponent of the power law in the lr area (>= 0).
        B: amplitude of the loss drop (>= 0).
        C, beta, gamma: shape of the drop: :math:`C > 0`, :math:`\beta > 0`, :math:`\gamma \ge 0`.

    Example:
        >>> import lrplan, lrplan.laws
        >>> law = lrplan.laws.MultiPowerLaw(L0=3.04045406, A=0.52468604, alpha=0.50786857, B=363.78751622,
        ...                                 C=2.06560812, beta=0.58279013, gamma=0.64142257)
        >>> s = lrplan.warmup(lrplan.cosine(init_value=3e-4, decay_steps=21_840, end_value=3e-5), steps=2_160)
        >>> round(law.predict(s, 23_999), 4)
        3.3152
        >>> lrplan.laws.parse_law(str(law)) == law
        True

    References:
        Luo et al. 2025, *A Multi-Power Law for Loss Curve Prediction Across Learning Rate Schedules*,
        https://arxiv.org/abs/2503.12811 (code: thu-yao-01-luo/MultiPowerLaw).
    """

    name: ClassVar[str] = "multi_power"
    L0: float = fields.value()
    A: float = fields.value()
    alpha: float = fields.value()
    B: float = fields.value()
    C: float = fields.positive()
    beta: float = fields.positive()
    gamma: float = fields.value()

    def drop(self, lrs: Array, steps: NDArray[np.int64], method: str = "auto") -> Array:
        """The loss-drop sum (without ``B``) at ``steps`` for per-step lrs ``lrs``."""
        if method == "auto":
            sources = int(np.count_nonzero(np.diff(lrs[: int(steps.max()) + 1])))
            method = "direct" if len(steps) * sources <= 64 * len(lrs) else "fast"
        if method == "direct":
            return _kernel.drop_direct(lrs, self.C, self.beta, self.gamma, steps)
        return _kernel.drop_fast(lrs[: int(steps.max()) + 1], self.C, self.beta, self.gamma)[steps]

    def _curve(self, lrs: Array, steps: NDArray[np.int64], method: str) -> Array:
        area = np.cumsum(lrs)[steps]
        with np.errstate(divide="ignore"):
            power = self.A * area ** (-self.alpha)
        return self.L0 + power - self.B * self.drop(lrs, steps, method)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class MomentumLaw(Law):
    r"""The momentum law (scaling law with learning-rate annealing) for the loss after updates ``0 .. t``.

    .. math::
        L(t) = L_0 + A\,S_1(t)^{-\alpha} - C\,S_2(t), \qquad S_1(t) = \sum_{\tau=0}^{t}\eta_\tau, \qquad
        S_2(t) = \sum_{k=1}^{t} m_k, \quad m_k = \lambda\, m_{k-1} + (\eta_{k-1} - \eta_k), \ m_0 = 0.

    :math:`S_1` is the forward area (warmup included, as for :class:`MultiPowerLaw`) and :math:`S_2` the
    annealing area, a momentum of the lr decreases with decay :math:`\lambda`. Evaluated in O(n) with
    the closed form :math:`S_2(t) = (\eta_0 - \eta_t - \lambda m_t)/(1 - \lambda)`.

    Args:
        L0: the loss floor (>= 0).
        A, alpha: amplitude and exponent of the power law (>= 0).
        C: weight of the annealing area (>= 0).
        decay: :math:`\lambda` in [0, 1) (default 0.999).

    Example:
        >>> import lrplan, lrplan.laws
        >>> law = lrplan.laws.MomentumLaw(L0=3.07, A=0.49, alpha=0.57, C=0.4)
        >>> s = lrplan.wsd(peak_value=3e-4, warmup_steps=2_000, stable_steps=18_000, decay_steps=4_000)
        >>> law.predict(s, [1_999, 19_999, 23_999]).round(4)
        array([4.1117, 3.3717, 3.2629])
        >>> lrplan.laws.parse_law(str(law)) == law
        True

    References:
        Tissue et al. 2024, *Scaling Law with Learning Rate Annealing*, https://arxiv.org/abs/2408.11029.
    """

    name: ClassVar[str] = "momentum"
    L0: float = fields.value()
    A: float = fields.value()
    alpha: float = fields.value()
    C: float = fields.value()
    decay: float = dataclasses.field(default=0.999, metadata={"check": _check_range(0.0, 1.0, open_high=True)})

    def _curve(self, lrs: Array, steps: NDArray[np.int64], method: str) -> Array:
        n = int(steps.max()) + 1
        area = np.cumsum(lrs[:n])[steps]
        with np.errstate(divide="ignore"):
            power = self.A * area ** (-self.alpha)
        return self.L0 + power - self.C * _kernel.momentum_area(lrs[:n], self.decay)[steps]


LAWS: dict[str, type[Law]] = {MultiPowerLaw.name: MultiPowerLaw, MomentumLaw.name: MomentumLaw}
"""Law names (as in specs, configs and ``fit(law=...)``) -> classes."""


def _law_class(owner: str, name: Any) -> type[Law]:
    if not isinstance(name, str) or name not in LAWS:
        raise fail(owner, "law", "one of " + ", ".join(repr(k) for k in LAWS), name)
    return LAWS[name]


def law_from_config(config: dict[str, Any]) -> Law:
    """Rebuild a law from :meth:`Law.to_config` (the constructor checks the values again).

    Example:
        >>> import json, lrplan.laws
        >>> law = lrplan.laws.MomentumLaw(L0=3.07, A=0.49, alpha=0.57, C=0.4)
        >>> lrplan.laws.law_from_config(json.loads(json.dumps(law.to_config()))) == law
        True
    """
    owner = "law_from_config"
    if not isinstance(config, dict):
        raise fail(owner, "config", "a dict", config)
    unknown = set(config) - {"format", "law", "args", "fit"}
    if unknown:
        raise fail(owner, "config", f"free of unknown keys {sorted(unknown)}", config)
    if config.get("format", FORMAT) != FORMAT:
        raise fail(owner, "format", f"{FORMAT} (written by a newer lrplan?)", config.get("format"))
    cls = _law_class(owner, config.get("law"))
    args = config.get("args", {})
    names = cls.parameter_names()
    if not isinstance(args, dict) or set(args) - set(names):
        raise fail(owner, "args", f"an object with keys among {list(names)}", args)
    report = FitReport.from_dict(config["fit"]) if "fit" in config else None
    kwargs: dict[str, Any] = dict(args)
    try:
        return cls(**kwargs, report=report)
    except TypeError as exc:
        raise ConfigError(f"{owner}: {cls.name}: {exc}.") from None


def parse_law(text: str) -> Law:
    """A law from its spec, ``str(law)``: ``multi_power(L0=..., ...)`` or ``momentum(L0=..., ...)``.

    Only a call of a law name with keyword number arguments is accepted (parsed with :mod:`ast`, never
    executed).

    Example:
        >>> import lrplan.laws
        >>> lrplan.laws.parse_law("momentum(L0=3.07, A=0.49, alpha=0.57, C=0.4)").decay
        0.999
    """
    owner = "parse_law"
    if not isinstance(text, str):
        raise fail(owner, "text", "a string", text)
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise fail(owner, "text", "a law spec such as 'momentum(L0=3.0, A=0.5, alpha=0.5, C=100.0)'", text) from None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)) or node.args:
        raise fail(owner, "text", "a call of a law name with keyword arguments", text)
    cls = _law_class(owner, node.func.id)
    args: dict[str, Any] = {}
    for kw in node.keywords:
        value = kw.value
        sign = 1.0
        if isinstance(value, ast.UnaryOp) and isinstance(value.op, (ast.USub, ast.UAdd)):
            sign = -1.0 if isinstance(value.op, ast.USub) else 1.0
            value = value.operand
        if kw.arg is None or not isinstance(value, ast.Constant) or not isinstance(value.value, (int, float)):
            raise fail(owner, "text", "keyword arguments with number values", text)
        args[kw.arg] = sign * value.value
    unknown = set(args) - set(cls.parameter_names())
    if unknown:
        raise fail(owner, "text", f"arguments among {list(cls.parameter_names())}", text)
    try:
        return cls(**args)
    except TypeError as exc:
        raise ConfigError(f"{owner}: {cls.name}: {exc}.") from None


def law_params(cls: type[Law], values: Sequence[float]) -> Law:
    """A law of class ``cls`` from parameter values in :meth:`Law.parameter_names` order."""
    args: dict[str, Any] = dict(zip(cls.parameter_names(), (float(x) for x in values), strict=True))
    return cls(**args)
