r"""Clocks by composition: a schedule written in samples, tokens, epochs or fractions of the run, over updates.

``per_update(schedule, batch=b, unit="samples")`` is a schedule over optimizer updates whose value at
update k is ``schedule(b.samples_before(k))``: a pure function of k, so every adapter, the CLI and
resuming work on it unchanged, and it serializes like any schedule.
"""

from __future__ import annotations

from typing import Any

from .. import fields
from .._base import Schedule
from .._ops import Ops
from .._registry import builtin
from .batch import BatchSchedule, require_batch

__all__ = ["PerUpdate", "UNITS"]

UNITS = ("samples", "tokens", "epochs", "fraction")

# the argument each unit needs (and which the others must leave at None)
_NEEDS = {"tokens": "sequence_length", "epochs": "dataset_size", "fraction": "run_samples"}


@builtin("per_update")
@fields.schedule_dataclass
class PerUpdate(Schedule):
    r"""A schedule written in samples, tokens, epochs or fractions of the run, evaluated at optimizer updates.

    With :math:`c(k)` = ``batch.samples_before(k)``, the samples consumed by the updates before update k,

    .. math::
        \eta(k) = f(t(k)), \qquad t(k) = \begin{cases}
            c(k) & \texttt{unit="samples"} \\
            c(k)\,L & \texttt{unit="tokens"} \ (L = \texttt{sequence\_length}) \\
            c(k) / N & \texttt{unit="epochs"} \ (N = \texttt{dataset\_size}, \text{fractional epochs}) \\
            c(k) / T & \texttt{unit="fraction"} \ (T = \texttt{run\_samples})
        \end{cases}

    Between updates :math:`c` is linear (:meth:`BatchSchedule.samples_at`). For samples and tokens
    the value at update k is exactly ``schedule(samples consumed)`` (integers below :math:`2^{53}`
    are exact in float64), so a schedule keeps its meaning in data whatever the batch-size schedule:
    under two batch schedules, the values agree bit for bit wherever the samples consumed coincide.
    The horizon, breakpoints and continuity points are the schedule's, mapped back to updates.
    Frameworks that evaluate in float32 (``jax.jit`` without x64, ``keras.ops``) hold samples exactly
    only up to :math:`2^{24}`; the torch adapter and NumPy evaluate in float64. In float32 a fraction
    of the run (or an epoch) is one rounded division away from the exact one: near the end of a decay
    that rounding can reach about 2e-5 of the value.

    Args:
        schedule: the schedule :math:`f`, written in ``unit``.
        batch: a batch-size schedule (``batch_constant``, ``batch_rampup``, ``batch_steps``, ...) or an integer batch.
        unit: ``"samples"`` (default), ``"tokens"``, ``"epochs"`` or ``"fraction"``.
        sequence_length: tokens per sample (``unit="tokens"`` only).
        dataset_size: samples per epoch (``unit="epochs"`` only).
        run_samples: samples of the whole run (``unit="fraction"`` only).

    Example:
        >>> import lrplan
        >>> s = lrplan.per_update(
        ...     lrplan.wsd(peak_value=1.0, warmup_steps=100, stable_steps=700, decay_steps=200, decay_shape="linear"),
        ...     batch=lrplan.batch_rampup(start=4, increment=4, ramp_samples=200, batch_size=16),
        ...     unit="samples",
        ... )
        >>> lr, b = s.schedule, s.batch  # the schedule in samples and the batch-size schedule
        >>> s(10), b.samples_before(10), lr(b.samples_before(10))
        (0.4, 40, 0.4)
        >>> s.horizon, round(s(80), 4), s(81)
        (81.0, 0.08, 0.0)

    References:
        The samples clock of Megatron-LM (``OptimizerParamScheduler.step(increment)`` with the global
        batch as increment); token units as in allenai/OLMo PR #411 and Composer's time units.
    """

    schedule: Schedule = fields.schedule()
    batch: BatchSchedule = fields.custom(require_batch)
    unit: str = fields.choice(UNITS, default="samples")
    sequence_length: int | None = fields.count(default=None, optional=True)
    dataset_size: int | None = fields.count(default=None, optional=True)
    run_samples: int | None = fields.count(default=None, optional=True)

    def validate(self) -> None:
        for unit, name in _NEEDS.items():
            given = getattr(self, name)
            if unit == self.unit and given is None:
                raise self.config_error(name, f"an integer >= 1 with unit={unit!r}", given)
            if unit != self.unit and given is not None:
                raise self.config_error(name, f"None with unit={self.unit!r} (it is read with unit={unit!r})", given)

    # ------------------------------------------------------------------ the clock
    def _to_unit(self, samples: Any) -> Any:
        if self.unit == "tokens":
            return samples * float(self.sequence_length or 1)
        if self.unit == "epochs":
            return samples / float(self.dataset_size or 1)
        if self.unit == "fraction":
            return samples / float(self.run_samples or 1)
        return samples

    def _to_samples(self, t: float) -> float:
        if self.unit == "tokens":
            return t / (self.sequence_length or 1)
        if self.unit == "epochs":
            return t * (self.dataset_size or 1)
        if self.unit == "fraction":
            return t * (self.run_samples or 1)
        return t

    def clock(self, k: Any) -> Any:
        """:math:`t(k)`: the time in ``unit`` at update ``k`` (a float, or a float64 array).

        Example:
            >>> import lrplan
            >>> s = lrplan.per_update(lrplan.constant(1.0), batch=32, unit="epochs", dataset_size=1000)
            >>> s.clock(50)
            1.6
        """
        return self._to_unit(self.batch.samples_at(k))

    def update_at(self, t: float) -> float:
        """The (fractional) update at which the clock reads ``t`` (in ``unit``): the inverse of :meth:`clock`.

        Example:
            >>> import lrplan
            >>> s = lrplan.per_update(lrplan.constant(1.0), batch=32, unit="tokens", sequence_length=128)
            >>> s.update_at(4096 * 10)
            10.0
        """
        return self.batch.update_at(self._to_samples(t))

    # ------------------------------------------------------------------ evaluation
    def formula(self, s: Any, ops: Ops) -> Any:
        return self.schedule.formula(self._to_unit(self.batch.samples_formula(s, ops)), ops)

    def python_formula(self, s: float) -> float:
        return self.schedule.python_formula(self._to_unit(self.batch.samples_at(s)))

    # ------------------------------------------------------------------ description
    @property
    def horizon(self) -> float | None:
        h = self.schedule.horizon
        return None if h is None else self.update_at(h)

    def breakpoints(self) -> tuple[float, ...]:
        return tuple(sorted({self.update_at(p) for p in self.schedule.breakpoints()}))

    def continuous_at(self) -> tuple[float, ...]:
        return tuple(sorted({self.update_at(p) for p in self.schedule.continuous_at()}))
