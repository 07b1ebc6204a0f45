"""Ray Tune: a study's search with ASHA or population-based training, and the PBT schedule out.

``lrplan lab search STUDY --engine ray-tune [--scheduler asha|pbt]`` runs :func:`search`: Ray Tune
samples the study's search space (:mod:`lrplan.lab.space`), and each Ray trial trains the trial's
runs (one per seed, in lockstep) with :class:`~lrplan.lab.run.Trainer`, in pieces of ``eval_every``
updates. After each piece it reports the search metric (the mean over the seeds) with a checkpoint:
every trainer's state (``torch.save``) and its lab record so far. A trial restores from its
checkpoint when Ray restarts it (a lost worker) or clones another (population-based training).

* ``asha``: :class:`ray.tune.schedulers.ASHAScheduler` on the training updates (``time_attr``),
  grace period ``eval_every``, reduction factor 2: a trial behind at a rung stops there.
* ``pbt``: :class:`ray.tune.schedulers.PopulationBasedTraining` every ``2 * eval_every`` updates, on
  the peak-LR multiplier ``lr`` (times 1.2 or 0.8, or resampled with probability 0.25): a trial in
  the bottom quarter takes a top trial's checkpoint (model, optimizer, data stream, the learning
  rates it trained with so far) and trains on with ``lr' * shape(k)`` from that update on
  (:meth:`~lrplan.lab.run.Trainer.set_schedule`). Its trainers keep every change as a segment.

When Ray Tune is done, the driver writes one record per run of each trial to the results folder
(atomic, once), from the trial's last checkpoint; a run that ASHA stopped has ``status: "pruned"``
and fewer updates. A record holds ``search`` (engine, scheduler, experiment, trial, the trial's
parameters) and ``schedule_segments`` (``(start, absolute schedule)`` of every change of LR).
An interrupted search (Ctrl-C) writes no record; run again on the same folder, it goes on with
Tune's saved state (``Tuner.restore``): the same trials, each from its last checkpoint.

:func:`export_pbt` (``lrplan lab export-pbt DIR``) turns the winning PBT trial's segments into one
lrplan schedule (:func:`~lrplan.lab.run.schedule_from_segments`) whose value at every update equals
the learning rate the trial trained with, including the history it inherited from the trials it
cloned; it answers ray-project/ray#10010.

Ray starts locally with ``num_cpus=workers`` (or joins ``address``), one CPU and one torch thread per
trial, no dashboard; Tune's own files go to ``<out>/ray-tune/``. Ray Tune is an optional dependency:
``pip install 'lrplan[search]'``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import itertools
import json
import logging
import math
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lrplan

from .errors import LabError
from .run import Trainer, schedule_from_segments
from .space import Param, params_used, search_of, trial_runs, write_trial
from .store import Store, write_json_atomic
from .study import Study, run_key

__all__ = [
    "search",
    "export_pbt",
    "pbt_winner",
    "TuneSummary",
    "SCHEDULERS",
    "require_ray",
    "tune_domain",
    "EXPORT_FORMATS",
    "schedule_text",
]

SCHEDULERS = ("asha", "pbt")
EXPORT_FORMATS = ("spec", "json")
ENGINE = "ray-tune"
INSTALL = "pip install 'lrplan[search]'"
TIME_ATTR = "updates"
"""What the schedulers count: optimizer updates done."""
PBT_INTERVAL_EVALS = 2
"""Population-based training perturbs every this many evaluations."""
PBT_FACTORS = (1.2, 0.8)
ASHA_REDUCTION = 2
_STATE_FILE = "trainers.pt"
_TRIAL_FILE = "trial.json"


def require_ray() -> None:
    """Raise :class:`LabError` naming the install command when Ray Tune is missing.

    Example:
        >>> require_ray()  # Ray Tune is installed here: nothing happens
    """
    try:
        import ray.tune  # noqa: F401
    except ImportError:
        raise LabError(f"the ray-tune engine needs Ray Tune, which is not installed: {INSTALL}") from None


def tune_domain(param: Param) -> Any:
    """The Ray Tune sampling domain of a search parameter.

    Example:
        >>> from lrplan.lab.space import Param
        >>> type(tune_domain(Param("lr", "float", 1e-4, 1.0, log=True)).get_sampler()).__name__
        '_LogUniform'
        >>> tune_domain(Param("shape", "choice", values=("linear", "cosine"))).categories
        ['linear', 'cosine']
    """
    from ray import tune

    if param.kind == "choice":
        return tune.choice(list(param.values or ()))
    low, high = param.low, param.high
    if low is None or high is None:
        raise LabError(f"search parameter {param.name!r}: a range needs `low` and `high`.")
    if param.kind == "int":  # Ray's upper bound is exclusive
        return tune.lograndint(int(low), int(high) + 1) if param.log else tune.randint(int(low), int(high) + 1)
    return tune.loguniform(low, high) if param.log else tune.uniform(low, high)


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds (Ray may sample either)."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _params(study: Study, config: dict[str, Any]) -> dict[str, Any]:
    """The parameters a trial uses, from the Ray config (which samples every parameter)."""
    given = {name: _plain(value) for name, value in config.items()}
    return {p.name: given[p.name] for p in params_used(study, given) if p.name in given}


def _current(trainers: list[Trainer], metric: str, mode: str) -> float:
    """The trial's metric now: the mean over its runs of their last evaluation (worst if any is not finite)."""
    values = []
    for t in trainers:
        last = t.evals.get(metric, [None])[-1] if t.status != "diverged" else None
        if last is None or not math.isfinite(last):
            return -math.inf if mode == "max" else math.inf
        values.append(float(last))
    return sum(values) / len(values)


def _trial(config: dict[str, Any], study: Study) -> None:
    """The Ray Tune function trainable: one trial's runs, in lockstep pieces of ``eval_every`` updates."""
    import torch
    from ray import tune

    search = search_of(study)
    mode = "max" if search.direction == "maximize" else "min"
    runs = trial_runs(study, _params(study, config))
    trainers = [Trainer(run.to_dict(), threads=1) for run in runs]
    checkpoint = tune.get_checkpoint()
    reported: list[list[Any]] = []  # [updates, value] of every report, a cloned trial's donor's included
    if checkpoint is not None:
        with checkpoint.as_directory() as folder:
            states = torch.load(Path(folder) / _STATE_FILE, weights_only=True)
            reported = json.loads((Path(folder) / _TRIAL_FILE).read_text(encoding="utf-8"))["reported"]
        for trainer, state in zip(trainers, states, strict=True):
            wanted = trainer.schedule  # lr * shape(k) of this trial's (perhaps newly mutated) config
            trainer.load_state_dict(state)
            if not trainer.finished and lrplan.to_config(wanted) != lrplan.to_config(trainer.schedule):
                trainer.set_schedule(wanted)  # a cloned trial: the donor's state, its own LR from here on

    def report() -> None:
        updates, value = max(t.step for t in trainers), _current(trainers, search.metric, mode)
        if not reported or reported[-1][0] != updates:
            reported.append([updates, value if math.isfinite(value) else None])
        with tempfile.TemporaryDirectory(prefix="lrplan-trial-") as folder:
            torch.save([t.state_dict() for t in trainers], Path(folder) / _STATE_FILE)
            doc = {"records": [t.record() for t in trainers], "reported": reported}
            (Path(folder) / _TRIAL_FILE).write_text(json.dumps(doc, allow_nan=False), encoding="utf-8")
            tune.report({search.metric: value, TIME_ATTR: updates}, checkpoint=tune.Checkpoint.from_directory(folder))

    if all(t.finished for t in trainers):  # cloned from a finished trial: its result is this trial's own
        report()
    every = study.eval_every
    while not all(t.finished for t in trainers):
        until = (min(t.step for t in trainers if not t.finished) // every + 1) * every
        for t in trainers:
            t.advance(until)
        report()


@dataclass
class TuneSummary:
    """What :func:`search` did."""

    experiment: str
    scheduler: str
    trials: int
    pruned: int
    failed: list[str] = field(default_factory=list)
    best_params: dict[str, Any] | None = None
    best_value: float | None = None
    keys: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _scheduler(study: Study, name: str) -> Any:
    from ray.tune.schedulers import ASHAScheduler, PopulationBasedTraining

    if name == "asha":
        return ASHAScheduler(
            time_attr=TIME_ATTR,
            max_t=study.steps,
            grace_period=min(study.eval_every, study.steps),
            reduction_factor=ASHA_REDUCTION,
        )
    lr = search_of(study).space.get("lr")
    if lr is None:
        raise LabError(f"study {study.name!r}: population-based training mutates `lr`; its search space has none.")
    return PopulationBasedTraining(
        time_attr=TIME_ATTR,
        perturbation_interval=PBT_INTERVAL_EVALS * study.eval_every,
        hyperparam_mutations={"lr": list(lr.values or ()) if lr.kind == "choice" else tune_domain(lr)},
        perturbation_factors=PBT_FACTORS,
        resample_probability=0.25,
        quantile_fraction=0.25,
    )


def _finish(record: dict[str, Any], search: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A trial's record as the driver writes it: its search facts, its own key, ``pruned`` if stopped early."""
    if record["status"] == "ok" and len(record["curves"]["lr"]) < record["run"]["steps"]:
        record["status"] = "pruned"
    record["search"] = {**search, "params": params}
    record["key"] = run_key(
        {"config": record["config"], "search": {k: search[k] for k in ("engine", "experiment", "trial")}}
    )
    return record


def _space(study: Study, count: int, seed: int | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Ray's ``param_space`` (every parameter sampled; those a trial's choices do not use are ignored)
    and the points to evaluate first: for a ``grid`` sampler, ``count`` points of the grid (all of them
    in order when ``count`` covers it, else a random choice by ``seed``, each point at most once)."""
    config = search_of(study)
    space = {name: tune_domain(p) for name, p in config.space.items()}
    grid = config.grid() if config.sampler == "grid" else None
    if grid is None:
        return space, []
    points = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]
    if count < len(points):
        points = random.Random(seed).sample(points, count)
    return space, (points * -(-count // len(points)))[:count]


def _trial_folder(trial: Any) -> str:
    """A trial's folder in Tune's storage, and its name in the records: its trial id."""
    return str(trial.trial_id)


def _echo_callback(study: Study, echo: Callable[[str], None]) -> Any:
    """A Tune callback that says one line per trial as it ends (finished, stopped early, or failed)."""
    from ray import tune

    metric = search_of(study).metric

    class Echo(tune.Callback):  # type: ignore[misc]
        def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
            result = trial.last_result or {}
            updates, value = result.get(TIME_ATTR, 0), result.get(metric)
            shown = ", ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in _params(study, trial.config).items()
            )
            how = "finished" if updates >= study.steps else "stopped"
            value = f"{value:.4g}" if isinstance(value, float) else value
            echo(f"trial {trial.trial_id}: {shown} -> {how} after {updates} updates, {metric} {value}")

        def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
            echo(f"trial {trial.trial_id}: failed (see {trial.path})")

    return Echo()


@contextlib.contextmanager
def _quiet_tune() -> Iterator[None]:
    """Tune's console output off (its new output engine prints a banner whatever the verbosity)."""
    old = os.environ.get("RAY_AIR_NEW_OUTPUT")
    os.environ["RAY_AIR_NEW_OUTPUT"] = "0"  # the classic reporter, which verbose=0 silences
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("RAY_AIR_NEW_OUTPUT", None)
        else:
            os.environ["RAY_AIR_NEW_OUTPUT"] = old


def _start_ray(workers: int, address: str | None) -> bool:
    """Start (or join) Ray unless it runs in this process already; True if this call started it."""
    import ray

    if ray.is_initialized():
        return False
    if address:
        ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
    else:
        ray.init(num_cpus=max(1, workers), include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    return True


def _unfinished(folder: Path, fingerprint: str) -> str | None:
    """The experiment of an interrupted Ray Tune search of the same study in ``folder``, if Tune can go on with it."""
    from ray import tune

    try:
        about = json.loads((folder / "search.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(about, dict) or about.get("engine") != ENGINE or about.get("finished", True):
        return None
    experiment = about.get("experiment")
    if about.get("fingerprint") != fingerprint or not isinstance(experiment, str) or not Store.valid_key(experiment):
        return None
    return experiment if tune.Tuner.can_restore(str(folder / "ray-tune" / experiment)) else None


def _interrupted(path: Path) -> bool:
    """Whether Tune's saved state of the experiment at ``path`` has trials still to run (Ctrl-C stops
    every trial in memory, so only the saved state tells an interrupted trial from a stopped one)."""
    from ray import tune

    quiet = logging.getLogger("ray.tune.analysis.experiment_analysis")  # trials that never reported
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        trials = tune.ExperimentAnalysis(str(path)).trials
    finally:
        quiet.setLevel(level)
    return any(t.status not in ("TERMINATED", "ERROR") for t in trials)


def _tuner(
    study: Study,
    trainable: Any,
    space: dict[str, Any],
    points: list[dict[str, Any]],
    samples: int,
    scheduler: str,
    seed: int | None,
    folder: Path,
    experiment: str,
    echo: Callable[[str], None] | None,
) -> Any:
    from ray import tune
    from ray.tune.search import BasicVariantGenerator

    config = search_of(study)
    return tune.Tuner(
        trainable,
        param_space=space,
        tune_config=tune.TuneConfig(
            metric=config.metric,
            mode="max" if config.direction == "maximize" else "min",
            scheduler=_scheduler(study, scheduler),
            search_alg=BasicVariantGenerator(points_to_evaluate=points or None, random_state=seed),
            num_samples=samples,
            reuse_actors=True,
            trial_dirname_creator=_trial_folder,
        ),
        run_config=tune.RunConfig(
            name=experiment,
            storage_path=str(folder / "ray-tune"),
            verbose=0,
            checkpoint_config=tune.CheckpointConfig(num_to_keep=4),
            failure_config=tune.FailureConfig(max_failures=2),
            callbacks=[_echo_callback(study, echo)] if echo is not None else None,
        ),
    )


def search(
    study: Study,
    out: str | Path,
    *,
    workers: int = 2,
    trials: int | None = None,
    seed: int | None = None,
    scheduler: str = "asha",
    address: str | None = None,
    echo: Callable[[str], None] | None = None,
) -> TuneSummary:
    """Search ``study``'s space with Ray Tune (``scheduler``: ``asha`` or ``pbt``); records go to ``out``.

    ``trials`` (default: the study's ``search.trials``) trials are sampled at random (``seed``; a
    ``grid`` sampler walks the grid instead), at most ``workers`` at once on a local Ray (or as many
    as the cluster at ``address`` has CPUs; then ``out`` must be a folder every node reaches). Writes
    one record per run of each trial, ``trials/ray-<experiment>-<n>.json`` per trial (what the
    report's search section reads), ``search.json`` and ``study.json``. Returns a
    :class:`TuneSummary`; a trial that failed is listed there and has no record. ``echo`` gets one
    line per trial as it ends.
    """
    require_ray()
    import ray
    from ray import tune

    if scheduler not in SCHEDULERS:
        raise LabError(f"lab search: `scheduler` must be one of {', '.join(SCHEDULERS)}. Received: {scheduler!r}.")
    config = search_of(study)
    mode = "max" if config.direction == "maximize" else "min"
    count = config.trials if trials is None else trials
    if not (isinstance(count, int) and count >= 1):
        raise LabError(f"lab search: `trials` must be an integer >= 1. Received: trials={count!r}.")
    folder = Path(out).resolve()
    store = Store(folder)
    store.clean_temporary()
    study_doc = {k: v for k, v in study.to_dict().items() if k != "source"}
    fingerprint = run_key({"study": study_doc, "trials": count, "scheduler": scheduler, "seed": seed})
    resumed = _unfinished(folder, fingerprint)
    experiment = resumed or f"{scheduler}-{_dt.datetime.now(_dt.timezone.utc).strftime('%Y%m%dT%H%M%S%f')}"
    facts = {"engine": ENGINE, "scheduler": scheduler, "experiment": experiment, "metric": config.metric, "mode": mode}
    about = {**facts, "study_name": study.name, "trials": count, "direction": config.direction}
    about.update(sampler=config.sampler, pruner=scheduler, fingerprint=fingerprint, finished=False)
    store.write_study({"study": study.to_dict(), "search": True, "keys": []})
    write_json_atomic(folder / "search.json", about)
    space, points = _space(study, count, seed)
    start = time.perf_counter()
    started = _start_ray(workers, address)
    trainable = tune.with_resources(tune.with_parameters(_trial, study=study), {"cpu": 1})
    try:
        if resumed is not None:  # Tune's saved state: finished trials stay, the others go on from their checkpoints
            tuner = tune.Tuner.restore(
                str(folder / "ray-tune" / experiment), trainable, resume_unfinished=True, resume_errored=True
            )
        else:
            tuner = _tuner(study, trainable, space, points, count, scheduler, seed, folder, experiment, echo)
        with _quiet_tune():
            grid = tuner.fit()
    finally:
        if started:
            ray.shutdown()
    if _interrupted(folder / "ray-tune" / experiment):
        raise LabError(
            f"lab search: interrupted; Ray Tune kept its state in {folder / 'ray-tune' / experiment}: "
            "run the same search again to go on from there."
        )
    summary = TuneSummary(experiment=experiment, scheduler=scheduler, trials=len(grid), pruned=0)
    best: tuple[float, dict[str, Any]] | None = None
    numbers = _trial_numbers(folder)  # trial files of earlier searches stay; one written before is rewritten
    following = max(numbers.values(), default=-1) + 1
    for number in range(len(grid)):
        result = grid[number]
        trial = Path(result.path).name  # (PBT hands a clone its donor's last metrics, trial_id included)
        if result.error is not None or result.checkpoint is None:
            summary.failed.append(trial)
            continue
        with result.checkpoint.as_directory() as where:
            doc = json.loads((Path(where) / _TRIAL_FILE).read_text(encoding="utf-8"))
        params = _params(study, result.config or {})
        records = [_finish(r, {**facts, "trial": trial}, params) for r in doc["records"]]
        for record in records:
            store.write(record)
            summary.keys.append(record["key"])
        status = next((r["status"] for r in records if r["status"] != "ok"), "ok")
        value = _mean_final(records, config.metric)
        keys = [r["key"] for r in records]
        if tuple(keys) not in numbers:
            numbers[tuple(keys)], following = following, following + 1
        write_trial(
            folder,
            study,
            engine=ENGINE,
            number=numbers[tuple(keys)],
            params=params,
            status=status,
            value=value,
            steps=sum(len(r["curves"]["lr"]) for r in records),
            keys=keys,
            reported=[(int(u), v) for u, v in doc["reported"]],
        )
        if status != "ok":
            summary.pruned += 1
        elif value is not None and (best is None or (value > best[0] if mode == "max" else value < best[0])):
            best = (value, params)
    if best is not None:
        summary.best_value, summary.best_params = best
    write_json_atomic(folder / "search.json", {**about, "finished": True})
    summary.seconds = time.perf_counter() - start
    return summary


def _trial_numbers(folder: Path) -> dict[tuple[str, ...], int]:
    """The number of each trial file in ``folder``, by its run keys (an unreadable file keeps its number)."""
    out: dict[tuple[str, ...], int] = {}
    for path in (folder / "trials").glob("*.json"):
        if not path.stem.isdigit():
            continue
        try:
            keys = json.loads(path.read_text(encoding="utf-8"))["keys"]
        except (OSError, ValueError, TypeError, KeyError):
            keys = None
        out[tuple(map(str, keys)) if isinstance(keys, list) else (path.name,)] = int(path.stem)
    return out


def _mean_final(records: list[dict[str, Any]], metric: str) -> float | None:
    values = [(r.get("final") or {}).get(metric) for r in records]
    if not values or any(v is None or r["status"] != "ok" for v, r in zip(values, records, strict=True)):
        return None
    return sum(float(v) for v in values if v is not None) / len(values)


# ------------------------------------------------------------------------------ export-pbt
def pbt_winner(folder: str | Path) -> list[dict[str, Any]]:
    """The records of the best finished trial of the latest PBT search in ``folder`` (one per seed).

    Best: the mean over the trial's runs of the final search metric, in the search's direction.
    """
    if not Path(folder).is_dir():
        raise LabError(f"{folder}: no such results folder.")
    by_trial: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in Store(folder).records():
        facts = record.get("search")
        if isinstance(facts, dict) and facts.get("engine") == ENGINE and facts.get("scheduler") == "pbt":
            by_trial.setdefault((str(facts.get("experiment")), str(facts.get("trial"))), []).append(record)
    if not by_trial:
        raise LabError(f"{folder}: no records of a population-based search (lrplan lab search --scheduler pbt).")
    latest = max(experiment for experiment, _ in by_trial)
    best: tuple[float, list[dict[str, Any]]] | None = None
    for (experiment, _), records in sorted(by_trial.items()):
        if experiment != latest:
            continue
        facts = records[0]["search"]
        value = _mean_final(records, str(facts.get("metric")))
        maximize = facts.get("mode") == "max"
        if value is not None and (best is None or (value > best[0] if maximize else value < best[0])):
            best = (value, records)
    if best is None:
        raise LabError(f"{folder}: no trial of the population-based search {latest!r} finished.")
    return best[1]


def export_pbt(folder: str | Path) -> tuple[lrplan.Schedule, list[dict[str, Any]]]:
    """The schedule the winning PBT trial trained with, and that trial's records.

    The schedule is :func:`~lrplan.lab.run.schedule_from_segments` of the trial's segments; its value
    at every update ``k`` equals (``==``) the learning rate recorded for update ``k`` in each of the
    trial's runs (checked here: a :class:`LabError` otherwise). It is an ordinary lrplan schedule:
    ``str()`` is its spec, :func:`lrplan.to_config` its JSON form, and ``lrplan lab run --schedule
    SPEC --lr 1`` trains with it again.
    """
    records = pbt_winner(folder)
    segments = records[0].get("schedule_segments")
    if not isinstance(segments, list) or not segments:
        raise LabError(f"{folder}: the winning record has no `schedule_segments`; it was written by an older lrplan.")
    schedule = schedule_from_segments([(int(s["start"]), lrplan.from_config(s["schedule"])) for s in segments])
    for record in records:
        for k, lr in enumerate(record["curves"]["lr"]):
            if schedule(k) != lr:
                raise LabError(
                    f"{folder}: the exported schedule gives {schedule(k)!r} at update {k}, but run "
                    f"{record['key']} trained with {lr!r}."
                )
    return schedule, records


def schedule_text(schedule: lrplan.Schedule, fmt: str) -> str:
    """``schedule`` as a spec (``fmt="spec"``) or as the JSON of :func:`lrplan.to_config` (``"json"``).

    Example:
        >>> import lrplan
        >>> print(schedule_text(lrplan.shift(lrplan.constant(0.1), steps=-40), "spec"), end="")
        shift(constant(0.1), steps=-40)
        >>> lrplan.from_config(json.loads(schedule_text(lrplan.constant(0.1), "json")))
        constant(0.1)
    """
    if fmt == "spec":
        return str(schedule) + "\n"
    if fmt == "json":
        return json.dumps(lrplan.to_config(schedule), indent=1) + "\n"
    raise LabError(f"export-pbt: `format` must be one of {', '.join(EXPORT_FORMATS)}. Received: format={fmt!r}.")
