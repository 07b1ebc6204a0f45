"""Summaries of run records: grouping over seeds, mean and spread, steps to reach a target.

Example:
    >>> from lrplan.lab.summary import mean_std, steps_to_target
    >>> mean_std([1.0, 2.0, 3.0, None])
    (2.0, 1.0, 3)
    >>> record = {"metric": "accuracy", "mode": "max",
    ...           "curves": {"eval": {"step": [0, 10, 20], "accuracy": [0.1, 0.93, 0.96]}}}
    >>> steps_to_target(record, 0.95), steps_to_target(record, 0.99)
    (20, None)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["GroupKey", "group_key", "group", "mean_std", "final_values", "steps_to_target", "group_label"]

GroupKey = tuple[str, str, str, float]


def group_key(record: dict[str, Any]) -> GroupKey:
    """(task label, optimizer label, schedule label, peak lr): the runs that differ only by seed."""
    labels = record["labels"]
    return (labels["task"], labels["optimizer"], labels["schedule"], float(record["run"]["lr"]))


def group_label(key: GroupKey, *, with_lr: bool = True) -> str:
    text = f"{key[1]} · {key[2]}"
    return f"{text} · lr {key[3]:.3g}" if with_lr else text


def group(records: Iterable[dict[str, Any]]) -> dict[GroupKey, list[dict[str, Any]]]:
    """Records grouped by :func:`group_key`, groups in first-seen order, seeds sorted."""
    out: dict[GroupKey, list[dict[str, Any]]] = {}
    for r in records:
        out.setdefault(group_key(r), []).append(r)
    for rs in out.values():
        rs.sort(key=lambda r: r["run"]["seed"])
    return out


def mean_std(values: Sequence[float | None]) -> tuple[float | None, float | None, int]:
    """Mean, sample standard deviation (0 for one value) and count of the non-missing values."""
    xs = [v for v in values if v is not None and math.isfinite(v)]
    if not xs:
        return None, None, 0
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
    return m, sd, len(xs)


def final_values(records: Iterable[dict[str, Any]], name: str) -> list[float | None]:
    """The final value of ``name`` (e.g. ``"val_loss"``) per record; None for a diverged run."""
    return [r["final"].get(name) for r in records]


def steps_to_target(record: dict[str, Any], target: float) -> int | None:
    """The first evaluation step at which the record's metric reaches ``target`` (None if never)."""
    ev = record["curves"]["eval"]
    values = ev.get(record["metric"], [])
    for step, v in zip(ev["step"], values, strict=False):
        if v is None:
            continue
        if (record["mode"] == "max" and v >= target) or (record["mode"] == "min" and v <= target):
            return int(step)
    return None
