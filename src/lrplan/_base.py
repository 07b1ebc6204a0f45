"""The :class:`Schedule` base class: a learning-rate schedule is a value, ``lr = schedule(step)``."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import numpy as np

from ._errors import StepError
from ._ops import NUMPY, PY, Ops, ops_for

__all__ = ["Schedule"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Schedule:
    """Base class of every schedule: a frozen, keyword-only dataclass of hyperparameters.

    **Step convention.** ``schedule(k)`` is the value used for the k-th optimizer update, with k
    counted from 0: the first update uses ``schedule(0)``. Negative steps are treated as 0. Past its
    horizon a schedule holds its end value, unless it is periodic by definition. The value is a pure
    function of (configuration, step), so resuming a run means restoring one integer.

    **Calling.** ``schedule(step)`` accepts

    * a Python int or float: returns a Python float (the fast path; NaN or infinite steps raise
      :class:`~lrplan.StepError`);
    * a NumPy array, list or NumPy scalar: returns float64 values of the same shape;
    * a torch, jax or TensorFlow tensor: returns a tensor of the same kind, through
      :meth:`evaluate`, which never raises and has no Python branch on the step (``jax.jit`` safe).

    **Subclassing.** Declare hyperparameters with :mod:`lrplan.fields` (checked once after
    construction) and implement ``_f(self, s, ops)``, the formula on a float step ``s >= 0`` written
    with ``ops`` (see :class:`~lrplan.Ops`); optionally ``_check(self)`` for checks across fields and
    ``_scalar(self, s)`` for a faster pure-Python path. Register it with :func:`lrplan.register` to
    use it in specs and configs.

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

    # ------------------------------------------------------------------ construction
    def __post_init__(self) -> None:
        owner = self.spec_name()
        for f in dataclasses.fields(self):
            check = f.metadata.get("check")
            if check is not None:
                object.__setattr__(self, f.name, check(owner, f.name, getattr(self, f.name)))
        self._check()

    def _check(self) -> None:
        """Checks that involve several fields; raise :class:`~lrplan.ConfigError`."""

    @classmethod
    def spec_name(cls) -> str:
        """The registered name (``"cosine"``), or the class name for unregistered subclasses."""
        return cls._spec_name or cls.__name__

    # ------------------------------------------------------------------ evaluation
    def _f(self, s: Any, ops: Ops) -> Any:
        """The formula at float step ``s >= 0``, written with ``ops`` only."""
        raise NotImplementedError(f"{type(self).__name__} must implement _f(self, s, ops)")

    def _scalar(self, s: float) -> float:
        """The value at a Python float step ``s >= 0``; override for speed, never for semantics."""
        return float(self._f(s, PY))

    def evaluate(self, step: Any, ops: Ops) -> Any:
        """The value at ``step`` computed with ``ops`` (any framework). Never raises on a value.

        ``step`` is converted with ``ops.asfloat`` and clamped below at 0.
        """
        return self._f(ops.maximum(ops.asfloat(step), 0.0), ops)

    def __call__(self, step: Any) -> Any:
        kind = type(step)
        if kind is int or kind is float:
            s = float(step)
        elif isinstance(step, bool):
            raise StepError(f"{self.spec_name()}: a step must be a number. Received: step={step!r}.")
        elif isinstance(step, (int, float)):
            s = float(step)
        else:
            if isinstance(step, str):
                raise StepError(f"{self.spec_name()}: a step must be a number. Received: step={step!r}.")
            ops = ops_for(step)
            if ops is NUMPY:
                arr = np.asarray(step)
                if arr.dtype.kind not in "iuf":
                    raise StepError(
                        f"{self.spec_name()}: steps must be numbers. Received an array of dtype {arr.dtype}."
                    )
                with np.errstate(all="ignore"):
                    out = self.evaluate(arr, NUMPY)
                out = np.asarray(out, dtype=np.float64)
                if out.shape != arr.shape:
                    out = np.broadcast_to(out, arr.shape).copy()
                return out[()] if isinstance(step, np.generic) else out
            return self.evaluate(step, ops)
        if not s >= 0.0:
            if s != s:
                raise StepError(f"{self.spec_name()}: a step must not be NaN. Received: step={step!r}.")
            s = 0.0
        if s == math.inf:
            raise StepError(f"{self.spec_name()}: a step must be finite. Received: step={step!r}.")
        return self._scalar(s)

    # ------------------------------------------------------------------ description
    @property
    def horizon(self) -> float | None:
        """The step from which the value no longer changes, or ``None`` (never, or periodic)."""
        return None

    def breakpoints(self) -> tuple[float, ...]:
        """Steps where the formula changes phase (warmup end, decay start, ...), in increasing order."""
        return ()

    def continuous_at(self) -> tuple[float, ...]:
        """The boundaries at which the documentation promises a continuous curve."""
        return ()

    def __str__(self) -> str:
        from ._spec import format_spec

        return format_spec(self)

    def __repr__(self) -> str:
        return str(self)

    def to_config(self) -> dict[str, Any]:
        """A JSON-safe dict; see :func:`lrplan.to_config`."""
        from ._serialize import to_config

        return to_config(self)

    # ------------------------------------------------------------------ arithmetic
    def __mul__(self, other: Any) -> Schedule:
        from ._compose import Product, Scale

        if isinstance(other, Schedule):
            return Product(schedules=(self, other))
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Scale(self, factor=other)
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Schedule:
        from ._compose import Scale

        if isinstance(other, (int, float)) and not isinstance(other, bool) and other != 0:
            return Scale(self, factor=1.0 / other)
        return NotImplemented
