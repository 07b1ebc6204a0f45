"""Training runs to fit laws on, and loaders for CSV, JSON, manifests and lab records."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import LrplanError, Schedule, from_config, parse, piecewise_constant
from ._checks import fail, fail_at, lr_values, require_schedule

__all__ = ["Run", "MIN_POINTS", "load_csv", "load_json", "load_manifest", "load_lab", "example_manifest"]

MIN_POINTS = 3
"""The fewest points a run may have."""

_DATA = Path(__file__).resolve().parent / "data" / "loss_curves"


def _owner(name: str) -> str:
    return f"Run {name!r}" if name else "Run"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Run:
    """One training run: the lr schedule it used and the losses measured at some steps.

    ``loss[i]`` is the loss after the updates ``0 .. steps[i]`` (step 0 is the first update, as for
    schedules), the convention of the laws' sums. Steps are stored as a tuple of ints and losses as a
    tuple of floats, so a run is an immutable, comparable value.

    Args:
        schedule: the lrplan schedule of the run (absolute learning rates).
        steps: strictly increasing steps >= 0, at least ``MIN_POINTS`` (3) of them.
        loss: one finite loss > 0 per step.
        name: shown in errors, diagnostics and tables (default ``""``).
        total_steps: the length the run was trained for; steps must be below it (default: unchecked).

    Raises:
        ConfigError: naming the run, for too few points, NaN, infinite or non-positive losses, steps
            that are not increasing or reach ``total_steps``, a loss before the lr has moved the weights
            (no positive lr up to its step), or a schedule that is not an lrplan schedule.

    Example:
        >>> import lrplan, lrplan.laws
        >>> s = lrplan.constant(1e-3)
        >>> run = lrplan.laws.Run(schedule=s, steps=[9, 19, 29], loss=[4.0, 3.5, 3.2], name="short")
        >>> run.points
        3
        >>> lrplan.laws.Run(schedule=s, steps=[9, 19, 29], loss=[4.0, float("nan"), 3.2], name="short")
        Traceback (most recent call last):
        ...
        lrplan._errors.ConfigError: Run 'short': `loss` must be finite and > 0 at every step. Received: loss[1]=nan.
    """

    schedule: Schedule
    steps: tuple[int, ...]
    loss: tuple[float, ...]
    name: str = ""
    total_steps: int | None = None

    def __post_init__(self) -> None:
        owner = _owner(self.name)
        if not isinstance(self.name, str):
            raise fail("Run", "name", "a string", self.name)
        require_schedule(owner, "schedule", self.schedule)
        try:
            steps = np.asarray(self.steps, dtype=np.float64).reshape(-1)
            loss = np.asarray(self.loss, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise fail(owner, "steps", "a list of steps with a list of losses", (self.steps, self.loss)) from None
        if len(steps) != len(loss):
            raise fail(owner, "loss", f"one value per step ({len(steps)} steps)", f"{len(loss)} values")
        if len(steps) < MIN_POINTS:
            raise fail(owner, "steps", f"at least {MIN_POINTS} points", f"{len(steps)} point(s)")
        bad = ~np.isfinite(steps) | (steps < 0) | (steps != np.round(steps))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise fail_at(owner, "steps", "whole numbers >= 0", f"steps[{k}]", float(steps[k]))
        bad = np.r_[False, np.diff(steps) <= 0]
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise fail_at(owner, "steps", "strictly increasing", f"steps[{k}]", int(steps[k]))
        bad = ~np.isfinite(loss) | (loss <= 0)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise fail_at(owner, "loss", "finite and > 0 at every step", f"loss[{k}]", float(loss[k]))
        if self.total_steps is not None:
            if isinstance(self.total_steps, bool) or not isinstance(self.total_steps, (int, np.integer)):
                raise fail(owner, "total_steps", "an integer or None", self.total_steps)
            if steps[-1] >= self.total_steps:
                raise fail(
                    owner, "steps", f"below total_steps={self.total_steps} (the schedule's length)", int(steps[-1])
                )
        object.__setattr__(self, "steps", tuple(int(s) for s in steps))
        object.__setattr__(self, "loss", tuple(float(x) for x in loss))
        area = np.cumsum(self.lrs())[self.steps[0]]
        if not area > 0:
            raise fail(owner, "steps", "after the first update with an lr > 0", self.steps[0])

    @property
    def points(self) -> int:
        """How many losses the run holds."""
        return len(self.steps)

    def lrs(self) -> NDArray[np.float64]:
        """``schedule(np.arange(steps[-1] + 1))``, computed once (a run is immutable)."""
        n = self.steps[-1] + 1
        cached = self.__dict__.get("_lrs")
        if cached is None or len(cached) < n:
            cached = lr_values(_owner(self.name), self.schedule, n)
            cached.setflags(write=False)
            object.__setattr__(self, "_lrs", cached)
        return cached[:n]  # type: ignore[no-any-return]

    def arrays(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """``(steps, loss)`` as NumPy arrays."""
        return np.array(self.steps, dtype=np.int64), np.array(self.loss, dtype=np.float64)


# ---------------------------------------------------------------------------------------------- loaders
def _schedule_from(owner: str, value: Any) -> Schedule:
    """A schedule from spec text, a config dict or a schedule."""
    if isinstance(value, Schedule):
        return value
    try:
        if isinstance(value, str):
            return parse(value)
        if isinstance(value, dict):
            return from_config(value)
    except LrplanError as exc:
        raise fail(owner, "schedule", f"a valid spec or config ({exc})", value) from None
    raise fail(owner, "schedule", "an lrplan schedule, a spec or a config", value)


def schedule_from_lrs(lrs: Iterable[float]) -> Schedule:
    """An exact schedule from per-step values ``lrs[0], lrs[1], ...``: a piecewise-constant schedule that
    switches where the value changes (and holds the last value afterwards).

    Example:
        >>> schedule_from_lrs([0.1, 0.1, 0.05, 0.05])
        piecewise_constant(boundaries=[2], values=[0.1, 0.05])
    """
    arr = np.asarray(list(lrs), dtype=np.float64)
    change = np.flatnonzero(np.diff(arr) != 0) + 1
    return piecewise_constant(
        boundaries=[int(c) for c in change], values=[float(arr[0])] + [float(arr[c]) for c in change]
    )


def _built(fields: dict[str, Any], lrs: NDArray[np.float64] | None) -> Run:
    """A run from its fields, checked by the constructor's checks, with its lr values cached when known.

    A schedule read from an lr column is a piecewise-constant schedule with a boundary wherever the value
    changes: exact, but slow to evaluate on a whole array, and it gives these very values anyway.
    """
    run = Run.__new__(Run)
    for key, value in fields.items():
        object.__setattr__(run, key, value)
    if lrs is not None:
        object.__setattr__(run, "_lrs", lrs)
    run.__post_init__()
    return run


def derived(run: Run, **changes: Any) -> Run:
    """``run`` with some fields changed (checked again), keeping its cached lr values."""
    fields = {f.name: getattr(run, f.name) for f in dataclasses.fields(run)}
    return _built({**fields, **changes}, run.__dict__.get("_lrs"))


def _lr_run(name: str, lrs: NDArray[np.float64], steps: list[int], loss: list[float], total: int | None) -> Run:
    """A run whose schedule is read from an lr value at every step ``0 .. len(lrs) - 1``."""
    values = np.array(lrs, dtype=np.float64)
    values.setflags(write=False)
    fields = {"schedule": schedule_from_lrs(values), "steps": tuple(steps), "loss": tuple(loss), "name": name}
    return _built({**fields, "total_steps": total}, values)


def load_csv(path: str | os.PathLike[str], schedule: Schedule | str | None = None, *, name: str | None = None) -> Run:
    """A run from a CSV file with a header and columns ``step`` and ``loss`` (and optionally ``lr``).

    The schedule is ``schedule`` (a schedule or its spec). Without it the ``lr`` column is the schedule,
    which needs a row at every step from 0. With both, the ``lr`` column is checked against the schedule
    (relative 1e-6). Rows with an empty loss are skipped.

    Example:
        >>> import lrplan.laws
        >>> folder = lrplan.laws.example_manifest("25M").parent
        >>> run = lrplan.laws.load_csv(folder / "constant_24000.csv",
        ...     "join([linear(init_value=0.0, end_value=0.0003, decay_steps=2159), constant(value=0.0003)], boundaries=[2160])")
        >>> run.name, run.points, run.steps[0], run.loss[0]
        ('constant_24000', 171, 2176, 4.101)
    """
    p = Path(path)
    run_name = p.stem if name is None else name
    owner = _owner(run_name)
    with p.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or "step" not in rows[0] or "loss" not in rows[0]:
        raise fail(owner, "file", "a CSV with a header and columns step and loss (and lr)", str(p))
    steps: list[int] = []
    loss: list[float] = []
    lr_col: list[float] = []
    try:
        for row in rows:
            if "lr" in row and row["lr"] not in (None, ""):
                lr_col.append(float(row["lr"]))
            if row["loss"] in (None, ""):
                continue
            steps.append(int(float(row["step"])))
            loss.append(float(row["loss"]))
    except ValueError as exc:
        raise fail(owner, "file", f"numbers in every column ({exc})", str(p)) from None
    all_steps = [int(float(r["step"])) for r in rows]
    if schedule is None:
        if len(lr_col) != len(rows) or all_steps != list(range(len(rows))):
            raise fail(
                owner,
                "schedule",
                "given (as a spec) unless the file has an lr value at every step from 0",
                f"{len(rows)} rows, steps {all_steps[0]}..{all_steps[-1]}",
            )
        return _lr_run(run_name, np.array(lr_col), steps, loss, len(rows))
    sched = _schedule_from(owner, schedule)
    run = Run(schedule=sched, steps=tuple(steps), loss=tuple(loss), name=run_name)
    if len(lr_col) == len(rows):
        expected = lr_values(owner, sched, max(all_steps) + 1)[all_steps]
        off = np.flatnonzero(~np.isclose(np.array(lr_col), expected, rtol=1e-6, atol=0.0))
        if len(off):
            k = int(off[0])
            raise fail(
                owner, "schedule", f"the file's lr column ({lr_col[k]!r} at step {all_steps[k]})", float(expected[k])
            )
    return run


def _run_from_dict(data: Any, where: str) -> Run:
    if not isinstance(data, dict):
        raise fail("load_json", where, "an object with schedule, steps and loss", data)
    name = str(data.get("name", where))
    owner = _owner(name)
    missing = [k for k in ("steps", "loss") if k not in data]
    if missing:
        raise fail(owner, missing[0], "present", None)
    if "schedule" in data:
        return Run(
            schedule=_schedule_from(owner, data["schedule"]),
            steps=data["steps"],
            loss=data["loss"],
            name=name,
            total_steps=data.get("total_steps"),
        )
    if "lr" in data:
        lrs = np.asarray(data["lr"], dtype=np.float64)
        return _lr_run(name, lrs, list(data["steps"]), list(data["loss"]), len(lrs))
    raise fail(owner, "schedule", "given (a spec or config), or an lr list with a value per step", None)


def load_json(path: str | os.PathLike[str]) -> list[Run]:
    """Runs from a JSON file: one object or a list of objects with ``schedule`` (spec or config, or an
    ``lr`` list with a value per step instead), ``steps``, ``loss``, and optional ``name`` and
    ``total_steps``.

    Example:
        >>> import json, tempfile, lrplan.laws
        >>> path = tempfile.mktemp(suffix=".json")
        >>> _ = open(path, "w").write(json.dumps({"name": "a", "schedule": "constant(0.001)",
        ...                                       "steps": [9, 19, 29], "loss": [4.0, 3.5, 3.2]}))
        >>> [run.name for run in lrplan.laws.load_json(path)]
        ['a']
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    items = data if isinstance(data, list) else [data]
    return [
        _run_from_dict(item, f"{Path(path).stem}[{i}]" if isinstance(data, list) else Path(path).stem)
        for i, item in enumerate(items)
    ]


def load_manifest(path: str | os.PathLike[str], which: str = "fit") -> list[Run]:
    """Runs from a manifest: ``{"curves": {name: {"file", "schedule", "total_steps"}}, "fit_set": [...],
    "test_set": [...]}``, the CSV files beside it. ``which``: ``"fit"``, ``"test"``, ``"all"`` or a curve name.

    Example:
        >>> import lrplan.laws
        >>> [r.name for r in lrplan.laws.load_manifest(lrplan.laws.example_manifest("25M"))]
        ['cosine_24000', 'constant_24000', 'wsdcon_9']
    """
    p = Path(path)
    data = json.loads(p.read_text(encoding="utf-8"))
    curves = data.get("curves") if isinstance(data, dict) else None
    if not isinstance(curves, dict):
        raise fail("load_manifest", "path", "a manifest with a 'curves' object", str(p))
    if which == "fit":
        names = list(data.get("fit_set", []))
    elif which == "test":
        names = list(data.get("test_set", []))
    elif which == "all":
        names = list(curves)
    elif which in curves:
        names = [which]
    else:
        raise fail("load_manifest", "which", "'fit', 'test', 'all' or a curve name: " + ", ".join(curves), which)
    runs = []
    for name in names:
        entry = curves.get(name)
        if not isinstance(entry, dict):
            raise fail("load_manifest", "curves", f"an entry for {name!r}", str(p))
        run = load_csv(p.parent / entry["file"], entry["schedule"], name=name)
        if entry.get("total_steps") is not None:
            run = derived(run, total_steps=int(entry["total_steps"]))
        runs.append(run)
    return runs


def load_lab(path: str | os.PathLike[str], metric: str = "val_loss") -> list[Run]:
    """Runs from lab records: a record file (``runs/<key>.json``) or a results folder holding ``runs/``.

    The schedule is the record's lr at every update (``curves.lr``); the loss is ``curves.eval[metric]``
    (evaluated after ``k`` updates: step ``k - 1`` here) or, with ``metric="train_loss"``, the training
    loss of every update (measured before update ``k``: step ``k - 1``). Diverged runs are skipped.

    Example:
        >>> import json, tempfile, pathlib, lrplan.laws
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> record = {"key": "k1", "status": "ok", "labels": {"schedule": "constant"},
        ...           "curves": {"lr": [0.1] * 6, "train_loss": [2.0, 1.5, 1.2, 1.0, 0.9, 0.85],
        ...                      "eval": {"step": [0, 2, 4, 6], "val_loss": [2.1, 1.3, 1.05, 0.9]}}}
        >>> _ = (folder / "k1.json").write_text(json.dumps(record))
        >>> run, = lrplan.laws.load_lab(folder / "k1.json")
        >>> run.steps, run.loss
        ((1, 3, 5), (1.3, 1.05, 0.9))
    """
    p = Path(path)
    files = (
        [p]
        if p.is_file()
        else sorted((p / "runs").glob("*.json"))
        if (p / "runs").is_dir()
        else sorted(p.glob("*.json"))
    )
    runs = []
    for file in files:
        record = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(record, dict) or record.get("status") != "ok":
            continue
        curves = record.get("curves", {})
        lrs = np.asarray(curves.get("lr", []), dtype=np.float64)
        labels = record.get("labels") or {}
        name = "/".join(str(v) for v in labels.values()) if isinstance(labels, dict) and labels else file.stem
        if metric == "train_loss":
            values = curves.get("train_loss", [])
            steps = list(range(len(values) - 1))
            loss = list(values[1:])
        else:
            evals = curves.get("eval", {})
            if metric not in evals:
                raise fail(f"load_lab: {file.name}", "metric", "a metric of the record: " + ", ".join(evals), metric)
            pairs = [(int(k) - 1, v) for k, v in zip(evals["step"], evals[metric], strict=True) if int(k) > 0]
            steps = [k for k, _ in pairs]
            loss = [v for _, v in pairs]
        runs.append(_lr_run(name, lrs, steps, loss, len(lrs)))
    if not runs:
        raise fail("load_lab", "path", "a lab record or results folder with finished runs", str(p))
    return runs


def example_manifest(size: str = "25M") -> Path:
    """The manifest of the loss curves shipped with lrplan (``"25M"`` or ``"100M"``).

    Nine training-loss curves per model size under nine schedules, with the source's fit/test split,
    from Luo et al. 2025 (https://arxiv.org/abs/2503.12811; repository thu-yao-01-luo/MultiPowerLaw,
    MIT licence, in ``LICENSE`` beside the data).

    Example:
        >>> import lrplan.laws
        >>> lrplan.laws.example_manifest("100M").name
        'manifest.json'
    """
    if size not in ("25M", "100M"):
        raise fail("example_manifest", "size", "'25M' or '100M'", size)
    return _DATA / size / "manifest.json"
