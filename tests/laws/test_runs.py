"""Runs and their loaders; bad input is refused with an error naming the run."""

from __future__ import annotations

import json

import numpy as np
import pytest

import lrplan
import lrplan.laws as L

WARMUP_CONSTANT = (
    "join([linear(init_value=0.0, end_value=0.0003, decay_steps=2159), constant(value=0.0003)], boundaries=[2160])"
)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"steps": [9, 19], "loss": [4.0, 3.5]},
            "Run 'r': `steps` must be at least 3 points. Received: steps='2 point(s)'.",
        ),
        (
            {"loss": [4.0, float("nan"), 3.2]},
            "Run 'r': `loss` must be finite and > 0 at every step. Received: loss[1]=nan.",
        ),
        ({"loss": [4.0, 0.0, 3.2]}, "Run 'r': `loss` must be finite and > 0 at every step. Received: loss[1]=0.0."),
        ({"loss": [4.0, -1.0, 3.2]}, "Run 'r': `loss` must be finite and > 0 at every step. Received: loss[1]=-1.0."),
        (
            {"loss": [4.0, float("inf"), 3.2]},
            "Run 'r': `loss` must be finite and > 0 at every step. Received: loss[1]=inf.",
        ),
        ({"steps": [9, 9, 29]}, "Run 'r': `steps` must be strictly increasing. Received: steps[1]=9."),
        ({"steps": [9, 19.5, 29]}, "Run 'r': `steps` must be whole numbers >= 0. Received: steps[1]=19.5."),
        ({"loss": [4.0, 3.5]}, "Run 'r': `loss` must be one value per step (3 steps). Received: loss='2 values'."),
        (
            {"total_steps": 20},
            "Run 'r': `steps` must be below total_steps=20 (the schedule's length). Received: steps=29.",
        ),
        ({"schedule": lambda k: 1e-3}, "Run 'r': `schedule` must be an lrplan Schedule"),
        ({"schedule": "constant(0.001)"}, "Run 'r': `schedule` must be an lrplan Schedule"),
        (
            {"schedule": lrplan.warmup(lrplan.constant(1e-3), steps=10), "steps": [0, 19, 29]},
            "Run 'r': `steps` must be after the first update with an lr > 0. Received: steps=0.",
        ),
    ],
)
def test_bad_runs_are_refused_naming_the_run(kwargs, message):
    args = {"schedule": lrplan.constant(1e-3), "steps": [9, 19, 29], "loss": [4.0, 3.5, 3.2], "name": "r", **kwargs}
    with pytest.raises(lrplan.ConfigError) as err:
        L.Run(**args)
    assert str(err.value).startswith(message)
    assert isinstance(err.value, ValueError)


def test_a_run_is_an_immutable_value():
    a = L.Run(schedule=lrplan.constant(1e-3), steps=np.array([9, 19, 29]), loss=np.array([4.0, 3.5, 3.2]))
    b = L.Run(schedule=lrplan.constant(1e-3), steps=[9, 19, 29], loss=[4.0, 3.5, 3.2])
    assert a == b and a.steps == (9, 19, 29) and a.points == 3
    assert np.array_equal(a.lrs(), np.full(30, 1e-3))
    with pytest.raises(AttributeError):
        a.name = "x"  # type: ignore[misc]


def test_csv_with_a_spec(tmp_path):
    path = tmp_path / "run.csv"
    path.write_text("step,lr,loss\n2200,0.0003,4.0\n2300,0.0003,3.9\n2400,0.0003,3.8\n")
    run = L.load_csv(path, WARMUP_CONSTANT)
    assert (run.name, run.steps, run.loss) == ("run", (2200, 2300, 2400), (4.0, 3.9, 3.8))
    with pytest.raises(lrplan.ConfigError) as err:
        L.load_csv(path, "constant(0.001)")
    assert str(err.value) == (
        "Run 'run': `schedule` must be the file's lr column (0.0003 at step 2200). Received: schedule=0.001."
    )


def test_csv_with_every_lr_is_its_own_schedule(tmp_path):
    lrs = lrplan.warmup(lrplan.cosine(init_value=1e-3, decay_steps=40), steps=10)(np.arange(50))
    lines = ["step,lr,loss"] + [f"{k},{float(lr)!r},{5.0 - 0.01 * k if k % 5 == 4 else ''}" for k, lr in enumerate(lrs)]
    path = tmp_path / "every.csv"
    path.write_text("\n".join(lines) + "\n")
    run = L.load_csv(path)
    assert run.steps == tuple(range(4, 50, 5))
    assert np.array_equal(run.schedule(np.arange(50)), lrs)  # exact, as a piecewise-constant schedule
    assert np.array_equal(run.lrs(), lrs[:50])
    assert run.total_steps == 50
    path.write_text("step,lr,loss\n" + "".join(f"{k},{float(lrs[k])!r},{5.0}\n" for k in range(1, 50)))
    with pytest.raises(lrplan.ConfigError, match="`schedule` must be given"):
        L.load_csv(path)


def test_schedule_from_lrs_is_exact_and_compact():
    s = L.schedule_from_lrs([0.0, 0.1, 0.1, 0.1, 0.05])
    assert str(s) == "piecewise_constant(boundaries=[1, 4], values=[0.0, 0.1, 0.05])"
    assert lrplan.parse(str(s)) == s


def test_json_runs(tmp_path):
    path = tmp_path / "runs.json"
    config = lrplan.to_config(lrplan.constant(1e-3))
    path.write_text(
        json.dumps(
            [
                {"name": "spec", "schedule": "constant(0.001)", "steps": [9, 19, 29], "loss": [4, 3.5, 3.2]},
                {"name": "config", "schedule": config, "steps": [9, 19, 29], "loss": [4, 3.5, 3.2], "total_steps": 30},
                {"name": "lrs", "lr": [1e-3] * 30, "steps": [9, 19, 29], "loss": [4, 3.5, 3.2]},
            ]
        )
    )
    a, b, c = L.load_json(path)
    assert (a.name, b.name, c.name) == ("spec", "config", "lrs")
    assert a.schedule == b.schedule == lrplan.constant(1e-3) and b.total_steps == 30
    assert np.array_equal(c.lrs(), a.lrs())
    path.write_text(json.dumps({"name": "bad", "steps": [9, 19, 29], "loss": [4, 3.5, 3.2]}))
    with pytest.raises(lrplan.ConfigError, match="Run 'bad': `schedule` must be given"):
        L.load_json(path)
    path.write_text(json.dumps({"name": "bad", "schedule": "cosin(1)", "steps": [9, 19, 29], "loss": [4, 3.5, 3.2]}))
    with pytest.raises(lrplan.ConfigError, match="Run 'bad': `schedule` must be a valid spec or config"):
        L.load_json(path)


def test_manifest_sets_and_the_shipped_curves():
    path = L.example_manifest("25M")
    assert (path.parent.parent / "LICENSE").read_text().startswith("MIT License")
    fit = L.load_manifest(path)
    assert [r.name for r in fit] == ["cosine_24000", "constant_24000", "wsdcon_9"]
    assert [r.points for r in fit] == [171, 171, 95]
    assert all(r.total_steps is not None for r in fit)
    assert len(L.load_manifest(path, "test")) == 6 and len(L.load_manifest(path, "all")) == 9
    (one,) = L.load_manifest(L.example_manifest("100M"), "wsdcon_3")
    assert one.lrs()[8000] == pytest.approx(3e-5) and one.lrs()[7999] == 3e-4
    with pytest.raises(lrplan.ConfigError, match="`which` must be 'fit', 'test', 'all' or a curve name"):
        L.load_manifest(path, "nope")
    with pytest.raises(lrplan.ConfigError, match="`size` must be '25M' or '100M'"):
        L.example_manifest("400M")


def _record(key, lrs, train, evals, status="ok"):
    return {
        "key": key,
        "status": status,
        "labels": {"schedule": key},
        "curves": {"lr": lrs, "train_loss": train, "eval": evals},
    }


def test_lab_records(tmp_path):
    runs_dir = tmp_path / "runs"
    runs_dir.mkdir()
    lrs = [0.1] * 5 + [0.05] * 5
    train = [2.0 - 0.1 * k for k in range(10)]
    evals = {"step": [0, 5, 10], "val_loss": [2.1, 1.6, 1.2], "accuracy": [0.1, 0.5, 0.7]}
    (runs_dir / "a.json").write_text(
        json.dumps(
            _record(
                "a",
                lrs,
                train,
                {**evals, "step": [0, 3, 6, 10], "val_loss": [2.1, 1.7, 1.5, 1.2], "accuracy": [0, 0, 0, 0]},
            )
        )
    )
    (runs_dir / "b.json").write_text(json.dumps(_record("b", lrs, train, evals, status="diverged")))
    (run,) = L.load_lab(tmp_path)
    assert run.name == "a" and run.steps == (2, 5, 9) and run.loss == (1.7, 1.5, 1.2)
    assert np.array_equal(run.lrs(), lrs)
    (train_run,) = L.load_lab(tmp_path, "train_loss")
    assert train_run.steps == tuple(range(9)) and train_run.loss[0] == 1.9  # measured before update 1
    with pytest.raises(lrplan.ConfigError, match="`metric` must be a metric of the record: step, val_loss, accuracy"):
        L.load_lab(runs_dir / "a.json", "perplexity")
    with pytest.raises(lrplan.ConfigError, match="load_lab: `path` must be a lab record or results folder"):
        L.load_lab(runs_dir / "b.json")


def test_runs_derived_for_fitting_keep_the_lr_values(tmp_path):
    lrs = [1e-3] * 2_000 + [1e-4] * 2_000
    path = tmp_path / "long.json"
    steps = list(range(99, 4_000, 100))
    path.write_text(json.dumps({"name": "long", "lr": lrs, "steps": steps, "loss": [3 + 50 / (s + 1) for s in steps]}))
    (run,) = L.load_json(path)
    thin = L._runs.derived(run, steps=run.steps[::2], loss=run.loss[::2])
    assert "_lrs" in thin.__dict__ and np.array_equal(thin.lrs(), run.lrs()[: thin.steps[-1] + 1])
    path.write_text(json.dumps({"name": "short", "lr": lrs[:100], "steps": [9, 99, 199], "loss": [4, 3.5, 3.2]}))
    with pytest.raises(lrplan.ConfigError, match=r"Run 'short': `steps` must be below total_steps=100"):
        L.load_json(path)
