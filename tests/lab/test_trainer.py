"""The steppable trainer: pieces, checkpoints, pruning and a schedule changed mid-run."""

from __future__ import annotations

import io

import pytest

torch = pytest.importorskip("torch")

import lrplan  # noqa: E402
from lrplan.lab.run import Trainer, train  # noqa: E402
from lrplan.lab.store import record_problem  # noqa: E402
from lrplan.lab.study import study_from_dict  # noqa: E402


def _spec(task: object, optimizer: object, steps: int = 30, eval_every: int = 10) -> dict:
    st = study_from_dict(
        {
            "name": "t",
            "steps": steps,
            "eval_every": eval_every,
            "tasks": [task],
            "optimizers": [optimizer],
            "schedules": ["cosine(init_value=1.0, decay_steps={steps})"],
        }
    )
    return st.runs()[0].to_dict()


def _roundtrip(state: dict) -> dict:
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=False)


@pytest.mark.parametrize(
    ("task", "optimizer"),
    [
        ("digits-logreg", {"name": "sgd-momentum", "lr": 0.1}),
        ("digits-mlp", {"name": "adam", "lr": 0.003}),
        (
            {
                "name": "charlm",
                "options": {"max_bytes": 200_000, "d_model": 16, "heads": 2, "context": 16, "val_batches": 2},
            },
            {"name": "adamw", "lr": 0.01},
        ),
        ("digits-logreg", {"name": "schedulefree-adamw", "lr": 0.01}),
    ],
)
def test_a_run_saved_and_restored_midway_goes_on_bit_for_bit(task: object, optimizer: object) -> None:
    spec = _spec(task, optimizer, steps=30, eval_every=10)
    whole = train(spec)
    first = Trainer(spec)
    first.advance(17)  # between two evaluations
    assert first.step == 17 and not first.finished
    second = Trainer(spec)
    second.load_state_dict(_roundtrip(first.state_dict()))
    second.advance(30)
    got = second.record()
    assert got["curves"] == whole["curves"]
    assert got["final"] == whole["final"]
    assert got["status"] == "ok" and record_problem(got) is None


def test_on_eval_returning_true_prunes_the_run_at_that_evaluation() -> None:
    spec = _spec("digits-logreg", {"name": "sgd", "lr": 0.1}, steps=50, eval_every=10)
    seen: list[int] = []

    def stop_at_20(step: int, values: dict) -> bool:
        seen.append(step)
        assert "val_loss" in values and "accuracy" in values
        return step == 20

    record = train(spec, on_eval=stop_at_20)
    assert seen == [0, 10, 20]
    assert record["status"] == "pruned"
    assert len(record["curves"]["lr"]) == 20
    assert record["curves"]["eval"]["step"] == [0, 10, 20]
    assert record["final"]["accuracy"] == record["curves"]["eval"]["accuracy"][-1]
    assert record_problem(record) is None


def test_set_schedule_changes_the_rate_from_the_current_update_on() -> None:
    spec = _spec("digits-logreg", {"name": "sgd", "lr": 1.0}, steps=20, eval_every=10)
    trainer = Trainer(spec)
    trainer.advance(10)
    trainer.set_schedule(lrplan.constant(0.25))
    trainer.advance(20)
    lrs = trainer.record()["curves"]["lr"]
    shape = lrplan.cosine(init_value=1.0, decay_steps=20)
    assert lrs[:10] == [float(shape(k)) for k in range(10)]
    assert lrs[10:] == [0.25] * 10


@pytest.mark.parametrize(("optimizer", "package"), [("schedulefree-adamw", "schedulefree"), ("prodigy", "prodigyopt")])
def test_a_record_names_the_version_of_the_optimizer_package(optimizer: str, package: str) -> None:
    from importlib import metadata

    pytest.importorskip(package)
    record = train(_spec("digits-logreg", {"name": optimizer}, steps=2, eval_every=2))
    assert record["versions"][package] == metadata.version(package)
    assert (
        "prodigyopt" not in train(_spec("digits-logreg", {"name": "sgd", "lr": 0.1}, steps=2, eval_every=2))["versions"]
    )


def test_a_grid_trains_again_a_run_that_a_search_pruned(tmp_path) -> None:
    from lrplan.lab.store import Store
    from lrplan.lab.sweep import run_study

    st = study_from_dict(
        {
            "name": "t",
            "steps": 30,
            "eval_every": 10,
            "tasks": ["digits-logreg"],
            "optimizers": [{"name": "sgd", "lr": 0.1}],
            "schedules": ["constant(1.0)"],
        }
    )
    spec = st.runs()[0].to_dict()
    store = Store(tmp_path)
    store.write(train(spec, on_eval=lambda step, values: step == 10))  # what a search leaves behind
    assert store.read(st.runs()[0].key())["status"] == "pruned"
    summary = run_study(st, tmp_path, backend="inline", progress=False)
    assert (summary.total, summary.skipped, summary.trained) == (1, 0, 1)
    record = store.read(st.runs()[0].key())
    assert record["status"] == "ok" and len(record["curves"]["lr"]) == 30
    assert run_study(st, tmp_path, backend="inline", progress=False).skipped == 1
