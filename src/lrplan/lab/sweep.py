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
from typing import Any, TypeGuard

from .backends import WAIT, Feed, Wait, get_backend
from .errors import LabError
from .progress import ProgressView
from .store import Claim, Store
from .study import RunSpec, Study

__all__ = ["run_study", "SweepSummary"]


def _complete(record: dict[str, Any] | None) -> TypeGuard[dict[str, Any]]:
    """A record a grid counts as done: a search may have stopped a run early (``pruned``); a grid trains it whole."""
    return record is not None and record.get("status") != "pruned"


class _SweepFeed(Feed):
    """The pending runs of a sweep, claimed one at a time as a backend takes them.

    A run claimed by another live process is passed over and looked at again once the rest are
    taken: finished there (its record appeared), it counts as done elsewhere; its claimant gone
    without a record, it is taken here. Records go to the store, progress to the display.
    """

    def __init__(self, specs: list[dict[str, Any]], store: Store, view: ProgressView) -> None:
        super().__init__(specs)
        self.store, self.view = store, view
        self.keys = {id(spec): RunSpec(**spec).key() for spec in specs}
        self.claims: dict[int, Claim] = {}
        self.elsewhere: list[dict[str, Any]] = []  # claimed by another process when last seen
        self.done_elsewhere = 0
        self.trained = 0
        self.announced = False

    def pending(self) -> int:
        return super().pending() + len(self.elsewhere)

    def _try(self, spec: dict[str, Any]) -> bool | None:
        """Claim ``spec``: True (ours to train), False (held by another process), None (finished elsewhere)."""
        key = self.keys[id(spec)]
        claim = self.store.claim(key)
        if claim is None:
            return False
        if _complete(self.store.load(key, check=True)[0]):  # the holder before us finished it
            claim.release(finished=True)
            self.done_elsewhere += 1
            self.view.finished(spec)
            return None
        self.claims[id(spec)] = claim
        return True

    def take(self) -> dict[str, Any] | Wait | None:
        while (spec := self._queue.popleft() if self._queue else None) is not None:
            got = self._try(spec)
            if got:
                return spec
            if got is False:
                self.elsewhere.append(spec)
        for spec in list(self.elsewhere):
            got = self._try(spec)
            if got is not False:
                self.elsewhere.remove(spec)
            if got:
                return spec
        if self.elsewhere:
            if not self.announced:
                self.announced = True
                self.view.status(f"waiting for {len(self.elsewhere)} run(s) that another process is training")
            return WAIT
        return None

    def record(self, spec: dict[str, Any], record: dict[str, Any]) -> None:
        self.store.write(record)
        self.claims.pop(id(spec)).release(finished=True)
        self.trained += 1
        self.view.finished(spec)

    def release(self, spec: dict[str, Any]) -> None:
        claim = self.claims.pop(id(spec), None)
        if claim is not None:
            claim.release(finished=False)

    def progress(self, spec: dict[str, Any], step: int, steps: int) -> None:
        self.view.update(spec, step, steps)

    def status(self, text: str, *, notice: bool = False) -> None:
        self.view.status(text, notice=notice)


@dataclass
class SweepSummary:
    """What a sweep did: runs in the study, skipped (already finished), trained now, seconds taken, and
    runs finished by another sweep on the same folder meanwhile."""

    total: int
    skipped: int
    trained: int
    seconds: float
    out: Path
    elsewhere: int = 0


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
        record, _ = store.load(key, check=True)  # unreadable or of the wrong shape: trained again
        if not _complete(record):
            pending.append(run)
        elif record.get("labels") != run.labels():  # same result, new names: keep the report in step
            record["labels"] = run.labels()
            store.write(record)
    start = time.perf_counter()
    impl = get_backend(backend, workers=workers, address=address)
    thread_count = threads if threads is not None else study.threads
    specs = [r.to_dict() for r in pending]
    trained = elsewhere = 0
    if specs:
        steps = sum(spec["steps"] for spec in specs)
        done = len(runs) - len(pending)
        with ProgressView(enabled=progress, total=len(runs), done=done, title=study.name, steps=steps) as view:
            feed = _SweepFeed(specs, store, view)
            try:
                impl.run(feed, thread_count)
            finally:
                for claim in feed.claims.values():
                    claim.release(finished=False)
            trained, elsewhere = feed.trained, feed.done_elsewhere
    seconds = time.perf_counter() - start
    return SweepSummary(len(runs), len(runs) - len(pending), trained, seconds, store.root, elsewhere)
