"""Searches: a study's ``search:`` section run by Optuna (or Ray Tune), into a results folder.

``lrplan lab search STUDY`` samples trials from the study's search space (:mod:`lrplan.lab.space`),
trains each trial's runs (one per seed) with the lab's trainer, and writes every run's record to the
results folder exactly as a grid sweep does, so ``lab report`` and resuming work the same way.

**Storage.** By default the Optuna study lives in ``DIR/search.journal`` (an Optuna journal file,
appended under an exclusive file lock that the operating system drops when its holder dies). Several
processes on one machine (``--workers N``), or several machines sharing the folder, work on the same
study. For many machines give ``--storage`` a database URL (``postgresql://user@host/db``,
``mysql+pymysql://...``, or ``sqlite:///path/search.db`` on one machine): Optuna's ``RDBStorage``
with heartbeats every :data:`HEARTBEAT_S` seconds.

**How many trials.** Each worker runs trials until the study holds ``trials`` finished trials
(complete or pruned). A worker creates a trial only while holding ``DIR/search.lock`` and counts the
running trials of live workers as taken, so workers of one folder never start one trial too many;
when the rest are running elsewhere it waits for them (and takes over any that fails).

**Lost workers.** A worker holds a lock on ``DIR/workers/<id>.lock`` while it lives and writes its id
into each trial it runs. A running trial whose worker's lock is free (the worker was killed) is marked
failed and retried with the same parameters (Optuna's retry callback: a waiting trial), by a
surviving worker or the next ``lab search`` on the folder. With a database URL, trials of workers on
other machines are failed by Optuna's heartbeats (after :data:`GRACE_S` seconds without one) and
retried the same way. A run's claim in the store is dropped with its holder too, so a retried trial
trains its runs again from the start; runs whose records exist are reused, never trained twice.

**Pruning.** All seeds of a trial train in lockstep; after every evaluation the mean of the metric over
the seeds is reported to Optuna (``trial.report(value, updates_done)``) and the pruner may stop the
trial: its runs end with ``status: "pruned"`` (records written) and the trial is pruned. A run that
diverges ends its trial the same way (the trial file says ``"status": "diverged"``).

**Trial files.** Each finished trial also writes ``DIR/trials/<number>.json`` (engine, number, params,
state ``complete``/``pruned``, status, value, updates trained, run keys, the reported values; written by
:func:`lrplan.lab.space.write_trial`, whatever the engine) that the report's search section reads;
``DIR/search.json`` describes the search.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import multiprocessing
import os
import platform
import re
import secrets
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .backends import _watch_parent
from .errors import LabError
from .params import Param
from .run import Trainer
from .space import objective, sample, search_of, trial_runs, write_trial
from .store import Store, write_json_atomic
from .study import Study
from .tune import TuneSummary
from .tune import search as tune_search

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["run_search", "SearchSummary", "ENGINES", "HEARTBEAT_S", "GRACE_S", "MAX_RETRY", "open_storage"]

ENGINES = ("optuna", "ray-tune")
HEARTBEAT_S = 10
"""Seconds between heartbeats of a running trial (database storage)."""
GRACE_S = 30
"""Seconds without a heartbeat after which a running trial counts as lost (database storage)."""
MAX_RETRY = 3
"""How many times a lost trial is retried with the same parameters."""
JOURNAL = "search.journal"
_POLL_S = 0.5
Echo = Callable[[str], None]


# ------------------------------------------------------------------------------ file locks
class _Lock:
    """An exclusive ``flock`` on a file; the operating system drops it when the holder dies."""

    def __init__(self, path: Path) -> None:
        self.path, self.fd = path, -1

    def acquire(self, *, blocking: bool = True) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except OSError:
                os.close(fd)
                return False
        self.fd = fd
        return True

    def release(self, *, remove: bool = False) -> None:
        if self.fd >= 0:
            if remove:
                with contextlib.suppress(OSError):
                    os.unlink(self.path)
            os.close(self.fd)
            self.fd = -1


class _JournalLock:
    """The lock of an Optuna journal file, a :class:`_Lock` (Optuna's own locks need a grace period to
    take over the lock of a killed process; the operating system drops this one at once)."""

    def __init__(self, path: Path) -> None:
        self.lock = _Lock(path.with_name(path.name + ".lock"))

    def acquire(self) -> bool:
        return self.lock.acquire()

    def release(self) -> None:
        self.lock.release()


def _journal_lock(path: Path) -> Any:
    if fcntl is None:  # pragma: no cover - Windows
        from optuna.storages.journal import JournalFileOpenLock

        return JournalFileOpenLock(str(path))
    return _JournalLock(path)


# ------------------------------------------------------------------------------ storage
def _retry_callback() -> Any:
    from optuna import storages

    retry = getattr(storages, "RetryHeartbeatStaleTrialCallback", None) or storages.RetryFailedTrialCallback
    return retry(max_retry=MAX_RETRY)


def open_storage(out: Path, url: str | None) -> Any:
    """The Optuna storage of a search: the journal ``out/search.journal``, or the database ``url``."""
    from optuna import storages

    if url is None:
        from optuna.storages.journal import JournalFileBackend

        path = out / JOURNAL
        out.mkdir(parents=True, exist_ok=True)
        return storages.JournalStorage(JournalFileBackend(str(path), lock_obj=_journal_lock(path)))
    if "://" not in url:
        raise LabError(f"lab search: `--storage` must be a database URL like sqlite:///search.db. Received: {url!r}.")
    common: dict[str, Any] = {"heartbeat_interval": HEARTBEAT_S, "grace_period": GRACE_S}
    try:
        try:
            return storages.RDBStorage(url, **common, heartbeat_stale_trial_callback=_retry_callback())
        except TypeError:  # Optuna < 4.9
            return storages.RDBStorage(url, **common, failed_trial_callback=_retry_callback())
    except Exception as exc:  # a bad URL or an unreachable database: say which
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__  # SQLAlchemy adds a "Background" line
        raise LabError(f"lab search: cannot open the storage {_redact(url)}: {reason}") from None


def _redact(url: str) -> str:
    """``url`` without its password."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def _fingerprint(study: Study) -> str:
    """What a search must keep to be continued: the study without its trial count and file name."""
    doc = study.to_dict()
    doc.pop("source", None)
    doc["search"].pop("trials", None)
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _optuna_study(study: Study, storage: Any, seed: int | None) -> Any:
    import optuna

    search = search_of(study)
    sampler: Any
    if search.sampler == "grid":
        sampler = optuna.samplers.GridSampler(search.grid() or {}, seed=seed)
    elif search.sampler == "random":
        sampler = optuna.samplers.RandomSampler(seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed)
    first = max(1, study.eval_every)
    pruner: Any = {
        "none": optuna.pruners.NopPruner(),
        "median": optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=first),
        "asha": optuna.pruners.SuccessiveHalvingPruner(min_resource=first, reduction_factor=3),
        "hyperband": optuna.pruners.HyperbandPruner(min_resource=first, max_resource=study.steps, reduction_factor=3),
    }[search.pruner]
    ost = optuna.create_study(
        storage=storage,
        study_name=study.name,
        direction="maximize" if search.direction == "maximize" else "minimize",
        sampler=sampler,
        pruner=pruner,
        load_if_exists=True,
    )
    mark = _fingerprint(study)
    found = ost.user_attrs.get("lab_study")
    if found is None:
        ost.set_user_attr("lab_study", mark)
    elif found != mark:
        raise LabError(
            f"lab search: the storage holds a search named {study.name!r} over another study (the study file "
            "changed); use another --out folder, another --storage, or another study name."
        )
    return ost


# ------------------------------------------------------------------------------ one trial
def _suggest(trial: Any, p: Param) -> Any:
    if p.kind == "choice":
        return trial.suggest_categorical(p.name, list(p.values or ()))
    if p.kind == "int":
        return trial.suggest_int(p.name, int(p.low or 0), int(p.high or 0), log=p.log)
    return trial.suggest_float(p.name, float(p.low or 0.0), float(p.high or 0.0), log=p.log)


def _curve(record: dict[str, Any], metric: str) -> dict[int, float | None]:
    ev = record["curves"]["eval"]
    return dict(zip(ev["step"], ev.get(metric, [None] * len(ev["step"])), strict=False))


class _Objective:
    """Optuna's objective: sample, claim and train (or reuse) the trial's runs, report, prune."""

    def __init__(self, study: Study, store: Store, worker: str, echo: Echo) -> None:
        self.study, self.store, self.worker, self.echo = study, store, worker, echo
        self.on_start: Callable[[], None] = lambda: None

    def __call__(self, trial: Any) -> float:
        import optuna

        retried = trial.user_attrs.get("retried_from")  # a retry carries the user attributes of the lost trial
        trial.set_user_attr("worker", self.worker)
        self.on_start()  # the trial exists and names its worker: the next worker may create one
        params = sample(self.study, lambda p: _suggest(trial, p))
        runs = trial_runs(self.study, params)
        keys = [r.key() for r in runs]
        trial.set_user_attr("keys", keys)
        outcome = self._train(trial, runs, keys)
        status, value, steps, reported = outcome
        doc = write_trial(
            self.store.root,
            self.study,
            engine="optuna",
            number=trial.number,
            params=params,
            status=status,
            value=value,
            steps=steps,
            keys=keys,
            reported=reported,
            retried_from=retried,
            worker=self.worker,
        )
        trial.set_user_attr("steps", steps)
        trial.set_user_attr("status", status)
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
        if doc["state"] == "pruned":
            self.echo(f"trial {trial.number}: {shown} -> {status} after {steps} updates")
            raise optuna.TrialPruned()
        self.echo(f"trial {trial.number}: {shown} -> {doc['metric']} {value:.4g} ({steps} updates)")
        return float(value if value is not None else math.nan)

    def _claim_all(self, keys: list[str]) -> tuple[list[dict[str, Any] | None], dict[int, Any]]:
        """Each run's record if it exists, else this process's claim on it (waiting while another trains it)."""
        records: list[dict[str, Any] | None] = [None] * len(keys)
        claims: dict[int, Any] = {}
        try:
            for i, key in enumerate(keys):
                while True:
                    records[i] = self.store.load(key, check=True)[0]
                    if records[i] is not None:
                        break
                    claim = self.store.claim(key)
                    if claim is None:  # another live process trains this very run: wait for its record
                        time.sleep(_POLL_S)
                        continue
                    records[i] = self.store.load(key, check=True)[0]
                    if records[i] is not None:
                        claim.release(finished=True)
                    else:
                        claims[i] = claim
                    break
        except BaseException:
            for claim in claims.values():
                claim.release(finished=False)
            raise
        return records, claims

    def _train(
        self, trial: Any, runs: list[Any], keys: list[str]
    ) -> tuple[str, float | None, int, list[tuple[int, float]]]:
        """Train the trial's runs in lockstep: (status, objective, updates trained, reported values)."""
        metric = search_of(self.study).metric
        records, claims = self._claim_all(keys)
        reported: list[tuple[int, float]] = []
        try:
            done = [r for r in records if r is not None]
            stopped = next((r["status"] for r in done if r["status"] != "ok"), None)
            curves = {i: _curve(r, metric) for i, r in enumerate(records) if r is not None}
            trainers = {i: Trainer(runs[i].to_dict(), threads=1) for i in claims} if stopped is None else {}
            for i in trainers:
                curves[i] = {}

            def hook(i: int) -> Callable[[int, dict[str, float]], bool]:
                def on_eval(step: int, values: dict[str, float]) -> bool:
                    curves[i][step] = values.get(metric)
                    return False

                return on_eval

            ev = self.study.eval_every
            points = sorted({*range(ev, self.study.steps + 1, ev), self.study.steps})
            status = stopped or "ok"
            for point in points:
                for i, t in trainers.items():
                    t.advance(point, on_eval=hook(i))
                values = [curves[i].get(point) for i in range(len(runs))]
                if any(t.status == "diverged" for t in trainers.values()) or any(v is None for v in values):
                    status = "diverged" if stopped is None else status
                    break
                mean = sum(float(v) for v in values if v is not None) / len(values)
                trial.report(mean, point)
                reported.append((point, mean))
                if stopped is None and trial.should_prune():
                    status = "pruned"
                    break
            for i, t in trainers.items():
                if not t.finished:
                    t.status = "pruned"  # stopped with the others (pruned, or another seed diverged)
                records[i] = t.record()
                self.store.write(records[i])  # type: ignore[arg-type]
                claims.pop(i).release(finished=True)
        finally:
            for claim in claims.values():
                claim.release(finished=False)
        final = [r for r in records if r is not None]
        steps = sum(len(r["curves"]["lr"]) for r in final)
        value = objective(self.study, final) if status == "ok" else None
        if status == "ok" and value is None:
            status = "diverged"
        return status, value, steps, reported


# ------------------------------------------------------------------------------ a worker
def _new_worker_id() -> str:
    host = re.sub(r"[^A-Za-z0-9_.-]", "_", platform.node())[:40] or "host"
    return f"{host}~{os.getpid()}~{secrets.token_hex(3)}"


def _worker_alive(out: Path, worker: str) -> bool | None:
    """Whether ``worker`` still lives; None when it cannot be told from here (another machine)."""
    host = worker.split("~", 1)[0]
    if host != re.sub(r"[^A-Za-z0-9_.-]", "_", platform.node())[:40]:
        return None
    lock = _Lock(out / "workers" / f"{worker}.lock")
    if not lock.path.exists():
        return False
    if lock.acquire(blocking=False):
        lock.release(remove=True)
        return False
    return True


def _fail_lost_trials(ost: Any, out: Path, echo: Echo) -> None:
    """Mark failed, and queue again with the same parameters, every running trial whose worker died."""
    import optuna
    from optuna.trial import TrialState

    optuna.storages.fail_stale_trials(ost)  # database storage: heartbeats
    now = time.time()
    for t in ost.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = t.user_attrs.get("worker")
        if worker is None:  # created but not started: lost only if that lasts
            started = t.datetime_start.timestamp() if t.datetime_start else now
            lost = now - started > GRACE_S
        else:
            lost = _worker_alive(out, worker) is False
        if not lost:
            continue
        try:
            ost._storage.set_trial_state_values(t._trial_id, state=TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another worker got there first
        echo(f"trial {t.number} lost its worker {worker}: retried with the same parameters")
        lost_trial = ost._storage.get_trial(t._trial_id)
        lost_trial.user_attrs = {**lost_trial.user_attrs, "retried_from": t.user_attrs.get("retried_from", t.number)}
        _retry_callback()(ost, lost_trial)


def _counts(ost: Any) -> dict[str, int]:
    from optuna.trial import TrialState

    out = dict.fromkeys(("complete", "pruned", "running", "waiting", "fail"), 0)
    names = {
        TrialState.COMPLETE: "complete",
        TrialState.PRUNED: "pruned",
        TrialState.RUNNING: "running",
        TrialState.WAITING: "waiting",
        TrialState.FAIL: "fail",
    }
    for t in ost.get_trials(deepcopy=False):
        out[names[t.state]] += 1
    return out


@contextlib.contextmanager
def _quiet_optuna() -> Iterator[None]:
    import optuna

    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        optuna.logging.set_verbosity(level)


def _work(study: Study, out: Path, storage_url: str | None, seed: int | None, echo: Echo) -> int:
    """One worker: run trials until the study holds ``trials`` finished ones; returns how many it ran."""
    import torch

    torch.set_num_threads(1)
    store = Store(out)
    search = search_of(study)
    worker = _new_worker_id()
    alive = _Lock(out / "workers" / f"{worker}.lock")
    alive.acquire()
    gate = _Lock(out / "search.lock")
    ran = 0
    try:
        with _quiet_optuna():
            storage = open_storage(out, storage_url)
            if seed is not None:  # continuing a search: a seed that does not draw the first trials again
                existing = len(_optuna_study(study, storage, None).get_trials(deepcopy=False))
                seed = (seed + 1_000_003 * existing) % 2**32
            ost = _optuna_study(study, storage, seed)
            objective_fn = _Objective(study, store, worker, echo)
            while True:
                gate.acquire()
                try:
                    _fail_lost_trials(ost, out, echo)
                    c = _counts(ost)
                    finished = c["complete"] + c["pruned"]
                    if finished >= search.trials:
                        break
                    if finished + c["running"] >= search.trials:
                        gate.release()
                        time.sleep(_POLL_S)  # the rest are running elsewhere: take over any that fails
                        continue
                    objective_fn.on_start = gate.release
                    ost.optimize(objective_fn, n_trials=1, gc_after_trial=False)
                    ran += 1
                finally:
                    gate.release()
    finally:
        alive.release(remove=True)
    return ran


def _worker_entry(study: Study, out: str, storage_url: str | None, seed: int | None, parent: int) -> None:
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    _work(study, Path(out), storage_url, seed, lambda text: print(text, flush=True))


# ------------------------------------------------------------------------------ the search
@dataclass
class SearchSummary:
    """What a search did: the trials the study holds now by state, the best one, seconds taken."""

    out: Path
    trials: int
    complete: int
    pruned: int
    failed: int
    best_params: dict[str, Any] | None
    best_value: float | None
    seconds: float
    ran: int | None = None
    """Trials this call ran (None with several worker processes: each counts its own)."""


def run_search(
    study: Study,
    out: str | os.PathLike[str],
    *,
    workers: int = 1,
    trials: int | None = None,
    storage: str | None = None,
    seed: int | None = None,
    engine: str = "optuna",
    echo: Echo | None = None,
    scheduler: str = "asha",
    address: str | None = None,
) -> SearchSummary | TuneSummary:
    """Run (or continue) the search of ``study`` into ``out`` until it holds ``trials`` finished trials.

    Args:
        study: a validated study with a ``search:`` section.
        out: the results folder (records, trial files, the journal).
        workers: worker processes (spawn), one torch thread each; 1 runs in this process.
        trials: overrides ``search.trials``.
        storage: a database URL shared by several machines; default: ``out/search.journal``.
        seed: the sampler's seed (worker ``i`` uses ``seed + i``; a search continued with ``n`` trials
            already in its storage uses ``seed + 1000003 * n``, so it does not draw the same trials again).
        engine: ``"optuna"`` or ``"ray-tune"`` (:func:`lrplan.lab.tune.search`, which returns a
            :class:`~lrplan.lab.tune.TuneSummary`).
        echo: where one line per trial goes (default: nowhere).
        scheduler: Ray Tune's trial scheduler, ``"asha"`` or ``"pbt"`` (ray-tune engine only).
        address: a Ray cluster to join (ray-tune engine only); default: a local Ray with ``workers`` CPUs.
    """
    search = search_of(study)
    if engine not in ENGINES:
        raise LabError(f"lab search: `engine` must be one of {', '.join(ENGINES)}. Received: engine={engine!r}.")
    if trials is not None:
        if not (isinstance(trials, int) and trials >= 1):
            raise LabError(f"lab search: `trials` must be an integer >= 1. Received: trials={trials!r}.")
        grid = search.grid() if search.sampler == "grid" else None
        size = math.prod(len(v) for v in grid.values()) if grid is not None else None
        if size is not None and trials > size:
            raise LabError(
                f"lab search: the grid has {size} points; `trials` must be at most {size}. Received: trials={trials}."
            )
        search = replace(search, trials=trials)
        study = replace(study, search=search)
    if not (isinstance(workers, int) and workers >= 1):
        raise LabError(f"lab search: `workers` must be an integer >= 1. Received: workers={workers!r}.")
    if engine == "ray-tune":
        return tune_search(
            study,
            Path(out),
            workers=workers,
            trials=search.trials,
            seed=seed,
            scheduler=scheduler,
            address=address,
            echo=echo,
        )
    say = echo or (lambda text: None)
    root = Path(out)
    store = Store(root)
    store.clean_temporary()
    store.write_study({"study": study.to_dict(), "search": True, "keys": []})
    doc = {
        "engine": "optuna",
        "storage": JOURNAL if storage is None else _redact(storage),
        "study_name": study.name,
        "trials": search.trials,
        "metric": search.metric,
        "direction": search.direction,
        "sampler": search.sampler,
        "pruner": search.pruner,
    }
    write_json_atomic(root / "search.json", doc)
    start = time.perf_counter()
    if workers == 1:
        ran = _work(study, root, storage, seed, say)
    else:
        ctx = multiprocessing.get_context("spawn")
        procs = [
            ctx.Process(
                target=_worker_entry,
                args=(study, str(root), storage, None if seed is None else seed + i, os.getpid()),
                daemon=True,
            )
            for i in range(workers)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        bad = [p.exitcode for p in procs if p.exitcode != 0]
        if bad:
            raise LabError(
                f"lab search: {len(bad)} of {workers} workers failed (exit codes {bad}); run it again to resume."
            )
        ran = None
    return _summary(study, root, storage, time.perf_counter() - start, ran)


def _summary(study: Study, root: Path, storage: str | None, seconds: float, ran: int | None) -> SearchSummary:
    from optuna.trial import TrialState

    with _quiet_optuna():
        ost = _optuna_study(study, open_storage(root, storage), None)
        c = _counts(ost)
        done = ost.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    best = None
    if done:
        best = ost.best_trial
    search = search_of(study)
    return SearchSummary(
        out=root,
        trials=search.trials,
        complete=c["complete"],
        pruned=c["pruned"],
        failed=c["fail"],
        best_params=None if best is None else dict(best.params),
        best_value=None if best is None else best.value,
        seconds=seconds,
        ran=ran,
    )
