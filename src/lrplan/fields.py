"""Field declarations for :class:`~lrplan.Schedule` subclasses.

Each helper returns a :func:`dataclasses.field` whose metadata holds a check. ``Schedule.__post_init__``
runs every field's check once, after construction, and stores the normalised value (lists become
tuples, integral floats of a count become ints), so invalid schedules cannot exist. Checks raise
:class:`~lrplan.ConfigError` with the schedule's name, the argument and the value received.

Example:
    >>> import dataclasses, lrplan
    >>> @dataclasses.dataclass(frozen=True, kw_only=True)
    ... class Ramp(lrplan.Schedule):
    ...     end_value: float = lrplan.fields.value()
    ...     steps: float = lrplan.fields.steps(positive=True)
    ...     def _f(self, s, ops):
    ...         return self.end_value * ops.minimum(s / self.steps, 1.0)
    >>> Ramp(end_value=1.0, steps=0)
    Traceback (most recent call last):
    ...
    lrplan._errors.ConfigError: Ramp: `steps` must be > 0. Received: steps=0.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from . import _validate as v

__all__ = [
    "schedule_dataclass",
    "value",
    "optional_value",
    "real",
    "positive",
    "steps",
    "optional_steps",
    "count",
    "choice",
    "flag",
    "reals",
    "schedule",
    "schedules",
]

Check = Callable[[str, str, Any], Any]
_MISSING: Any = dataclasses.MISSING


def _field(check: Check, default: Any = _MISSING, *, kw_only: bool = True, doc: str = "", **extra: Any) -> Any:
    kwargs: dict[str, Any] = {"metadata": {"check": check, "doc": doc, **extra}}
    if default is not _MISSING:
        kwargs["default"] = default
    if not kw_only:
        kwargs["kw_only"] = False
    return dataclasses.field(**kwargs)


def value(default: Any = _MISSING, *, kw_only: bool = True, doc: str = "") -> Any:
    """A learning-rate-like value: a finite real number >= 0."""
    return _field(v.require_nonnegative, default, kw_only=kw_only, doc=doc)


def optional_value(default: Any = None, *, doc: str = "") -> Any:
    """``None`` or a finite real number >= 0."""

    def check(owner: str, name: str, x: Any) -> Any:
        return None if x is None else v.require_nonnegative(owner, name, x)

    return _field(check, default, doc=doc)


def real(default: Any = _MISSING, *, doc: str = "") -> Any:
    """Any finite real number (an exponent, a shift)."""
    return _field(v.require_real, default, doc=doc)


def positive(default: Any = _MISSING, *, doc: str = "") -> Any:
    """A finite real number > 0 (a rate, a factor)."""
    return _field(v.require_positive, default, doc=doc)


def steps(default: Any = _MISSING, *, positive: bool = False, doc: str = "") -> Any:
    """A duration in steps: a finite real number >= 0 (> 0 with ``positive=True``); fractions allowed."""
    check = v.require_positive if positive else v.require_nonnegative
    return _field(check, default, doc=doc)


def optional_steps(default: Any = None, *, positive: bool = True, doc: str = "") -> Any:
    """``None`` or a duration in steps."""
    inner = v.require_positive if positive else v.require_nonnegative

    def check(owner: str, name: str, x: Any) -> Any:
        return None if x is None else inner(owner, name, x)

    return _field(check, default, doc=doc)


def count(default: Any = _MISSING, *, minimum: int = 1, optional: bool = False, doc: str = "") -> Any:
    """An integer >= ``minimum`` (``None`` too when ``optional``)."""

    def check(owner: str, name: str, x: Any) -> Any:
        if x is None and optional:
            return None
        return v.require_int(owner, name, x, minimum=minimum)

    return _field(check, default, doc=doc)


def choice(options: Sequence[str], default: Any = _MISSING, *, doc: str = "") -> Any:
    """One of ``options`` (strings)."""
    opts = tuple(options)

    def check(owner: str, name: str, x: Any) -> Any:
        return v.require_choice(owner, name, x, opts)

    return _field(check, default, doc=doc, options=opts)


def flag(default: Any = _MISSING, *, doc: str = "") -> Any:
    """``True`` or ``False``."""
    return _field(v.require_bool, default, doc=doc)


def reals(default: Any = _MISSING, *, nonnegative: bool = True, doc: str = "") -> Any:
    """A list of finite real numbers, stored as a tuple (>= 0 unless ``nonnegative=False``)."""

    def check(owner: str, name: str, x: Any) -> Any:
        out = v.require_real_tuple(owner, name, x)
        if nonnegative and any(item < 0 for item in out):
            raise v.fail(owner, name, "a list of numbers >= 0", x)
        return out

    return _field(check, default, doc=doc)


def _require_schedule(owner: str, name: str, x: Any) -> Any:
    from ._base import Schedule

    if not isinstance(x, Schedule):
        hint = " (wrap a plain function in a Schedule subclass; see lrplan.register)" if callable(x) else ""
        raise v.fail(owner, name, f"an lrplan Schedule{hint}", x)
    return x


def schedule(*, kw_only: bool = False, doc: str = "") -> Any:
    """A nested :class:`~lrplan.Schedule` (positional unless ``kw_only=True``: ``warmup(cosine(...), steps=...)``)."""
    return _field(_require_schedule, kw_only=kw_only, doc=doc)


def schedules(*, kw_only: bool = False, minimum: int = 1, doc: str = "") -> Any:
    """A non-empty list of schedules, stored as a tuple."""

    def check(owner: str, name: str, x: Any) -> Any:
        if isinstance(x, (str, bytes)) or not isinstance(x, (list, tuple)) or len(x) < minimum:
            raise v.fail(owner, name, f"a list of at least {minimum} lrplan Schedule(s)", x)
        return tuple(_require_schedule(owner, f"{name}[{i}]", item) for i, item in enumerate(x))

    return _field(check, kw_only=kw_only, doc=doc)


T = TypeVar("T")

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # pragma: no cover - typing only

    def dataclass_transform(**_: Any) -> Callable[[T], T]:
        return lambda f: f


@dataclass_transform(
    kw_only_default=True,
    frozen_default=True,
    field_specifiers=(
        dataclasses.field,
        value,
        optional_value,
        real,
        positive,
        steps,
        optional_steps,
        count,
        choice,
        flag,
        reals,
        schedule,
        schedules,
    ),
)
def schedule_dataclass(cls: type[T]) -> type[T]:
    """Make a :class:`~lrplan.Schedule` subclass a frozen, keyword-only dataclass with the spec as its repr.

    Equivalent to ``@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)``, and understood by
    type checkers together with the field helpers of this module.
    """
    return dataclasses.dataclass(frozen=True, kw_only=True, repr=False)(cls)
