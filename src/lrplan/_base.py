"""The :class:`Schedule` base class, with the spec writer and the config encoder it needs.

A learning-rate schedule is a value: ``lr = schedule(step)``. This module holds what every schedule is
made of: the base class and its subclassing contract, :class:`Derived` for schedules defined as
compositions of others, and two pure functions of the dataclass fields that describe a schedule: its
spec text (:func:`format_spec`, read back by :func:`lrplan.parse`) and its config (:func:`to_config`,
read back by :func:`lrplan.from_config`).

The one import of a module above this one is :mod:`lrplan._compose`, inside ``Schedule.__mul__``
(``0.5 * schedule`` builds a ``scale``, ``a * b`` a ``product``).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import warnings
from typing import Any, ClassVar

import numpy as np

from ._errors import ConfigError, StepError
from ._ops import NUMPY, PY, Ops, ops_for
from ._validate import fail, shown

__all__ = ["Schedule", "Derived", "format_spec", "to_config", "FORMAT"]

FORMAT = 1
"""Version of the config layout; :func:`lrplan.from_config` refuses newer versions."""

_INF = math.inf
_NO_STEP: Any = object()  # the step Keras does not pass when it calls a bare schedule

# Hook names of the first release, mapped to the names of the contract for subclasses written before it.
_RENAMED = {"_f": "formula", "_check": "validate"}


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class Schedule:
    r"""Base class of every schedule: a frozen, keyword-only dataclass of hyperparameters.

    **Step convention.** ``schedule(k)`` is the value used for the k-th optimizer update, with k
    counted from 0: the first update uses ``schedule(0)``. Negative steps are treated as 0. Past its
    horizon a schedule holds its end value, unless it is periodic by definition. The value is a pure
    function of (configuration, step), so resuming a run means restoring one integer.

    **Calling.** ``schedule(step)`` accepts

    * a Python int or float: returns a Python float (the fast path, :meth:`python_formula`; NaN or
      infinite steps raise :class:`~lrplan.StepError`);
    * a NumPy array, list or NumPy scalar (``np.float64`` included): returns float64 values of the
      same shape; a NaN step gives NaN there, as it does in every vectorised evaluation;
    * a torch, jax or TensorFlow tensor: returns a tensor of the same kind, through
      :meth:`evaluate`, which never raises on a value and has no Python branch on the step
      (``jax.jit`` safe); a bool or complex tensor is refused with :class:`~lrplan.StepError`.

    **Subclassing** (see ``docs/write_your_own.md``):

    * declare every hyperparameter as a field with :mod:`lrplan.fields` and decorate the class with
      :func:`lrplan.fields.schedule_dataclass`; the field checks run once, after construction, so
      an invalid schedule cannot exist. A subclass does not define ``__init__`` or
      ``__post_init__`` (that would skip the checks): defining either raises ``TypeError``, as
      does building an instance of a class whose fields lack the dataclass decorator;
    * implement :meth:`formula` ``(self, s, ops)``, the value at a float step ``s >= 0`` written with
      the operations of ``ops`` (see :class:`~lrplan.Ops`);
    * optionally :meth:`validate` for checks across fields (raise :meth:`config_error`; build
      nothing), the description :attr:`horizon`, :meth:`breakpoints`, :meth:`continuous_at`, and
      :meth:`python_formula` where a second, pure-Python path measurably pays;
    * values derived from the fields go in a :func:`functools.cached_property`; a schedule defined
      as a composition of others subclasses :class:`Derived` instead;
    * :func:`lrplan.register` gives it a name for specs and configs.

    Example:
        >>> import lrplan, numpy as np
        >>> s = lrplan.cosine(init_value=1.0, decay_steps=10)
        >>> s(0), s(5), s(10), s(99)
        (1.0, 0.5, 0.0, 0.0)
        >>> s(np.array([0, 5, 10]))
        array([1. , 0.5, 0. ])
        >>> str(s)
        'cosine(init_value=1.0, decay_steps=10)'
    """

    _spec_name: ClassVar[str] = ""

    metric_driven: ClassVar[bool] = False
    """True for schedules whose value also depends on reported metrics (:class:`~lrplan.Plateau`):
    they cannot be nested in another schedule, which would evaluate them without their reductions."""

    # ------------------------------------------------------------------ construction
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        body = cls.__dict__
        if "__dataclass_fields__" in body:  # dataclasses re-creating a checked class (slots=True)
            return
        for name, advice in (
            ("__init__", "its constructor is generated from its fields, so that every field check runs"),
            ("__post_init__", "the field checks run there; put values derived from the fields in a cached_property"),
        ):
            if name in body:
                raise TypeError(
                    f"{cls.__qualname__}: a Schedule subclass must not define {name}: {advice}. Declare each "
                    "argument with lrplan.fields and put checks across fields in validate(self)."
                )
        for old, new in _RENAMED.items():
            if old in body and new not in body:
                warnings.warn(
                    f"{cls.__qualname__}.{old} is read as {new}(); rename it.", DeprecationWarning, stacklevel=2
                )
                setattr(cls, new, body[old])
        if "formula" in cls.__dict__ and "python_formula" not in cls.__dict__:
            # a pure-Python fast path inherited from a parent was written for the parent's formula
            cls.python_formula = Schedule.python_formula  # type: ignore[method-assign]

    def __post_init__(self) -> None:
        cls = self.__class__
        if "__dataclass_fields__" not in cls.__dict__ and any(
            isinstance(v, dataclasses.Field) for v in cls.__dict__.values()
        ):
            raise TypeError(
                f"{cls.__qualname__}: its fields are not dataclass fields, so they would never be checked: "
                "decorate the class with @lrplan.fields.schedule_dataclass."
            )
        owner = self.spec_name()
        fields = dataclasses.fields(self)
        for f in fields:
            check = f.metadata.get("check")
            if check is not None:
                object.__setattr__(self, f.name, check(owner, f.name, getattr(self, f.name)))
        for f in fields:
            default_from = f.metadata.get("default_from")
            if default_from is not None and getattr(self, f.name) is None:
                object.__setattr__(self, f.name, default_from(self))
        self.validate()
        self._prepare()

    def validate(self) -> None:
        """Checks across fields, run after every field's own check: raise :meth:`config_error`, build nothing.

        Example:
            >>> import lrplan
            >>> lrplan.clip(lrplan.constant(1.0), min_value=0.5, max_value=0.1)
            Traceback (most recent call last):
            ...
            lrplan._errors.ConfigError: clip: `min_value` must be <= max_value=0.1. Received: min_value=0.5.
        """

    def _prepare(self) -> None:
        """Kernel hook after :meth:`validate` (:class:`Derived` builds its definition here)."""

    def config_error(self, name: str, what: str, value: Any) -> ConfigError:
        """The error for argument ``name``: ``<schedule>: `name` must be <what>. Received: name=<value>.``

        The owner is the schedule's registered name, so every message of a schedule names it alike.

        Example:
            >>> import lrplan
            >>> print(lrplan.constant(1.0).config_error("value", "<= 0.5", 1.0))
            constant: `value` must be <= 0.5. Received: value=1.0.
        """
        return fail(self.spec_name(), name, what, value)

    @classmethod
    def spec_name(cls) -> str:
        """The registered name (``"cosine"``), or the class name for an unregistered class.

        A subclass of a registered schedule has its own name (it is not the schedule it extends).

        Example:
            >>> import lrplan
            >>> lrplan.Cosine.spec_name()
            'cosine'
        """
        return cls.__dict__.get("_spec_name") or cls.__name__

    # ------------------------------------------------------------------ evaluation
    def formula(self, s: Any, ops: Ops) -> Any:
        """The value at float step ``s >= 0``, written with the operations of ``ops`` and no Python branch on ``s``.

        ``s`` is a Python float, a NumPy array or a framework tensor; the same formula serves them all
        (see :class:`~lrplan.Ops`). Every subclass implements it.

        Example:
            >>> import lrplan
            >>> from lrplan._ops import PY
            >>> lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=4).formula(1.0, PY)
            0.75
        """
        raise NotImplementedError(f"{type(self).__name__} must implement formula(self, s, ops)")

    def python_formula(self, s: float) -> float:
        """The value at a Python float step ``s >= 0``: ``formula(s, PY)`` as a float.

        Override only for speed, never for semantics: combinators do, so that ``schedule(step)`` on a
        Python number walks their children without the generic ``ops`` (see ``benchmarks/core.py``).

        Example:
            >>> import lrplan
            >>> lrplan.cosine(init_value=1.0, decay_steps=10).python_formula(5.0)
            0.5
        """
        try:
            return float(self.formula(s, PY))
        except OverflowError:  # Python floats raise where NumPy gives inf (a power past 1e308)
            with np.errstate(all="ignore"):
                return float(self.formula(np.float64(s), NUMPY))

    def evaluate(self, step: Any, ops: Ops) -> Any:
        """The value at ``step`` computed with ``ops`` (any framework). Never raises on a value.

        ``step`` is converted with ``ops.asfloat`` and clamped below at 0.

        Example:
            >>> import numpy as np, lrplan
            >>> from lrplan._ops import NUMPY
            >>> lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=4).evaluate(np.array([-1, 2, 9]), NUMPY)
            array([1. , 0.5, 0. ])
        """
        target = self if ops is NUMPY or ops is PY else self._for_tensors
        return target.formula(ops.maximum(ops.asfloat(step), 0.0), ops)

    @functools.cached_property
    def _for_tensors(self) -> Schedule:
        """This schedule with every int of its float fields made a float: the twin that meets framework tensors.

        jax and keras convert a Python int meeting a tensor to int32 (an ``OverflowError`` from 2**31 on)
        but a Python float to the tensor's float type, so durations counted in tokens must reach them
        as floats. The values are the same numbers; nested schedules get their own twins.
        """
        return _floated(self)

    def __call__(self, step: Any = _NO_STEP) -> Any:
        kind = type(step)
        if kind is int:
            try:
                s = float(step) if step > 0 else 0.0
            except OverflowError:  # past the largest float: refused with the other steps that are not floats
                return self._call_other(step)
            return self.python_formula(s)
        if kind is float and step >= 0.0 and step != _INF:
            return self.python_formula(step)
        return self._call_other(step)

    def _call_other(self, step: Any) -> Any:
        """``schedule(step)`` for anything but a non-negative int or finite float >= 0."""
        if step is _NO_STEP:  # Keras calls a plain callable learning rate with no argument
            raise StepError(
                f"{self.spec_name()}: a schedule is called with the step: schedule(step). Keras optimizers "
                "call a plain callable learning rate without one: wrap the schedule, "
                "keras.optimizers.Adam(learning_rate=lrplan.keras.Schedule(schedule))."
            )
        if isinstance(step, (bool, str)):
            raise StepError(f"{self.spec_name()}: a step must be a number. Received: step={step!r}.")
        if isinstance(step, (int, float)) and not isinstance(step, np.generic):  # np.float64 is a float: array rule
            try:
                s = float(step)
            except OverflowError:  # an int past the largest float
                what = f"an int of {step.bit_length()} bits"  # type: ignore[union-attr]
                raise StepError(f"{self.spec_name()}: a step must be finite. Received: {what}.") from None
            if not s >= 0.0:
                if s != s:
                    raise StepError(f"{self.spec_name()}: a step must not be NaN. Received: step={step!r}.")
                s = 0.0
            elif s == _INF:
                raise StepError(f"{self.spec_name()}: a step must be finite. Received: step={step!r}.")
            return self.python_formula(s)
        ops = ops_for(step)
        if ops is not NUMPY:
            kind_name = str(getattr(step, "dtype", ""))
            if "bool" in kind_name or "complex" in kind_name:
                raise StepError(
                    f"{self.spec_name()}: steps must be real numbers. Received a tensor of dtype {kind_name}."
                )
            return self.evaluate(step, ops)
        arr = np.asarray(step)
        if arr.dtype.kind not in "iuf":
            raise StepError(f"{self.spec_name()}: steps must be numbers. Received an array of dtype {arr.dtype}.")
        with np.errstate(all="ignore"):
            out = np.asarray(self.evaluate(arr, NUMPY), dtype=np.float64)
        if out.shape != arr.shape:
            out = np.broadcast_to(out, arr.shape).copy()
        return out[()] if isinstance(step, np.generic) else out

    # ------------------------------------------------------------------ description
    @property
    def horizon(self) -> float | None:
        """The step from which the value no longer changes, or ``None`` (never, or periodic).

        Example:
            >>> import lrplan
            >>> lrplan.warmup(lrplan.cosine(init_value=1.0, decay_steps=100), steps=10).horizon
            110.0
        """
        return None

    def breakpoints(self) -> tuple[float, ...]:
        """Steps where the formula changes phase (warmup end, decay start, ...), in increasing order.

        Example:
            >>> import lrplan
            >>> lrplan.wsd(peak_value=1.0, warmup_steps=10, stable_steps=80, decay_steps=10).breakpoints()
            (10.0, 90.0, 100.0)
        """
        return ()

    def continuous_at(self) -> tuple[float, ...]:
        """The breakpoints at which the documentation promises a continuous curve.

        Example:
            >>> import lrplan
            >>> lrplan.piecewise_constant(boundaries=[10], values=[1.0, 0.1]).continuous_at()
            ()
        """
        return ()

    # Equality and hashing over the fields, written once here rather than generated for every class
    # (``schedule_dataclass`` passes ``eq=False``), which halves what ``import lrplan`` spends on classes.
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _values(self) == _values(other)  # type: ignore[arg-type]

    def __hash__(self) -> int:
        return hash((self.__class__, _values(self)))

    def __str__(self) -> str:
        return format_spec(self)

    def __repr__(self) -> str:
        return format_spec(self)

    def to_config(self) -> dict[str, Any]:
        """A JSON-safe dict; see :func:`lrplan.to_config`.

        Example:
            >>> import lrplan
            >>> lrplan.constant(0.1).to_config()
            {'format': 1, 'name': 'constant', 'args': {'value': 0.1}}
        """
        return to_config(self)

    # ------------------------------------------------------------------ arithmetic
    def __mul__(self, other: Any) -> Schedule:
        from ._compose import Product, Scale  # the one upward import of the kernel

        if isinstance(other, Schedule):
            return Product(schedules=(self, other))
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Scale(self, factor=other)
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Schedule:
        if isinstance(other, (int, float)) and not isinstance(other, bool) and other != 0:
            return self * (1.0 / other)
        return NotImplemented


class Derived(Schedule):
    r"""Base of the schedules defined as a composition of others (``wsd``, ``one_cycle``, ...).

    A subclass declares its fields as every schedule does and implements :meth:`define`, which
    returns the equivalent composition of primitives (a ``join`` of a ``warmup`` and an ``anneal``,
    ...). The kernel builds it once, after the checks, and keeps it as :attr:`definition`; the value
    (:meth:`formula`, :meth:`python_formula`), :attr:`horizon`, :meth:`breakpoints` and
    :meth:`continuous_at` are the definition's, unless the subclass overrides one (to promise more
    continuity than the composition can tell, say).

    Example:
        >>> import lrplan
        >>> @lrplan.fields.schedule_dataclass
        ... class Trapezoid(lrplan.Derived):
        ...     peak_value: float = lrplan.fields.value()
        ...     ramp_steps: float = lrplan.fields.steps(positive=True)
        ...     def define(self):
        ...         up = lrplan.linear(init_value=0.0, end_value=self.peak_value, decay_steps=self.ramp_steps)
        ...         down = lrplan.linear(init_value=self.peak_value, end_value=0.0, decay_steps=self.ramp_steps)
        ...         return lrplan.join([up, down], boundaries=[self.ramp_steps])
        >>> t = Trapezoid(peak_value=1.0, ramp_steps=10)
        >>> t(5), t(10), t(15), t.horizon, t.breakpoints()
        (0.5, 1.0, 0.5, 20.0, (10.0, 20.0))
    """

    def define(self) -> Schedule:
        """The composition of primitives this schedule is; called once, after the checks."""
        raise NotImplementedError(f"{type(self).__name__} must implement define(self)")

    @functools.cached_property
    def definition(self) -> Schedule:
        """The composition this schedule is defined as (built by :meth:`define`)."""
        return self.define()

    def _prepare(self) -> None:
        self.definition  # noqa: B018 - built now, so that errors surface at construction

    def formula(self, s: Any, ops: Ops) -> Any:
        return self.definition.formula(s, ops)

    def python_formula(self, s: float) -> float:
        return self.definition.python_formula(s)

    @property
    def horizon(self) -> float | None:
        return self.definition.horizon

    def breakpoints(self) -> tuple[float, ...]:
        return self.definition.breakpoints()

    def continuous_at(self) -> tuple[float, ...]:
        return self.definition.continuous_at()


def _floated(schedule: Schedule) -> Schedule:
    """``schedule`` with the ints of its float-typed fields as floats (itself when there are none)."""
    names = {f.name for f in dataclasses.fields(schedule)}
    changes = {}
    for f in dataclasses.fields(schedule):
        old = getattr(schedule, f.name)
        new = _floated_value(old, "float" in str(f.type))
        if new is not old:
            changes[f.name] = new
    if not changes:
        return schedule
    twin = copy.copy(schedule)
    for key in [k for k in twin.__dict__ if k not in names]:  # values derived from the fields: recomputed
        del twin.__dict__[key]
    twin.__dict__.update(changes)
    twin.__dict__["_for_tensors"] = twin
    return twin


def _floated_value(x: Any, is_float: bool) -> Any:
    if isinstance(x, Schedule):
        return x._for_tensors
    if isinstance(x, tuple):
        items = tuple(_floated_value(i, is_float) for i in x)
        return items if any(a is not b for a, b in zip(items, x, strict=True)) else x
    return float(x) if is_float and type(x) is int else x


_COMPARED: dict[type[Schedule], tuple[str, ...]] = {}


def _values(schedule: Schedule) -> tuple[Any, ...]:
    """The values of the fields that equality compares, in order."""
    cls = schedule.__class__
    names = _COMPARED.get(cls)
    if names is None:
        names = _COMPARED[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.compare)
    return tuple([getattr(schedule, name) for name in names])


# ---------------------------------------------------------------------------------------- spec writer
def format_spec(schedule: Schedule) -> str:
    """The spec text of ``schedule``: its registered name called with every non-default argument.

    Positional fields (nested schedules) come first without a keyword; ``parse(format_spec(s)) == s``.

    Example:
        >>> import lrplan
        >>> from lrplan._base import format_spec
        >>> format_spec(lrplan.warmup(lrplan.constant(0.1), steps=10))
        'warmup(constant(0.1), steps=10)'
    """
    parts = []
    for f in dataclasses.fields(schedule):
        if not f.init:
            continue
        val = getattr(schedule, f.name)
        if _is_default(schedule, f, val):
            continue
        text = _spec_value(val)
        parts.append(text if f.kw_only is False else f"{f.name}={text}")
    return f"{schedule.spec_name()}({', '.join(parts)})"


def _is_default(schedule: Schedule, f: dataclasses.Field[Any], val: Any) -> bool:
    default_from = f.metadata.get("default_from")
    default = f.default if default_from is None else default_from(schedule)
    return default is not dataclasses.MISSING and type(val) is type(default) and val == default


def _spec_value(x: Any) -> str:
    if isinstance(x, Schedule):
        return format_spec(x)
    if isinstance(x, tuple):
        return "[" + ", ".join(_spec_value(i) for i in x) + "]"
    return repr(x)


# ---------------------------------------------------------------------------------------- config encoder
def to_config(schedule: Schedule) -> dict[str, Any]:
    """A JSON-safe dict describing ``schedule``: ``{"format": 1, "name": ..., "args": {...}}``.

    Every constructor argument is written, defaults included, so a config keeps meaning the same
    curve if a default changes. Nested schedules are nested dicts of the same shape (without
    ``"format"``).

    Example:
        >>> import json, lrplan
        >>> s = lrplan.warmup(lrplan.constant(0.1), steps=10)
        >>> json.dumps(lrplan.to_config(s))
        '{"format": 1, "name": "warmup", "args": {"schedule": {"name": "constant", "args": {"value": 0.1}}, "steps": 10, "init_value": 0.0, "shape": "linear"}}'
        >>> lrplan.from_config(json.loads(json.dumps(lrplan.to_config(s)))) == s
        True
    """
    if not isinstance(schedule, Schedule):
        raise ConfigError(f"to_config: expected an lrplan Schedule. Received: {shown(schedule)}.")
    return {"format": FORMAT, **_config_node(schedule)}


def _config_node(schedule: Schedule) -> dict[str, Any]:
    args = {f.name: _config_value(getattr(schedule, f.name)) for f in dataclasses.fields(schedule) if f.init}
    return {"name": schedule.spec_name(), "args": args}


def _config_value(x: Any) -> Any:
    if isinstance(x, Schedule):
        return _config_node(x)
    if isinstance(x, (tuple, list)):
        return [_config_value(i) for i in x]
    return x
