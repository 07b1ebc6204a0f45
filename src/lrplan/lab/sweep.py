"""Sweeps: run every unfinished run of a study into a results folder, on a backend.

Example:
    >>> import tempfile
    >>> from lrplan.lab.study import study_from_dict
    >>> from lrplan.lab.sweep import run_study
    >>> st = study_from_dict({"name": "doc", "steps": 20, "eval_every": 10, "seeds": 2, "tasks": ["digits-logreg"],
    ...                       "optimizers": [{"name": "sgd", "lr": 0.1}], "schedules": ["constant(1.0)"]})
    >>> out = tempfile.mkdtemp()
    >>> first = run_study(st, out, backend="inline", progress=False)
    >>> first.total, first.skipped, first.trained
    (2, 0, 2)
    >>> again = run_study(st, out, backend="inline", progress=False)
    >>> again.skipped, again.trained
    (2, 0)
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .backends import get_backend
from .errors import LabError
from .progress import ProgressView
from .store import Store
from .study import RunSpec, Study

__all__ = ["run_study", "SweepSummary"]


@dataclass
class SweepSummary:
    """What a sweep did: runs in the study, skipped (already finished), trained now, seconds taken."""

    total: int
    skipped: int
    trained: int
    seconds: float
    out: Path


def run_study(
    study: Study,
    out: str | os.PathLike[str],
    *,
    backend: str = "local",
    workers: int = 1,
    threads: int | None = None,
    address: str | None = None,
    progress: bool = True,
    manifest: dict[str, Any] | None = None,
) -> SweepSummary:
    """Run every unfinished run of ``study`` and store one record per run under ``out``.

    Args:
        study: a validated study.
        out: the results folder (created if needed); finished runs found there are skipped.
        backend: ``"local"`` (worker processes, spawn), ``"inline"`` (this process) or ``"ray"``.
        workers: worker processes (local) or CPUs of a new local Ray instance.
        threads: torch threads per run (default: the study's ``threads``).
        address: Ray cluster address (``ray`` backend); default: start a local instance.
        progress: show rich progress bars.
        manifest: extra fields for ``study.json`` (built-in studies add their name and stages).
    """
    store = Store(out)
    store.clean_temporary()
    runs = study.runs()
    keys = [r.key() for r in runs]
    if len(set(keys)) != len(keys):
        raise LabError(f"study {study.name!r}: two runs have the same configuration; remove the duplicate entries.")
    extra = dict(manifest or {})
    doc = {"study": study.to_dict(), **extra, "keys": list(extra.pop("prior_keys", [])) + keys}
    store.write_study(doc)
    pending: list[RunSpec] = []
    for run, key in zip(runs, keys, strict=True):
        record = store.read(key)
        if record is None:
            pending.append(run)
        elif record.get("labels") != run.labels():  # same result, new names: keep the report in step
            record["labels"] = run.labels()
            store.write(record)
    start = time.perf_counter()
    impl = get_backend(backend, workers=workers, address=address)
    thread_count = threads if threads is not None else study.threads
    specs = [r.to_dict() for r in pending]
    if specs:
        with ProgressView(enabled=progress, total=len(runs), done=len(runs) - len(pending), title=study.name) as view:
            impl.run(specs, thread_count, store.write, view.update, view.finished)
    return SweepSummary(len(runs), len(runs) - len(pending), len(pending), time.perf_counter() - start, store.root)
