"""Param-group plumbing: what the user gave, resolved into a plan of slots and targets, and the one writer.

A :class:`Plan` is what a :class:`~lrplan.torch.Scheduler` drives:

* a :class:`Slot` per *distinct* schedule (or plateau object), evaluated once per step however many
  groups and hyperparameters use it; a plateau slot also holds its state;
* a :class:`Target` per scheduled hyperparameter (``lr`` first, then ``momentum``, ``betas[0]`` ...):
  for each param group, the slot it takes its value from and the group's multiplier.

Plans and slots are immutable: a new metric or a loaded checkpoint gives a new plan, so a copy of a
scheduler never shares state with the original. :func:`write` is the one function that writes values
into param groups.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re
import reprlib
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from .. import ConfigError, Schedule, parse, to_config

OWNER = "lrplan.torch.Scheduler"

_KEY = re.compile(r"^([A-Za-z_]\w*)(?:\[(\d+)\])?$")


class NotAScheduleError(ConfigError, TypeError):
    """Something that is neither an lrplan schedule, a spec string, nor a plateau object was given as a
    schedule. It is both a :class:`~lrplan.ConfigError` and a :class:`TypeError`.

    Example:
        >>> import torch, lrplan.torch
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> try:
        ...     lrplan.torch.Scheduler(opt, lambda step: 0.1)
        ... except lrplan.torch.NotAScheduleError as err:
        ...     print(isinstance(err, TypeError), isinstance(err, ValueError))
        True True
    """


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxdict, _SHORT.maxlist, _SHORT.maxtuple = 2, 8, 8, 8
_SHORT.maxstring, _SHORT.maxother = 60, 60


def describe(value: Any, limit: int = 120) -> str:
    """A short ``repr(value)`` for a message: containers are cut by ``reprlib`` (however large or deep they
    are), a huge integer is described by its size, and the text is cut at ``limit`` characters."""
    if isinstance(value, int) and value.bit_length() > 256:
        return f"<an integer of {int(value.bit_length() * math.log10(2)) + 1} digits>"
    text = _SHORT.repr(value) if isinstance(value, (dict, list, tuple, set)) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def refuse(owner: str, name: str, what: str, value: Any) -> ConfigError:
    """The library's message, ``<owner>: `<name>` must be <what>. Received: <name>=<value>.``, with a short value."""
    return ConfigError(f"{owner}: `{name}` must be {what}. Received: {name}={describe(value)}.")


def is_plateau(obj: Any) -> bool:
    """The duck-typed plateau protocol: ``initial_state()``, ``update(state, metric)``, ``value(step, state)``."""
    return hasattr(obj, "update") and hasattr(obj, "initial_state")


def config_of(obj: Any) -> dict[str, Any]:
    """The JSON config of a schedule or a plateau object."""
    if isinstance(obj, Schedule):
        return to_config(obj)
    return dict(obj.to_config())


def as_schedule(obj: Any, where: str) -> Any:
    """A Schedule or plateau object from what the user gave (spec strings are parsed)."""
    if is_plateau(obj):
        for name in ("value", "to_config"):
            if not callable(getattr(obj, name, None)):
                raise NotAScheduleError(
                    f"{OWNER}: `{where}` looks like a plateau object but has no `{name}()` method. "
                    f"Received: {where}={describe(obj)}."
                )
        return obj
    if isinstance(obj, Schedule):
        return obj
    if isinstance(obj, str):
        return parse(obj)
    hint = ""
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        hint = f" For a constant value use lrplan.constant({describe(obj)})."
    elif isinstance(obj, LRScheduler):
        hint = " A torch scheduler cannot be wrapped; build the same curve from lrplan schedules."
    elif callable(obj):
        hint = " Plain functions cannot be saved or compared; build the curve from lrplan schedules."
    raise NotAScheduleError(
        f"{OWNER}: `{where}` must be an lrplan Schedule (e.g. lrplan.cosine(...)), a spec string or a plateau "
        f"object.{hint} Received: {where}={describe(obj)}."
    )


# ---------------------------------------------------------------------------------------------- groups
def label_of(group: Mapping[str, Any], i: int) -> str:
    """A param group's ``"name"``, or its index."""
    name = group.get("name")
    return str(name) if isinstance(name, str) else str(i)


def group_index(groups: Sequence[Mapping[str, Any]], key: Any, where: str) -> int:
    """The index of the param group ``key`` names: a group's ``"name"`` or an index."""
    if isinstance(key, int) and not isinstance(key, bool):
        if 0 <= key < len(groups):
            return key
        raise ConfigError(
            f"{OWNER}: `{where}` names param group {describe(key)}, but the optimizer has {len(groups)} group(s) "
            f"(indices 0 to {len(groups) - 1})."
        )
    names = [g.get("name") for g in groups]
    if key in names:
        return names.index(key)
    known = [n for n in names if n is not None]
    have = f"the groups are named {known}" if known else "no param group has a 'name' key"
    raise ConfigError(f"{OWNER}: `{where}` names param group {describe(key)}, which does not exist ({have}).")


def per_group(spec: Any, groups: Sequence[Mapping[str, Any]], where: str) -> list[Any]:
    """One schedule per group from a schedule, a per-group list, or a mapping keyed by group name/index."""
    n = len(groups)
    if isinstance(spec, Mapping) and "name" in spec and "args" in spec:
        raise NotAScheduleError(
            f"{OWNER}: `{where}` looks like a schedule config; rebuild it with lrplan.from_config(...). "
            f"Received: {where}={describe(spec)}."
        )
    if isinstance(spec, Mapping):
        out: list[Any] = [None] * n
        for key, item in spec.items():
            out[group_index(groups, key, where)] = as_schedule(item, f"{where}[{key!r}]")
        missing = [label_of(groups[i], i) for i in range(n) if out[i] is None]
        if missing:
            raise ConfigError(f"{OWNER}: `{where}` has no schedule for param group(s) {missing}.")
        return out
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise ConfigError(
                f"{OWNER}: `{where}` has {len(spec)} schedule(s) but the optimizer has {n} param group(s); "
                "give one schedule per group, or a single schedule for all."
            )
        return [as_schedule(item, f"{where}[{i}]") for i, item in enumerate(spec)]
    one = as_schedule(spec, where)
    return [one] * n


def finite(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is not a real number or not finite as a float."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        return None
    try:
        v = float(value)
    except OverflowError:  # an integer beyond the float range
        return None
    return v if math.isfinite(v) else None


def multiplier(name: str, value: Any) -> float:
    """One learning-rate multiplier: a finite real number >= 0 (a negative one would climb the gradient)."""
    v = finite(value)
    if v is None or v < 0.0:
        raise refuse(OWNER, name, "a finite real number >= 0", value)
    return v


def multipliers(spec: Any, groups: Sequence[Mapping[str, Any]]) -> tuple[float, ...] | None:
    """Per-group learning-rate multipliers from a list (one per group) or a mapping name/index -> factor."""
    if spec is None:
        return None
    n = len(groups)
    if isinstance(spec, Mapping):
        out = [1.0] * n
        for key, m in spec.items():
            out[group_index(groups, key, "multipliers")] = multiplier(f"multipliers[{key!r}]", m)
        return tuple(out)
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise ConfigError(
                f"{OWNER}: `multipliers` has {len(spec)} value(s) but the optimizer has {n} param group(s)."
            )
        return tuple(multiplier(f"multipliers[{i}]", m) for i, m in enumerate(spec))
    raise refuse(OWNER, "multipliers", "a list with one number per param group, or a mapping name -> number", spec)


def parse_key(label: Any) -> tuple[str, int | None]:
    """``"momentum"`` -> ``("momentum", None)``; ``"betas[0]"`` -> ``("betas", 0)``."""
    m = _KEY.match(label) if isinstance(label, str) else None
    if m is None:
        raise refuse(OWNER, "hyperparams", "keyed by param-group keys such as 'momentum' or 'betas[0]'", label)
    return m.group(1), None if m.group(2) is None else int(m.group(2))


def _is_number(x: Any) -> bool:
    if isinstance(x, Tensor):
        return x.numel() == 1 and x.is_floating_point()
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def check_key(groups: Sequence[Mapping[str, Any]], label: str, key: str, index: int | None) -> None:
    """Every group holds a number under ``key`` (or item ``index`` of it) that can be scheduled."""
    for i, g in enumerate(groups):
        if key not in g:
            keys = sorted(k for k in g if k != "params")
            raise ConfigError(
                f"{OWNER}: param group {label_of(g, i)} has no hyperparameter {key!r} to schedule (it has {keys})."
            )
        value = g[key]
        if index is not None:
            if not isinstance(value, (tuple, list)) or index >= len(value):
                raise ConfigError(
                    f"{OWNER}: cannot schedule {label!r}: param group {label_of(g, i)} has {key}={describe(value)}, "
                    f"not a sequence with an item {index}."
                )
            value = value[index]
        if not _is_number(value):
            raise ConfigError(
                f"{OWNER}: cannot schedule {label!r}: param group {label_of(g, i)} holds {describe(value)}, "
                "not a number."
            )


# ---------------------------------------------------------------------------------------------- writing
def write(groups: Sequence[dict[str, Any]], key: str, index: int | None, values: float | list[float]) -> None:
    """Write ``values`` into ``group[key]`` (or item ``index`` of it) of every group in ``groups``.

    ``values`` is one value per group (a list), or one float for every group. A tensor is filled in
    place (its dtype and device are kept, and ``torch.compile`` does not recompile); a Python number is
    replaced; a tuple stays a tuple.
    """
    if index is None:
        if not isinstance(values, list):  # the hot path of a single schedule: no per-group values
            for group in groups:
                cur = group[key]
                if type(cur) is float or not isinstance(cur, Tensor):
                    group[key] = values
                else:
                    cur.fill_(values)
            return
        for group, v in zip(groups, values):  # noqa: B905 - the plan has one value per group
            cur = group[key]
            if type(cur) is float or not isinstance(cur, Tensor):
                group[key] = v
            else:
                cur.fill_(v)
        return
    for g, group in enumerate(groups):
        v = values[g] if isinstance(values, list) else values
        seq = group[key]
        if isinstance(seq[index], Tensor):
            seq[index].fill_(v)
            continue
        items = list(seq)
        items[index] = v
        group[key] = tuple(items) if isinstance(seq, tuple) else items


def use_tensor_lr(groups: Sequence[dict[str, Any]]) -> None:
    """Hold each float ``lr`` as a 0-dim tensor (default dtype, CPU), so that :func:`write` fills it in place."""
    for group in groups:
        if not isinstance(group["lr"], Tensor):
            group["lr"] = torch.tensor(float(group["lr"]), dtype=torch.get_default_dtype())


def current_lr(optimizer: Optimizer) -> list[float]:
    """The learning rate of each param group of ``optimizer``, as Python floats (tensors are read with ``item``).

    Example:
        >>> import torch, lrplan.torch
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=torch.tensor(0.5))
        >>> lrplan.torch.current_lr(opt)
        [0.5]
    """
    return [float(g["lr"].item() if isinstance(g["lr"], Tensor) else g["lr"]) for g in optimizer.param_groups]


# ---------------------------------------------------------------------------------------------- the plan
@dataclasses.dataclass(frozen=True, eq=False)
class Slot:
    """One distinct schedule of a plan: evaluated once per step for every group and key that uses it.

    Attributes:
        schedule: an lrplan :class:`~lrplan.Schedule`, or a plateau object.
        state: the plateau object's state (``None`` for a Schedule).
    """

    schedule: Any
    state: dict[str, Any] | None = None

    def value(self, step: int) -> float:
        """The slot's value for the update ``step``."""
        if self.state is None:
            return self.schedule(step)  # type: ignore[no-any-return]
        return float(self.schedule.value(step, self.state))


@dataclasses.dataclass(frozen=True)
class Target:
    """One scheduled hyperparameter across the param groups.

    Attributes:
        label: the name the user gave: ``"lr"``, ``"momentum"``, ``"betas[0]"``.
        key: the param-group key written: ``"lr"``, ``"momentum"``, ``"betas"``.
        index: the item written when the group holds a sequence (``"betas[0]"`` -> 0), else ``None``.
        slots: per group, the index of the :class:`Slot` it takes its value from.
        factors: per group, the multiplier (``None`` for 1; only ``lr`` has multipliers).
    """

    label: str
    key: str
    index: int | None
    slots: tuple[int, ...]
    factors: tuple[float | None, ...]

    def values(self, slot_values: Sequence[float]) -> list[float]:
        """One value per group, from the slots' values at a step."""
        return [
            slot_values[i] if m is None else slot_values[i] * m
            for i, m in zip(self.slots, self.factors)  # noqa: B905 - built with one entry per group
        ]


@dataclasses.dataclass(frozen=True)
class Plan:
    """Everything a scheduler writes: its slots, its targets (``lr`` first) and the lr multipliers."""

    slots: tuple[Slot, ...]
    targets: tuple[Target, ...]
    multipliers: tuple[float, ...] | None

    @property
    def single(self) -> Schedule | None:
        """The schedule, when one schedule drives every group's lr alone (the fast path), else ``None``."""
        if len(self.slots) == 1 and len(self.targets) == 1 and self.multipliers is None:
            only = self.slots[0]
            return only.schedule if only.state is None else None  # type: ignore[no-any-return]
        return None

    @property
    def plateau_slots(self) -> list[int]:
        """The indices of the plateau slots, in slot order."""
        return [i for i, slot in enumerate(self.slots) if slot.state is not None]

    def schedules(self, target: Target) -> list[Any]:
        """The schedule of each group for ``target``."""
        return [self.slots[i].schedule for i in target.slots]

    def values_at(self, step: int) -> list[list[float]]:
        """The values at ``step``: one list per target, one value per group."""
        slot_values = [slot.value(step) for slot in self.slots]
        return [t.values(slot_values) for t in self.targets]

    def with_states(self, states: Mapping[int, dict[str, Any]]) -> Plan:
        """The same plan with new plateau states (``{slot index: state}``)."""
        slots = tuple(
            dataclasses.replace(slot, state=dict(states[i])) if i in states else slot
            for i, slot in enumerate(self.slots)
        )
        return dataclasses.replace(self, slots=slots)

    def configs(self) -> dict[str, Any]:
        """The configs a state dict holds: ``schedule``, and ``multipliers``/``hyperparams`` when in use."""

        def encode(objs: list[Any]) -> Any:
            if all(o is objs[0] for o in objs):
                return config_of(objs[0])
            return [config_of(o) for o in objs]

        out: dict[str, Any] = {"schedule": encode(self.schedules(self.targets[0]))}
        if self.multipliers is not None:
            out["multipliers"] = list(self.multipliers)
        extra = {t.label: encode(self.schedules(t)) for t in self.targets[1:]}
        if extra:
            out["hyperparams"] = extra
        return out


def make_plan(
    groups: Sequence[Mapping[str, Any]], schedule: Any, mults: Any, hyperparams: Mapping[str, Any] | None
) -> Plan:
    """Resolve a scheduler's arguments into a :class:`Plan` for ``groups`` (plateau slots at their initial state)."""
    check_key(groups, "lr", "lr", None)
    per_key: dict[str, list[Any]] = {"lr": per_group(schedule, groups, "schedule")}
    if hyperparams is not None:
        if not isinstance(hyperparams, Mapping):
            raise refuse(OWNER, "hyperparams", "a mapping key -> schedule", hyperparams)
        for label, spec in hyperparams.items():
            key, index = parse_key(label)
            if key == "lr" and index is None:
                raise ConfigError(f"{OWNER}: `hyperparams` must not contain 'lr'; pass it as `schedule`.")
            check_key(groups, label, key, index)
            per_key[label] = per_group(spec, groups, f"hyperparams[{label!r}]")
    factors = multipliers(mults, groups)

    objs: list[Any] = []

    def slot_of(obj: Any) -> int:
        for i, known in enumerate(objs):
            if known is obj or (isinstance(obj, Schedule) and type(known) is type(obj) and known == obj):
                return i
        objs.append(obj)
        return len(objs) - 1

    targets = []
    for label, scheds in per_key.items():
        key, index = parse_key(label)
        ids = tuple(slot_of(o) for o in scheds)
        per: tuple[float | None, ...] = (None,) * len(groups)
        if label == "lr" and factors is not None:
            per = tuple(None if m == 1.0 else m for m in factors)
        targets.append(Target(label, key, index, ids, per))
    slots = tuple(Slot(o, dict(o.initial_state()) if is_plateau(o) else None) for o in objs)
    return Plan(slots, tuple(targets), factors)
