"""Argument checks of the presets: one error voice, owned by the preset.

Every preset checks its arguments with an :class:`Args` named after it, ``Args("torch.StepLR")``,
before it builds a schedule, so each error names the preset, the argument and the value received, in
the library's format::

    torch.StepLR: `step_size` must be > 0. Received: step_size=0.

The :func:`preset` decorator guarantees the owner for whatever the checks miss: an error raised by a
core schedule the preset builds (``cosine: ...``) is re-raised as the preset's own
(``fairseq.cosine: ...``). Values shown in messages are cut short (:func:`shown`), so a huge list never
makes a huge message.
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .. import ConfigError, Schedule
from .._validate import shown

__all__ = ["Args", "preset", "unavailable", "shown"]

F = TypeVar("F", bound=Callable[..., Any])


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _finite(value: Any) -> bool:
    """A real number a float can hold: not NaN, not infinite, not an integer beyond 1.8e308."""
    try:
        return _real(value) and math.isfinite(value)
    except OverflowError:
        return False


class Args:
    """The checks of one preset's arguments; every error starts with the preset's name.

    Each check returns the value it accepted (ints stay ints, other reals become floats) or raises
    :class:`~lrplan.ConfigError`.

    Example:
        >>> c = Args("torch.StepLR")
        >>> c.positive("step_size", 30)
        30
        >>> try:
        ...     c.positive("step_size", 0)
        ... except ValueError as err:
        ...     print(err)
        torch.StepLR: `step_size` must be > 0. Received: step_size=0.
    """

    __slots__ = ("owner",)

    def __init__(self, owner: str) -> None:
        self.owner = owner

    # ---------------------------------------------------------------- errors
    def fail(self, name: str, what: str, value: Any) -> ConfigError:
        """The error ``owner: `name` must be what. Received: name=value.``"""
        return ConfigError(f"{self.owner}: `{name}` must be {what}. Received: {name}={shown(value)}.")

    def unsupported(self, name: str, value: Any, expected: str, why: str) -> ConfigError:
        """The error for a value the source accepts but the preset cannot honour: ``must be expected (why)``."""
        return self.fail(name, f"{expected} ({why})", value)

    def only_default(self, name: str, value: Any, default: Any, why: str) -> None:
        """Refuse anything but ``default`` for an argument the preset cannot honour."""
        if value is default or (default is not None and _real(value) and value == default):
            return
        raise self.unsupported(name, value, repr(default), why)

    def last_epoch(self, value: Any) -> None:
        """PyTorch's ``last_epoch`` resume argument: only the fresh start, -1."""
        self.only_default(
            "last_epoch",
            value,
            -1,
            "a preset is a pure function of the step, so there is nothing to resume: evaluate it at any step, "
            "and resume an adapter by its step (lrplan.torch.Scheduler takes `start_step`)",
        )

    def not_available(self, why: str) -> ConfigError:
        """The error for a source schedule that has no preset."""
        return ConfigError(f"{self.owner} is not available as a preset: {why}.")

    def not_a_list(self, name: str, value: Any) -> None:
        """Refuse a per-parameter-group list where the source accepts one (one preset per group instead)."""
        if isinstance(value, (list, tuple)):
            raise ConfigError(
                f"{self.owner}: `{name}` is not supported as a per-group list: build one preset per param group. "
                f"Received: {name}={shown(value)}."
            )

    # ---------------------------------------------------------------- numbers
    def real(self, name: str, value: Any) -> float | int:
        """A finite real number (bool, str, None, NaN and infinities are refused)."""
        if not _finite(value):
            raise self.fail(name, "a finite real number", value)
        return int(value) if isinstance(value, numbers.Integral) else float(value)

    def nonneg(self, name: str, value: Any) -> float | int:
        """A finite real number >= 0."""
        v = self.real(name, value)
        if v < 0:
            raise self.fail(name, ">= 0", value)
        return v

    def positive(self, name: str, value: Any) -> float | int:
        """A finite real number > 0."""
        v = self.real(name, value)
        if v <= 0:
            raise self.fail(name, "> 0", value)
        return v

    def in_range(self, name: str, value: Any, low: float, high: float) -> float | int:
        """A finite real number in the closed interval from ``low`` to ``high``."""
        v = self.real(name, value)
        if v < low or v > high:
            raise self.fail(name, f"in [{low}, {high}]", value)
        return v

    def integer(self, name: str, value: Any, *, minimum: int | None = None) -> int:
        """An integer (an integral float is accepted), optionally >= ``minimum``."""
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            if not _finite(value):
                raise self.fail(name, "an integer a float can hold (below 1.8e308)", value)
            v = int(value)
        elif _finite(value) and float(value).is_integer():
            v = int(float(value))
        else:
            raise self.fail(name, "an integer", value)
        if minimum is not None and v < minimum:
            raise self.fail(name, f"an integer >= {minimum}", value)
        return v

    def integers(self, name: str, value: Any, *, minimum: int = 0) -> list[int]:
        """A list (or set) of integers >= ``minimum``, in the order given, duplicates kept."""
        if not isinstance(value, (list, tuple, set, frozenset)):
            raise self.fail(name, f"a list of integers >= {minimum}", value)
        out = []
        for item in value:
            if not _finite(item) or not float(item).is_integer() or item < minimum:
                raise self.fail(name, f"a list of integers >= {minimum}", value)
            out.append(int(item))
        return out

    def optional(self, check: Callable[..., Any], name: str, value: Any, *args: Any) -> Any:
        """``None``, or what ``check`` (a method of this object) accepts."""
        return None if value is None else check(name, value, *args)

    # ---------------------------------------------------------------- other kinds
    def choice(self, name: str, value: Any, options: tuple[str, ...]) -> str:
        """One of the strings ``options``."""
        if not isinstance(value, str) or value not in options:
            raise self.fail(name, "one of " + ", ".join(repr(o) for o in options), value)
        return value

    def flag(self, name: str, value: Any) -> bool:
        """True or False (not 0/1, not a string)."""
        if not isinstance(value, bool):
            raise self.fail(name, "True or False", value)
        return value

    def reals(self, name: str, value: Any) -> tuple[Any, ...]:
        """A list or tuple of finite real numbers, as a tuple."""
        if not isinstance(value, (list, tuple)) or not all(_finite(x) for x in value):
            raise self.fail(name, "a list of finite real numbers", value)
        return tuple(int(x) if isinstance(x, numbers.Integral) else float(x) for x in value)

    def steps_list(self, name: str, value: Any, *, integral: bool = False) -> list[Any]:
        """A list of non-decreasing steps >= 0 (integers with ``integral=True``)."""
        if not isinstance(value, (list, tuple)):
            raise self.fail(name, "a list of steps", value)
        out: list[Any] = []
        for item in value:
            if not _finite(item) or item < 0:
                raise self.fail(name, "a list of steps >= 0", value)
            if integral and not float(item).is_integer():
                raise self.fail(name, "a list of integer steps", value)
            out.append(int(float(item)) if integral else (int(item) if isinstance(item, int) else float(item)))
        if any(b < a for a, b in itertools.pairwise(out)):
            raise self.fail(name, "non-decreasing", value)
        return out

    def scales_dict(self, name: str, value: Any) -> list[tuple[Any, float]]:
        """A ``{step: scale}`` dict (or None) as a list of (step, scale) sorted by step; scales >= 0."""
        if value is None:
            return []
        if not isinstance(value, Mapping):
            raise self.fail(name, "a dict {step: scale} or None", value)
        items: list[tuple[Any, float]] = []
        for step, scale in value.items():
            if not _finite(step):
                raise self.fail(name, "a dict whose keys are finite steps", value)
            if not _finite(scale) or scale < 0:
                raise self.fail(name, "a dict whose scales are finite numbers >= 0", value)
            items.append((int(step) if isinstance(step, int) else float(step), float(scale)))
        return sorted(items, key=lambda kv: kv[0])

    def schedules(self, name: str, value: Any) -> list[Schedule]:
        """A non-empty list of lrplan schedules (for instance other presets)."""
        if not isinstance(value, (list, tuple)) or not value:
            raise self.fail(name, "a non-empty list of lrplan schedules (for instance other presets)", value)
        for i, item in enumerate(value):
            if not isinstance(item, Schedule):
                raise self.fail(
                    f"{name}[{i}]",
                    "an lrplan Schedule (build it with a preset; framework scheduler objects are not accepted)",
                    item,
                )
        return list(value)


def preset(fn: F) -> F:
    """Mark ``fn`` as the preset ``<source>.<name>``: any :class:`~lrplan.ConfigError` it lets through names it.

    The source is the last part of ``fn``'s module (``lrplan.presets.fairseq`` -> ``fairseq``). An
    error that already starts with the preset's name passes unchanged; any other (a core schedule's
    own check) gets the preset's name in front.

    Example:
        >>> import lrplan
        >>> @preset
        ... def ramp(lr):
        ...     return lrplan.linear(init_value=0.0, end_value=lr, decay_steps=10)
        >>> try:
        ...     ramp(lr=float("nan"))
        ... except ValueError as err:
        ...     print(str(err).split(": ")[0])
        _args.ramp
    """
    owner = f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            if str(exc).startswith(owner):
                raise
            raise ConfigError(f"{owner}: the schedule these arguments describe is invalid: {exc}") from None

    return call  # type: ignore[return-value]


def unavailable(owner: str, why: str) -> Callable[..., Schedule]:
    """A stand-in for the source schedule ``owner`` that has no preset: calling it raises, saying ``why``.

    Example:
        >>> LambdaLR = unavailable("torch.LambdaLR", "it wraps an arbitrary Python function")
        >>> try:
        ...     LambdaLR(None, lambda epoch: 1.0)
        ... except ValueError as err:
        ...     print(err)
        torch.LambdaLR is not available as a preset: it wraps an arbitrary Python function.
    """

    def stand_in(*args: Any, **kwargs: Any) -> Schedule:
        raise Args(owner).not_available(why)

    stand_in.__name__ = stand_in.__qualname__ = owner.rsplit(".", 1)[-1]
    stand_in.__doc__ = f"Not available: {why}. Calling it raises :class:`~lrplan.ConfigError`."
    return stand_in
