"""`lab search`: Optuna searches into a results folder, shared by workers, surviving SIGKILL, resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from lrplan.lab.errors import LabError  # noqa: E402
from lrplan.lab.search import JOURNAL, run_search  # noqa: E402
from lrplan.lab.store import Store, record_problem  # noqa: E402
from lrplan.lab.study import study_from_dict  # noqa: E402

COSINE = "cosine(init_value=1.0, decay_steps={steps})"


def study_dict(name="s", steps=40, eval_every=10, trials=4, **search):
    return {
        "name": name,
        "steps": steps,
        "eval_every": eval_every,
        "tasks": ["digits-logreg"],
        "optimizers": ["sgd"],
        "schedules": [{"spec": COSINE, "label": "cosine"}],
        "search": {
            "trials": trials,
            "sampler": "random",
            "space": {"lr": {"low": 0.01, "high": 1.0, "log": True}},
            **search,
        },
    }


def load(out: Path, name: str):
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return optuna.load_study(study_name=name, storage=JournalStorage(JournalFileBackend(str(out / JOURNAL))))


def trial_files(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "trials").glob("*.json"))]


def check_folder(out: Path, name: str, trials: int) -> list:
    """Exactly `trials` finished trials, each with its own runs, every record present once and sound."""
    ost = load(out, name)
    states = [t.state for t in ost.trials]
    finished = [t for t in ost.trials if t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)]
    assert len(finished) == trials, states
    assert len({t.number for t in ost.trials}) == len(ost.trials)
    assert optuna.trial.TrialState.RUNNING not in states and optuna.trial.TrialState.WAITING not in states
    keys = [k for t in finished for k in t.user_attrs["keys"]]
    assert len(keys) == len(set(keys))  # no two finished trials ran the same configuration (all lrs differ)
    store = Store(out)
    assert sorted(store.keys()) == sorted(keys)  # one record per run, none extra
    for key in keys:
        record = json.loads(store.path(key).read_text())
        assert record_problem(record) is None
        assert record["key"] == key
    files = trial_files(out)
    assert sorted(f["number"] for f in files) == sorted(t.number for t in finished)
    assert not list((out / "runs").glob(".*.tmp"))
    return finished


def test_a_search_writes_records_and_trial_files_and_resumes(tmp_path):
    st = study_from_dict(study_dict(trials=3))
    out = tmp_path / "r"
    lines: list[str] = []
    summary = run_search(st, out, seed=0, echo=lines.append)
    assert (summary.complete, summary.pruned, summary.failed) == (3, 0, 0)
    finished = check_folder(out, "s", 3)
    assert [line.split(":")[0] for line in lines] == ["trial 0", "trial 1", "trial 2"]
    files = trial_files(out)
    assert [f["state"] for f in files] == ["complete"] * 3
    assert [f["steps"] for f in files] == [40] * 3
    assert [f["reported"][-1][0] for f in files] == [40] * 3
    best = max(files, key=lambda f: f["value"])
    assert summary.best_params == best["params"] and summary.best_value == best["value"]
    for t, f in zip(finished, files, strict=True):
        record = Store(out).read(f["keys"][0])
        assert t.params == f["params"] == {"lr": record["run"]["lr"]}
        assert t.value == f["value"] == record["final"]["accuracy"]
    manifest = json.loads((out / "search.json").read_text())
    assert manifest == {
        "engine": "optuna", "storage": "search.journal", "study_name": "s", "trials": 3, "metric": "accuracy",
        "direction": "maximize", "sampler": "random", "pruner": "none",
    }  # fmt: skip
    again = run_search(st, out, seed=0)  # nothing left to do
    assert (again.complete, again.ran) == (3, 0)
    more = run_search(st, out, seed=0, trials=5, echo=lines.append)  # continues the same study
    assert (more.complete, more.ran) == (5, 2)
    check_folder(out, "s", 5)


def test_a_config_with_a_record_is_reused_not_retrained(tmp_path):
    d = study_dict(trials=3)
    d["search"]["space"] = {"lr": {"values": [0.1]}}  # every trial samples the same configuration
    out = tmp_path / "r"
    lines: list[str] = []
    run_search(study_from_dict(d), out, seed=0, echo=lines.append)
    files = trial_files(out)
    assert len(files) == 3 and len({tuple(f["keys"]) for f in files}) == 1
    assert len(Store(out).keys()) == 1  # trained once
    assert len({f["value"] for f in files}) == 1
    assert len({f["worker"] for f in files}) == 1


def test_pruned_trials_write_pruned_records(tmp_path):
    d = study_dict(trials=8, sampler="grid", pruner="asha")
    d["search"]["space"] = {"lr": {"low": 0.001, "high": 1.0, "log": True, "num": 8}}
    out = tmp_path / "r"
    summary = run_search(study_from_dict(d), out, seed=0)
    assert summary.complete + summary.pruned == 8 and summary.pruned >= 1
    for f in trial_files(out):
        record = Store(out).read(f["keys"][0])
        assert record["status"] == ("ok" if f["state"] == "complete" else "pruned")
        assert f["steps"] == len(record["curves"]["lr"])
        if f["state"] == "pruned":
            assert f["steps"] < 40 and f["value"] is None


def test_the_storage_refuses_a_changed_study(tmp_path):
    out = tmp_path / "r"
    run_search(study_from_dict(study_dict(trials=1)), out, seed=0)
    with pytest.raises(LabError, match="the storage holds a search named 's' over another study"):
        run_search(study_from_dict(study_dict(trials=1, steps=30)), out, seed=0)


def test_bad_options_are_refused(tmp_path, monkeypatch):
    st = study_from_dict(study_dict())
    with pytest.raises(LabError, match=r"`engine` must be one of optuna, ray-tune\. Received: engine='hyperopt'"):
        run_search(st, tmp_path, engine="hyperopt")
    with pytest.raises(
        LabError, match=r"`--storage` must be a database URL like sqlite:///search.db\. Received: 'x.db'"
    ):
        run_search(st, tmp_path, storage="x.db")
    with pytest.raises(LabError, match="has no `search:` section"):
        run_search(study_from_dict({**study_dict(), "search": None}), tmp_path)
    monkeypatch.setitem(sys.modules, "ray", None)  # Ray not installed
    monkeypatch.setitem(sys.modules, "ray.tune", None)
    with pytest.raises(LabError, match=r"the ray-tune engine needs Ray Tune, .*pip install 'lrplan\[search\]'"):
        run_search(st, tmp_path, engine="ray-tune")


def test_a_database_password_is_never_written_down():
    from lrplan.lab.search import _redact

    assert _redact("postgresql://ann:s3cret@db.example:5432/lab") == "postgresql://ann:***@db.example:5432/lab"
    assert _redact("sqlite:////tmp/search.db") == "sqlite:////tmp/search.db"


def test_a_storage_that_cannot_be_opened_is_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'search.db'}"
    with pytest.raises(LabError) as got:
        run_search(study_from_dict(study_dict(trials=1)), tmp_path / "r", storage=url, seed=0)
    assert str(got.value) == (
        f"lab search: cannot open the storage {url}: (sqlite3.OperationalError) unable to open database file"
    )


def test_a_database_url_is_a_shared_storage(tmp_path):
    out = tmp_path / "r"
    url = f"sqlite:///{tmp_path / 'search.db'}"
    summary = run_search(study_from_dict(study_dict(trials=2)), out, storage=url, seed=0)
    assert summary.complete == 2
    assert not (out / JOURNAL).exists()
    ost = optuna.load_study(study_name="s", storage=url)
    assert len(ost.trials) == 2 and ost.user_attrs["lab_study"]


@pytest.mark.slow
def test_two_workers_share_one_journal(tmp_path):
    st = study_from_dict(study_dict(name="two", steps=200, eval_every=20, trials=10))
    out = tmp_path / "r"
    summary = run_search(st, out, workers=2, seed=0)
    assert summary.complete == 10
    check_folder(out, "two", 10)
    workers = {f["worker"] for f in trial_files(out)}
    assert len(workers) == 2  # both took trials


def _lrplan(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    cmd = [sys.executable, "-m", "lrplan", "lab", "search", *args, "--no-report"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_a_search_survives_sigkill_of_a_worker(tmp_path):
    import yaml

    trials = 6
    path = tmp_path / "kill.yaml"
    path.write_text(yaml.safe_dump(study_dict(name="kill", steps=600, eval_every=20, trials=trials)))
    out = tmp_path / "r"
    a = _lrplan(str(path), "--out", str(out), "--seed", "1")
    b = _lrplan(str(path), "--out", str(out), "--seed", "2")
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline:
        time.sleep(0.1)
        if not (out / JOURNAL).exists():
            continue
        try:
            ost = load(out, "kill")
        except KeyError:  # the study is not created yet
            continue
        for t in ost.get_trials(states=(optuna.trial.TrialState.RUNNING,)):
            if f"~{a.pid}~" in t.user_attrs.get("worker", "") and t.intermediate_values:
                os.kill(a.pid, signal.SIGKILL)
                killed = t.number
                break
    assert killed is not None, "worker A never ran a trial"
    a.wait(30)
    out_b = b.communicate(timeout=240)[0]
    assert b.returncode == 0, out_b
    c = _lrplan(str(path), "--out", str(out))  # the restart: finds the search finished (or finishes it)
    out_c = c.communicate(timeout=120)[0]
    assert c.returncode == 0, out_c
    assert f"trials: {trials} complete" in out_c
    finished = check_folder(out, "kill", trials)
    ost = load(out, "kill")
    lost = ost.trials[killed]
    assert lost.state == optuna.trial.TrialState.FAIL
    retries = [t for t in finished if t.user_attrs.get("retried_from") == killed]
    assert len(retries) == 1 and retries[0].params == lost.params
    assert f"trial {killed} lost its worker" in out_b + out_c


@pytest.mark.slow
def test_pruning_saves_40_percent_of_a_peak_lr_search_and_finds_the_same_lr(tmp_path):
    """The built-in digits-lr search (24 log-spaced peak LRs, Hyperband), against the same grid unpruned.

    Training is deterministic per configuration and the grid sampler's order is seeded, so the figures
    are fixed: benchmarks/search_pruning.py prints them for several orders and pruners (docs/lab.md).
    """
    from lrplan.lab.search_examples import EXAMPLES

    results = {}
    for pruner in ("none", "hyperband"):
        data = json.loads(json.dumps(EXAMPLES["digits-lr"]))
        data["search"]["pruner"] = pruner
        summary = run_search(study_from_dict(data), tmp_path / pruner, seed=0)
        steps = sum(f["steps"] for f in trial_files(tmp_path / pruner))
        results[pruner] = (steps, summary.best_params["lr"], summary.pruned)
    grid = list(study_from_dict(EXAMPLES["digits-lr"]).search.space["lr"].values)
    (full, best_full, none_pruned), (pruned, best_pruned, n_pruned) = results["none"], results["hyperband"]
    assert (full, none_pruned) == (24 * 400, 0)
    assert n_pruned > 0
    assert 1 - pruned / full >= 0.40, results
    assert abs(grid.index(best_pruned) - grid.index(best_full)) <= 1, results


def test_the_report_of_a_search_has_a_search_section(tmp_path):
    from lrplan.lab.report import write_report
    from lrplan.lab.search_examples import example

    out = tmp_path / "r"
    summary = run_search(example("tiny"), out, seed=0)
    files = trial_files(out)
    pruned = [f for f in files if f["state"] == "pruned"]
    assert (summary.complete, summary.pruned) == (len(files) - len(pruned), len(pruned)) and pruned
    html = write_report(out, warn=lambda m: None).read_text()
    section = html[html.index("<h2>Search</h2>") : html.index('data-figure="search"')]
    assert "6 trials (optuna, sampler grid, pruner asha):" in section
    trained = sum(f["steps"] for f in pruned)
    assert (
        f"{len(pruned)} of 6 trials stopped early: they trained {trained} of their {40 * len(pruned)} updates"
        in section
    )
    total = sum(f["steps"] for f in files)
    assert f"the search trained {total} updates where training every trial to the end takes 240" in section
    best = max((f for f in files if f["state"] == "complete"), key=lambda f: f["value"])
    first_row = section[section.index('<tr class="best">') :].split("</tr>")[0]
    assert f"<code>lr={best['params']['lr']:.4g}</code>" in first_row and f"{best['value']:.4f}" in first_row
    assert section.count("<tr") == 1 + summary.complete  # header + one row per complete trial
    if summary.complete < 2:
        assert f"needs at least 2 complete trials ({summary.complete} so far)." in section
    else:
        assert "<code>lr</code> 1.00" in section
    assert 'data-figure="search"' in html
    assert f"{len(files)} runs" in html  # every trial's record is in the main report too


def test_lab_search_without_optuna_names_the_search_extra_before_starting_anything(tmp_path):
    from tests.lab.test_lab_study import BLOCK

    code = BLOCK.format(blocked={"optuna"})
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-c", code, "search", "tiny", "--out", str(out)], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == "error: the lab needs optuna, which is not installed: pip install 'lrplan[search]'\n"
    assert result.stdout == "" and not out.exists() and os.listdir(tmp_path) == []


def test_importance_leaves_out_conditional_parameters_and_needs_two_complete_trials(tmp_path):
    from lrplan.lab.search_report import search_section
    from lrplan.lab.space import write_trial

    d = study_dict()
    d["schedules"] = [
        {"spec": "cosine(init_value=1.0, decay_steps={steps}, end_value={floor})", "label": "cosine"},
        {"spec": "constant(1.0)", "label": "constant"},
    ]
    d["search"]["space"] |= {"schedule": {"values": ["cosine", "constant"]}, "floor": {"low": 0.0, "high": 0.1}}
    st = study_from_dict(d)
    Store(tmp_path).write_study({"study": st.to_dict(), "search": True, "keys": []})
    trials = [
        ({"schedule": "cosine", "lr": 0.1, "floor": 0.05}, 0.9),
        ({"schedule": "constant", "lr": 0.5}, 0.7),
        ({"schedule": "cosine", "lr": 0.3, "floor": 0.01}, 0.8),
    ]
    for n, (params, value) in enumerate(trials[:1]):
        write_trial(tmp_path, st, engine="optuna", number=n, params=params, status="ok", value=value, steps=40,
                    keys=[f"k{n}"], reported=[(40, value)])  # fmt: skip
    assert "needs at least 2 complete trials (1 so far)." in search_section(tmp_path)
    for n, (params, value) in enumerate(trials[1:], start=1):
        write_trial(tmp_path, st, engine="optuna", number=n, params=params, status="ok", value=value, steps=40,
                    keys=[f"k{n}"], reported=[(40, value)])  # fmt: skip
    html = search_section(tmp_path)
    shown = html[html.index("Parameter importance") : html.index("<span")]
    assert "<code>lr</code>" in shown and "<code>schedule</code>" in shown and "floor" not in shown
