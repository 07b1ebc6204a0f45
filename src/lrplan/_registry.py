"""Schedule names: the registry behind the spec language, configs and the CLI.

User schedules are registered with :func:`register`; lrplan's own through :func:`builtin`, which
marks the name as one that :func:`register` can never replace. The built-ins of the modules that
``import lrplan`` leaves for later (:data:`DEFERRED`) are loaded by the first lookup that needs them.
"""

from __future__ import annotations

import difflib
import importlib
import keyword
from collections.abc import Callable
from typing import TypeVar

from ._base import Schedule
from ._errors import ConfigError, UnknownScheduleError
from ._validate import fail

__all__ = ["register", "builtin", "lookup", "registered", "suggest"]

_REGISTRY: dict[str, type[Schedule]] = {}
_BUILTIN: set[str] = set()

DEFERRED: dict[str, str] = {
    **dict.fromkeys(
        ["cosine_restarts", "cosine_restarts_fixed_floor", "cosine_hard_restarts", "cycle_anneal"],
        "lrplan.schedules.restarts",
    ),
    **dict.fromkeys(["cyclic", "cosine_wave", "polynomial_cycle"], "lrplan.schedules.cyclic"),
    **dict.fromkeys(["batch_constant", "batch_rampup", "batch_steps", "batch_switch"], "lrplan.schedules.batch"),
    "per_update": "lrplan.schedules.clocks",
    **dict.fromkeys(["infinite", "wsd_s"], "lrplan.schedules.continued"),
    "plateau": "lrplan._plateau",
    "range_test_schedule": "lrplan._finder",
}
"""Built-in names whose module ``import lrplan`` does not load (to keep it cheap): name -> module."""

S = TypeVar("S", bound="type[Schedule]")


def _valid_name(name: str) -> bool:
    parts = name.split(".")
    return all(p.isidentifier() and not keyword.iskeyword(p) for p in parts)


def register(name: str, *, replace: bool = False) -> Callable[[S], S]:
    """Register a :class:`~lrplan.Schedule` subclass under ``name``, as a class decorator.

    The name is what the spec language, configs and the CLI use. User schedules should use a
    dotted name (``"mypkg.ramp"``) so they never collide with lrplan's own; a name already taken
    raises :class:`~lrplan.ConfigError` unless ``replace=True`` (built-in names cannot be replaced).

    Example:
        >>> import lrplan
        >>> @lrplan.register("mypkg.halving")
        ... @lrplan.fields.schedule_dataclass
        ... class Halving(lrplan.Schedule):
        ...     init_value: float = lrplan.fields.value()
        ...     every: float = lrplan.fields.steps(positive=True)
        ...     def formula(self, s, ops):
        ...         return self.init_value * 0.5 ** ops.floor(s / self.every)
        >>> s = lrplan.parse("mypkg.halving(init_value=1.0, every=10)")
        >>> s(25)
        0.25
    """
    return _decorator(name, replace=replace, is_builtin=False)


def builtin(name: str) -> Callable[[S], S]:
    """Register one of lrplan's own schedules: the name can never be replaced."""
    return _decorator(name, replace=False, is_builtin=True)


def _decorator(name: str, *, replace: bool, is_builtin: bool) -> Callable[[S], S]:
    if not isinstance(name, str) or not _valid_name(name):
        raise fail("register", "name", "a Python identifier or dotted identifiers", name)

    def decorate(cls: S) -> S:
        if not (isinstance(cls, type) and issubclass(cls, Schedule)):
            raise fail("register", "cls", "a Schedule subclass", cls)
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            if name in _BUILTIN or not replace:
                raise ConfigError(
                    f"register: the name {name!r} is already taken by {_REGISTRY[name].__qualname__}; "
                    "choose another name (e.g. 'mypkg.name') or pass replace=True."
                )
        _REGISTRY[name] = cls
        if is_builtin:
            _BUILTIN.add(name)
        cls._spec_name = name
        return cls

    return decorate


def suggest(name: str) -> str:
    """`` Did you mean 'x'?`` for the closest registered names, or an empty string."""
    close = difflib.get_close_matches(str(name), sorted({*_REGISTRY, *DEFERRED}), n=3, cutoff=0.7)
    if not close:
        return ""
    if len(close) == 1:
        return f" Did you mean {close[0]!r}?"
    return " Did you mean " + ", ".join(repr(c) for c in close[:-1]) + f" or {close[-1]!r}?"


def lookup(name: str) -> type[Schedule]:
    """The class registered under ``name``; :class:`~lrplan.UnknownScheduleError` with suggestions if none."""
    try:
        if name not in _REGISTRY and name in DEFERRED:
            importlib.import_module(DEFERRED[name])
        return _REGISTRY[name]
    except (KeyError, TypeError):
        hint = suggest(name)
        if not hint and isinstance(name, str) and "." in name:
            hint = " Import the package that registers it first."
        raise UnknownScheduleError(f"Unknown schedule {name!r}.{hint}") from None


def registered() -> dict[str, type[Schedule]]:
    """A copy of the registry: name -> class, sorted by name.

    Example:
        >>> import lrplan
        >>> "inverse_sqrt" in lrplan.registered()
        True
        >>> lrplan.registered()["cosine"] is lrplan.Cosine
        True
    """
    for module in sorted(set(DEFERRED.values())):
        importlib.import_module(module)
    return dict(sorted(_REGISTRY.items()))
