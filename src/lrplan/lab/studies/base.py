"""What the built-in studies share: claims, the study description, and paired comparisons over seeds.

Example:
    >>> from lrplan.lab.studies.base import compare
    >>> compare([1.0, 2.0], [1.5, 2.5])
    'difference -0.500, standard error 0.707 (unpaired) (within 2 s.e.: seed noise)'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..summary import group, mean_std

__all__ = [
    "Claim",
    "Builtin",
    "Records",
    "Finals",
    "by_schedule",
    "by_optimizer",
    "fmt",
    "mean",
    "paired",
    "compare",
    "charlm_regime",
]


@dataclass(frozen=True)
class Claim:
    """One checked statement: ``met`` is True, False, or None (descriptive, not pass/fail)."""

    claim: str
    met: bool | None
    detail: str


Records = list[dict[str, Any]]


@dataclass(frozen=True)
class Builtin:
    """A built-in study: stages (each builds a study dict from the records so far) and a check."""

    name: str
    summary: str
    expectation: str
    minutes: float
    stages: tuple[Callable[[Records], dict[str, Any]], ...]
    check: Callable[[Records], tuple[list[Claim], str]]


class Finals(list[float | None]):
    """Final metric values of one schedule, with each value's seed (for paired comparisons)."""

    def __init__(self) -> None:
        super().__init__()
        self.seeds: list[int] = []


def by_schedule(records: Records, task_label: str | None = None) -> dict[str, Finals]:
    out: dict[str, Finals] = {}
    for key, rs in group(records).items():
        if task_label is not None and key[0] != task_label:
            continue
        finals = out.setdefault(key[2], Finals())
        for r in sorted(rs, key=lambda r: r["run"]["seed"]):
            finals.append(r["final"].get(r["metric"]))
            finals.seeds.append(r["run"]["seed"])
    return out


def by_optimizer(records: Records, label: str) -> Finals:
    """Final metric values of the runs whose optimizer label is ``label``, by seed."""
    out = Finals()
    for r in sorted((r for r in records if r["labels"]["optimizer"] == label), key=lambda r: r["run"]["seed"]):
        out.append(r["final"].get(r["metric"]))
        out.seeds.append(r["run"]["seed"])
    return out


def fmt(values: Sequence[float | None], digits: int = 3) -> str:
    m, sd, n = mean_std(values)
    if m is None or sd is None:
        return "diverged"
    return f"{m:.{digits}f} ± {sd:.{digits}f} (n={n})"


def mean(values: Sequence[float | None]) -> float:
    m = mean_std(values)[0]
    return math.inf if m is None else m


def paired(a: Sequence[float | None], b: Sequence[float | None]) -> list[float] | None:
    """Per-seed differences ``a - b`` when both ran the same seeds (same initialisation and batches)."""
    seeds_a, seeds_b = getattr(a, "seeds", None), getattr(b, "seeds", None)
    if seeds_a is None or seeds_a != seeds_b or len(set(seeds_a)) != len(seeds_a) or len(seeds_a) < 2:
        return None
    if any(v is None for v in [*a, *b]):
        return None
    return [float(x) - float(y) for x, y in zip(a, b, strict=True)]  # type: ignore[arg-type]


def compare(a: Sequence[float | None], b: Sequence[float | None]) -> str:
    """``mean(a) - mean(b)`` with its standard error: paired by seed where possible, else unpaired.

    Runs of one seed share the initialisation and the batch order, so the per-seed difference
    removes most of the seed-to-seed spread; its standard error is ``sd(differences) / sqrt(n)``.
    """
    gap = mean(a) - mean(b)
    diffs = paired(a, b)
    if diffs is not None:
        _, sd, n = mean_std(diffs)
        se = (sd or 0.0) / math.sqrt(n)
        worse = sum(d > 0 for d in diffs)
        how = f"paired over {n} seeds, higher in {worse} of {n}"
    else:
        sa, sb = mean_std(a), mean_std(b)
        se = math.sqrt((sa[1] or 0.0) ** 2 / max(sa[2], 1) + (sb[1] or 0.0) ** 2 / max(sb[2], 1))
        how = "unpaired"
    noise = " (within 2 s.e.: seed noise)" if abs(gap) < 2 * se else ""
    return f"difference {gap:+.3f}, standard error {se:.3f} ({how}){noise}"


def charlm_regime(records: Records, lr: str) -> str:
    if not records:
        return "no records"
    r = records[0]
    o = r["run"]["task_options"]
    info = r["task_info"]
    seen = r["run"]["steps"] * o["batch_size"] * o["context"]
    seeds = sorted({x["run"]["seed"] for x in records})
    return (
        f"char-LM {o['layers']} layers, d={o['d_model']}, {info.get('parameters', '?')} parameters; "
        f"{r['run']['steps']} steps x batch {o['batch_size']} x context {o['context']} = {seen:,} bytes seen of "
        f"{info.get('train_bytes', 0):,} training bytes ({seen / max(info.get('train_bytes', 1), 1):.2f} epochs); "
        f"peak lr {lr}; {len(seeds)} seed{'s' if len(seeds) != 1 else ''}; text: Python {info.get('python')} stdlib, sha256 {str(info.get('sha256'))[:12]}. "
        "Schedule effects show only near the largest stable LR and once the run reaches its noise floor; "
        "at a lower peak LR or fewer steps the ordering can flip (quality anchors §5, E1 caveat)."
    )
