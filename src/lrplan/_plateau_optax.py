"""optax glue for :class:`~lrplan.Plateau`: a gradient transformation whose state holds the plateau state.

Design: the plateau transition is written once (``Plateau._transition``, with ``where`` only) and run
here with ``jax.numpy``, so both ways of reporting a metric are jit-compatible:

* ``tx.update(updates, opt_state, params, value=metric)``, like ``optax.contrib.reduce_on_plateau``:
  the metric is reported *before* this update's learning rate is computed (use it when the metric is
  available inside the train step, e.g. with ``optax.contrib``-style per-step losses);
* :func:`report` ``(opt_state, metric)``: reports a metric computed outside the train step (an epoch's
  validation loss) without touching the gradients, which is the usual way to use a plateau.

The step counter and the plateau state live in the optimizer state as arrays, so they are saved with
it by any checkpointer; :func:`plateau_state` turns them back into the plain dict of
:meth:`Plateau.initial_state` for logging or a JSON checkpoint.
"""

from __future__ import annotations

import dataclasses
from typing import Any

try:
    import jax
    import jax.numpy as jnp
    import optax
except ImportError as exc:  # pragma: no cover - exercised without jax
    raise ImportError("lrplan's optax glue needs jax and optax: pip install 'lrplan[jax]'") from exc

from ._errors import ConfigError
from ._ops import jax_ops
from ._plateau import Plateau

__all__ = ["PlateauState", "plateau_transform", "report", "plateau_state", "current_value"]


@jax.tree_util.register_pytree_node_class
@dataclasses.dataclass(frozen=True)
class PlateauState:
    """The optimizer state of :func:`plateau_transform`: arrays, plus the (static) plateau config.

    ``count`` is the number of updates applied; the other arrays mirror the plateau state dict
    (``has_best`` is False while ``best`` is undefined). The :class:`~lrplan.Plateau` is static pytree
    metadata, so :func:`report` needs nothing else.
    """

    count: Any
    best: Any
    has_best: Any
    bad_reports: Any
    cooldown_left: Any
    scale: Any
    reductions: Any
    reports: Any
    plateau: Plateau

    def tree_flatten(self) -> tuple[tuple[Any, ...], Plateau]:
        return (
            self.count,
            self.best,
            self.has_best,
            self.bad_reports,
            self.cooldown_left,
            self.scale,
            self.reductions,
            self.reports,
        ), self.plateau

    @classmethod
    def tree_unflatten(cls, plateau: Plateau, children: Any) -> PlateauState:
        count, best, has_best, bad, cool, scale, reductions, reports = children
        return cls(count, best, has_best, bad, cool, scale, reductions, reports, plateau)


def _init(plateau: Plateau) -> PlateauState:
    f = jnp.result_type(float)
    i32 = jnp.int32
    return PlateauState(
        count=jnp.zeros([], i32),
        best=jnp.zeros([], f),
        has_best=jnp.zeros([], bool),
        bad_reports=jnp.zeros([], i32),
        cooldown_left=jnp.zeros([], i32),
        scale=jnp.ones([], f),
        reductions=jnp.zeros([], i32),
        reports=jnp.zeros([], i32),
        plateau=plateau,
    )


def _report_one(state: PlateauState, metric: Any) -> PlateauState:
    p = state.plateau
    m = jnp.asarray(metric).astype(state.best.dtype)
    best, has_best, bad, cool, scale, reductions = p._transition(
        best=state.best,
        has_best=state.has_best,
        bad=state.bad_reports,
        cool=state.cooldown_left,
        scale=state.scale,
        reductions=state.reductions,
        metric=m,
        where=jnp.where,
        isfinite=jnp.isfinite,
        absolute=jnp.abs,
    )
    return dataclasses.replace(
        state,
        best=jnp.asarray(best, state.best.dtype),
        has_best=jnp.asarray(has_best, bool),
        bad_reports=jnp.asarray(bad, jnp.int32),
        cooldown_left=jnp.asarray(cool, jnp.int32),
        scale=jnp.asarray(scale, state.scale.dtype),
        reductions=jnp.asarray(reductions, jnp.int32),
        reports=optax.safe_int32_increment(state.reports),
    )


def _value(state: PlateauState) -> Any:
    return state.plateau.evaluate(state.count, state.scale, jax_ops())


def plateau_transform(plateau: Plateau, *, flip_sign: bool = True) -> optax.GradientTransformationExtraArgs:
    """A learning-rate transformation driven by ``plateau``: ``updates * -plateau.value(count, state)``.

    Chain it after a gradient transformation that has no learning rate of its own, e.g.
    ``optax.chain(optax.scale_by_adam(), plateau_transform(p))``. The k-th update (k from 0) uses the
    base schedule at step k times the plateau scale. ``update(..., value=metric)`` reports ``metric``
    first (jit-compatible, like ``optax.contrib.reduce_on_plateau``); without ``value`` nothing is
    reported. ``flip_sign=False`` multiplies by ``+value`` (for use where the sign is handled elsewhere).

    Example:
        >>> import jax.numpy as jnp, optax, lrplan
        >>> from lrplan._plateau_optax import plateau_transform, report, current_value
        >>> p = lrplan.Plateau(lrplan.warmup(lrplan.constant(0.1), steps=2), patience=0, factor=0.5)
        >>> tx = optax.chain(optax.identity(), plateau_transform(p))
        >>> params = jnp.zeros(2); opt_state = tx.init(params)
        >>> for _ in range(3):
        ...     updates, opt_state = tx.update(jnp.ones(2), opt_state, params)
        ...     params = optax.apply_updates(params, updates)
        >>> [round(float(x), 4) for x in params]   # steps 0, 1, 2 use 0, 0.05, 0.1
        [-0.15, -0.15]
        >>> opt_state = report(report(opt_state, 1.0), 1.0)   # a bad epoch: the scale halves
        >>> round(float(current_value(opt_state)), 4)
        0.05
    """
    if not isinstance(plateau, Plateau):
        raise ConfigError(f"plateau_transform: `plateau` must be an lrplan Plateau. Received: plateau={plateau!r}.")
    sign = -1.0 if flip_sign else 1.0

    def init_fn(params: Any) -> PlateauState:
        del params
        return _init(plateau)

    def update_fn(
        updates: Any, state: PlateauState, params: Any = None, *, value: Any = None, **extra_args: Any
    ) -> tuple[Any, PlateauState]:
        del params, extra_args
        if value is not None:
            state = _report_one(state, value)
        lr = sign * _value(state)
        updates = jax.tree.map(lambda g: (lr * g).astype(g.dtype), updates)
        return updates, dataclasses.replace(state, count=optax.safe_int32_increment(state.count))

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def _is_state(x: Any) -> bool:
    return isinstance(x, PlateauState)


def _states(opt_state: Any) -> list[PlateauState]:
    found = [x for x in jax.tree.leaves(opt_state, is_leaf=_is_state) if _is_state(x)]
    if not found:
        raise ConfigError(
            "report: the optimizer state holds no plateau state; build the optimizer with plateau_transform(...)."
        )
    return found


def report(opt_state: Any, metric: Any) -> Any:
    """Report ``metric`` to every plateau state inside ``opt_state``; returns the new optimizer state.

    Pure and jit-compatible (``jax.jit(report)`` works); gradients and the step counter are untouched.
    """
    _states(opt_state)
    return jax.tree.map(lambda x: _report_one(x, metric) if _is_state(x) else x, opt_state, is_leaf=_is_state)


def _single(opt_state: Any) -> PlateauState:
    found = _states(opt_state)
    if len(found) > 1:
        raise ConfigError(f"the optimizer state holds {len(found)} plateau states; pass the one you mean.")
    return found[0]


def current_value(opt_state: Any) -> Any:
    """The learning rate the next update will use (a jax scalar), for logging."""
    return _value(_single(opt_state))


def plateau_state(opt_state: Any) -> dict[str, Any]:
    """The plateau state inside ``opt_state`` as the plain dict of :meth:`Plateau.initial_state` (plus ``step``)."""
    s = _single(opt_state)
    return {
        "best": float(s.best) if bool(s.has_best) else None,
        "bad_reports": int(s.bad_reports),
        "cooldown_left": int(s.cooldown_left),
        "scale": float(s.scale),
        "reductions": int(s.reductions),
        "reports": int(s.reports),
        "step": int(s.count),
    }
