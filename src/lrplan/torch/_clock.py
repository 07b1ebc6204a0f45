"""Samples consumed, in a Scheduler's state, and resuming under another batch-size schedule.

A schedule written in samples or tokens reaches the Scheduler as ``lrplan.per_update(schedule, batch=b)``,
a pure function of the update count. Its state then records the samples consumed; a checkpoint resumed
with another batch-size schedule continues from the samples consumed (``lrplan.batch_switch`` of the
checkpoint's batch schedule and the live one, at the checkpoint's update), so no sample is counted
twice or skipped. Only a ``per_update`` at the top of a group's schedule is handled.
"""

from __future__ import annotations

from typing import Any

from .. import BatchSchedule, BatchSwitch, ConfigError, PerUpdate, from_config, to_config

__all__ = ["consumed_samples", "clock_state", "rebase_clocks"]


def _per_update(cfg: Any) -> bool:
    return isinstance(cfg, dict) and cfg.get("name") == "per_update" and isinstance(cfg.get("args"), dict)


def consumed_samples(schedules: list[Any], step: int) -> int | None:
    """Samples consumed before update ``step`` by the first ``per_update`` schedule among ``schedules``, or ``None``.

    Example:
        >>> import lrplan
        >>> from lrplan.torch._clock import consumed_samples
        >>> consumed_samples([lrplan.per_update(lrplan.constant(1.0), batch=32)], 10)
        320
    """
    for s in schedules:
        if isinstance(s, PerUpdate):
            return int(s.batch.samples_before(step))
    return None


def clock_state(schedules: list[Any], step: int) -> dict[str, Any]:
    """``{"consumed_samples": n}`` when a ``per_update`` schedule drives the scheduler, else ``{}``."""
    n = consumed_samples(schedules, step)
    return {} if n is None else {"consumed_samples": n}


def _rebase(saved: Any, live: Any, step: int) -> tuple[Any, bool]:
    if isinstance(saved, list) and isinstance(live, list) and len(saved) == len(live):
        pairs = [_rebase(s, v, step) for s, v in zip(saved, live, strict=True)]
        return [p[0] for p in pairs], any(p[1] for p in pairs)
    if not (_per_update(saved) and _per_update(live)):
        return saved, False
    s_args, l_args = dict(saved["args"]), dict(live["args"])
    s_batch, l_batch = s_args.pop("batch", None), l_args.pop("batch", None)
    if s_args != l_args or s_batch == l_batch:
        return saved, False
    try:
        before, after = from_config(s_batch), from_config(l_batch)
    except (ConfigError, KeyError, TypeError):
        return saved, False
    if not (isinstance(before, BatchSchedule) and isinstance(after, BatchSchedule)):
        return saved, False
    switched = BatchSwitch(before, after, at_update=step)
    node = to_config(switched)
    node.pop("format", None)
    return {**live, "args": {**live["args"], "batch": node}}, True


def rebase_clocks(saved: dict[str, Any], live: dict[str, Any], step: int) -> tuple[dict[str, Any], bool]:
    """The checkpoint's configs with each ``per_update`` whose batch schedule alone differs from the live one
    continued under the live batch schedule from update ``step``; and whether any was.

    Example:
        >>> import lrplan
        >>> from lrplan.torch._clock import rebase_clocks
        >>> lr = lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=1000)
        >>> saved = {"schedule": lrplan.to_config(lrplan.per_update(lr, batch=10))}
        >>> live = {"schedule": lrplan.to_config(lrplan.per_update(lr, batch=20))}
        >>> new, changed = rebase_clocks(saved, live, 30)
        >>> s = lrplan.from_config(new["schedule"])
        >>> changed, s.batch.samples_before(30), s.batch.samples_before(31), round(s(31), 12)
        (True, 300, 320, 0.68)
    """
    if "schedule" not in saved or "schedule" not in live:
        return saved, False
    schedule, changed = _rebase(saved["schedule"], live["schedule"], step)
    return ({**saved, "schedule": schedule} if changed else saved), changed
