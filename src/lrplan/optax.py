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
  betas, weight decay, ...) on top of ``optax.inject_hyperparams``.

**Step convention.** optax evaluates ``schedule(count)`` for an update and then increments
``count``, so after k updates the state holds ``count == k``, the k updates used ``schedule(0)``
to ``schedule(k - 1)``, and the next one uses ``schedule(k)``, the lrplan convention.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ._base import Schedule
from ._errors import ConfigError

try:
    import jax
    import jax.numpy as jnp
    import optax
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("lrplan.optax needs JAX and optax: pip install 'lrplan[jax]'") from exc

from ._plateau_optax import current_value as current_value
from ._plateau_optax import plateau_state as plateau_state
from ._plateau_optax import plateau_transform as plateau_transform
from ._plateau_optax import report as report

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
