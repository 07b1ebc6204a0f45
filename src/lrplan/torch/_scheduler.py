"""The scheduler's lifecycle: construction, stepping, metrics, state dicts and resuming."""

from __future__ import annotations

import inspect
import sys
import warnings
import weakref
from collections.abc import Mapping, Sequence
from types import CodeType
from typing import Any, Literal

from torch import Tensor
from torch.optim import Optimizer
from torch.optim.lr_scheduler import ChainedScheduler, LRScheduler, SequentialLR

from .. import ConfigError, LrplanError, UnknownScheduleError, from_config
from .._validate import require_int
from ._clock import clock_state, rebase_clocks
from ._groups import OWNER, Plan, is_plateau, label_of, make_plan, refuse, use_tensor_lr, write
from ._state import STATE_FORMAT, WHERE, check_layout, check_step, diff, plateau_states

Count = Literal["attempted", "applied"]
OnMismatch = Literal["error", "checkpoint", "live"]


def _init_code(cls: type) -> CodeType | None:
    init = vars(cls).get("__init__")
    code = getattr(inspect.unwrap(init), "__code__", None) if callable(init) else None
    return code if isinstance(code, CodeType) else None


_WRAPPERS = {code: cls.__name__ for cls in (ChainedScheduler, SequentialLR) if (code := _init_code(cls)) is not None}
"""The constructors of torch's scheduler wrappers, which replay or multiply other schedulers' values."""


def _refuse_wrapper(wrapper: str) -> ConfigError:
    """Why lrplan.torch.Scheduler cannot run inside ``wrapper``, and what to write instead."""
    return ConfigError(
        f"{OWNER}: it cannot be wrapped in torch's {wrapper}. It writes each update's whole learning rate from "
        "its schedule, so what other schedulers multiply in would be overwritten (ChainedScheduler), and it "
        "cannot be restarted or replayed (SequentialLR). Build the whole curve as one lrplan schedule and drive "
        "it with one Scheduler: lrplan.sequence([(a, steps), (b, None)]) runs schedules one after the other, "
        "a * b (lrplan.product) multiplies them, lrplan.scale(a, factor=f) scales one."
    )


class _ReapplyAfterLoad:
    """Optimizer load_state_dict post-hook: re-write the scheduled values (loaded groups may hold others)."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._ref = weakref.ref(scheduler)

    def __call__(self, optimizer: Optimizer) -> None:
        scheduler = self._ref()
        if scheduler is not None and scheduler._optimizer is optimizer:
            scheduler._attach_tensors()
            scheduler._apply()


class _CountUpdates:
    """Optimizer step post-hook: counts the updates the optimizer applied (for ``count="applied"``), and
    warns once when the scheduler is stepped far less often than the optimizer (see :meth:`Scheduler._pace`)."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._ref = weakref.ref(scheduler)

    def __call__(self, optimizer: Optimizer, args: Any, kwargs: Any) -> None:
        scheduler = self._ref()
        if scheduler is not None and scheduler._optimizer is optimizer:
            scheduler._updates += 1
            if not scheduler._pace_warned:
                scheduler._pace()


class Scheduler(LRScheduler):
    r"""Drive an optimizer's learning rate (and any other numeric hyperparameter) with lrplan schedules.

    Each param group's ``lr`` is set to :math:`m_g \cdot f_g(k)` where :math:`k` is the update
    counter, :math:`f_g` the group's schedule and :math:`m_g` its multiplier (1 by default).
    Construction writes the values for :math:`k = 0`; each :meth:`step` moves to :math:`k + 1`. The
    optimizer's learning rates are only ever written, never read, and nothing is stored in its
    param groups (no ``initial_lr``).

    Args:
        optimizer: the optimizer to drive.
        schedule: the learning-rate schedule: an lrplan :class:`~lrplan.Schedule`, a spec string
            (``"cosine(init_value=3e-4, decay_steps=1000)"``) or a plateau object (see below); or one
            per group, as a list in group order or a mapping keyed by group ``"name"`` (or index).
        multipliers: per-group factors (finite, >= 0) applied to the learning rate (layer-wise decay):
            a list with one number per group, or a mapping name/index -> factor (other groups get 1).
        hyperparams: other hyperparameters to schedule, keyed by param-group key: ``"momentum"``,
            ``"weight_decay"``, ``"betas[0]"`` (item 0 of the ``betas`` tuple), any numeric key.
            Each value takes the same forms as ``schedule``. Multipliers do not apply to them.
        count: what advances the clock. ``"attempted"`` (default, like every torch scheduler): each
            :meth:`step` call. ``"applied"``: a :meth:`step` call advances only if the optimizer
            applied an update since the previous one, so updates skipped by ``torch.amp.GradScaler``
            (inf/NaN gradients) and :meth:`step` calls on gradient-accumulation micro-batches do not
            move the schedule. ``"applied"`` counts with an optimizer step hook; leave it at
            ``"attempted"`` when the optimizer step runs inside ``torch.compile``.
        tensor_lr: convert float learning rates to 0-dim tensors (default dtype, CPU) once, at
            attach time, so a ``torch.compile``-d optimizer step is not recompiled when the rate
            changes. Tensors (given or converted) are always updated in place with ``fill_``, keeping
            their dtype and device.
        on_mismatch: what :meth:`load_state_dict` does with a checkpoint whose schedule differs from
            the live one: ``"error"`` (default), ``"checkpoint"`` (adopt the checkpoint's schedule) or
            ``"live"`` (keep the live schedule, at the checkpoint's step: extend a run, or start a
            cooldown now).
        start_step: the update counter to start from (default 0), e.g. a step restored from your own
            checkpoint instead of :meth:`load_state_dict`.

    A **plateau object** (metric-driven schedule) implements ``initial_state() -> dict``,
    ``update(state, metric) -> dict`` (pure), ``value(step, state) -> float`` and ``to_config()``.
    Feed it with ``step(metric)`` (record the metric, then advance) or :meth:`report` (record only).
    Its state is saved under ``"plateau_state"`` (a list when several plateau objects are in use).

    A copy (``copy.deepcopy``) or an unpickled scheduler behaves exactly like the original: it drives
    the optimizer it was copied with, from its own step, plateau state and update count.

    Schedules count optimizer updates, so the scheduler warns once (a ``UserWarning`` saying how to fix
    it) when the optimizer has applied at least 4 updates and at least twice as many as :meth:`step`
    calls plus one: the sign of a scheduler stepped once per epoch, as PyTorch Lightning does by
    default.

    Raises:
        NotAScheduleError: ``schedule`` (or a hyperparameter schedule) is not a schedule.
        ConfigError: a per-group list of the wrong length, an unknown group name, a hyperparameter the
            groups do not have, an invalid option.

    Example:
        >>> import torch, lrplan
        >>> import lrplan.torch
        >>> params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
        >>> opt = torch.optim.SGD(
        ...     [{"params": params[:1], "name": "body"}, {"params": params[1:], "name": "head"}], lr=1.0, momentum=0.9
        ... )
        >>> cycle = lrplan.one_cycle(peak_value=1.0, total_steps=10)
        >>> momentum = lrplan.one_cycle(peak_value=0.85, init_value=0.95, end_value=0.95, total_steps=10)
        >>> sched = lrplan.torch.Scheduler(opt, cycle, multipliers={"body": 0.1}, hyperparams={"momentum": momentum})
        >>> sched.current()
        {'lr/body': 0.004, 'lr/head': 0.04, 'momentum/body': 0.95, 'momentum/head': 0.95}
        >>> for _ in range(2):
        ...     opt.step()
        ...     sched.step()
        >>> [round(v, 4) for v in sched.get_last_lr()], round(opt.param_groups[0]["momentum"], 4)
        ([0.1, 1.0], 0.85)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedule: Any,
        *,
        multipliers: Sequence[float] | Mapping[str | int, float] | None = None,
        hyperparams: Mapping[str, Any] | None = None,
        count: Count = "attempted",
        tensor_lr: bool = False,
        on_mismatch: OnMismatch = "error",
        start_step: int = 0,
    ) -> None:
        # LRScheduler.__init__ is not called on purpose: it writes `initial_lr` into the param groups,
        # reads the learning rates back, and patches optimizer.step to warn about call order.
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{OWNER}: `optimizer` must be a torch.optim.Optimizer. Received: {optimizer!r}.")
        if count not in ("attempted", "applied"):
            raise refuse(OWNER, "count", "'attempted' or 'applied'", count)
        if on_mismatch not in ("error", "checkpoint", "live"):
            raise refuse(OWNER, "on_mismatch", "'error', 'checkpoint' or 'live'", on_mismatch)
        if not isinstance(tensor_lr, bool):
            raise refuse(OWNER, "tensor_lr", "True or False", tensor_lr)
        self._optimizer = optimizer
        self.count = count
        self._count_applied = count == "applied"
        self.tensor_lr = tensor_lr
        self.on_mismatch = on_mismatch
        self.last_epoch = check_step(OWNER, "start_step", start_step)
        self._step_count = 1
        self._updates = 0
        self._updates_seen = 0
        self._pace_base = (0, self._step_count)
        self._pace_warned = False
        self._use(make_plan(optimizer.param_groups, schedule, multipliers, hyperparams))
        self.base_lrs: list[float | Tensor] = [*self._plan.values_at(0)[0]]
        self._attach_tensors()
        self._apply()
        self._hook()

    def _hook(self) -> None:
        """Register this scheduler's hooks on its optimizer."""
        self._optimizer.register_load_state_dict_post_hook(_ReapplyAfterLoad(self))
        self._optimizer.register_step_post_hook(_CountUpdates(self))

    @property
    def optimizer(self) -> Optimizer:  # type: ignore[override]
        """The optimizer this scheduler drives.

        torch's ``ChainedScheduler`` and ``SequentialLR`` read it when they are built; they are refused
        here with the way to build the same curve (see :func:`_refuse_wrapper`).
        """
        wrapper = _WRAPPERS.get(sys._getframe(1).f_code)
        if wrapper is not None:
            raise _refuse_wrapper(wrapper)
        return self._optimizer

    @optimizer.setter
    def optimizer(self, value: Optimizer) -> None:
        raise AttributeError(f"{OWNER}: the optimizer cannot be changed; build a new Scheduler for another one.")

    def _pace(self) -> None:
        """Warn once when the optimizer has applied at least 4 updates and at least twice as many as
        ``step()`` calls plus one, since construction or the last load: the schedule is lagging behind."""
        updates, calls = self._updates - self._pace_base[0], self._step_count - self._pace_base[1]
        if updates >= 4 and updates >= 2 * (calls + 1):
            self._pace_warned = True
            warnings.warn(
                f"{OWNER}: the optimizer has applied {updates} updates but scheduler.step() was called {calls} "
                "time(s), so the learning rate lags behind the schedule. lrplan schedules count optimizer "
                "updates: call scheduler.step() after every optimizer.step(). In PyTorch Lightning, whose "
                'default interval is "epoch", return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, '
                '"interval": "step"}} from configure_optimizers(). (To count in epochs, convert with '
                "lrplan.torch.updates_per_epoch().)",
                UserWarning,
                stacklevel=4,
            )

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A copy (copy.copy, copy.deepcopy) or an unpickled scheduler: torch drops an optimizer's hooks
        # when the optimizer is copied or pickled, and the original's hooks hold the original, so the
        # copy registers its own. Everything else is plain data (the plan holds the plateau states).
        self.__dict__.update(state)
        self._hook()

    # ------------------------------------------------------------------ plan
    def _use(self, plan: Plan) -> None:
        """Drive ``plan`` from now on (the hot path reads the copies kept here)."""
        self._plan = plan
        self._slots = plan.slots
        self._targets = plan.targets
        single = plan.single
        self._single = None if single is None else single.__call__  # a bound method: deepcopy rebinds it
        self._n_groups = len(plan.targets[0].slots)

    def _attach_tensors(self) -> None:
        if self.tensor_lr:
            use_tensor_lr(self._optimizer.param_groups)

    # ------------------------------------------------------------------ values
    def _apply(self) -> None:
        """Write the values for ``last_epoch`` into the param groups (the hot path of :meth:`step`)."""
        step = self.last_epoch
        groups = self._optimizer.param_groups
        if len(groups) != self._n_groups:
            self._check_groups()
        single = self._single
        if single is not None:  # one schedule, no multipliers, lr only: one value for every group
            write(groups, "lr", None, single(step))
            return
        slot_values = [slot.value(step) for slot in self._slots]
        for target in self._targets:
            write(groups, target.key, target.index, target.values(slot_values))

    def _check_groups(self) -> None:
        groups = self._optimizer.param_groups
        if len(groups) != self._n_groups:
            raise ConfigError(
                f"{OWNER}: the optimizer has {len(groups)} param group(s) but the scheduler was built for "
                f"{self._n_groups}; build a new Scheduler after add_param_group()."
            )

    def step(self, metric: float | None = None) -> None:  # type: ignore[override]
        """Move to the next update and write its values.

        Call it once per optimizer update, after ``optimizer.step()``. ``metric`` (for plateau
        schedules) is recorded first, as :meth:`report` does. With ``count="applied"``, the clock
        stays put when the optimizer applied no update since the previous call.
        """
        if metric is not None:
            self._record(metric)
        self._step_count += 1
        if self._count_applied:
            if self._updates == self._updates_seen:
                if metric is not None:
                    self._apply()
                return
            self._updates_seen = self._updates
        self.last_epoch += 1
        self._apply()

    def report(self, metric: float) -> None:
        """Record a metric for the plateau schedules without advancing the step; values are rewritten."""
        self._record(metric)
        self._apply()

    def _record(self, metric: Any) -> None:
        plan = self._plan
        ids = plan.plateau_slots
        if not ids:
            raise TypeError(
                f"{OWNER}: a metric was given, but no schedule here uses metrics (no plateau object). "
                "step() takes no epoch: the clock is restored with load_state_dict()."
            )
        raw = metric.item() if isinstance(metric, Tensor) else metric
        try:
            value = float(raw)
        except OverflowError:  # an integer beyond the float range
            raise refuse(OWNER, "metric", "a real number within the float range", raw) from None
        self._use(plan.with_states({i: plan.slots[i].schedule.update(plan.slots[i].state, value) for i in ids}))

    def get_last_lr(self) -> list[float]:  # type: ignore[override]
        """The learning rate of each param group at the current step, as Python floats."""
        return self._plan.values_at(self.last_epoch)[0]

    @property
    def _last_lr(self) -> list[float]:  # type: ignore[override]
        # torch's attribute, derived: the hot path of step() writes the values and stores nothing else
        return self.get_last_lr()

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """Same as :meth:`get_last_lr` (the closed form at the current step)."""
        return self.get_last_lr()

    def current(self) -> dict[str, float]:
        """Scheduled values at the current step, flat and ready for a logger.

        Keys are the hyperparameter names (``"lr"``, ``"momentum"``, ``"betas[0]"``) for a single param
        group, and ``"<key>/<group name or index>"`` for several.
        """
        groups = self._optimizer.param_groups
        out: dict[str, float] = {}
        for target, values in zip(self._targets, self._plan.values_at(self.last_epoch), strict=True):
            if len(groups) == 1:
                out[target.label] = values[0]
            else:
                for i, v in enumerate(values):
                    out[f"{target.label}/{label_of(groups[i], i)}"] = v
        return out

    @property
    def schedule(self) -> Any:
        """The learning-rate schedule (a list, one per group, when the groups have different ones)."""
        objs = self._plan.schedules(self._targets[0])
        return objs[0] if all(o is objs[0] for o in objs) else objs

    def __repr__(self) -> str:
        return f"lrplan.torch.Scheduler(step={self.last_epoch}, schedule={self.schedule!r})"

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """``{"format": 1, "schedule": config, "step": int}``, plus ``"multipliers"``, ``"hyperparams"`` and
        ``"plateau_state"`` when they are in use. JSON-safe; ``torch.load(weights_only=True)`` reads it."""
        plan = self._plan
        out: dict[str, Any] = {"format": STATE_FORMAT, **plan.configs(), "step": self.last_epoch}
        out.update(clock_state(plan.schedules(self._targets[0]), self.last_epoch))  # per_update: samples consumed
        ids = plan.plateau_slots
        if ids:
            states = [dict(plan.slots[i].state or {}) for i in ids]
            out["plateau_state"] = states[0] if len(states) == 1 else states
        return out

    def load_state_dict(self, state_dict: dict[str, Any], *, on_mismatch: OnMismatch | None = None) -> None:
        """Restore the step (and plateau state) from :meth:`state_dict`'s output, and rewrite the values.

        The checkpoint's schedule, multipliers and hyperparameter schedules are compared with the live
        ones; on a difference, ``on_mismatch`` (default: the constructor's) decides: ``"error"`` raises a
        :class:`~lrplan.ConfigError` naming what differs, ``"checkpoint"`` adopts the checkpoint's
        schedules, ``"live"`` keeps the live ones at the checkpoint's step. Loading before or after the
        optimizer's state gives the same result; ``initial_lr`` is not needed.

        Everything loaded is checked first (types, the step, the multipliers, the plateau states); a
        refused state raises a :class:`~lrplan.ConfigError` and changes nothing.
        """
        mode = self.on_mismatch if on_mismatch is None else on_mismatch
        if mode not in ("error", "checkpoint", "live"):
            raise refuse(WHERE, "on_mismatch", "'error', 'checkpoint' or 'live'", mode)
        check_layout(state_dict)
        step = check_step(WHERE, "step", state_dict["step"])
        saved: dict[str, Any] = {
            k: state_dict[k] for k in ("schedule", "multipliers", "hyperparams") if k in state_dict
        }
        plan = self._plan
        live = plan.configs()
        saved, rebased = rebase_clocks(saved, live, step)  # another batch schedule: go on from the samples consumed
        if rebased:
            plan = self._adopt({**live, "schedule": saved["schedule"]})
            live = plan.configs()
        same = saved == live
        if not same and mode == "error":
            raise ConfigError(self._mismatch_message(saved, live))
        adopted = not same and mode == "checkpoint"
        if adopted:
            plan = self._adopt(saved)
        own = same or adopted
        ids = plan.plateau_slots
        if ids:
            states = plateau_states(state_dict, [plan.slots[i].schedule for i in ids], own=own)
            if states is not None:
                plan = plan.with_states(dict(zip(ids, states, strict=True)))
        elif own and state_dict.get("plateau_state") is not None:
            raise ConfigError(f"{WHERE}: 'plateau_state' does not match the plateau schedules in use.")
        self._check_groups()
        # nothing below can fail: the state is taken as a whole
        self._use(plan)
        if adopted:
            self.base_lrs = [*plan.values_at(0)[0]]
        self.last_epoch = step
        self._updates_seen = self._updates
        self._pace_base = (self._updates, self._step_count)
        self._attach_tensors()
        self._apply()

    def _mismatch_message(self, saved: dict[str, Any], live: dict[str, Any]) -> str:
        diffs: list[str] = []
        diff(saved, live, "state", diffs)
        shown = "\n  ".join(diffs[:5]) + (f"\n  ... and {len(diffs) - 5} more" if len(diffs) > 5 else "")
        lines = [f"{WHERE}: the checkpoint's schedule differs from the live one:", f"  {shown}"]
        try:
            ckpt = from_config(saved["schedule"]) if isinstance(saved.get("schedule"), dict) else None
        except LrplanError:  # any refusal of the checkpoint's config: the differences above say enough
            ckpt = None
        if ckpt is not None:
            lines.append(f"  checkpoint schedule: {ckpt}")
            lines.append(f"  live schedule:       {self.schedule}")
        lines.append(
            "Pass on_mismatch='checkpoint' to adopt the checkpoint's schedule, or on_mismatch='live' to keep the "
            "live one from the checkpoint's step (to extend the run or start a cooldown)."
        )
        return "\n".join(lines)

    def _adopt(self, saved: dict[str, Any]) -> Plan:
        """The plan the checkpoint's configs describe."""
        plateau_types = {type(slot.schedule) for slot in self._slots if is_plateau(slot.schedule)}

        def rebuild(cfg: Any, where: str) -> Any:
            if isinstance(cfg, list):
                return [rebuild(c, f"{where}[{i}]") for i, c in enumerate(cfg)]
            try:
                return from_config(cfg)
            except UnknownScheduleError:
                for cls in plateau_types:
                    if callable(getattr(cls, "from_config", None)):
                        return cls.from_config(cfg)
                raise ConfigError(
                    f"{OWNER}.load_state_dict: cannot adopt the checkpoint's {where}: {cfg!r} is not a registered "
                    "schedule and no plateau class in use has from_config()."
                ) from None

        hyper = saved.get("hyperparams") or {}
        return make_plan(
            self._optimizer.param_groups,
            rebuild(saved["schedule"], "schedule"),
            saved.get("multipliers"),
            {label: rebuild(cfg, f"hyperparams[{label!r}]") for label, cfg in hyper.items()} or None,
        )


def updates_per_epoch(
    num_batches: int, *, grad_accumulation: int = 1, world_size: int = 1, drop_last: bool = False
) -> int:
    r"""Optimizer updates in one epoch: the unit every lrplan schedule counts in.

    .. math::
        U = \left\lceil \frac{\lceil B / P \rceil}{A} \right\rceil
        \quad\text{or, with drop\_last,}\quad
        U = \left\lfloor \frac{\lfloor B / P \rfloor}{A} \right\rfloor

    where :math:`B` is ``num_batches``, :math:`P` ``world_size`` and :math:`A` ``grad_accumulation``.
    By default the last, partial shard and the trailing partial accumulation window each count (the
    loop steps the optimizer at the end of the epoch); ``drop_last=True`` counts only full ones.

    Args:
        num_batches: micro-batches in one epoch of the *unsharded* data (``len(loader)`` on one
            process). If you have the per-process ``len(loader)`` (after a ``DistributedSampler`` or
            ``accelerator.prepare``), pass that with ``world_size=1``.
        grad_accumulation: micro-batches per optimizer update (>= 1).
        world_size: number of data-parallel processes (>= 1).
        drop_last: count only complete shards and complete accumulation windows.

    Example:
        >>> from lrplan.torch import updates_per_epoch
        >>> updates_per_epoch(1000, grad_accumulation=8)
        125
        >>> updates_per_epoch(1001, grad_accumulation=8), updates_per_epoch(1001, grad_accumulation=8, drop_last=True)
        (126, 125)
        >>> updates_per_epoch(1000, grad_accumulation=4, world_size=3)
        84
    """
    owner = "updates_per_epoch"
    b = require_int(owner, "num_batches", num_batches, minimum=0)
    a = require_int(owner, "grad_accumulation", grad_accumulation, minimum=1)
    p = require_int(owner, "world_size", world_size, minimum=1)
    if not isinstance(drop_last, bool):
        raise refuse(owner, "drop_last", "True or False", drop_last)
    if drop_last:
        return (b // p) // a
    per_process = -(-b // p)  # ceil division on ints
    return -(-per_process // a)
