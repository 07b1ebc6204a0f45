"""Studies: a sweep of tasks x optimizers x schedules x learning rates x seeds, from a file or flags.

**How a learning rate is made.** A study's schedules are *shapes* written with peak 1.0, and every
run has one peak learning rate ``lr``. The learning rate used for update ``k`` (k from 0) is

.. math:: \\eta_k = lr \\cdot \\text{schedule}(k)

i.e. the run trains on the absolute schedule ``scale(schedule, factor=lr)``, whose config is what the
record stores. ``lr`` is the study's ``lrs`` axis if it has one, otherwise each optimizer entry's
``lr`` (or that optimizer's default). A schedule written with absolute values is fine too: give
``lrs: [1.0]``.

**Study file** (YAML ``.yaml``/``.yml`` or TOML ``.toml``)::

    name: my-study                 # required: a short name (also the default output folder)
    description: what it checks    # optional
    steps: 300                     # optimizer updates per run (> 0)
    eval_every: 25                 # evaluate every N updates (and at the start and the end)
    seeds: [0, 1, 2]               # a list, or a count n meaning 0..n-1
    grad_clip: null                # optional max gradient norm
    threads: 1                     # torch threads per run
    tasks:                         # names, or {name, options, label}
      - digits-mlp
      - {name: charlm, options: {norm: post}, label: post-LN}
    optimizers:                    # names, or {name, lr, options, label}
      - adam
      - {name: sgd-momentum, lr: 0.1}
    schedules:                     # spec texts with peak 1.0, or {spec, label}
      - constant(1.0)
      - {spec: "cosine(init_value=1.0, decay_steps={steps})", label: cosine}
    lrs: [0.01, 0.03]              # optional: peak learning rates, overriding the optimizers' lr
    targets: {digits-mlp: 0.95}    # optional: metric target per task, for "steps to target"
    expectation: text              # optional: what the study expects to show (shown in the report)
    search: {trials: 24, space: {lr: {low: 1.0e-4, high: 1.0, log: true}}}
                                   # optional: a search instead of a grid (lrplan lab search; see lrplan.lab.params)

Inside a schedule spec, ``{...}`` is an arithmetic expression of ``steps`` (numbers, ``+ - * / //``,
parentheses), evaluated and rounded to an integer, e.g. ``decay_steps={steps*0.2}``; in a study with
a ``search:`` section it may also name search parameters (:mod:`lrplan.lab.params`).

Every name, option, spec and number is checked when the study is loaded, before any run starts;
:class:`~lrplan.lab.errors.StudyError` lists every problem with the file and the key.

Example:
    >>> from lrplan.lab.study import study_from_dict
    >>> st = study_from_dict({"name": "demo", "steps": 100, "seeds": 2, "tasks": ["digits-logreg"],
    ...                       "optimizers": ["sgd", {"name": "adam", "lr": 0.01}],
    ...                       "schedules": ["constant(1.0)", "linear(init_value=1.0, end_value=0.0, decay_steps={steps})"]})
    >>> runs = st.runs()
    >>> len(runs), runs[0].lr, runs[-1].lr, runs[-1].schedule
    (8, 0.1, 0.01, 'linear(init_value=1.0, end_value=0.0, decay_steps=100)')
    >>> study_from_dict({"name": "bad", "steps": -5, "tasks": ["digit-mlp"], "optimizers": ["adam"],
    ...                  "schedules": ["constant(1.0)"]}, source="s.yaml")
    Traceback (most recent call last):
    ...
    lrplan.lab.errors.StudyError: s.yaml: invalid study:
      s.yaml: steps: must be an integer in [1, 10000000]. Received: -5.
      s.yaml: tasks[0]: unknown task 'digit-mlp'. Did you mean 'digits-mlp'?
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lrplan import LrplanError, parse, to_config

from . import optimizers as _opt
from . import tasks as _tasks
from .checks import Bound, is_number, read_bounded, short, structure_problem
from .errors import LabError, StudyError
from .params import SPECIAL, Param, SearchConfig, check_name, names_in, parse_param, parse_search_head, substitute

__all__ = ["RunSpec", "Study", "study_from_dict", "load_study", "substitute_steps", "run_key"]

STUDY_KEYS = (
    "name",
    "description",
    "steps",
    "eval_every",
    "seeds",
    "grad_clip",
    "threads",
    "tasks",
    "optimizers",
    "schedules",
    "lrs",
    "targets",
    "expectation",
    "search",
)
LR_RULE = "lr * schedule(k)"


@dataclass(frozen=True)
class RunSpec:
    """One training run, fully resolved (defaults merged, ``{steps}`` substituted)."""

    task: str
    task_options: dict[str, Any]
    optimizer: str
    optimizer_options: dict[str, Any]
    lr: float
    schedule: str
    seed: int
    steps: int
    eval_every: int
    grad_clip: float | None = None
    task_label: str = ""
    optimizer_label: str = ""
    schedule_label: str = ""

    def config(self) -> dict[str, Any]:
        """The JSON-safe configuration that determines the result; its hash is the run's key."""
        return {
            "task": {"name": self.task, "options": self.task_options},
            "optimizer": {"name": self.optimizer, "options": self.optimizer_options},
            "lr": self.lr,
            "schedule": to_config(parse(self.schedule)),
            "lr_rule": LR_RULE,
            "seed": self.seed,
            "steps": self.steps,
            "eval_every": self.eval_every,
            "grad_clip": self.grad_clip,
        }

    def key(self) -> str:
        """16 hex digits of the SHA-256 of the canonical JSON of :meth:`config`."""
        return run_key(self.config())

    def labels(self) -> dict[str, str]:
        return {"task": self.task_label, "optimizer": self.optimizer_label, "schedule": self.schedule_label}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_key(config: Mapping[str, Any]) -> str:
    """The key of a run config: ``sha256(json.dumps(config, sort_keys=True))[:16]``."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Study:
    """A validated study; build it with :func:`study_from_dict` or :func:`load_study`."""

    name: str
    tasks: list[dict[str, Any]]
    optimizers: list[dict[str, Any]]
    schedules: list[dict[str, Any]]
    seeds: list[int]
    steps: int
    eval_every: int
    lrs: list[float] | None = None
    grad_clip: float | None = None
    threads: int = 1
    targets: dict[str, float] = field(default_factory=dict)
    description: str = ""
    expectation: str = ""
    source: str = "<flags>"
    search: SearchConfig | None = None

    def runs(self) -> list[RunSpec]:
        """Every run: tasks x optimizers x lrs x schedules x seeds, in that nesting order."""
        if any(s.get("params") for s in self.schedules):
            raise LabError(
                f"study {self.name!r}: its schedules use search parameters; run it with `lrplan lab search`."
            )
        out = []
        for t in self.tasks:
            for o in self.optimizers:
                for lr in self.lrs if self.lrs is not None else [o["lr"]]:
                    for s in self.schedules:
                        out += [self.run(t, o, float(lr), s, seed) for seed in self.seeds]
        return out

    def run(
        self,
        task: dict[str, Any],
        optimizer: dict[str, Any],
        lr: float,
        schedule: dict[str, Any],
        seed: int,
        *,
        options: dict[str, Any] | None = None,
    ) -> RunSpec:
        """The run of one task, optimizer (with ``options`` instead of its own if given), peak LR,
        schedule (entries of this study; ``schedule["spec"]`` resolved) and seed."""
        return RunSpec(
            task=task["name"],
            task_options=task["options"],
            optimizer=optimizer["name"],
            optimizer_options=optimizer["options"] if options is None else options,
            lr=lr,
            schedule=schedule["spec"],
            seed=seed,
            steps=self.steps,
            eval_every=self.eval_every,
            grad_clip=self.grad_clip,
            task_label=task["label"],
            optimizer_label=optimizer["label"],
            schedule_label=schedule["label"],
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (what ``study.json`` in the output folder holds)."""
        return asdict(self)


# ------------------------------------------------------------------------------ {steps} expressions
def substitute_steps(spec: str, steps: int) -> str:
    """Replace each ``{expr}`` in ``spec`` by ``round(expr)`` with ``steps`` bound.

    Example:
        >>> substitute_steps("wsd(peak_value=1.0, warmup_steps=0, stable_steps={steps*0.8}, decay_steps={steps//5})", 1000)
        'wsd(peak_value=1.0, warmup_steps=0, stable_steps=800, decay_steps=200)'
    """
    return substitute(spec, steps)


# ------------------------------------------------------------------------------ validation
class _Errors:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, key: str, reason: str) -> None:
        self.items.append(f"{self.source}: {key}: {reason}")

    def raise_if_any(self) -> None:
        if len(self.items) == 1:
            raise StudyError(self.items[0])
        if self.items:
            raise StudyError(f"{self.source}: invalid study:\n  " + "\n  ".join(self.items))


MAX_STEPS = 10**7
"""The most optimizer updates a run may take (a record keeps a learning rate and a loss per update)."""
MAX_RUNS = 100_000
"""The most runs a study may expand to (tasks x optimizers x lrs x schedules x seeds)."""
MAX_SEED = 2**63 - 1
_STEPS = Bound(1, MAX_STEPS, integer=True)
_SEED_COUNT = Bound(1, MAX_RUNS, integer=True)
_THREADS = Bound(1, 1024, integer=True)
_POSITIVE = Bound(0.0, low_open=True)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_LABEL_CHARS = 200


def _entry(raw: Any, where: str, name_key: str, allowed: tuple[str, ...], errors: _Errors) -> dict[str, Any] | None:
    if isinstance(raw, str):
        return {name_key: raw}
    if not isinstance(raw, Mapping):
        errors.add(where, f"must be a name or a mapping with keys {list(allowed)}. Received: {short(raw)}.")
        return None
    unknown = sorted(map(str, set(raw) - set(allowed)))
    if unknown:
        errors.add(where, f"unknown key(s) {short(unknown)}; allowed: {list(allowed)}.")
        return None
    if not isinstance(raw.get(name_key), str):
        errors.add(f"{where}.{name_key}", f"required, a string. Received: {short(raw.get(name_key))}.")
        return None
    label = raw.get("label")
    if label is not None and not (isinstance(label, str) and len(label) <= _LABEL_CHARS):
        errors.add(
            f"{where}.label", f"must be a string of at most {_LABEL_CHARS} characters. Received: {short(label)}."
        )
        return None
    return dict(raw)


def _number(data: Mapping[str, Any], key: str, default: Any, bound: Bound, errors: _Errors) -> Any:
    """``data[key]`` (or ``default``) if ``bound`` holds it; else the error is noted and None returned."""
    value = data.get(key, default)
    if value is None and default is None:
        return None
    if bound.check(value):
        return value
    errors.add(key, f"must be {bound.describe()}{' or null' if default is None else ''}. Received: {short(value)}.")
    return None


def _seeds(raw: Any, errors: _Errors) -> list[int]:
    if _SEED_COUNT.check(raw):
        return list(range(raw))
    seed = Bound(0, MAX_SEED, integer=True)
    if isinstance(raw, list) and 0 < len(raw) <= MAX_RUNS and all(map(seed.check, raw)):
        return list(dict.fromkeys(raw))
    errors.add(
        "seeds",
        f"must be a count in [1, {MAX_RUNS}] or a non-empty list of at most {MAX_RUNS} integers in [0, 2**63 - 1]. "
        f"Received: {short(raw)}.",
    )
    return []


def study_from_dict(data: Mapping[str, Any], *, source: str = "<flags>") -> Study:
    """Validate ``data`` (the parsed study file) and build a :class:`Study`.

    Every value is checked here, before any run starts: numbers are finite and inside the range the
    code that uses them handles, options are checked against their task or optimizer, and the study
    may expand to at most :data:`MAX_RUNS` runs of at most :data:`MAX_STEPS` updates.

    Raises:
        StudyError: listing every problem as ``<source>: <key>: <reason>``, one per line.
    """
    errors = _Errors(source)
    if not isinstance(data, Mapping):
        raise StudyError(
            f"{source}: a study must be a mapping of keys {list(STUDY_KEYS)}. Received: {type(data).__name__}."
        )
    too_big = structure_problem(data)
    if too_big is not None:
        raise StudyError(f"{source}: the study is {too_big}; a study is a short mapping of keys {list(STUDY_KEYS)}.")
    for key in sorted(map(str, set(data) - set(STUDY_KEYS))):
        errors.add(key if len(key) <= 60 else key[:57] + "...", f"unknown key; allowed keys: {', '.join(STUDY_KEYS)}.")

    name = data.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        errors.add(
            "name",
            "required: at most 100 letters, digits, '.', '_' or '-', starting with a letter or digit. "
            f"Received: {short(name)}.",
        )
        name = "study"
    steps = _number(data, "steps", 300, _STEPS, errors) or 1
    eval_every = _number(data, "eval_every", max(1, steps // 20), _STEPS, errors) or 1
    seeds = _seeds(data.get("seeds", [0]), errors)
    grad_clip = _number(data, "grad_clip", None, _POSITIVE, errors)
    threads = _number(data, "threads", 1, _THREADS, errors) or 1
    for key in ("description", "expectation"):
        if not isinstance(data.get(key, ""), str):
            errors.add(key, f"must be a string. Received: {short(data.get(key))}.")

    def listed(key: str) -> list[Any]:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            errors.add(key, f"required: a non-empty list. Received: {short(value)}.")
            return []
        return value

    tasks = []
    for i, raw in enumerate(listed("tasks")):
        e = _entry(raw, f"tasks[{i}]", "name", ("name", "options", "label"), errors)
        if e is None:
            continue
        try:
            task = _tasks.get_task(e["name"])
            options = _tasks.resolve_options(task, e.get("options"))
        except LabError as exc:
            errors.add(f"tasks[{i}]", str(exc))
            continue
        given = e.get("options") or {}
        label = e.get("label") or (task.name + "".join(f" {k}={v}" for k, v in sorted(given.items())))
        tasks.append({"name": task.name, "options": options, "label": str(label)})

    optimizers = []
    for i, raw in enumerate(listed("optimizers")):
        e = _entry(raw, f"optimizers[{i}]", "name", ("name", "lr", "options", "label"), errors)
        if e is None:
            continue
        try:
            kind = _opt.get_optimizer(e["name"])
            options = _opt.resolve_options(kind, e.get("options"))
        except LabError as exc:
            errors.add(f"optimizers[{i}]", str(exc))
            continue
        lr = e.get("lr", kind.lr)
        if not _POSITIVE.check(lr):
            errors.add(f"optimizers[{i}].lr", f"must be {_POSITIVE.describe()}. Received: {short(lr)}.")
            continue
        optimizers.append(
            {"name": kind.name, "lr": float(lr), "options": options, "label": str(e.get("label") or kind.name)}
        )

    raw_search = data.get("search")
    space = _space(raw_search, errors)
    shape = {n: p for n, p in space.items() if n not in SPECIAL and not n.startswith("opt.")}
    mentioned: set[str] = set()  # names the schedule specs use, valid or not
    schedules = []
    for i, raw in enumerate(listed("schedules")):
        e = _entry(raw, f"schedules[{i}]", "spec", ("spec", "label"), errors)
        if e is None:
            continue
        entry = _schedule(e["spec"], f"schedules[{i}]", steps, shape, errors, mentioned)
        if entry is not None:
            schedules.append({**entry, "label": str(e.get("label") or e["spec"])})

    lrs = data.get("lrs")
    if lrs is not None:
        if not isinstance(lrs, list) or not lrs or not all(map(_POSITIVE.check, lrs)):
            errors.add("lrs", f"must be a non-empty list of numbers > 0. Received: {short(lrs)}.")
            lrs = None
        else:
            lrs = [float(x) for x in lrs]
    targets = data.get("targets", {})
    if not isinstance(targets, Mapping) or not all(isinstance(k, str) and is_number(v) for k, v in targets.items()):
        errors.add("targets", f"must map task names to finite numbers. Received: {short(targets)}.")
        targets = {}
    else:
        for k in targets:
            if k not in _tasks.tasks():
                errors.add(f"targets.{k if len(k) <= 60 else k[:57] + '...'}", "not a known task.")
    search = None
    if raw_search is not None:
        search = _search(raw_search, space, data, tasks, optimizers, schedules, lrs, mentioned, errors)
    else:
        count = len(tasks) * len(seeds) * len(schedules) * (len(lrs) if lrs is not None else 1) * len(optimizers)
        if count > MAX_RUNS:
            errors.add("seeds", f"the study expands to {count} runs; at most {MAX_RUNS} are allowed.")
    errors.raise_if_any()
    return Study(
        name=str(name),
        tasks=tasks,
        optimizers=optimizers,
        schedules=schedules,
        seeds=seeds,
        steps=int(steps),
        eval_every=int(eval_every),
        lrs=lrs,
        grad_clip=None if grad_clip is None else float(grad_clip),
        threads=int(threads),
        targets={k: float(v) for k, v in targets.items()},
        description=str(data.get("description", "")),
        expectation=str(data.get("expectation", "")),
        source=source,
        search=search,
    )


def _schedule(
    text: str, where: str, steps: int, shape: dict[str, Param], errors: _Errors, mentioned: set[str]
) -> dict[str, Any] | None:
    """A schedule entry: ``{"spec": resolved}``, or ``{"spec": template, "params": [...]}`` when the spec
    uses search parameters (checked with every value of each: both ends of a range, each listed value)."""
    try:
        used = sorted(names_in(text) - {"steps"})
        mentioned.update(used)
        unknown = [n for n in used if n not in shape]
        if unknown:
            known = ", ".join(f"`{n}`" for n in ["steps", *shape])
            raise LabError(f"cannot evaluate {{...}}: unknown name `{unknown[0]}`; the names are {known}")
        if not used:
            return {"spec": str(parse(substitute(text, steps)))}
        base = {n: shape[n].examples()[0] for n in used}
        for name in used:
            for value in shape[name].examples():
                parse(substitute(text, steps, {**base, name: value}))
    except (LrplanError, ValueError, ArithmeticError, RecursionError) as exc:
        errors.add(where, f"invalid schedule {short(text)}: {exc}")
        return None
    return {"spec": text, "params": used}


def _space(raw: Any, errors: _Errors) -> dict[str, Param]:
    """The parameters of ``search.space`` that are valid on their own (problems noted)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        errors.add(
            "search", f"must be a mapping with keys trials, metric, sampler, pruner, space. Received: {short(raw)}."
        )
        return {}
    space = raw.get("space")
    if not isinstance(space, Mapping) or not space:
        errors.add(
            "search.space",
            f"required: a non-empty mapping of parameter names to ranges or values. Received: {short(space)}.",
        )
        return {}
    out = {}
    for name, value in space.items():
        where = f"search.space.{str(name)[:60]}"
        if check_name(name, where, errors.add):
            param = parse_param(name, value, where, errors.add)
            if param is not None:
                out[name] = param
    return out


def _search(
    raw: Any,
    space: dict[str, Param],
    data: Mapping[str, Any],
    tasks: list[dict[str, Any]],
    optimizers: list[dict[str, Any]],
    schedules: list[dict[str, Any]],
    lrs: list[float] | None,
    mentioned: set[str],
    errors: _Errors,
) -> SearchConfig | None:
    """Check ``search:`` against the rest of the study (its task, optimizers, schedules and lrs)."""
    if not isinstance(raw, Mapping):
        return None
    head = parse_search_head(raw, errors.add)
    if len(tasks) != 1:
        errors.add("tasks", f"a search trains one task; the study names {len(tasks)}.")
    for key, entries in (("schedule", schedules), ("optimizer", optimizers)):
        labels = [e["label"] for e in entries]
        param = space.get(key)
        if param is None:
            if len(entries) > 1:
                errors.add(
                    f"search.space.{key}",
                    f"the study has {len(entries)} {key}s: search over them with {key}: {{values: [labels]}} "
                    f"or keep one. Labels: {short(labels)}.",
                )
        elif len(entries) < len(data.get(f"{key}s") or []):
            pass  # an entry is invalid (noted): its label is unknown
        elif param.values is None or any(v not in labels for v in param.values):
            errors.add(f"search.space.{key}", f"must be {{values: [...]}} of the {key} labels {short(labels)}.")
    lr = space.get("lr")
    if lr is not None and not all(isinstance(v, (int, float)) and v > 0 for v in lr.examples()):
        errors.add("search.space.lr", "every peak learning rate must be a number > 0.")
    if lr is None and lrs is not None and len(lrs) > 1:
        errors.add("lrs", "a search takes one peak LR from `lrs` or searches it in search.space.lr; give one.")
    for name, param in space.items():
        if name.startswith("opt."):
            option = name[4:]
            having = [o for o in optimizers if option in o["options"]]
            if not having:
                errors.add(f"search.space.{name}", f"no optimizer of the study has the option `{option}`.")
            for o in having:
                for value in param.examples():
                    try:
                        _opt.resolve_options(_opt.get_optimizer(o["name"]), {**o["options"], option: value})
                    except LabError as exc:
                        errors.add(f"search.space.{name}", str(exc))
                        break
        elif name not in SPECIAL and name not in mentioned:
            errors.add(f"search.space.{name}", f"not used by any schedule: write {{{name}}} in a schedule spec.")
    if not tasks:
        return None
    task = _tasks.get_task(tasks[0]["name"])
    metric = head.get("metric", task.metric)
    if metric not in (task.metric, "val_loss"):
        errors.add(
            "search.metric", f"must be {task.metric!r} or 'val_loss' for task {task.name!r}. Received: {metric!r}."
        )
    default_direction = "minimize" if metric == "val_loss" or task.mode == "min" else "maximize"
    sampler = head.get("sampler", "tpe")
    grid_size = 1
    for name, param in space.items():
        if param.values is None and sampler == "grid":
            errors.add(f"search.space.{name}", "sampler grid needs every parameter as `values` or a `num` grid.")
        grid_size *= len(param.values or ())
    trials = head.get("trials")
    if trials is None:
        if sampler != "grid" and "trials" not in raw:
            errors.add("search.trials", "required (the number of trials) unless sampler is grid.")
        trials = grid_size
    if sampler == "grid" and all(p.values is not None for p in space.values()) and trials > grid_size:
        errors.add(
            "search.trials", f"the grid has {grid_size} points; trials must be at most {grid_size}. Received: {trials}."
        )
    return SearchConfig(
        trials=int(trials),
        metric=metric,
        direction=head.get("direction", default_direction),
        sampler=sampler,
        pruner=head.get("pruner", "none"),
        space=space,
    )


MAX_STUDY_BYTES = 1 << 20
"""The largest study file read (1 MiB)."""


def load_study(path: str | Path) -> Study:
    """Read and validate a YAML (``.yaml``/``.yml``) or TOML (``.toml``) study file.

    Only a regular file of at most :data:`MAX_STUDY_BYTES` is read (never a device or a pipe).
    """
    p = Path(path)
    try:
        raw = read_bounded(p, MAX_STUDY_BYTES, what="study file")
        text = raw.decode("utf-8")
    except LabError as exc:
        raise StudyError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise StudyError(
            f"{p}: not a text file (byte {exc.start} is not UTF-8); a study file is YAML or TOML."
        ) from None
    if "\x00" in text:
        raise StudyError(f"{p}: not a text file (it holds NUL bytes); a study file is YAML or TOML.")
    if p.suffix == ".toml":
        try:
            import tomllib
        except ImportError:  # Python 3.10
            raise StudyError(f"{p}: TOML study files need Python >= 3.11; use YAML.") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise StudyError(f"{p}: not valid TOML: {exc}") from None
        except RecursionError:
            raise StudyError(f"{p}: the study is nested too deeply to read.") from None
    elif p.suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:  # one line: the problem and where (PyYAML's text spans several)
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
            raise StudyError(
                f"{p}: not valid YAML: {getattr(exc, 'problem', None) or type(exc).__name__}{where}."
            ) from None
        except RecursionError:
            raise StudyError(f"{p}: the study is nested too deeply to read.") from None
    else:
        raise StudyError(f"{p}: a study file must end in .yaml, .yml or .toml.")
    return study_from_dict(data if data is not None else {}, source=str(p))
