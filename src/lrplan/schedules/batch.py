r"""Batch-size schedules: the global batch of each optimizer update, as a value.

A batch-size schedule ``b`` is a :class:`~lrplan.Schedule` of the update count (``b(k)`` is the
global batch of update k, k from 0) built from a *rule*: the batch as a function of the samples
consumed so far, as Megatron-LM defines it (its micro-batch calculators are called with
``consumed_samples`` before every update). Running the rule gives a short table of *phases*: from
update :math:`u_j` on, having consumed :math:`e_j` samples, every update takes :math:`B_j` samples,
until the next phase. So, in closed form (no loop over the updates),

.. math::
    b(k) = B_j, \qquad \text{samples\_before}(k) = e_j + (k - u_j)\,B_j, \qquad u_j \le k < u_{j+1}.

The phases are computed once, at construction, with a loop over the rule's levels (never over the
updates); evaluation is a table look-up, ``O(log phases)`` for Python and NumPy, a chain of
``ops.where`` for the frameworks. Between updates the clock is linear:
``samples_at(s) = samples_before(floor s) + (s - floor s) b(floor s)``, continuous, and equal to
``samples_before(k)`` at every integer k. Values are exact integers in float64 below :math:`2^{53}`.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import itertools
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import fields
from .._base import Schedule
from .._errors import ConfigError
from .._ops import Ops
from .._registry import builtin
from .._validate import fail, require_int, require_real_tuple

__all__ = ["BatchSchedule", "BatchConstant", "BatchRampup", "BatchSteps", "BatchSwitch", "BatchSplit"]

MAX_LEVELS = 10_000
"""The most levels (distinct batch sizes) a rule may have: the framework formula is a chain of that many selections."""

Phase = tuple[int, int, int]
"""``(first update, samples consumed before it, batch of each update)``."""


@dataclasses.dataclass(frozen=True)
class BatchSplit:
    """How the ranks of a data-parallel job take the global batch of one update.

    ``global_batch = world_size * micro_batch_size * accumulation_steps``; each rank runs
    ``accumulation_steps`` forward/backward passes of ``micro_batch_size`` samples
    (``per_rank = micro_batch_size * accumulation_steps`` samples) before the optimizer step. Samples
    ``[samples_before, samples_before + global_batch)`` of the data stream belong to this update.

    Example:
        >>> import lrplan
        >>> split = lrplan.batch_constant(256).split(10, world_size=4, micro_batch_size=16)
        >>> split.samples_before, split.accumulation_steps, split.per_rank
        (2560, 4, 64)
    """

    update: int
    global_batch: int
    samples_before: int
    world_size: int
    micro_batch_size: int
    accumulation_steps: int

    @property
    def per_rank(self) -> int:
        """Samples each rank processes in this update."""
        return self.micro_batch_size * self.accumulation_steps


def _walk(
    levels: Sequence[tuple[int, int]], update: int, samples: int, head: Sequence[Phase] = ()
) -> tuple[Phase, ...]:
    """Run a rule (``levels``: sorted ``(threshold, batch)``) from ``(update, samples)``: its phases.

    The batch of an update is the batch of the last level whose threshold is ``<= samples consumed``.
    The loop runs once per level crossed, never once per update.
    """
    thresholds = [t for t, _ in levels]
    phases = list(head)
    u, e = update, samples
    while True:
        b = levels[bisect.bisect_right(thresholds, e) - 1][1]
        if not phases or phases[-1][2] != b:
            phases.append((u, e, b))
        nxt = bisect.bisect_right(thresholds, e)
        if nxt == len(thresholds):
            return tuple(phases)
        n = -(-(thresholds[nxt] - e) // b)  # updates until the next threshold is reached
        u, e = u + n, e + n * b


def _integral(x: Any) -> bool:
    return isinstance(x, numbers.Integral) or (isinstance(x, np.ndarray) and x.dtype.kind in "iu")


class BatchSchedule(Schedule):
    r"""Base of the batch-size schedules: ``b(k)`` is the global batch of update k (a float, like every schedule).

    A subclass implements :meth:`levels`, the rule (the batch as a function of the samples consumed);
    the kernel derives the phases once. ``b(k)``, :meth:`samples_before`, :meth:`samples_at`,
    :meth:`update_at` and :meth:`split` are then closed forms over the phases.

    Example:
        >>> import lrplan
        >>> b = lrplan.batch_rampup(start=2, increment=2, ramp_samples=12, batch_size=6)
        >>> [b(k) for k in range(8)]
        [2.0, 2.0, 2.0, 4.0, 4.0, 6.0, 6.0, 6.0]
        >>> [b.samples_before(k) for k in range(8)]
        [0, 2, 4, 6, 10, 14, 20, 26]
    """

    def levels(self) -> tuple[tuple[int, int], ...]:
        """The rule: ``((threshold, batch), ...)``, thresholds in samples, strictly increasing, the first 0."""
        raise NotImplementedError(f"{type(self).__name__} must implement levels(self)")

    @functools.cached_property
    def phases(self) -> tuple[Phase, ...]:
        """``((u_j, e_j, B_j), ...)``: from update ``u_j`` on, ``e_j`` samples consumed, batch ``B_j``.

        Example:
            >>> import lrplan
            >>> lrplan.batch_rampup(start=2, increment=2, ramp_samples=12, batch_size=6).phases
            ((0, 0, 2), (3, 6, 4), (5, 14, 6))
        """
        return _walk(self.levels(), 0, 0)

    def _prepare(self) -> None:
        self.phases  # noqa: B018 - built now, so that errors surface at construction

    @functools.cached_property
    def _table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        u, e, b = zip(*self.phases, strict=True)
        return np.array(u, dtype=np.int64), np.array(e, dtype=np.int64), np.array(b, dtype=np.int64)

    @functools.cached_property
    def _starts(self) -> list[int]:
        return [p[0] for p in self.phases]

    # ------------------------------------------------------------------ the schedule of the batch
    def formula(self, s: Any, ops: Ops) -> Any:
        first, *rest = self.phases
        out = s * 0.0 + float(first[2])
        for u, _, b in rest:
            out = ops.where(s >= u, float(b), out)
        return out

    def python_formula(self, s: float) -> float:
        return float(self.phases[bisect.bisect_right(self._starts, s) - 1][2])

    @property
    def horizon(self) -> float | None:
        return float(self.phases[-1][0])

    def breakpoints(self) -> tuple[float, ...]:
        return tuple(float(p[0]) for p in self.phases[1:])

    # ------------------------------------------------------------------ the clock
    def samples_formula(self, s: Any, ops: Ops) -> Any:
        """``samples_at(s)`` written with ``ops`` (no Python branch on ``s``): what :func:`lrplan.per_update` runs."""
        first, *rest = self.phases
        out = s * float(first[2]) + float(first[1] - first[0] * first[2])
        for u, e, b in rest:
            out = ops.where(s >= u, (s - float(u)) * float(b) + float(e), out)
        return out

    def samples_before(self, k: Any) -> Any:
        """The samples consumed by updates ``0 .. k-1``: ``e_j + (k - u_j) B_j`` (an int; int64 for integer arrays).

        A fractional ``k`` counts the updates before it (``floor``); negative ``k`` gives 0.

        Example:
            >>> import lrplan
            >>> b = lrplan.batch_rampup(start=32, increment=32, ramp_samples=2_000_000, batch_size=512)
            >>> b.samples_before(0), b.samples_before(1), b.samples_before(10**9)
            (0, 32, 511994920384)
        """
        if isinstance(k, numbers.Real) and not isinstance(k, bool) and not isinstance(k, np.ndarray):
            if not math.isfinite(k):
                raise ConfigError(f"{self.spec_name()}.samples_before: `k` must be finite. Received: k={k!r}.")
            n = max(int(k) if isinstance(k, numbers.Integral) else math.floor(float(k)), 0)
            u, e, b = self.phases[bisect.bisect_right(self._starts, n) - 1]
            return e + (n - u) * b
        arr = np.asarray(k)
        if arr.dtype.kind not in "iuf":
            raise ConfigError(
                f"{self.spec_name()}.samples_before: `k` must be numbers. Received an array of {arr.dtype}."
            )
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise ConfigError(
                f"{self.spec_name()}.samples_before: `k` must be finite. Received an array with NaN or inf."
            )
        n = np.maximum(np.floor(arr).astype(np.int64) if arr.dtype.kind == "f" else arr.astype(np.int64), 0)
        us, es, bs = self._table
        j = np.searchsorted(us, n, side="right") - 1
        return es[j] + (n - us[j]) * bs[j]

    def samples_at(self, s: Any) -> Any:
        """The continuous clock: ``samples_before(floor s) + (s - floor s) b(floor s)`` (a float; arrays too).

        Example:
            >>> import lrplan
            >>> lrplan.batch_constant(8).samples_at(2.5)
            20.0
        """
        if isinstance(s, numbers.Real) and not isinstance(s, (bool, np.ndarray)):
            x = max(float(s), 0.0)
            u, e, b = self.phases[bisect.bisect_right(self._starts, x) - 1]
            return (x - u) * b + e
        xs = np.maximum(np.asarray(s, dtype=np.float64), 0.0)
        us, es, bs = self._table
        j = np.searchsorted(us, xs, side="right") - 1
        return (xs - us[j]) * bs[j] + es[j]

    def update_at(self, samples: float) -> float:
        """The inverse clock: the (fractional) update ``s`` at which ``samples_at(s) == samples``.

        ``math.ceil(b.update_at(n))`` is the number of updates a run of ``n`` samples takes.

        Example:
            >>> import math, lrplan
            >>> b = lrplan.batch_rampup(start=2, increment=2, ramp_samples=12, batch_size=6)
            >>> b.update_at(14), b.update_at(17), math.ceil(b.update_at(17))
            (5.0, 5.5, 6)
        """
        c = max(float(samples), 0.0)
        j = bisect.bisect_right([p[1] for p in self.phases], c) - 1
        u, e, b = self.phases[j]
        return u + (c - e) / b

    def split(self, k: int, *, world_size: int, micro_batch_size: int) -> BatchSplit:
        """Tell a data loader update ``k``'s global batch and its split into micro-batches and accumulation steps.

        ``global_batch`` must be a multiple of ``world_size * micro_batch_size``; the number of
        micro-batches each rank accumulates is the quotient (Megatron's ``num_microbatches``).

        Example:
            >>> import lrplan
            >>> b = lrplan.batch_rampup(start=32, increment=32, ramp_samples=2_000_000, batch_size=512)
            >>> b.split(0, world_size=8, micro_batch_size=4)
            BatchSplit(update=0, global_batch=32, samples_before=0, world_size=8, micro_batch_size=4, accumulation_steps=1)
            >>> b.split(10**6, world_size=8, micro_batch_size=4).accumulation_steps
            16
            >>> b.split(0, world_size=8, micro_batch_size=8)
            Traceback (most recent call last):
            ...
            lrplan._errors.ConfigError: batch_rampup.split: `micro_batch_size` * `world_size` must divide the global batch 32 of update 0. Received: micro_batch_size=8, world_size=8.
        """
        owner = f"{self.spec_name()}.split"
        k = require_int(owner, "k", k, minimum=0)
        world_size = require_int(owner, "world_size", world_size, minimum=1)
        micro_batch_size = require_int(owner, "micro_batch_size", micro_batch_size, minimum=1)
        u, e, b = self.phases[bisect.bisect_right(self._starts, k) - 1]
        per_step = world_size * micro_batch_size
        if b % per_step:
            raise ConfigError(
                f"{owner}: `micro_batch_size` * `world_size` must divide the global batch {b} of update {k}. "
                f"Received: micro_batch_size={micro_batch_size}, world_size={world_size}."
            )
        return BatchSplit(k, b, e + (k - u) * b, world_size, micro_batch_size, b // per_step)

    def check_split(self, *, world_size: int, micro_batch_size: int) -> None:
        """Refuse, before training, a ``world_size * micro_batch_size`` that does not divide every batch of the run.

        Example:
            >>> import lrplan
            >>> lrplan.batch_rampup(start=32, increment=32, ramp_samples=2_000_000, batch_size=512).check_split(
            ...     world_size=8, micro_batch_size=8)
            Traceback (most recent call last):
            ...
            lrplan._errors.ConfigError: batch_rampup.split: `micro_batch_size` * `world_size` must divide the global batch 32 of update 0. Received: micro_batch_size=8, world_size=8.
        """
        for u, _, _ in self.phases:
            self.split(u, world_size=world_size, micro_batch_size=micro_batch_size)


def _check_levels(owner: str, name: str, levels: Sequence[tuple[int, int]], value: Any) -> None:
    if len(levels) > MAX_LEVELS:
        raise fail(owner, name, f"a rule of at most {MAX_LEVELS} batch sizes", value)


@builtin("batch_constant")
@fields.schedule_dataclass
class BatchConstant(BatchSchedule):
    r"""A constant global batch: :math:`b(k) = B`, :math:`\text{samples\_before}(k) = kB`.

    Args:
        batch_size: :math:`B` (an integer >= 1).

    Example:
        >>> import lrplan
        >>> b = lrplan.batch_constant(512)
        >>> b(7), b.samples_before(7), b.samples_before(10**9)
        (512.0, 3584, 512000000000)
    """

    batch_size: int = fields.custom(lambda o, n, x: require_int(o, n, x, minimum=1), kw_only=False)

    def levels(self) -> tuple[tuple[int, int], ...]:
        return ((0, self.batch_size),)


@builtin("batch_rampup")
@fields.schedule_dataclass
class BatchRampup(BatchSchedule):
    r"""Megatron-LM's batch-size ramp-up (``--rampup-batch-size <start> <increment> <ramp_samples>``).

    The batch is a function of the samples consumed :math:`c` before the update, in
    :math:`n = (B - B_0)/\Delta` equal increments over ``ramp_samples`` :math:`R` samples:

    .. math::
        \text{batch}(c) = \begin{cases}
            B_0 + \Delta \left\lfloor c / (R / n) \right\rfloor & c \le R \\
            B & c > R
        \end{cases}

    computed in float64 exactly as Megatron does (``int(consumed_samples /
    rampup_samples_per_increment)``), so every update takes the batch Megatron gives it. The updates
    and samples of each step of the ramp follow in closed form (see :class:`BatchSchedule`).

    Args:
        start: :math:`B_0`, the first global batch (>= 1).
        increment: :math:`\Delta` (>= 1); ``batch_size - start`` must be a multiple of it.
        ramp_samples: :math:`R`, the samples over which the batch ramps up (>= 1 when it ramps).
        batch_size: :math:`B`, the global batch after the ramp (``--global-batch-size``).

    Example:
        >>> import math, lrplan
        >>> b = lrplan.batch_rampup(start=32, increment=32, ramp_samples=2_000_000, batch_size=512)
        >>> b(0), b(4166), b(4167), b.samples_before(4167)
        (32.0, 32.0, 64.0, 133344)
        >>> math.ceil(b.update_at(10_000_000))  # updates in a 10M-sample run
        29453

    References:
        NVIDIA/Megatron-LM, ``megatron/core/num_microbatches_calculator.py``,
        ``RampupBatchsizeNumMicroBatchesCalculator.update`` (commit 0b9bc20, before it was replaced by
        step schedules in 532ad92); GPT-3 ramps its batch up the same way (Brown et al. 2020,
        https://arxiv.org/abs/2005.14165, Appendix B).
    """

    start: int = fields.count()
    increment: int = fields.count()
    ramp_samples: int = fields.count(minimum=0)
    batch_size: int = fields.count()

    def validate(self) -> None:
        diff = self.batch_size - self.start
        if diff < 0:
            raise self.config_error("batch_size", f">= start={self.start}", self.batch_size)
        if diff % self.increment:
            raise self.config_error(
                "batch_size", f"start={self.start} plus a multiple of increment={self.increment}", self.batch_size
            )
        if diff // self.increment > MAX_LEVELS:
            raise self.config_error(
                "increment", f"at least (batch_size - start) / {MAX_LEVELS} = {diff / MAX_LEVELS:g}", self.increment
            )
        if diff and self.ramp_samples == 0:
            raise self.config_error("ramp_samples", f">= 1 when batch_size > start={self.start}", self.ramp_samples)

    def megatron_batch(self, consumed_samples: int) -> int:
        """The batch Megatron gives an update after ``consumed_samples`` samples (its own arithmetic).

        Example:
            >>> import lrplan
            >>> b = lrplan.batch_rampup(start=32, increment=32, ramp_samples=2_000_000, batch_size=512)
            >>> b.megatron_batch(133_333), b.megatron_batch(133_334), b.megatron_batch(2_000_001)
            (32, 64, 512)
        """
        n = (self.batch_size - self.start) // self.increment
        if n == 0 or consumed_samples > self.ramp_samples:
            return self.batch_size
        per_increment = self.ramp_samples / n
        return self.start + int(consumed_samples / per_increment) * self.increment

    def levels(self) -> tuple[tuple[int, int], ...]:
        n = (self.batch_size - self.start) // self.increment
        if n == 0:
            return ((0, self.batch_size),)
        per_increment = self.ramp_samples / n
        thresholds = {0}
        for j in range(1, n + 1):  # the first c reaching start + j * increment, by Megatron's own arithmetic
            target = self.start + j * self.increment
            c = min(max(math.ceil(j * per_increment), 0), self.ramp_samples + 1)
            while c > 0 and self.megatron_batch(c - 1) >= target:
                c -= 1
            while self.megatron_batch(c) < target:
                c += 1
            thresholds.add(c)
        return tuple((t, self.megatron_batch(t)) for t in sorted(thresholds))


def _int_list(owner: str, name: str, x: Any) -> tuple[int, ...]:
    out = require_real_tuple(owner, name, x)
    if any(item < 1 or not float(item).is_integer() for item in out):
        raise fail(owner, name, "a list of integers >= 1", x)
    return tuple(int(item) for item in out)


@builtin("batch_steps")
@fields.schedule_dataclass
class BatchSteps(BatchSchedule):
    r"""A batch that steps up (or down) at given amounts of data consumed, in samples or in tokens.

    .. math:: \text{batch}(c) = B_i, \quad i = \#\{\, j : t_j \le c \,\}

    with :math:`c` the samples consumed before the update and :math:`t_j` the ``boundaries``; in
    tokens (``unit="tokens"``) each boundary becomes ``boundary // sequence_length`` samples, as
    Megatron-LM's ``--step-batch-size-schedule "0:768 250B:1536"`` with ``--seq-length`` does.

    Args:
        boundaries: strictly increasing amounts of data (integers >= 1) at which the batch changes.
        batch_sizes: ``len(boundaries) + 1`` global batches (integers >= 1); ``batch_sizes[0]`` first.
        unit: ``"samples"`` (default) or ``"tokens"``.
        sequence_length: tokens per sample; required with ``unit="tokens"`` only.

    Example:
        >>> import lrplan
        >>> b = lrplan.batch_steps(boundaries=[4096], batch_sizes=[2, 4], unit="tokens", sequence_length=1024)
        >>> [b(k) for k in range(4)], b.samples_before(3)
        ([2.0, 2.0, 4.0, 4.0], 8)

    References:
        NVIDIA/Megatron-LM, ``megatron/core/num_microbatches_calculator.py``,
        ``StepBatchsizeNumMicroBatchesCalculator`` (commit 532ad92).
    """

    boundaries: Sequence[int] = fields.custom(_int_list)
    batch_sizes: Sequence[int] = fields.custom(_int_list)
    unit: str = fields.choice(("samples", "tokens"), default="samples")
    sequence_length: int | None = fields.count(default=None, optional=True)

    def validate(self) -> None:
        if len(self.batch_sizes) != len(self.boundaries) + 1:
            raise self.config_error(
                "batch_sizes",
                f"one longer than `boundaries` ({len(self.boundaries) + 1} sizes)",
                list(self.batch_sizes),
            )
        if (self.unit == "tokens") != (self.sequence_length is not None):
            what = "an integer >= 1 with unit='tokens'" if self.unit == "tokens" else "None with unit='samples'"
            raise self.config_error("sequence_length", what, self.sequence_length)
        samples = self._thresholds()
        if any(b <= a for a, b in itertools.pairwise(samples)):
            kind = " once converted to samples" if self.unit == "tokens" else ""
            raise self.config_error("boundaries", f"strictly increasing{kind}, all >= 1", list(self.boundaries))
        _check_levels(self.spec_name(), "batch_sizes", self.levels(), list(self.batch_sizes))

    def _thresholds(self) -> list[int]:
        per = self.sequence_length if self.unit == "tokens" and self.sequence_length else 1
        return [0, *(t // per for t in self.boundaries)]

    def levels(self) -> tuple[tuple[int, int], ...]:
        return tuple(zip(self._thresholds(), self.batch_sizes, strict=True))


def require_batch(owner: str, name: str, x: Any) -> BatchSchedule:
    """A batch-size schedule; a plain integer ``B`` means ``batch_constant(B)``."""
    if isinstance(x, BatchSchedule):
        return x
    if isinstance(x, numbers.Integral) and not isinstance(x, bool) and int(x) >= 1:
        return BatchConstant(int(x))
    raise fail(owner, name, "a batch-size schedule (batch_constant, batch_rampup, ...) or an integer >= 1", x)


@builtin("batch_switch")
@fields.schedule_dataclass
class BatchSwitch(BatchSchedule):
    r"""``before`` up to update ``at_update``, then ``after``'s rule continued from the samples consumed by then.

    .. math::
        \text{samples\_before}(k) = \begin{cases}
            \text{before.samples\_before}(k) & k \le K \\
            \text{after's rule run from } (K,\ \text{before.samples\_before}(K)) & k > K
        \end{cases}

    This is what a run resumed at update :math:`K` with another batch-size schedule does: no sample is
    skipped or seen twice, and a schedule over samples (:func:`lrplan.per_update`) continues from the
    samples consumed.

    Args:
        before: the batch-size schedule of updates ``0 .. at_update - 1``.
        after: the batch-size schedule whose rule (batch as a function of the samples consumed) holds from then on.
        at_update: :math:`K`, the first update of ``after`` (>= 0).

    Example:
        >>> import lrplan
        >>> b = lrplan.batch_switch(lrplan.batch_constant(4), lrplan.batch_constant(6), at_update=3)
        >>> [b.samples_before(k) for k in range(6)]
        [0, 4, 8, 12, 18, 24]
    """

    before: BatchSchedule = fields.custom(require_batch, kw_only=False)
    after: BatchSchedule = fields.custom(require_batch, kw_only=False)
    at_update: int = fields.count(minimum=0)

    def levels(self) -> tuple[tuple[int, int], ...]:
        return self.after.levels()

    @functools.cached_property
    def phases(self) -> tuple[Phase, ...]:
        k = self.at_update
        head = tuple(p for p in self.before.phases if p[0] < k)
        return _walk(self.levels(), k, self.before.samples_before(k), head)
