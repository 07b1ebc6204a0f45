"""PyTorch adapter: one lrplan schedule drives any ``torch.optim`` optimizer, exactly and resumably.

:class:`Scheduler` is a :class:`torch.optim.lr_scheduler.LRScheduler`, so trainers that check
``isinstance`` (PyTorch Lightning, the Hugging Face ``Trainer``) accept it. It writes the closed form
``schedule(step)`` into the param groups and never reads a learning rate back from the optimizer, so
chaining, load order and a missing ``initial_lr`` cannot change the curve. Its whole state is
``{"schedule": config, "step": int}``.

Step convention: construction writes the values for step 0 (the first update); each ``step()``, called
after ``optimizer.step()``, moves to the next update. Past its horizon a schedule holds its end value.

Example:
    >>> import torch, lrplan
    >>> import lrplan.torch
    >>> model = torch.nn.Linear(2, 1)
    >>> opt = torch.optim.SGD(model.parameters(), lr=1.0)
    >>> s = lrplan.warmup(lrplan.cosine(init_value=0.1, decay_steps=4), steps=2)
    >>> sched = lrplan.torch.Scheduler(opt, s)
    >>> lrs = []
    >>> for _ in range(7):
    ...     lrs.append(opt.param_groups[0]["lr"])
    ...     opt.step()
    ...     sched.step()
    >>> [round(v, 6) for v in lrs]
    [0.0, 0.05, 0.1, 0.085355, 0.05, 0.014645, 0.0]
    >>> sched.state_dict()["step"]
    7
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

try:
    import torch
    from torch import Tensor
    from torch.optim import Optimizer
    from torch.optim.lr_scheduler import LRScheduler
except ImportError as _exc:  # pragma: no cover - exercised only without torch
    raise ImportError("lrplan.torch needs PyTorch: pip install 'lrplan[torch]'") from _exc

from ._base import Schedule
from ._errors import ConfigError, UnknownScheduleError
from ._finder_torch import range_test as range_test
from ._serialize import from_config, to_config
from ._spec import parse
from ._validate import fail, require_int, require_real

__all__ = ["Scheduler", "NotAScheduleError", "current_lr", "updates_per_epoch", "range_test"]

_OWNER = "lrplan.torch.Scheduler"
STATE_FORMAT = 1
"""Version of :meth:`Scheduler.state_dict`'s layout."""

Count = Literal["attempted", "applied"]
OnMismatch = Literal["error", "checkpoint", "live"]


class NotAScheduleError(ConfigError, TypeError):
    """Something that is neither an lrplan schedule, a spec string, nor a plateau object was given as a
    schedule. It is both a :class:`~lrplan.ConfigError` and a :class:`TypeError`."""


def _is_plateau(obj: Any) -> bool:
    """The duck-typed plateau protocol: ``initial_state()``, ``update(state, metric)``, ``value(step, state)``."""
    return hasattr(obj, "update") and hasattr(obj, "initial_state")


def _config(obj: Any) -> dict[str, Any]:
    if isinstance(obj, Schedule):
        return to_config(obj)
    return dict(obj.to_config())


def _as_schedule(obj: Any, where: str) -> Any:
    """A Schedule or plateau object from what the user gave (spec strings are parsed)."""
    if _is_plateau(obj):
        for name in ("value", "to_config"):
            if not callable(getattr(obj, name, None)):
                raise NotAScheduleError(
                    f"{_OWNER}: `{where}` looks like a plateau object but has no `{name}()` method. Received: {where}={obj!r}."
                )
        return obj
    if isinstance(obj, Schedule):
        return obj
    if isinstance(obj, str):
        return parse(obj)
    hint = ""
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        hint = f" For a constant value use lrplan.constant({obj!r})."
    elif isinstance(obj, LRScheduler):
        hint = " A torch scheduler cannot be wrapped; build the same curve from lrplan schedules."
    elif callable(obj):
        hint = " Plain functions cannot be saved or compared; build the curve from lrplan schedules."
    raise NotAScheduleError(
        f"{_OWNER}: `{where}` must be an lrplan Schedule (e.g. lrplan.cosine(...)), a spec string or a plateau "
        f"object.{hint} Received: {where}={obj!r}."
    )


def _label(group: Mapping[str, Any], i: int) -> str:
    name = group.get("name")
    return str(name) if isinstance(name, str) else str(i)


def _group_index(groups: Sequence[Mapping[str, Any]], key: Any, where: str) -> int:
    """The index of the param group ``key`` names: a group's ``"name"`` or an index."""
    if isinstance(key, int) and not isinstance(key, bool):
        if 0 <= key < len(groups):
            return key
        raise ConfigError(
            f"{_OWNER}: `{where}` names param group {key}, but the optimizer has {len(groups)} group(s) (indices 0 to {len(groups) - 1})."
        )
    names = [g.get("name") for g in groups]
    if key in names:
        return names.index(key)
    known = [n for n in names if n is not None]
    have = f"the groups are named {known}" if known else "no param group has a 'name' key"
    raise ConfigError(f"{_OWNER}: `{where}` names param group {key!r}, which does not exist ({have}).")


def _per_group(spec: Any, groups: Sequence[Mapping[str, Any]], where: str) -> list[Any]:
    """One schedule per group from a schedule, a per-group list, or a mapping keyed by group name/index."""
    n = len(groups)
    if isinstance(spec, Mapping) and "name" in spec and "args" in spec:
        raise NotAScheduleError(
            f"{_OWNER}: `{where}` looks like a schedule config; rebuild it with lrplan.from_config(...). "
            f"Received: {where}={spec!r}."
        )
    if isinstance(spec, Mapping):
        out: list[Any] = [None] * n
        for key, item in spec.items():
            out[_group_index(groups, key, where)] = _as_schedule(item, f"{where}[{key!r}]")
        missing = [_label(groups[i], i) for i in range(n) if out[i] is None]
        if missing:
            raise ConfigError(f"{_OWNER}: `{where}` has no schedule for param group(s) {missing}.")
        return out
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise ConfigError(
                f"{_OWNER}: `{where}` has {len(spec)} schedule(s) but the optimizer has {n} param group(s); "
                "give one schedule per group, or a single schedule for all."
            )
        return [_as_schedule(item, f"{where}[{i}]") for i, item in enumerate(spec)]
    one = _as_schedule(spec, where)
    return [one] * n


def _multipliers(spec: Any, groups: Sequence[Mapping[str, Any]]) -> list[float] | None:
    if spec is None:
        return None
    n = len(groups)
    if isinstance(spec, Mapping):
        out = [1.0] * n
        for key, m in spec.items():
            out[_group_index(groups, key, "multipliers")] = float(require_real(_OWNER, f"multipliers[{key!r}]", m))
        return out
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise ConfigError(
                f"{_OWNER}: `multipliers` has {len(spec)} value(s) but the optimizer has {n} param group(s)."
            )
        return [float(require_real(_OWNER, f"multipliers[{i}]", m)) for i, m in enumerate(spec)]
    raise fail(_OWNER, "multipliers", "a list with one number per param group, or a mapping name -> number", spec)


_KEY = re.compile(r"^([A-Za-z_]\w*)(?:\[(\d+)\])?$")


def _parse_key(label: str) -> tuple[str, int | None]:
    m = _KEY.match(label) if isinstance(label, str) else None
    if m is None:
        raise fail(_OWNER, "hyperparams", "keyed by param-group keys such as 'momentum' or 'betas[0]'", label)
    return m.group(1), None if m.group(2) is None else int(m.group(2))


def _is_number(x: Any) -> bool:
    if isinstance(x, Tensor):
        return x.numel() == 1 and x.is_floating_point()
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _check_key(groups: Sequence[Mapping[str, Any]], label: str, key: str, index: int | None) -> None:
    for i, g in enumerate(groups):
        if key not in g:
            keys = sorted(k for k in g if k != "params")
            raise ConfigError(
                f"{_OWNER}: param group {_label(g, i)} has no hyperparameter {key!r} to schedule (it has {keys})."
            )
        value = g[key]
        if index is not None:
            if not isinstance(value, (tuple, list)) or index >= len(value):
                raise ConfigError(
                    f"{_OWNER}: cannot schedule {label!r}: param group {_label(g, i)} has {key}={value!r}, "
                    f"not a sequence with an item {index}."
                )
            value = value[index]
        if not _is_number(value):
            raise ConfigError(
                f"{_OWNER}: cannot schedule {label!r}: param group {_label(g, i)} holds {value!r}, not a number."
            )


def _write(group: dict[str, Any], key: str, index: int | None, v: float) -> None:
    """Write ``v`` into ``group[key]`` (or item ``index`` of it); tensors are filled in place."""
    if index is None:
        cur = group[key]
        if isinstance(cur, Tensor):
            cur.fill_(v)
        else:
            group[key] = v
        return
    seq = group[key]
    if isinstance(seq[index], Tensor):
        seq[index].fill_(v)
        return
    items = list(seq)
    items[index] = v
    group[key] = tuple(items) if isinstance(seq, tuple) else items


def _diff(a: Any, b: Any, path: str, out: list[str]) -> None:
    """Differences between two JSON-like values as 'path: checkpoint has X, live has Y'."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in b:
                out.append(f"{path}.{k}: only the checkpoint has it ({a[k]!r})")
            elif k not in a:
                out.append(f"{path}.{k}: only the live scheduler has it ({b[k]!r})")
            else:
                _diff(a[k], b[k], f"{path}.{k}", out)
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, f"{path}[{i}]", out)
        return
    if a != b:
        out.append(f"{path}: checkpoint has {a!r}, live has {b!r}")


class _ReapplyAfterLoad:
    """Optimizer load_state_dict post-hook: re-write the scheduled values (loaded groups may hold others)."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._ref = weakref.ref(scheduler)

    def __call__(self, optimizer: Optimizer) -> None:
        scheduler = self._ref()
        if scheduler is not None and scheduler.optimizer is optimizer:
            scheduler._attach_tensors()
            scheduler._apply()


class _CountUpdates:
    """Optimizer step post-hook for ``count="applied"``: counts updates the optimizer really applied."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._ref = weakref.ref(scheduler)

    def __call__(self, optimizer: Optimizer, args: Any, kwargs: Any) -> None:
        scheduler = self._ref()
        if scheduler is not None:
            scheduler._updates += 1


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
        multipliers: per-group factors applied to the learning rate (layer-wise decay): a list with
            one number per group, or a mapping name/index -> factor (other groups get 1).
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
            raise TypeError(f"{_OWNER}: `optimizer` must be a torch.optim.Optimizer. Received: {optimizer!r}.")
        if count not in ("attempted", "applied"):
            raise fail(_OWNER, "count", "'attempted' or 'applied'", count)
        if on_mismatch not in ("error", "checkpoint", "live"):
            raise fail(_OWNER, "on_mismatch", "'error', 'checkpoint' or 'live'", on_mismatch)
        if not isinstance(tensor_lr, bool):
            raise fail(_OWNER, "tensor_lr", "True or False", tensor_lr)
        self.optimizer = optimizer
        self.count = count
        self._count_applied = count == "applied"
        self.tensor_lr = tensor_lr
        self.on_mismatch = on_mismatch
        self.last_epoch = require_int(_OWNER, "start_step", start_step, minimum=0)
        self._step_count = 1
        self._updates = 0
        self._updates_seen = 0
        self._plan(schedule, multipliers, hyperparams)
        self._attach_tensors()
        self._apply()
        optimizer.register_load_state_dict_post_hook(_ReapplyAfterLoad(self))
        if count == "applied":
            optimizer.register_step_post_hook(_CountUpdates(self))

    # ------------------------------------------------------------------ plan
    def _plan(self, schedule: Any, multipliers: Any, hyperparams: Mapping[str, Any] | None) -> None:
        """Resolve the user's arguments into slots (distinct schedules) and per-group write targets."""
        groups = self.optimizer.param_groups
        _check_key(groups, "lr", "lr", None)
        per_key: dict[str, list[Any]] = {"lr": _per_group(schedule, groups, "schedule")}
        if hyperparams is not None:
            if not isinstance(hyperparams, Mapping):
                raise fail(_OWNER, "hyperparams", "a mapping key -> schedule", hyperparams)
            for label, spec in hyperparams.items():
                key, index = _parse_key(label)
                if key == "lr" and index is None:
                    raise ConfigError(f"{_OWNER}: `hyperparams` must not contain 'lr'; pass it as `schedule`.")
                _check_key(groups, label, key, index)
                per_key[label] = _per_group(spec, groups, f"hyperparams[{label!r}]")
        mults = _multipliers(multipliers, groups)

        slots: list[Any] = []

        def slot_of(obj: Any) -> int:
            for i, known in enumerate(slots):
                if known is obj or (isinstance(obj, Schedule) and type(known) is type(obj) and known == obj):
                    return i
            slots.append(obj)
            return len(slots) - 1

        targets: list[tuple[str, str, int | None, list[int], list[float | None]]] = []
        for label, objs in per_key.items():
            key, index = _parse_key(label)
            ids = [slot_of(o) for o in objs]
            factors: list[float | None] = [None] * len(groups)
            if label == "lr" and mults is not None:
                factors = [None if m == 1.0 else m for m in mults]
            targets.append((label, key, index, ids, factors))

        self._slots = slots
        self._per_key = per_key
        self._multipliers = mults
        self._targets = targets
        self._lr_pairs = list(zip(targets[0][3], targets[0][4], strict=True))
        plateau_ids = [i for i, o in enumerate(slots) if _is_plateau(o)]
        self._plateau_ids = plateau_ids
        self._states: dict[int, dict[str, Any]] = {i: dict(slots[i].initial_state()) for i in plateau_ids}
        self._fns: list[Callable[[float], float]] = [self._fn(i) for i in range(len(slots))]
        self._n_groups = len(groups)
        simple = len(slots) == 1 and len(targets) == 1 and mults is None
        self._single: Callable[[float], float] | None = self._fns[0] if simple else None
        self.base_lrs: list[float | Tensor] = [*self._values_at(0)[0]]

    def _fn(self, i: int) -> Callable[[float], float]:
        obj = self._slots[i]
        if isinstance(obj, Schedule) and not _is_plateau(obj):
            return obj._scalar
        states = self._states

        def plateau_value(s: float) -> float:
            return float(obj.value(int(s), states[i]))

        return plateau_value

    def _attach_tensors(self) -> None:
        if self.tensor_lr:
            for group in self.optimizer.param_groups:
                if not isinstance(group["lr"], Tensor):
                    group["lr"] = torch.tensor(float(group["lr"]), dtype=torch.get_default_dtype())

    # ------------------------------------------------------------------ values
    def _values_at(self, step: int) -> list[list[float]]:
        """The values at ``step``, one list per target (``lr`` first), one value per group."""
        s = float(step)
        vals = [f(s) for f in self._fns]
        return [
            [vals[i] if m is None else vals[i] * m for i, m in zip(ids, factors, strict=True)]
            for _, _, _, ids, factors in self._targets
        ]

    def _apply(self) -> None:
        """Write the values for ``last_epoch`` into the param groups (the hot path of :meth:`step`)."""
        s = float(self.last_epoch)
        groups = self.optimizer.param_groups
        if len(groups) != self._n_groups:
            raise ConfigError(
                f"{_OWNER}: the optimizer has {len(groups)} param group(s) but the scheduler was built for "
                f"{self._n_groups}; build a new Scheduler after add_param_group()."
            )
        single = self._single
        if single is not None:  # one schedule, no multipliers, lr only: one float per step
            v = single(s)
            for group in groups:
                cur = group["lr"]
                if type(cur) is float or not isinstance(cur, Tensor):
                    group["lr"] = v
                else:
                    cur.fill_(v)
            self._last_lr = [v] * len(groups)
            return
        vals = [f(s) for f in self._fns]
        lrs = [vals[i] if m is None else vals[i] * m for i, m in self._lr_pairs]
        for group, v in zip(groups, lrs, strict=True):
            cur = group["lr"]
            if type(cur) is float or not isinstance(cur, Tensor):
                group["lr"] = v
            else:
                cur.fill_(v)
        self._last_lr = lrs  # type: ignore[assignment]
        for _, key, index, ids, factors in self._targets[1:]:
            for group, i, m in zip(groups, ids, factors, strict=True):
                _write(group, key, index, vals[i] if m is None else vals[i] * m)

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
        if not self._plateau_ids:
            raise TypeError(
                f"{_OWNER}: a metric was given, but no schedule here uses metrics (no plateau object). "
                "step() takes no epoch: the clock is restored with load_state_dict()."
            )
        value = float(metric.item() if isinstance(metric, Tensor) else metric)
        for i in self._plateau_ids:
            self._states[i] = dict(self._slots[i].update(self._states[i], value))

    def get_last_lr(self) -> list[float]:  # type: ignore[override]
        """The learning rate of each param group at the current step, as Python floats."""
        return list(self._last_lr)  # type: ignore[arg-type]

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """Same as :meth:`get_last_lr` (the closed form at the current step)."""
        return self._values_at(self.last_epoch)[0]

    def current(self) -> dict[str, float]:
        """Scheduled values at the current step, flat and ready for a logger.

        Keys are the hyperparameter names (``"lr"``, ``"momentum"``, ``"betas[0]"``) for a single param
        group, and ``"<key>/<group name or index>"`` for several.
        """
        groups = self.optimizer.param_groups
        out: dict[str, float] = {}
        for (label, *_), values in zip(self._targets, self._values_at(self.last_epoch), strict=True):
            if len(groups) == 1:
                out[label] = values[0]
            else:
                for i, v in enumerate(values):
                    out[f"{label}/{_label(groups[i], i)}"] = v
        return out

    @property
    def schedule(self) -> Any:
        """The learning-rate schedule (a list, one per group, when the groups have different ones)."""
        objs = self._per_key["lr"]
        return objs[0] if all(o is objs[0] for o in objs) else list(objs)

    def __repr__(self) -> str:
        return f"lrplan.torch.Scheduler(step={self.last_epoch}, schedule={self.schedule!r})"

    # ------------------------------------------------------------------ state
    def _configs(self) -> dict[str, Any]:
        def encode(objs: list[Any]) -> Any:
            if all(o is objs[0] for o in objs):
                return _config(objs[0])
            return [_config(o) for o in objs]

        out: dict[str, Any] = {"schedule": encode(self._per_key["lr"])}
        if self._multipliers is not None:
            out["multipliers"] = list(self._multipliers)
        extra = {label: encode(objs) for label, objs in self._per_key.items() if label != "lr"}
        if extra:
            out["hyperparams"] = extra
        return out

    def state_dict(self) -> dict[str, Any]:
        """``{"format": 1, "schedule": config, "step": int}``, plus ``"multipliers"``, ``"hyperparams"`` and
        ``"plateau_state"`` when they are in use. JSON-safe; ``torch.load(weights_only=True)`` reads it."""
        out: dict[str, Any] = {"format": STATE_FORMAT, **self._configs(), "step": self.last_epoch}
        if self._plateau_ids:
            states = [dict(self._states[i]) for i in self._plateau_ids]
            out["plateau_state"] = states[0] if len(states) == 1 else states
        return out

    def load_state_dict(self, state_dict: dict[str, Any], *, on_mismatch: OnMismatch | None = None) -> None:
        """Restore the step (and plateau state) from :meth:`state_dict`'s output, and rewrite the values.

        The checkpoint's schedule, multipliers and hyperparameter schedules are compared with the live
        ones; on a difference, ``on_mismatch`` (default: the constructor's) decides: ``"error"`` raises a
        :class:`~lrplan.ConfigError` naming what differs, ``"checkpoint"`` adopts the checkpoint's
        schedules, ``"live"`` keeps the live ones at the checkpoint's step. Loading before or after the
        optimizer's state gives the same result; ``initial_lr`` is not needed.
        """
        mode = self.on_mismatch if on_mismatch is None else on_mismatch
        if mode not in ("error", "checkpoint", "live"):
            raise fail(f"{_OWNER}.load_state_dict", "on_mismatch", "'error', 'checkpoint' or 'live'", mode)
        where = f"{_OWNER}.load_state_dict"
        if not isinstance(state_dict, Mapping) or "schedule" not in state_dict or "step" not in state_dict:
            keys = sorted(state_dict) if isinstance(state_dict, Mapping) else type(state_dict).__name__
            raise ConfigError(
                f"{where}: not an lrplan.torch.Scheduler state (it needs 'schedule' and 'step'). Received keys: {keys}."
            )
        version = state_dict.get("format", STATE_FORMAT)
        if version != STATE_FORMAT:
            raise ConfigError(f"{where}: unsupported state format {version!r}; this lrplan reads {STATE_FORMAT}.")
        step = require_int(where, "step", state_dict["step"], minimum=0)
        saved: dict[str, Any] = {
            k: state_dict[k] for k in ("schedule", "multipliers", "hyperparams") if k in state_dict
        }
        live = self._configs()
        same = saved == live
        if not same:
            if mode == "error":
                raise ConfigError(self._mismatch_message(saved, live))
            if mode == "checkpoint":
                self._adopt(saved)
        plateau = state_dict.get("plateau_state")
        if plateau is not None and self._plateau_ids:
            states = [plateau] if len(self._plateau_ids) == 1 else plateau
            fits = isinstance(states, list) and len(states) == len(self._plateau_ids)
            if not fits and (same or mode == "checkpoint"):
                raise ConfigError(f"{where}: 'plateau_state' does not match the plateau schedules in use.")
            if fits:  # with on_mismatch="live", a plateau state of another shape is left at its start
                for i, st in zip(self._plateau_ids, states, strict=True):
                    self._states[i] = dict(st)
        self.last_epoch = step
        self._updates_seen = self._updates
        self._attach_tensors()
        self._apply()

    def _mismatch_message(self, saved: dict[str, Any], live: dict[str, Any]) -> str:
        diffs: list[str] = []
        _diff(saved, live, "state", diffs)
        shown = "\n  ".join(diffs[:5]) + (f"\n  ... and {len(diffs) - 5} more" if len(diffs) > 5 else "")
        lines = [f"{_OWNER}.load_state_dict: the checkpoint's schedule differs from the live one:", f"  {shown}"]
        try:
            ckpt = from_config(saved["schedule"]) if isinstance(saved.get("schedule"), dict) else None
        except (ConfigError, UnknownScheduleError):
            ckpt = None
        if ckpt is not None:
            lines.append(f"  checkpoint schedule: {ckpt}")
            lines.append(f"  live schedule:       {self.schedule}")
        lines.append(
            "Pass on_mismatch='checkpoint' to adopt the checkpoint's schedule, or on_mismatch='live' to keep the "
            "live one from the checkpoint's step (to extend the run or start a cooldown)."
        )
        return "\n".join(lines)

    def _adopt(self, saved: dict[str, Any]) -> None:
        """Rebuild the plan from the checkpoint's configs."""
        plateau_types = {type(o) for o in self._slots if _is_plateau(o)}

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
                    f"{_OWNER}.load_state_dict: cannot adopt the checkpoint's {where}: {cfg!r} is not a registered "
                    "schedule and no plateau class in use has from_config()."
                ) from None

        hyper = saved.get("hyperparams") or {}
        self._plan(
            rebuild(saved["schedule"], "schedule"),
            saved.get("multipliers"),
            {label: rebuild(cfg, f"hyperparams[{label!r}]") for label, cfg in hyper.items()} or None,
        )


def current_lr(optimizer: Optimizer) -> list[float]:
    """The learning rate of each param group of ``optimizer``, as Python floats (tensors are read with ``item``).

    Example:
        >>> import torch, lrplan.torch
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=torch.tensor(0.5))
        >>> lrplan.torch.current_lr(opt)
        [0.5]
    """
    return [float(g["lr"].item() if isinstance(g["lr"], Tensor) else g["lr"]) for g in optimizer.param_groups]


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
        raise fail(owner, "drop_last", "True or False", drop_last)
    if drop_last:
        return (b // p) // a
    per_process = -(-b // p)  # ceil division on ints
    return -(-per_process // a)
