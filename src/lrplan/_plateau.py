"""Reduce on plateau as a pure state machine: ``update(state, metric) -> state`` and ``value(step, state)``.

A :class:`Plateau` is a frozen configuration wrapping any :class:`~lrplan.Schedule`; everything that
changes during training lives in a small JSON-safe ``state`` dict that the caller keeps (and saves in
its checkpoint). Because the base schedule is evaluated at the global step and only multiplied by the
state's ``scale``, "warmup, then reduce on plateau" is one object, and resuming means restoring one
integer (the step) and one dict (the state). A plateau is built on the schedule kernel: registered as
``plateau``, its fields and checks declared like every schedule's, its spec and config written and
read by the same functions.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, cast, overload

import numpy as np

from . import fields
from ._base import Derived, Schedule
from ._errors import ConfigError
from ._ops import Ops
from ._registry import builtin
from ._serialize import from_config
from ._validate import fail, is_mapping, require_int, require_nonnegative
from .schedules.basic import Constant

__all__ = ["Plateau", "STATE_KEYS"]

STATE_KEYS = ("best", "bad_reports", "cooldown_left", "scale", "reductions", "reports")
"""The keys of a plateau state dict, in order."""

_MODES = ("min", "max")
_THRESHOLD_MODES = ("rel", "abs")
_COMPATS = ("lrplan", "torch", "keras")
_DEFAULT_THRESHOLD_MODE = {"lrplan": "rel", "torch": "rel", "keras": "abs"}
_TORCH_EPS = 1e-8
"""PyTorch's ``ReduceLROnPlateau(eps=1e-8)``: a reduction changing the rate by no more than this is skipped."""


def _py_where(c: Any, a: Any, b: Any) -> Any:
    return a if c else b


def _py_isfinite(x: float) -> bool:
    return math.isfinite(x)


def _schedule_or_number(owner: str, name: str, x: Any) -> Schedule:
    """The base schedule; a number >= 0 is ``constant(number)``."""
    if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0:
        return Constant(float(x))
    if not isinstance(x, Schedule):
        raise fail(owner, name, "an lrplan Schedule (or a number >= 0, for a constant)", x)
    return fields.require_schedule(owner, name, x)


def _compat_threshold_mode(plateau: Plateau) -> str:
    return _DEFAULT_THRESHOLD_MODE[plateau.compat]


@builtin("plateau")
@fields.schedule_dataclass
class Plateau(Derived):
    r"""Reduce on plateau: a metric-driven multiplier on any schedule, as a pure state machine.

    The configuration is frozen; the evolving part is an explicit, JSON-safe ``state`` dict::

        state = plateau.initial_state()
        for epoch in ...:
            for batch in ...:
                lr = plateau.value(step, state)   # use lr for this update, then step += 1
            state = plateau.update(state, val_loss)

    **Value.** With :math:`f` the base schedule, :math:`\sigma` the state's ``scale`` (1 at the start,
    multiplied by ``factor`` at each reduction) and :math:`m` = ``min_value``:

    .. math:: \eta(s) = \max\bigl(f(s)\,\sigma,\ \min(f(s), m)\bigr)

    A plateau is a schedule like any other (registered as ``plateau``: printable, parsable,
    serializable); ``p(step)`` is the value before any reduction (:math:`\sigma = 1`), which is
    :math:`f(s)`, and ``p.value(step, state)`` the value under a state. It cannot be nested inside
    another schedule, which would evaluate it without its reductions: wrap the whole schedule in it.

    Reductions never take the value below ``min_value``; where the base schedule itself is below
    ``min_value`` (early warmup) it is used unchanged. For a base that stays above ``min_value``
    (e.g. a constant) this is PyTorch's and Keras's ``max(lr * factor**n, min_lr)``.

    **Patience (this library's rule).** ``patience`` is the number of consecutive non-improving
    reports that are tolerated: the scale is reduced at the next one, i.e. when the count of bad
    reports exceeds ``patience`` (``patience=0`` reduces at the first bad report).

    **One report** (``update``), with ``compat="lrplan"`` (and ``"torch"``):

    1. *improved* if the metric beats ``best`` by the threshold (below); the first finite metric always
       improves. Improved: ``best = metric``, ``bad_reports = 0``; else ``bad_reports += 1``.
    2. In cooldown (``cooldown_left > 0``): ``cooldown_left -= 1`` and ``bad_reports = 0``, so the
       ``cooldown`` reports after a reduction never count (they can still set a new best).
    3. If ``bad_reports > patience``: ``scale *= factor``, ``cooldown_left = cooldown``,
       ``bad_reports = 0``.

    **Thresholds.** ``mode="min"`` with ``threshold_mode="rel"`` improves when
    ``metric < best - threshold * abs(best)``; ``"abs"`` when ``metric < best - threshold``
    (``mode="max"``: ``metric > best + threshold * abs(best)`` / ``best + threshold``). Using
    ``abs(best)`` makes "improve by 0.01%" mean the same thing for negative metrics (a log-likelihood,
    a negative reward): PyTorch writes ``best * (1 - threshold)``, which for a negative ``best`` lies
    *above* it, so a slightly worse metric counts as an improvement and the rate is never reduced on a
    slowly worsening negative metric. ``compat="torch"`` reproduces that formula exactly; the default
    does not.

    **Non-finite metrics.** A NaN (or infinite) metric never improves: it counts as a bad report.
    (PyTorch does the same for NaN; Keras adopts a NaN *first* metric as its best and then never
    improves again. ``compat="keras"`` does not copy that.)

    **Compatibility switches.**

    * ``compat="torch"`` is ``torch.optim.lr_scheduler.ReduceLROnPlateau``: the rule above with its
      relative threshold ``best * (1 -/+ threshold)``, and its ``eps=1e-8``: with a constant base
      (the rate PyTorch owns) a reduction that would change the rate by 1e-8 or less is skipped
      (``scale`` and ``reductions`` stay; the cooldown starts as in PyTorch). A non-constant base has
      no single rate to compare, so there no reduction is skipped.
    * ``compat="keras"`` is ``keras.callbacks.ReduceLROnPlateau``: reduces when the count reaches
      ``patience`` (``>=``, one report earlier than PyTorch; ``patience=0`` and ``1`` act alike); the
      threshold is Keras's absolute ``min_delta`` (``metric + threshold < best``), so
      ``threshold_mode`` must be ``"abs"`` (its default under this switch); the cooldown is handled
      first and the report that ends a cooldown already counts, so ``cooldown=c`` ignores ``c - 1``
      reports. Once the rate sits at ``min_lr`` Keras stops resetting its counter; the rates are the
      same, since the value cannot go below ``min_value`` either way.

    The state dict holds ``best`` (``None`` before the first finite metric), ``bad_reports``,
    ``cooldown_left``, ``scale``, ``reductions`` and ``reports``, all JSON numbers.

    Args:
        schedule: the base schedule :math:`f` (positional); a number means ``constant(number)``.
        mode: ``"min"`` (lower is better, e.g. a loss) or ``"max"`` (e.g. an accuracy).
        factor: multiplier applied to ``scale`` at each reduction, in (0, 1).
        patience: bad reports tolerated (see above), an integer >= 0.
        threshold: how much better than ``best`` a metric must be to count as an improvement (>= 0).
        threshold_mode: ``"rel"`` or ``"abs"``; ``None`` picks the compat's default (``"rel"``, or
            ``"abs"`` for Keras).
        cooldown: reports ignored after each reduction, an integer >= 0.
        min_value: the floor the reductions cannot cross (>= 0).
        compat: ``"lrplan"``, ``"torch"`` or ``"keras"``.

    Raises:
        ConfigError: for an invalid argument, naming it and the value received.

    Example:
        >>> import lrplan
        >>> p = lrplan.plateau(lrplan.warmup(lrplan.constant(0.1), steps=4), patience=1, factor=0.5)
        >>> state = p.initial_state()
        >>> [round(p.value(k, state), 4) for k in range(5)]
        [0.0, 0.025, 0.05, 0.075, 0.1]
        >>> for metric in [1.0, 0.5, 0.6, 0.55]:   # improves, improves, bad, bad -> reduce
        ...     state = p.update(state, metric)
        >>> state
        {'best': 0.5, 'bad_reports': 0, 'cooldown_left': 0, 'scale': 0.5, 'reductions': 1, 'reports': 4}
        >>> p.value(100, state)
        0.05
        >>> print(p)
        plateau(warmup(constant(0.1), steps=4), factor=0.5, patience=1)
        >>> p(2), lrplan.parse(str(p)) == p, lrplan.from_config(lrplan.to_config(p)) == p
        (0.05, True, True)

    References:
        PyTorch ``torch/optim/lr_scheduler.py`` (``ReduceLROnPlateau``); Keras
        ``keras/src/callbacks/reduce_lr_on_plateau.py``; optax ``optax/contrib/_reduce_on_plateau.py``.
    """

    schedule: Schedule = fields.custom(_schedule_or_number, kw_only=False)
    mode: str = fields.choice(_MODES, default="min")
    factor: float = fields.in_range(0.0, 1.0, default=0.1, low_open=True, high_open=True)
    patience: int = fields.count(default=10, minimum=0)
    threshold: float = fields.value(default=1e-4)
    threshold_mode: str = fields.choice(_THRESHOLD_MODES, default_from=_compat_threshold_mode)
    cooldown: int = fields.count(default=0, minimum=0)
    min_value: float = fields.value(default=0.0)
    compat: str = fields.choice(_COMPATS, default="lrplan")

    metric_driven = True

    def validate(self) -> None:
        if self.compat == "keras" and self.threshold_mode != "abs":
            raise self.config_error(
                "threshold_mode", "'abs' with compat='keras' (Keras's min_delta is absolute)", self.threshold_mode
            )

    def define(self) -> Schedule:
        """Before any reduction a plateau is its base schedule: ``p(step) == p.schedule(step)``."""
        return self.schedule

    # ------------------------------------------------------------------ the state machine
    def initial_state(self) -> dict[str, Any]:
        """The state before any report: no best yet, scale 1.

        Example:
            >>> import lrplan
            >>> lrplan.Plateau(lrplan.constant(1.0)).initial_state()
            {'best': None, 'bad_reports': 0, 'cooldown_left': 0, 'scale': 1.0, 'reductions': 0, 'reports': 0}
        """
        return {"best": None, "bad_reports": 0, "cooldown_left": 0, "scale": 1.0, "reductions": 0, "reports": 0}

    def update(self, state: dict[str, Any], metric: Any) -> dict[str, Any]:
        """Report one metric; returns the new state (a new dict; ``state`` is not modified).

        ``metric`` may be a Python or NumPy number or a 0-d tensor (anything ``float()`` accepts).
        Pure: the same (state, metric) always gives the same new state.

        Example:
            >>> import lrplan
            >>> p = lrplan.Plateau(lrplan.constant(1.0), patience=0)
            >>> s = p.update(p.initial_state(), 2.0)
            >>> s = p.update(s, float("nan"))   # NaN never improves
            >>> s["scale"], s["reductions"]
            (0.1, 1)
        """
        st = self._checked_state(state)
        m = self._metric(metric)
        has_best = st["best"] is not None
        best = float(st["best"]) if has_best else 0.0
        out = self._transition(
            best=best,
            has_best=has_best,
            bad=int(st["bad_reports"]),
            cool=int(st["cooldown_left"]),
            scale=float(st["scale"]),
            reductions=int(st["reductions"]),
            metric=m,
            where=_py_where,
            isfinite=_py_isfinite,
            absolute=abs,
        )
        new_best, new_has_best, bad, cool, scale, reductions = out
        return {
            "best": float(new_best) if new_has_best else None,
            "bad_reports": int(bad),
            "cooldown_left": int(cool),
            "scale": float(scale),
            "reductions": int(reductions),
            "reports": int(st["reports"]) + 1,
        }

    def _transition(
        self,
        *,
        best: Any,
        has_best: Any,
        bad: Any,
        cool: Any,
        scale: Any,
        reductions: Any,
        metric: Any,
        where: Callable[[Any, Any, Any], Any],
        isfinite: Callable[[Any], Any],
        absolute: Callable[[Any], Any],
    ) -> tuple[Any, Any, Any, Any, Any, Any]:
        """One report, written with ``where`` only, so the optax glue runs the same code under ``jax.jit``."""
        th = self.threshold
        rel = self.threshold_mode == "rel"
        if self.compat == "torch":
            if self.mode == "min":
                beats = metric < (best * (1.0 - th) if rel else best - th)
            else:
                beats = metric > (best * (1.0 + th) if rel else best + th)
        elif self.compat == "keras":
            beats = metric + th < best if self.mode == "min" else metric - th > best
        else:
            margin = th * absolute(best) if rel else th
            beats = metric < best - margin if self.mode == "min" else metric > best + margin
        improved = where(isfinite(metric), where(has_best, beats, True), False)
        new_best = where(improved, metric, best)
        new_has_best = where(improved, True, has_best)

        if self.compat == "keras":
            in_cd = cool > 0
            cool = where(in_cd, cool - 1, cool)
            bad = where(in_cd, 0, bad)
            still_cd = cool > 0
            counts = where(improved, False, where(still_cd, False, True))
            bad = where(improved, 0, where(counts, bad + 1, bad))
            reduce = where(counts, bad >= self.patience, False)
        else:
            bad = where(improved, 0, bad + 1)
            in_cd = cool > 0
            cool = where(in_cd, cool - 1, cool)
            bad = where(in_cd, 0, bad)
            reduce = bad > self.patience
        applied = reduce
        if self.compat == "torch" and isinstance(self.schedule, Constant):
            # PyTorch owns a constant rate and skips a reduction of eps or less (the cooldown still starts).
            lr, floor = self.schedule.value, min(self.schedule.value, self.min_value)
            old, new = lr * scale, lr * (scale * self.factor)
            old, new = where(old > floor, old, floor), where(new > floor, new, floor)
            applied = where(reduce, old - new > _TORCH_EPS, False)
        scale = where(applied, scale * self.factor, scale)
        reductions = where(applied, reductions + 1, reductions)
        cool = where(reduce, self.cooldown, cool)
        bad = where(reduce, 0, bad)
        return new_best, new_has_best, bad, cool, scale, reductions

    # ------------------------------------------------------------------ values
    def value(self, step: Any, state: dict[str, Any]) -> Any:
        """The learning rate for the update at ``step`` under ``state`` (see the class docstring).

        ``step`` is a Python number (returns a float) or a NumPy array (returns an array).

        Example:
            >>> import lrplan
            >>> p = lrplan.Plateau(lrplan.constant(0.1), min_value=0.02)
            >>> state = dict(p.initial_state(), scale=0.01)
            >>> p.value(0, state)
            0.02
        """
        scale = float(self._checked_state(state)["scale"])
        base = self.schedule(step)
        if isinstance(base, float):
            return max(base * scale, min(base, self.min_value))
        return np.maximum(base * scale, np.minimum(base, self.min_value))

    @overload
    def evaluate(self, step: Any, ops: Ops, /) -> Any: ...

    @overload
    def evaluate(self, step: Any, scale: Any, ops: Ops, /) -> Any: ...

    def evaluate(self, step: Any, *args: Any) -> Any:
        """``evaluate(step, ops)``: the value before any reduction, as for every schedule;
        ``evaluate(step, scale, ops)``: the value with the state's ``scale`` (the adapters' in-graph value).

        Computed with ``ops`` (jax, torch, keras tensors); never raises on a value and has no Python
        branch on ``step`` or ``scale``.

        Example:
            >>> import numpy as np, lrplan
            >>> from lrplan._ops import NUMPY
            >>> p = lrplan.plateau(lrplan.constant(0.1), min_value=0.02)
            >>> p.evaluate(np.array([0, 5]), NUMPY), p.evaluate(np.array([0, 5]), 0.1, NUMPY)
            (array([0.1, 0.1]), array([0.02, 0.02]))
        """
        if len(args) == 1:
            return super().evaluate(step, args[0])
        scale, ops = args
        base = self.schedule.evaluate(step, ops)
        return ops.maximum(base * scale, ops.minimum(base, self.min_value))

    # ------------------------------------------------------------------ configs
    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Plateau:
        """Rebuild from :meth:`to_config`'s dict, through the constructor (so every check runs again).

        :func:`lrplan.from_config` does the same for any schedule; this one also insists on a plateau.

        Example:
            >>> import json, lrplan
            >>> p = lrplan.plateau(lrplan.constant(0.1), patience=3, compat="keras")
            >>> c = json.loads(json.dumps(p.to_config()))
            >>> c["args"]["threshold_mode"], lrplan.Plateau.from_config(c) == p
            ('abs', True)
        """
        if not is_mapping(config):
            raise fail("Plateau.from_config", "config", "a mapping (a dict, a DictConfig...)", config)
        if config.get("name") != "plateau":
            raise ConfigError(f"Plateau.from_config: expected name 'plateau'. Received: {config.get('name')!r}.")
        return cast(Plateau, from_config(config))  # "plateau" is a built-in name: always this class

    # ------------------------------------------------------------------ helpers
    def _checked_state(self, state: Any) -> dict[str, Any]:
        if not isinstance(state, dict) or set(state) != set(STATE_KEYS):
            raise self.config_error(
                "state",
                f"a dict with the keys {list(STATE_KEYS)} (from Plateau.initial_state() or update())",
                state,
            )
        best = state["best"]
        if best is not None and not (isinstance(best, numbers.Real) and not isinstance(best, bool)):
            raise self.config_error("state['best']", "None or a number", best)
        for key in ("bad_reports", "cooldown_left", "reductions", "reports"):
            require_int(self.spec_name(), f"state[{key!r}]", state[key], minimum=0)
        require_nonnegative(self.spec_name(), "state['scale']", state["scale"])
        return state

    def _metric(self, metric: Any) -> float:
        what = "a real number (a float, a NumPy number or a 0-d tensor)"
        if isinstance(metric, (bool, str, bytes)) or metric is None:
            raise self.config_error("metric", what, metric)
        try:
            return float(metric)
        except (TypeError, ValueError):
            raise self.config_error("metric", what, metric) from None
