"""JAX/optax glue: reading the learning rate in use, and scheduling any optax hyperparameter.

Every lrplan schedule already *is* an optax schedule: a pure callable ``count -> value`` that
accepts an int32 count (concrete or traced), with no Python branch on it, so it works under
``jax.jit``, ``jax.vmap`` and ``jax.grad``::

    optax.adamw(learning_rate=schedule)
    optax.inject_hyperparams(optax.adamw)(learning_rate=schedule)

This module adds what optax users need on top:

* :func:`step` finds the update count inside an optimizer state (``ScaleByScheduleState``,
  ``InjectHyperparamsState``, ``InjectStatefulHyperparamsState``, nested in chains, ``MultiSteps``,
  ``multi_transform`` ...);
* :func:`current_lr` / :func:`last_lr` evaluate a schedule at that count: the value the *next*
  update will use, and the value the *previous* update used (which is what optax's
  ``inject_hyperparams`` stores in ``state.hyperparams``);
* :func:`scheduled` builds an optimizer with several scheduled hyperparameters (learning rate,
  betas, weight decay, ...) on top of ``optax.inject_hyperparams``;
* :func:`plateau_transform` drives a learning rate with a :class:`~lrplan.Plateau` (reduce on
  plateau on top of any schedule), with :func:`report`, :func:`current_value` and
  :func:`plateau_state` to feed and read it.

**Step convention.** optax evaluates ``schedule(count)`` for an update and then increments
``count``, so after k updates the state holds ``count == k``, the k updates used ``schedule(0)``
to ``schedule(k - 1)``, and the next one uses ``schedule(k)``, the lrplan convention.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

try:
    import jax
    import jax.numpy as jnp
    import optax
except ImportError as _exc:  # pragma: no cover - exercised without jax (tests/adapters/test_import_guards.py)
    raise ImportError("lrplan.optax needs JAX and optax: pip install 'lrplan[jax]'") from _exc

from . import ConfigError, Plateau, Schedule
from ._ops import jax_ops

__all__ = [
    "step",
    "current_lr",
    "last_lr",
    "scheduled",
    "plateau_transform",
    "report",
    "current_value",
    "plateau_state",
]

_COUNTED = (optax.ScaleByScheduleState, optax.InjectHyperparamsState, optax.InjectStatefulHyperparamsState)


def _counters(opt_state: Any) -> list[Any]:
    leaves = jax.tree_util.tree_leaves(opt_state, is_leaf=lambda x: isinstance(x, _COUNTED))
    return [leaf for leaf in leaves if isinstance(leaf, _COUNTED)]


def step(opt_state: Any) -> Any:
    """The number of updates applied so far, read from the schedule counter inside ``opt_state``.

    The counter is the ``count`` of the one ``ScaleByScheduleState`` (what ``optax.adamw(learning_rate=
    schedule)`` and ``optax.scale_by_schedule`` keep) or ``InjectHyperparamsState`` /
    ``InjectStatefulHyperparamsState`` (what ``optax.inject_hyperparams`` and :func:`scheduled` keep;
    the states inside it are not searched) found anywhere in the state pytree. Works on concrete and
    traced states. Returns an int32 scalar array.

    Raises:
        ConfigError: the state holds no such counter (e.g. a constant learning rate), or several
            (pass the part of the state you mean, e.g. ``opt_state.inner_states["head"]``).

    Example:
        >>> import jax.numpy as jnp, optax, lrplan, lrplan.optax
        >>> s = lrplan.cosine(init_value=1.0, decay_steps=10)
        >>> opt = optax.sgd(learning_rate=s)
        >>> params = jnp.zeros(2)
        >>> state = opt.init(params)
        >>> for _ in range(5):
        ...     _, state = opt.update(jnp.ones(2), state, params)
        >>> int(lrplan.optax.step(state))
        5
    """
    found = _counters(opt_state)
    if len(found) == 1:
        return found[0].count
    kinds = ", ".join(type(x).__name__ for x in found)
    what = (
        "no schedule counter (ScaleByScheduleState or InjectHyperparamsState): was the optimizer built with a"
        " schedule, e.g. optax.adamw(learning_rate=schedule)?"
        if not found
        else f"{len(found)} schedule counters ({kinds}); pass the part of the state that drives the schedule"
    )
    raise ConfigError(
        f"lrplan.optax: `opt_state` holds {what}. Received: opt_state of type {type(opt_state).__name__}."
    )


def _check_schedule(owner: str, schedule: Any) -> None:
    if not callable(schedule):
        raise ConfigError(
            f"{owner}: `schedule` must be an lrplan Schedule (or a callable count -> value)."
            f" Received: schedule={schedule!r}."
        )


def current_lr(opt_state: Any, schedule: Callable[[Any], Any]) -> Any:
    """The value the *next* update will use: ``schedule(step(opt_state))``.

    This is the learning rate "in use" in lrplan's convention (after k updates the next one is
    update k). Works inside ``jax.jit``.

    Args:
        opt_state: an optax optimizer state holding one schedule counter (see :func:`step`).
        schedule: the schedule the optimizer was built with (any lrplan schedule; for
            :func:`scheduled`, any of its scheduled hyperparameters).

    Example:
        >>> import jax.numpy as jnp, optax, lrplan, lrplan.optax
        >>> s = lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=4)
        >>> opt = optax.adam(learning_rate=s)
        >>> params = jnp.zeros(2)
        >>> state = opt.init(params)
        >>> float(lrplan.optax.current_lr(state, s))
        1.0
        >>> _, state = opt.update(jnp.ones(2), state, params)
        >>> float(lrplan.optax.current_lr(state, s)), float(lrplan.optax.last_lr(state, s))
        (0.75, 1.0)
    """
    _check_schedule("current_lr", schedule)
    return schedule(step(opt_state))


def last_lr(opt_state: Any, schedule: Callable[[Any], Any]) -> Any:
    """The value the *previous* update used: ``schedule(max(step(opt_state) - 1, 0))``.

    This is what ``optax.inject_hyperparams`` stores in ``state.hyperparams`` (``schedule(0)`` before
    the first update). Use it to log the learning rate of the update just applied.

    Example:
        >>> import jax.numpy as jnp, optax, lrplan, lrplan.optax
        >>> s = lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=4)
        >>> opt = optax.inject_hyperparams(optax.sgd)(learning_rate=s)
        >>> params = jnp.zeros(2)
        >>> state = opt.init(params)
        >>> for _ in range(3):
        ...     _, state = opt.update(jnp.ones(2), state, params)
        >>> float(lrplan.optax.last_lr(state, s)), float(state.hyperparams["learning_rate"])
        (0.5, 0.5)
    """
    _check_schedule("last_lr", schedule)
    return schedule(jnp.maximum(step(opt_state) - 1, 0))


def scheduled(
    factory: Callable[..., Any], /, *, static_args: Sequence[str] = (), **hyperparams: Any
) -> optax.GradientTransformationExtraArgs:
    r"""``factory(**hyperparams)`` with every lrplan schedule among them applied per update.

    Built on ``optax.inject_hyperparams``: schedules are evaluated at the update count, numbers are
    kept as (editable) hyperparameters in ``state.hyperparams``, and everything else (strings,
    ``None``, booleans, and the functions named in ``static_args``, such as a weight-decay
    ``mask``) is passed to ``factory`` unchanged. Read the values with :func:`current_lr` /
    :func:`last_lr` or ``state.hyperparams``.

    Args:
        factory: an optax optimizer factory (``optax.adamw``, ``optax.sgd``, ``optax.lion`` ...).
        static_args: names of arguments passed through unchanged even though they are callables.
        **hyperparams: the factory's keyword arguments; lrplan schedules where they vary.

    Raises:
        ConfigError: a hyperparameter is a plain function (not an lrplan schedule) and not named in
            ``static_args``; an unknown argument name.

    Example:
        >>> import jax.numpy as jnp, optax, lrplan, lrplan.optax
        >>> lr = lrplan.warmup(lrplan.cosine(init_value=1e-3, decay_steps=100), steps=10)
        >>> wd = lrplan.linear(init_value=0.0, end_value=0.1, decay_steps=110)
        >>> b1 = lrplan.one_cycle(peak_value=0.85, init_value=0.95, end_value=0.95, total_steps=110)
        >>> opt = lrplan.optax.scheduled(optax.adamw, learning_rate=lr, weight_decay=wd, b1=b1, b2=0.99)
        >>> params = jnp.zeros(3)
        >>> state = opt.init(params)
        >>> for _ in range(10):
        ...     _, state = opt.update(jnp.ones(3), state, params)
        >>> [round(float(state.hyperparams[k]), 6) for k in ("learning_rate", "weight_decay", "b2")]
        [0.0009, 0.008182, 0.99]
        >>> round(float(lrplan.optax.current_lr(state, lr)), 6)
        0.001
    """
    if not callable(factory):
        raise ConfigError(f"scheduled: `factory` must be an optax optimizer factory. Received: factory={factory!r}.")
    static = {static_args} if isinstance(static_args, str) else set(static_args)
    for name, value in hyperparams.items():
        if name in static or isinstance(value, Schedule) or not callable(value):
            continue
        raise ConfigError(
            f"scheduled: `{name}` must be an lrplan Schedule or a number. Received: {name}={value!r}."
            " Build the schedule with lrplan (e.g. lrplan.parse('cosine(init_value=1e-3, decay_steps=1000)')),"
            f" or pass static_args=({name!r},) to hand the function to {getattr(factory, '__name__', 'factory')}"
            " unchanged."
        )
    try:
        return optax.inject_hyperparams(factory, static_args=tuple(sorted(static)))(**hyperparams)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"scheduled: {exc}") from None


# ---------------------------------------------------------------------------------------------- plateau
# Reduce on plateau. The plateau transition is written once (``Plateau._transition``, with ``where``
# only) and run here with ``jax.numpy``, so both ways of reporting a metric are jit-compatible:
#
# * ``tx.update(updates, opt_state, params, value=metric)``, like ``optax.contrib.reduce_on_plateau``:
#   the metric is reported *before* this update's learning rate is computed (use it when the metric is
#   available inside the train step, e.g. with ``optax.contrib``-style per-step losses);
# * :func:`report` ``(opt_state, metric)``: reports a metric computed outside the train step (an epoch's
#   validation loss) without touching the gradients, which is the usual way to use a plateau.
#
# The step counter and the plateau state live in the optimizer state as arrays, so they are saved with
# it by any checkpointer; :func:`plateau_state` turns them back into the plain dict of
# :meth:`Plateau.initial_state` for logging or a JSON checkpoint.


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
        >>> from lrplan.optax import plateau_transform, report, current_value
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

    Example:
        >>> import jax.numpy as jnp, optax, lrplan
        >>> from lrplan.optax import plateau_transform, report, current_value, plateau_state
        >>> p = lrplan.Plateau(lrplan.constant(0.1), patience=0, factor=0.5)
        >>> tx = plateau_transform(p)
        >>> opt_state = tx.init(jnp.zeros(2))
        >>> opt_state = report(report(opt_state, 1.0), 1.0)   # the second report is no better: halve
        >>> plateau_state(opt_state)["scale"]
        0.5
    """
    _states(opt_state)
    return jax.tree.map(lambda x: _report_one(x, metric) if _is_state(x) else x, opt_state, is_leaf=_is_state)


def _single(opt_state: Any) -> PlateauState:
    found = _states(opt_state)
    if len(found) > 1:
        raise ConfigError(f"the optimizer state holds {len(found)} plateau states; pass the one you mean.")
    return found[0]


def current_value(opt_state: Any) -> Any:
    """The learning rate the next update will use (a jax scalar), for logging.

    Example:
        >>> import jax.numpy as jnp, optax, lrplan
        >>> from lrplan.optax import plateau_transform, report, current_value, plateau_state
        >>> p = lrplan.Plateau(lrplan.constant(0.1), patience=0, factor=0.5)
        >>> tx = plateau_transform(p)
        >>> opt_state = tx.init(jnp.zeros(2))
        >>> round(float(current_value(opt_state)), 4)
        0.1
    """
    return _value(_single(opt_state))


def plateau_state(opt_state: Any) -> dict[str, Any]:
    """The plateau state inside ``opt_state`` as the plain dict of :meth:`Plateau.initial_state` (plus ``step``).

    Example:
        >>> import jax.numpy as jnp, optax, lrplan
        >>> from lrplan.optax import plateau_transform, report, current_value, plateau_state
        >>> p = lrplan.Plateau(lrplan.constant(0.1), patience=0, factor=0.5)
        >>> tx = plateau_transform(p)
        >>> opt_state = tx.init(jnp.zeros(2))
        >>> plateau_state(report(opt_state, 2.0))
        {'best': 2.0, 'bad_reports': 0, 'cooldown_left': 0, 'scale': 1.0, 'reductions': 0, 'reports': 1, 'step': 0}
    """
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
