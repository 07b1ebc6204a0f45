"""Field declarations for :class:`~lrplan.Schedule` subclasses.

Each helper returns a :func:`dataclasses.field` whose metadata holds a check. The kernel runs every
field's check once, after construction, and stores the normalised value (lists become tuples,
integral floats of a count become ints), so invalid schedules cannot exist. Checks raise
:class:`~lrplan.ConfigError` with the schedule's name, the argument and the value received.

Example:
    >>> import lrplan
    >>> @lrplan.fields.schedule_dataclass
    ... class Ramp(lrplan.Schedule):
    ...     end_value: float = lrplan.fields.value()
    ...     steps: float = lrplan.fields.steps(positive=True)
    ...     def formula(self, s, ops):
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
from ._base import Schedule

__all__ = [
    "schedule_dataclass",
    "value",
    "optional_value",
    "real",
    "positive",
    "in_range",
    "steps",
    "optional_steps",
    "count",
    "choice",
    "flag",
    "reals",
    "schedule",
    "schedules",
    "custom",
]

Check = Callable[[str, str, Any], Any]
"""A field check: ``check(owner, name, value)`` returns the normalised value or raises ``ConfigError``."""

_MISSING: Any = dataclasses.MISSING


def custom(check: Check, default: Any = _MISSING, *, kw_only: bool = True, doc: str = "", **extra: Any) -> Any:
    """A field checked by your own ``check(owner, name, value)``, which returns the value to store.

    Raise :class:`~lrplan.ConfigError` with a message of the usual form, ``owner`` being the
    schedule's name: ``owner: `name` must be <what>. Received: name=<value>.``

    Example:
        >>> import lrplan
        >>> def odd(owner, name, x):
        ...     if not isinstance(x, int) or x % 2 == 0:
        ...         raise lrplan.ConfigError(f"{owner}: `{name}` must be an odd integer. Received: {name}={x!r}.")
        ...     return x
        >>> @lrplan.fields.schedule_dataclass
        ... class Odd(lrplan.Schedule):
        ...     period: int = lrplan.fields.custom(odd)
        ...     def formula(self, s, ops):
        ...         return s * 0.0 + 1.0 / self.period
        >>> Odd(period=4)
        Traceback (most recent call last):
        ...
        lrplan._errors.ConfigError: Odd: `period` must be an odd integer. Received: period=4.
    """
    kwargs: dict[str, Any] = {"metadata": {"check": check, "doc": doc, **extra}}
    if default is not _MISSING:
        kwargs["default"] = default
    if not kw_only:
        kwargs["kw_only"] = False
    return dataclasses.field(**kwargs)


def value(default: Any = _MISSING, *, kw_only: bool = True, nonnegative: bool = True, doc: str = "") -> Any:
    """A learning-rate-like value: a finite real number >= 0 (any finite real with ``nonnegative=False``).

    Values that other libraries let go negative (optax's schedules, Keras' decays) take
    ``nonnegative=False``; a schedule whose parameters are all >= 0 still never yields a negative value.

    Example:
        >>> import lrplan
        >>> @lrplan.fields.schedule_dataclass
        ... class Peak(lrplan.Schedule):
        ...     peak: float = lrplan.fields.value()
        ...     def formula(self, s, ops):
        ...         return 0.0 * s
        >>> Peak(peak=-1.0)
        Traceback (most recent call last):
        ...
        lrplan._errors.ConfigError: Peak: `peak` must be >= 0. Received: peak=-1.0.
    """
    return custom(v.require_nonnegative if nonnegative else v.require_real, default, kw_only=kw_only, doc=doc)


def optional_value(default: Any = None, *, nonnegative: bool = True, doc: str = "") -> Any:
    """``None`` or a finite real number >= 0 (any finite real with ``nonnegative=False``).

    Example:
        >>> import lrplan
        >>> @lrplan.fields.schedule_dataclass
        ... class Floor(lrplan.Schedule):
        ...     floor: float | None = lrplan.fields.optional_value()
        ...     def formula(self, s, ops):
        ...         return 0.0 * s
        >>> Floor().floor, Floor(floor=0.1).floor
        (None, 0.1)
    """

    inner = v.require_nonnegative if nonnegative else v.require_real

    def check(owner: str, name: str, x: Any) -> Any:
        return None if x is None else inner(owner, name, x)

    return custom(check, default, doc=doc)


def real(default: Any = _MISSING, *, doc: str = "") -> Any:
    """Any finite real number (an exponent, a shift).

    Example:
        >>> import lrplan
        >>> @lrplan.fields.schedule_dataclass
        ... class Power(lrplan.Schedule):
        ...     exponent: float = lrplan.fields.real(default=-0.5)
        ...     def formula(self, s, ops):
        ...         return 0.0 * s
        >>> Power(exponent=float('inf'))
        Traceback (most recent call last):
        ...
        lrplan._errors.ConfigError: Power: `exponent` must be a finite real number. Received: exponent=inf.
    """
    return custom(v.require_real, default, doc=doc)


def positive(default: Any = _MISSING, *, doc: str = "") -> Any:
    """A finite real number > 0 (a rate, a factor).

    Example:
        >>> import lrplan
        >>> @lrplan.fields.schedule_dataclass
        ... class Rate(lrplan.Schedule):
        ...     rate: float = lrplan.fields.positive()
        ...     def formula(self, s, ops):
        ...         return 0.0 * s
        >>> Rate(rate=0)
        Traceback (most recent call last):
        ...
        lrplan._errors.ConfigError: Rate: `rate` must be > 0. Received: rate=0.
    """
    return custom(v.require_positive, default, doc=doc)


def in_range(
    low: float, high: float, default: Any = _MISSING, *, low_open: bool = False, high_open: bool = False, doc: str = ""
) -> Any:
    """A finite real number between ``low`` and ``high`` (closed ends unless ``low_open``/``high_open``).

    Example:
        >>> import lrplan
        >>> @lrplan.fields.schedule_dataclass
        ... class Mix(lrplan.Schedule):
        ...     weight: float = lrplan.fields.in_range(0.0, 1.0, high_open=True)
        ...     def formula(self, s, ops):
        ...         return s * 0.0 + self.weight
        >>> Mix(weight=1.0)
        Traceback (most recent call last):
        ...
        lrplan._errors.ConfigError: Mix: `weight` must be in [0.0, 1.0). Received: weight=1.0.
    """

    def check(owner: str, name: str, x: Any) -> Any:
        return v.require_in_range(owner, name, x, low, high, low_open=low_open, high_open=high_open)

    return custom(check, default, doc=doc)


def steps(default: Any = _MISSING, *, positive: bool = False, doc: str = "") -> Any:
    """A duration in steps: a finite real number >= 0 (> 0 with ``positive=True``); fractions allowed.

    Example:
        >>> import lrplan
        >>> @lrplan.fields.schedule_dataclass
        ... class Ramp(lrplan.Schedule):
        ...     steps: float = lrplan.fields.steps(positive=True)
        ...     def formula(self, s, ops):
        ...         return 0.0 * s
        >>> Ramp(steps=2.5).steps
        2.5
    """
    return custom(v.require_positive if positive else v.require_nonnegative, default, doc=doc)


def optional_steps(default: Any = None, *, positive: bool = True, doc: str = "") -> Any:
    """``None`` or a duration in steps.

    Example:
        >>> import lrplan
        >>> @lrplan.fields.schedule_dataclass
        ... class Until(lrplan.Schedule):
        ...     until: float | None = lrplan.fields.optional_steps()
        ...     def formula(self, s, ops):
        ...         return 0.0 * s
        >>> Until().until, Until(until=100).until
        (None, 100)
    """
    inner = v.require_positive if positive else v.require_nonnegative

    def check(owner: str, name: str, x: Any) -> Any:
        return None if x is None else inner(owner, name, x)

    return custom(check, default, doc=doc)


def count(default: Any = _MISSING, *, minimum: int = 1, optional: bool = False, doc: str = "") -> Any:
    """An integer >= ``minimum`` (``None`` too when ``optional``).

    Example:
        >>> import lrplan
        >>> @lrplan.fields.schedule_dataclass
        ... class Cycles(lrplan.Schedule):
        ...     cycles: int = lrplan.fields.count()
        ...     def formula(self, s, ops):
        ...         return 0.0 * s
        >>> Cycles(cycles=3.0).cycles
        3
    """

    def check(owner: str, name: str, x: Any) -> Any:
        if x is None and optional:
            return None
        return v.require_int(owner, name, x, minimum=minimum)

    return custom(check, default, doc=doc)


def choice(
    options: Sequence[str],
    default: Any = _MISSING,
    *,
    default_from: Callable[[Any], str] | None = None,
    doc: str = "",
) -> Any:
    """One of ``options`` (strings).

    With ``default_from``, the default is ``None``, meaning ``default_from(schedule)``: a choice that
    depends on other fields, computed after their checks and stored (so configs carry it), and left
    out of the spec text where it equals that default.

    Example:
        >>> import lrplan
        >>> @lrplan.fields.schedule_dataclass
        ... class Tilt(lrplan.Schedule):
        ...     mode: str = lrplan.fields.choice(("up", "down"), default="up")
        ...     end: str = lrplan.fields.choice(("high", "low"), default_from=lambda t: "high" if t.mode == "up" else "low")
        ...     def formula(self, s, ops):
        ...         return s * 0.0 + (1.0 if self.end == "high" else 0.0)
        >>> Tilt(mode="down").end, Tilt(mode="down"), Tilt(mode="down", end="high")
        ('low', Tilt(mode='down'), Tilt(mode='down', end='high'))
    """
    opts = tuple(options)

    def check(owner: str, name: str, x: Any) -> Any:
        if x is None and default_from is not None:
            return None
        if not isinstance(x, str) or x not in opts:
            listed = ", ".join(repr(c) for c in opts)
            tail = " (or None for the default)" if default_from is not None else ""
            raise v.fail(owner, name, f"one of {listed}{tail}", x)
        return x

    if default_from is not None:
        return custom(check, None, doc=doc, options=opts, default_from=default_from)
    return custom(check, default, doc=doc, options=opts)


def flag(default: Any = _MISSING, *, doc: str = "") -> Any:
    """``True`` or ``False``.

    Example:
        >>> import lrplan
        >>> @lrplan.fields.schedule_dataclass
        ... class Stairs(lrplan.Schedule):
        ...     staircase: bool = lrplan.fields.flag(default=False)
        ...     def formula(self, s, ops):
        ...         return 0.0 * s
        >>> Stairs(staircase=1)
        Traceback (most recent call last):
        ...
        lrplan._errors.ConfigError: Stairs: `staircase` must be True or False. Received: staircase=1.
    """
    return custom(v.require_bool, default, doc=doc)


def reals(default: Any = _MISSING, *, nonnegative: bool = True, doc: str = "") -> Any:
    """A list of finite real numbers, stored as a tuple (>= 0 unless ``nonnegative=False``).

    Example:
        >>> import lrplan
        >>> @lrplan.fields.schedule_dataclass
        ... class Levels(lrplan.Schedule):
        ...     values: tuple = lrplan.fields.reals()
        ...     def formula(self, s, ops):
        ...         return 0.0 * s
        >>> Levels(values=[1, 0.5]).values
        (1, 0.5)
    """

    def check(owner: str, name: str, x: Any) -> Any:
        out = v.require_real_tuple(owner, name, x)
        if nonnegative and any(item < 0 for item in out):
            raise v.fail(owner, name, "a list of numbers >= 0", x)
        return out

    return custom(check, default, doc=doc)


def require_schedule(owner: str, name: str, x: Any) -> Schedule:
    """``x`` if it is a schedule of the step that can be nested; ``ConfigError`` otherwise."""
    if not isinstance(x, Schedule):
        hint = " (wrap a plain function in a Schedule subclass; see lrplan.register)" if callable(x) else ""
        raise v.fail(owner, name, f"an lrplan Schedule{hint}", x)
    if x.metric_driven:
        raise v.fail(
            owner,
            name,
            f"a schedule of the step ({x.spec_name()} also depends on reported metrics and cannot be nested; "
            "wrap the whole schedule in it instead)",
            x,
        )
    return x


def schedule(*, kw_only: bool = False, doc: str = "") -> Any:
    """A nested :class:`~lrplan.Schedule` (positional unless ``kw_only=True``: ``warmup(cosine(...), steps=...)``).

    Example:
        >>> import lrplan
        >>> @lrplan.fields.schedule_dataclass
        ... class Twice(lrplan.Schedule):
        ...     inner: lrplan.Schedule = lrplan.fields.schedule()
        ...     def formula(self, s, ops):
        ...         return 0.0 * s
        >>> Twice(lrplan.constant(0.1))
        Twice(constant(0.1))
    """
    return custom(require_schedule, kw_only=kw_only, doc=doc)


def schedules(*, kw_only: bool = False, minimum: int = 1, doc: str = "") -> Any:
    """A non-empty list of schedules, stored as a tuple.

    Example:
        >>> import lrplan
        >>> @lrplan.fields.schedule_dataclass
        ... class Mean(lrplan.Schedule):
        ...     parts: tuple = lrplan.fields.schedules()
        ...     def formula(self, s, ops):
        ...         return 0.0 * s
        >>> len(Mean([lrplan.constant(0.1), lrplan.constant(0.3)]).parts)
        2
    """

    def check(owner: str, name: str, x: Any) -> Any:
        if not v.is_list(x) or len(x) < minimum:
            raise v.fail(owner, name, f"a list of at least {minimum} lrplan Schedule(s)", x)
        return tuple(require_schedule(owner, f"{name}[{i}]", item) for i, item in enumerate(x))

    return custom(check, kw_only=kw_only, doc=doc)


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
        custom,
        value,
        optional_value,
        real,
        positive,
        in_range,
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

    Equivalent to ``@dataclasses.dataclass(frozen=True, kw_only=True, repr=False, eq=False)`` (equality
    and hashing over the fields are :class:`~lrplan.Schedule`'s), and understood by type checkers
    together with the field helpers of this module.

    Example:
        >>> import lrplan
        >>> @lrplan.fields.schedule_dataclass
        ... class Half(lrplan.Schedule):
        ...     value: float = lrplan.fields.value()
        ...     def formula(self, s, ops):
        ...         return s * 0.0 + self.value / 2
        >>> Half(value=1.0), Half(value=1.0)(3)
        (Half(value=1.0), 0.5)
    """
    return dataclasses.dataclass(frozen=True, kw_only=True, repr=False, eq=False)(cls)
