"""Ray Tune searches (ASHA, population-based training) and the export of the winning PBT trial's schedule."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

torch = pytest.importorskip("torch")

import lrplan  # noqa: E402
from lrplan.lab.cli import app  # noqa: E402
from lrplan.lab.errors import LabError  # noqa: E402
from lrplan.lab.run import train  # noqa: E402
from lrplan.lab.space import Param  # noqa: E402
from lrplan.lab.store import Store, record_problem  # noqa: E402
from lrplan.lab.study import RunSpec, study_from_dict  # noqa: E402
from lrplan.lab.tune import export_pbt, require_ray, search, tune_domain  # noqa: E402
from lrplan.torch import Scheduler, current_lr  # noqa: E402

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _study(name: str, steps: int, eval_every: int, trials: int, low: float, seeds: int = 1) -> object:
    return study_from_dict(
        {
            "name": name,
            "steps": steps,
            "eval_every": eval_every,
            "seeds": seeds,
            "tasks": ["digits-logreg"],
            "optimizers": ["sgd"],
            "schedules": ["cosine(init_value=1.0, decay_steps={steps})"],
            "search": {
                "trials": trials,
                "metric": "accuracy",
                "direction": "maximize",
                "space": {"lr": {"low": low, "high": 1.0, "log": True}},
            },
        }
    )


@pytest.fixture
def ray_env(monkeypatch: pytest.MonkeyPatch):
    """Ray workers import this tree's lrplan; no Ray instance outlives the test."""
    pytest.importorskip("ray.tune")
    monkeypatch.setenv("PYTHONPATH", SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    import ray

    try:
        yield
        assert not ray.is_initialized()  # search() shuts down the instance it started
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def pbt_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One population-based search: 4 trials of 200 updates on digits, 2 workers."""
    ray = pytest.importorskip("ray")
    out = tmp_path_factory.mktemp("pbt")
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = SRC + os.pathsep + (old or "")
    try:
        lines: list[str] = []
        summary = search(_study("pbt", 200, 20, 4, 1e-3), out, workers=2, scheduler="pbt", seed=0, echo=lines.append)
    finally:
        ray.shutdown()
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old
    assert summary.trials == 4 and not summary.failed
    assert len(lines) == 4 and all(" -> finished after 200 updates, accuracy " in line for line in lines)
    return out


ASHA_STUDY = (
    "import sys; from lrplan.lab.study import study_from_dict; from lrplan.lab.tune import search; "
    "st = study_from_dict({'name': 'asha', 'steps': 4000, 'eval_every': 100, 'tasks': ['digits-logreg'], "
    "'optimizers': ['sgd'], 'schedules': ['cosine(init_value=1.0, decay_steps={steps})'], 'search': {'trials': 8, "
    "'metric': 'accuracy', 'direction': 'maximize', 'space': {'lr': {'low': 1e-4, 'high': 1.0, 'log': True}}}}); "
    "search(st, sys.argv[1], workers=2, scheduler='asha', seed=0)"
)


@pytest.mark.slow
def test_asha_stops_trials_early_and_a_search_interrupted_goes_on_where_it_stopped(
    tmp_path: Path, ray_env: None
) -> None:
    # Ctrl-C once the first trial has a checkpoint: Tune keeps its state, the search says so and writes no record
    first = subprocess.Popen(
        [sys.executable, "-c", ASHA_STUDY, str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        while not list(tmp_path.glob("ray-tune/*/*/checkpoint_*")) and first.poll() is None:
            time.sleep(0.1)
        time.sleep(1.0)
        first.send_signal(signal.SIGINT)
        _, err = first.communicate(timeout=180)
    finally:
        first.kill()
    assert first.returncode == 1 and "lab search: interrupted; Ray Tune kept its state in" in err
    about = json.loads((tmp_path / "search.json").read_text())
    assert about["finished"] is False and not list(Store(tmp_path).records())

    # the same search again: Tune goes on with the same trials, then every trial is recorded once
    study = _study("asha", 4000, 100, 8, 1e-4)
    summary = search(study, tmp_path, workers=2, scheduler="asha", seed=0)
    assert summary.experiment == about["experiment"] and [p.name for p in (tmp_path / "ray-tune").iterdir()] == [
        about["experiment"]
    ]
    records = list(Store(tmp_path).records())
    assert summary.trials == 8 and not summary.failed
    assert len(records) == 8 and sorted(summary.keys) == sorted(r["key"] for r in records)
    assert len({r["search"]["trial"] for r in records}) == 8  # one record per trial
    for r in records:
        assert record_problem(r) is None
        assert r["search"]["engine"] == "ray-tune" and r["search"]["scheduler"] == "asha"
        assert r["search"]["params"] == {"lr": r["run"]["lr"]}
        updates = len(r["curves"]["lr"])
        assert r["curves"]["eval"]["step"][-1] == updates
        if r["status"] == "pruned":
            assert updates < 4000 and updates % 100 == 0  # stopped at a rung: after an evaluation
        else:
            assert r["status"] == "ok" and updates == 4000
    pruned = [r for r in records if r["status"] == "pruned"]
    assert pruned and summary.pruned == len(pruned)
    assert json.loads((tmp_path / "search.json").read_text())["finished"] is True
    trial_files = [json.loads(f.read_text()) for f in sorted((tmp_path / "trials").glob("*.json"))]
    assert [t["number"] for t in trial_files] == list(range(8)) and {t["engine"] for t in trial_files} == {"ray-tune"}
    assert sorted(k for t in trial_files for k in t["keys"]) == sorted(summary.keys)
    states = [t["state"] for t in trial_files]
    assert states.count("pruned") == len(pruned) and states.count("complete") == 8 - len(pruned)
    best = max((r for r in records if r["status"] == "ok"), key=lambda r: r["final"]["accuracy"])
    assert summary.best_params == {"lr": best["run"]["lr"]}


def _factors(record: dict) -> list[tuple[int, float]]:
    return [(s["start"], s["schedule"]["args"]["factor"]) for s in record["schedule_segments"]]


@pytest.mark.slow
def test_the_pbt_export_reproduces_the_winning_trials_lrs_exactly(pbt_folder: Path) -> None:
    records = list(Store(pbt_folder).records())
    assert len(records) == 4 and all(record_problem(r) is None for r in records)
    assert len({r["search"]["trial"] for r in records}) == 4  # one record per trial, clones included
    # every trial's segments give its LR curve exactly; some trial took a donor's history and changed its LR
    for r in records:
        trained = lrplan.from_config(r["lr_schedule"])
        assert [trained(k) for k in range(200)] == r["curves"]["lr"]
    first = {_factors(r)[0] for r in records}
    assert any(len(_factors(r)) > 1 for r in records) and len(first) < 4  # a clone starts with its donor's LR

    schedule, winners = export_pbt(pbt_folder)
    (winner,) = winners
    accuracy = [r["final"]["accuracy"] for r in records if r["status"] == "ok"]
    assert winner["final"]["accuracy"] == max(accuracy)
    lrs = winner["curves"]["lr"]
    assert len(lrs) == 200 and [schedule(k) for k in range(200)] == lrs  # ==, update for update
    assert winner["schedule_segments"][0]["start"] == 0
    # an ordinary lrplan schedule: text and config give it back; the torch adapter drives it
    assert lrplan.parse(str(schedule)) == schedule
    assert lrplan.from_config(json.loads(json.dumps(lrplan.to_config(schedule)))) == schedule
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = Scheduler(optimizer, lrplan.parse(str(schedule)))
    driven = []
    for _ in range(200):
        driven.append(current_lr(optimizer)[0])
        optimizer.step()
        scheduler.step()
    assert driven == lrs
    # `lab run` with the exported spec and --lr 1 trains the winner's configuration with the same LRs
    again = train(RunSpec(**{**winner["run"], "schedule": str(schedule), "lr": 1.0}).to_dict())
    assert again["curves"]["lr"] == lrs


@pytest.mark.slow
def test_export_pbt_command_writes_the_spec_or_the_config(pbt_folder: Path, tmp_path: Path) -> None:
    schedule, _ = export_pbt(pbt_folder)
    result = CliRunner().invoke(app, ["export-pbt", str(pbt_folder)])
    assert result.exit_code == 0, result.output
    assert result.stdout == str(schedule) + "\n"
    target = tmp_path / "winner.json"
    result = CliRunner().invoke(app, ["export-pbt", str(pbt_folder), "--format", "json", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert lrplan.from_config(json.loads(target.read_text())) == schedule
    assert f"-> {target}" in result.stderr
    # `lab run` with the exported spec and --lr 1 trains the winner's configuration with the same LRs
    _, (winner,) = export_pbt(pbt_folder)
    spec = CliRunner().invoke(app, ["export-pbt", str(pbt_folder)]).stdout.strip()
    argv = ["run", "--task", "digits-logreg", "--optimizer", "sgd", "--schedule", spec, "--lr", "1", "--steps", "200"]
    argv += ["--eval-every", "20", "--backend", "inline", "--out", str(tmp_path / "again"), "--no-report"]
    result = CliRunner().invoke(app, [*argv, "--no-progress"])
    assert result.exit_code == 0, result.output
    (again,) = Store(tmp_path / "again").records()
    assert again["run"]["schedule"] == spec and again["curves"]["lr"] == winner["curves"]["lr"]


def test_export_pbt_without_a_pbt_search_says_so(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="no records of a population-based search"):
        export_pbt(tmp_path)
    with pytest.raises(LabError, match="no such results folder"):
        export_pbt(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()
    result = CliRunner().invoke(app, ["export-pbt", str(tmp_path), "--format", "yaml"])
    assert result.exit_code == 2 and "--format must be one of spec, json" in result.stderr


def test_a_missing_ray_is_one_line_naming_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.setitem(sys.modules, "ray.tune", None)
    message = "the ray-tune engine needs Ray Tune, which is not installed: pip install 'lrplan[search]'"
    with pytest.raises(LabError) as info:
        require_ray()
    assert str(info.value) == message
    with pytest.raises(LabError, match="pip install 'lrplan\\[search\\]'"):
        search(_study("missing", 20, 10, 2, 1e-3), tmp_path)
    assert not (tmp_path / "runs").exists()
    argv = ["search", "tiny", "--engine", "ray-tune", "--out", str(tmp_path / "cli"), "--no-report"]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2 and result.stderr == f"error: {message}\n"  # one line, nothing trained


def test_ray_options_go_with_the_ray_engine(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["search", "tiny", "--scheduler", "pbt", "--out", str(tmp_path), "--no-report"])
    assert result.exit_code == 2 and "--scheduler go with --engine ray-tune" in result.stderr
    argv = ["search", "tiny", "--engine", "ray-tune", "--storage", "sqlite:///x.db", "--out", str(tmp_path)]
    result = CliRunner().invoke(app, [*argv, "--no-report"])
    assert result.exit_code == 2 and "--storage goes with --engine optuna" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_search_parameters_become_ray_tune_domains() -> None:
    pytest.importorskip("ray.tune")
    import numpy as np

    rng = np.random.default_rng(0)
    log = tune_domain(Param("lr", "float", 1e-4, 1.0, log=True)).sample(size=2000, random_state=rng)
    assert (
        1e-4 <= min(log)
        and max(log) <= 1.0
        and min(log) < 1e-3
        and np.median(np.log10(log)) == pytest.approx(-2, abs=0.2)
    )
    flat = tune_domain(Param("floor", "float", 0.0, 0.1)).sample(size=2000, random_state=rng)
    assert 0.0 <= min(flat) and max(flat) <= 0.1 and np.median(flat) == pytest.approx(0.05, abs=0.01)
    ints = tune_domain(Param("warmup", "int", 2, 4)).sample(size=300, random_state=rng)
    assert sorted(set(ints)) == [2, 3, 4]  # both ends included
    choice = tune_domain(Param("shape", "choice", values=("linear", "cosine"))).sample(size=200, random_state=rng)
    assert sorted(set(choice)) == ["cosine", "linear"]


class FakeTune:
    """Stands in for Ray Tune inside a trial: keeps each reported checkpoint, gives one back to restore."""

    def __init__(self, folder: Path, restore: Path | None = None) -> None:
        self.folder, self.restore = folder, restore
        self.reports: list[tuple[dict, Path]] = []

    def report(self, metrics: dict, *, checkpoint: object) -> None:
        import shutil

        kept = self.folder / f"checkpoint{len(self.reports)}"
        shutil.copytree(checkpoint.path, kept)  # type: ignore[attr-defined]
        self.reports.append((metrics, kept))

    def get_checkpoint(self) -> object:
        from ray import tune

        return None if self.restore is None else tune.Checkpoint.from_directory(self.restore)


def _records(checkpoint: Path) -> list[dict]:
    return json.loads((checkpoint / "trial.json").read_text())["records"]


def test_a_trial_trains_its_seeds_in_lockstep_and_a_clone_goes_on_with_its_own_lr(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tune = pytest.importorskip("ray.tune")
    from lrplan.lab import tune as lab_tune

    study = _study("lockstep", 40, 10, 2, 0.01, seeds=2)
    donor = FakeTune(tmp_path / "donor")
    monkeypatch.setattr(tune, "report", donor.report)
    monkeypatch.setattr(tune, "get_checkpoint", donor.get_checkpoint)
    lab_tune._trial({"lr": 0.1}, study)
    assert [m["updates"] for m, _ in donor.reports] == [10, 20, 30, 40]
    for metrics, kept in donor.reports:  # the trial's metric: the mean over its seeds at that evaluation
        runs = _records(kept)
        assert [r["run"]["seed"] for r in runs] == [0, 1]
        assert metrics["accuracy"] == (runs[0]["final"]["accuracy"] + runs[1]["final"]["accuracy"]) / 2
    whole = _records(donor.reports[-1][1])

    # Ray restarts the trial from its checkpoint at 20 updates, same config: it goes on bit for bit
    same = FakeTune(tmp_path / "same", restore=donor.reports[1][1])
    monkeypatch.setattr(tune, "report", same.report)
    monkeypatch.setattr(tune, "get_checkpoint", same.get_checkpoint)
    lab_tune._trial({"lr": 0.1}, study)
    again = _records(same.reports[-1][1])
    assert [r["curves"] for r in again] == [r["curves"] for r in whole]
    assert [len(r["schedule_segments"]) for r in again] == [1, 1]

    # PBT clones the donor at 20 updates into a trial with lr 0.12: the donor's history, then 0.12 * shape(k)
    clone = FakeTune(tmp_path / "clone", restore=donor.reports[1][1])
    monkeypatch.setattr(tune, "report", clone.report)
    monkeypatch.setattr(tune, "get_checkpoint", clone.get_checkpoint)
    lab_tune._trial({"lr": 0.12}, study)
    assert [m["updates"] for m, _ in clone.reports] == [30, 40]
    shape = lrplan.cosine(init_value=1.0, decay_steps=40)
    for got, before in zip(_records(clone.reports[-1][1]), whole, strict=True):
        assert got["curves"]["lr"][:20] == before["curves"]["lr"][:20]
        assert got["curves"]["lr"][20:] == [0.12 * shape(k) for k in range(20, 40)]
        assert [(s["start"], s["schedule"]["args"]["factor"]) for s in got["schedule_segments"]] == [
            (0, 0.1),
            (20, 0.12),
        ]
        assert got["run"]["lr"] == 0.12 and got["status"] == "ok"

    # cloned from a donor that had finished: nothing left to train; the trial reports the state it holds now
    late = FakeTune(tmp_path / "late", restore=donor.reports[-1][1])
    monkeypatch.setattr(tune, "report", late.report)
    monkeypatch.setattr(tune, "get_checkpoint", late.get_checkpoint)
    lab_tune._trial({"lr": 0.12}, study)
    ((metrics, kept),) = late.reports
    assert metrics == donor.reports[-1][0]
    assert [r["curves"] for r in _records(kept)] == [r["curves"] for r in whole]
    assert [len(r["schedule_segments"]) for r in _records(kept)] == [1, 1]  # no change of LR after the last update


def test_the_driver_marks_a_run_stopped_early_as_pruned_and_keys_it_by_trial() -> None:
    from lrplan.lab.tune import _finish

    def record(updates: int, status: str = "ok") -> dict:
        return {"status": status, "curves": {"lr": [0.1] * updates}, "run": {"steps": 30}, "config": {"lr": 0.1}}

    facts = {"engine": "ray-tune", "scheduler": "asha", "experiment": "asha-1", "trial": "t1", "metric": "accuracy"}
    stopped = _finish(record(10), facts, {"lr": 0.1})
    assert stopped["status"] == "pruned" and stopped["search"] == {**facts, "params": {"lr": 0.1}}
    assert _finish(record(30), facts, {"lr": 0.1})["status"] == "ok"
    assert _finish(record(4, "diverged"), facts, {"lr": 0.1})["status"] == "diverged"
    other = _finish(record(30), {**facts, "trial": "t2"}, {"lr": 0.1})
    assert other["key"] != stopped["key"] and len(other["key"]) == 16  # same config, another trial: its own record


def test_a_conditional_space_is_sampled_whole_and_each_trial_uses_what_its_choices_need() -> None:
    pytest.importorskip("ray.tune")
    import numpy as np

    from lrplan.lab.search_examples import example
    from lrplan.lab.space import params_used, trial_runs
    from lrplan.lab.tune import _params, _space

    study = example("digits-shape")
    space, points = _space(study, 24, 0)
    assert points == [] and set(space) == set(study.search.space)
    rng = np.random.default_rng(1)
    families = set()
    for _ in range(40):
        config = {name: domain.sample(random_state=rng) for name, domain in space.items()}
        params = _params(study, config)
        assert set(params) == {p.name for p in params_used(study, params)}  # unused ones dropped
        families.add(params["schedule"])
        (run,) = trial_runs(study, params)
        assert run.lr == params["lr"] and run.optimizer_options["weight_decay"] == params["opt.weight_decay"]
        assert ("cooldown" in params) == (params["schedule"] == "wsd") == run.schedule.startswith("wsd(")
    assert families == {"cosine", "wsd"}


def test_a_grid_gives_each_point_once_or_a_seeded_choice_of_them() -> None:
    pytest.importorskip("ray.tune")
    from lrplan.lab.search_examples import example
    from lrplan.lab.tune import _space

    study = example("tiny")  # lr: a grid of log-spaced values
    lrs = list(study.search.space["lr"].values)
    assert len(lrs) == 6
    space, points = _space(study, 6, None)
    assert space["lr"].categories == lrs and points == [{"lr": lr} for lr in lrs]
    some = _space(study, 2, 7)[1]
    assert len(some) == 2 and len({p["lr"] for p in some}) == 2 and some == _space(study, 2, 7)[1]
    assert {p["lr"] for p in some} <= set(lrs)
    assert _space(example("digits-shape"), 24, 0)[1] == []  # sampled, not a grid


def test_trial_files_keep_their_numbers_and_new_ones_follow(tmp_path: Path) -> None:
    from lrplan.lab.tune import _trial_numbers

    trials = tmp_path / "trials"
    trials.mkdir()
    (trials / "000000.json").write_text(json.dumps({"keys": ["a"]}))
    (trials / "000003.json").write_text(json.dumps({"keys": ["b", "c"]}))
    (trials / "000004.json").write_text("{not json")
    (trials / "notes.json").write_text("{}")
    assert _trial_numbers(tmp_path) == {("a",): 0, ("b", "c"): 3, ("000004.json",): 4}
    assert _trial_numbers(tmp_path / "elsewhere") == {}
