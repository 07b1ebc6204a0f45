"""The search space of a study, for any search engine: which parameters a trial samples, and its runs.

A study with a ``search:`` section (see :mod:`lrplan.lab.params` for the format) describes a
conditional space: the schedule family (``schedule``) and the optimizer (``optimizer``) are chosen
first; a schedule-shape parameter is sampled only when the chosen schedule's spec uses it, and an
``opt.<option>`` only when the chosen optimizer has that option. An engine samples define-by-run
with :func:`params_used` (or :func:`sample`, which loops it), then trains :func:`trial_runs`: one run
per seed of the study; the trial's objective is the mean over the seeds of the final ``metric``.

Example:
    >>> from lrplan.lab.study import study_from_dict
    >>> st = study_from_dict({
    ...     "name": "demo", "steps": 100, "seeds": 2, "tasks": ["digits-mlp"], "optimizers": ["adam"],
    ...     "schedules": [{"spec": "cosine(init_value=1.0, decay_steps={steps}, end_value={floor})", "label": "cosine"},
    ...                   {"spec": "wsd(peak_value=1.0, warmup_steps=0, stable_steps={steps*(1-cooldown)}, "
    ...                            "decay_steps={steps*cooldown})", "label": "wsd"}],
    ...     "search": {"trials": 8, "space": {"lr": {"low": 1e-4, "high": 1.0, "log": True},
    ...                                         "schedule": {"values": ["cosine", "wsd"]},
    ...                                         "floor": {"low": 0.0, "high": 0.1},
    ...                                         "cooldown": {"low": 0.1, "high": 0.5}}}})
    >>> [p.name for p in params_used(st, {})]
    ['schedule', 'lr']
    >>> [p.name for p in params_used(st, {"schedule": "wsd", "lr": 0.01})]
    ['schedule', 'lr', 'cooldown']
    >>> runs = trial_runs(st, {"schedule": "wsd", "lr": 0.01, "cooldown": 0.25})
    >>> [(r.lr, r.seed, r.schedule) for r in runs]  # doctest: +NORMALIZE_WHITESPACE
    [(0.01, 0, 'wsd(peak_value=1.0, warmup_steps=0, stable_steps=75, decay_steps=25)'),
     (0.01, 1, 'wsd(peak_value=1.0, warmup_steps=0, stable_steps=75, decay_steps=25)')]
    >>> runs[0].schedule_label
    'wsd cooldown=0.25'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lrplan import parse

from . import optimizers as _opt
from .errors import LabError
from .params import Param, SearchConfig, substitute
from .store import write_json_atomic
from .study import RunSpec, Study

__all__ = ["Param", "SearchConfig", "params_used", "sample", "trial_runs", "search_of", "objective", "write_trial"]


def search_of(study: Study) -> SearchConfig:
    """The study's search section; a :class:`LabError` when it has none."""
    if study.search is None:
        raise LabError(f"study {study.name!r} has no `search:` section; add one to search (see docs/lab.md).")
    return study.search


def _chosen(study: Study, params: Mapping[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The schedule and optimizer entries ``params`` chose (None while not chosen yet)."""

    def pick(entries: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
        if key not in search_of(study).space:
            return entries[0]
        if key not in params:
            return None
        for e in entries:
            if e["label"] == params[key]:
                return e
        raise LabError(f"study {study.name!r}: no {key} labelled {params[key]!r}.")

    return pick(study.schedules, "schedule"), pick(study.optimizers, "optimizer")


def params_used(study: Study, params_so_far: Mapping[str, Any]) -> list[Param]:
    """The parameters a trial samples given those already sampled, in sampling order.

    ``schedule`` and ``optimizer`` come first, then ``lr``; a shape parameter once its schedule is
    chosen and used by it, an ``opt.<option>`` once its optimizer is chosen and has it. Sample the
    ones not in ``params_so_far`` and call again until nothing new comes (:func:`sample` does).
    """
    space = search_of(study).space
    out = [space[k] for k in ("schedule", "optimizer", "lr") if k in space]
    schedule, optimizer = _chosen(study, params_so_far)
    if schedule is not None:
        out += [space[n] for n in schedule.get("params", ())]
    if optimizer is not None:
        out += [p for n, p in space.items() if n.startswith("opt.") and n[4:] in optimizer["options"]]
    return out


def sample(study: Study, suggest: Callable[[Param], Any]) -> dict[str, Any]:
    """Sample one trial's parameters define-by-run: ``suggest(param)`` gives each value.

    Example:
        >>> from lrplan.lab.study import study_from_dict
        >>> st = study_from_dict({"name": "d", "steps": 50, "tasks": ["digits-logreg"], "optimizers": ["sgd"],
        ...     "schedules": ["cosine(init_value=1.0, decay_steps={steps}, end_value={floor})"],
        ...     "search": {"trials": 2, "space": {"lr": {"values": [0.1, 0.3]}, "floor": {"low": 0.0, "high": 0.5}}}})
        >>> sample(st, lambda p: p.values[-1] if p.values else p.high)
        {'lr': 0.3, 'floor': 0.5}
    """
    params: dict[str, Any] = {}
    while todo := [p for p in params_used(study, params) if p.name not in params]:
        for p in todo:
            params[p.name] = suggest(p)
    return params


def trial_runs(study: Study, params: Mapping[str, Any]) -> list[RunSpec]:
    """The runs of one trial: one per seed of the study, with ``params`` applied.

    Parameters the chosen schedule or optimizer does not use are ignored. The labels name the searched
    values (``wsd cooldown=0.25``, ``adam weight_decay=0.01``), so the report tells trials apart.
    """
    used = {p.name for p in params_used(study, params)}
    missing = sorted(used - set(params))
    if missing:
        raise LabError(f"study {study.name!r}: the trial has no value for {missing}.")
    schedule, optimizer = _chosen(study, params)
    if schedule is None or optimizer is None:  # unreachable: both are in `used` when not chosen
        raise LabError(f"study {study.name!r}: the trial chose no schedule or no optimizer.")
    values = {n: params[n] for n in schedule.get("params", ())}
    spec = str(parse(substitute(schedule["spec"], study.steps, values))) if values else schedule["spec"]
    options = dict(optimizer["options"])
    options.update({n[4:]: params[n] for n in used if n.startswith("opt.")})
    options = _opt.resolve_options(_opt.get_optimizer(optimizer["name"]), options)
    if "lr" in params and "lr" in used:
        lr = float(params["lr"])
    elif study.lrs is not None:
        lr = study.lrs[0]
    else:
        lr = float(optimizer["lr"])
    opt_values = {n[4:]: params[n] for n in sorted(used) if n.startswith("opt.")}
    resolved = {**schedule, "spec": spec, "label": schedule["label"] + _label(values)}
    named = {**optimizer, "label": optimizer["label"] + _label(opt_values)}
    return [study.run(study.tasks[0], named, lr, resolved, seed, options=options) for seed in study.seeds]


def _label(values: Mapping[str, Any]) -> str:
    """`` name=value`` for each searched value (runs with different shapes get different labels)."""
    return "".join(f" {k}={v:.4g}" if isinstance(v, float) else f" {k}={v}" for k, v in values.items())


def objective(study: Study, records: list[dict[str, Any]]) -> float | None:
    """A trial's value: the mean over its runs (one per seed) of the final metric; None if any lacks it."""
    metric = search_of(study).metric
    values: list[float] = []
    for r in records:
        value = (r.get("final") or {}).get(metric)
        if value is None:
            return None
        values.append(float(value))
    return sum(values) / len(values) if values else None


def write_trial(
    root: Path,
    study: Study,
    *,
    engine: str,
    number: int,
    params: Mapping[str, Any],
    status: str,
    value: float | None,
    steps: int,
    keys: list[str],
    reported: list[tuple[int, float]],
    retried_from: int | None = None,
    worker: str | None = None,
) -> dict[str, Any]:
    """Write ``root/trials/<number>.json`` (atomically), the file of one finished trial that the report reads.

    ``status`` is ``"ok"`` (state ``complete``), ``"pruned"`` or ``"diverged"`` (state ``pruned``);
    ``steps`` the updates its runs trained (all seeds); ``reported`` the (updates done, mean metric)
    pairs the engine saw. Any engine writes the same file.
    """
    doc = {
        "engine": engine,
        "number": number,
        "params": dict(params),
        "state": "complete" if status == "ok" else "pruned",
        "status": status,
        "value": value,
        "metric": search_of(study).metric,
        "steps": steps,
        "max_steps": study.steps * len(study.seeds),
        "keys": keys,
        "reported": [[s, v] for s, v in reported],
        "retried_from": retried_from,
        "worker": worker,
    }
    write_json_atomic(Path(root) / "trials" / f"{number:06d}.json", doc)
    return doc
