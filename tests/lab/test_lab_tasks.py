"""Lab tasks and the training loop: each task learns, runs are deterministic, the LR is applied."""

import hashlib
import math
import sysconfig
from pathlib import Path

import numpy as np
import pytest

import lrplan
from lrplan.lab import LabError, tasks
from lrplan.lab.idx import write_idx
from lrplan.lab.optimizers import optimizers
from lrplan.lab.run import VOLATILE_FIELDS, train
from lrplan.lab.study import RunSpec, study_from_dict
from tests.lab.test_lab_lrfree import LR_FREE

TINY_LM = {
    "layers": 1,
    "d_model": 32,
    "heads": 2,
    "context": 32,
    "batch_size": 8,
    "max_bytes": 200_000,
    "val_batches": 2,
}


def spec(
    task="digits-logreg",
    task_options=None,
    optimizer="sgd-momentum",
    lr=0.1,
    schedule="constant(1.0)",
    seed=0,
    steps=30,
    eval_every=10,
    **kw,
):
    t = tasks.get_task(task)
    return RunSpec(
        task=task,
        task_options=tasks.resolve_options(t, task_options),
        optimizer=optimizer,
        optimizer_options={},
        lr=lr,
        schedule=schedule,
        seed=seed,
        steps=steps,
        eval_every=eval_every,
        **kw,
    ).to_dict()


def val_losses(record):
    return record["curves"]["eval"]["val_loss"]


@pytest.mark.parametrize("task", ["digits-mlp", "digits-logreg"])
def test_digits_tasks_learn(task):
    record = train(spec(task, steps=40))
    first, last = val_losses(record)[0], val_losses(record)[-1]
    assert first == pytest.approx(math.log(10), abs=0.25)  # ~uniform prediction over 10 classes at init
    assert last < first - 1.0
    assert record["final"]["accuracy"] > 0.8
    assert record["task_info"]["n_train"] == 1347 and record["task_info"]["n_test"] == 450


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_charlm_learns_and_records_its_text(norm):
    record = train(spec("charlm", {**TINY_LM, "norm": norm}, optimizer="adam", lr=3e-3, steps=30, eval_every=15))
    first, last = val_losses(record)[0], val_losses(record)[-1]
    assert first == pytest.approx(math.log(256), abs=0.1)  # small init: near-uniform over 256 bytes
    assert last < first - 1.0
    info = record["task_info"]
    files = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    text = b"".join(p.read_bytes() for p in files)[:200_000]
    assert info["sha256"] == hashlib.sha256(text).hexdigest()
    assert info["bytes"] == 200_000 and info["python"].count(".") == 2
    assert record["final"]["bits_per_byte"] == pytest.approx(record["final"]["val_loss"] / math.log(2))


def make_mnist(root: Path, n_train=300, n_test=60, seed=0):
    """Fake MNIST: each class lights a different 6x6 block of a 28x28 image, plus noise."""
    rng = np.random.default_rng(seed)
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, y in enumerate(labels):
            r, c = divmod(int(y), 4)
            images[i, 2 + 7 * r : 8 + 7 * r, 2 + 6 * c : 8 + 6 * c] = 250
        write_idx(root / f"{split}-images-idx3-ubyte", images)
        write_idx(root / f"{split}-labels-idx1-ubyte.gz", labels)  # a gzip file is read too


def test_mnist_reads_idx_files_and_learns(tmp_path):
    make_mnist(tmp_path)
    record = train(spec("mnist", {"root": str(tmp_path), "batch_size": 32}, lr=0.05, steps=40))
    assert record["task_info"]["n_train"] == 300 and record["task_info"]["n_test"] == 60
    assert val_losses(record)[-1] < val_losses(record)[0] - 1.0
    assert record["final"]["accuracy"] > 0.9


def test_mnist_needs_a_directory_and_never_downloads(tmp_path):
    with pytest.raises(LabError, match="option `root` is required"):
        tasks.resolve_options(tasks.get_task("mnist"), {})
    with pytest.raises(LabError, match="does not exist"):
        train(spec("mnist", {"root": str(tmp_path / "nope")}))
    with pytest.raises(LabError, match="train-images-idx3-ubyte: IDX file not found"):
        train(spec("mnist", {"root": str(tmp_path)}))


def test_runs_are_deterministic_per_seed():
    a = train(spec("digits-mlp", seed=3, steps=25))
    b = train(spec("digits-mlp", seed=3, steps=25))
    c = train(spec("digits-mlp", seed=4, steps=25))
    strip = lambda r: {k: v for k, v in r.items() if k not in VOLATILE_FIELDS}  # noqa: E731
    assert strip(a) == strip(b)
    assert a["curves"]["train_loss"] != c["curves"]["train_loss"]


def test_learning_rate_is_lr_times_schedule_and_is_applied():
    record = train(
        spec(lr=0.5, schedule="linear(init_value=1.0, end_value=0.0, decay_steps=10)", steps=12, eval_every=6)
    )
    assert record["curves"]["lr"] == pytest.approx([0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0.0, 0.0])
    # the record keeps the absolute schedule: scale(shape, factor=lr)
    assert record["config"]["schedule"]["name"] == "linear" and record["config"]["lr"] == 0.5
    assert record["lr_schedule"] == lrplan.to_config(lrplan.scale(lrplan.parse(record["run"]["schedule"]), factor=0.5))
    # with a zero learning rate nothing changes: the loop really uses the schedule
    frozen = train(spec("digits-logreg", optimizer="sgd", schedule="constant(0.0)", steps=20, eval_every=10))
    assert len(set(val_losses(frozen))) == 1


@pytest.mark.parametrize("optimizer", ["adam", "schedulefree-adamw"])
def test_the_lrplan_torch_scheduler_drives_the_optimizer(monkeypatch, optimizer):
    from torch.optim.optimizer import register_optimizer_step_pre_hook

    import lrplan.torch

    built = []

    class Spy(lrplan.torch.Scheduler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(lrplan.torch, "Scheduler", Spy)
    seen = []  # the learning rate each optimizer.step() really uses
    hook = register_optimizer_step_pre_hook(lambda opt, args, kwargs: seen.append(opt.param_groups[0]["lr"]))
    try:
        schedule = "warmup(cosine(init_value=1.0, decay_steps=4), steps=2)"
        record = train(spec(optimizer=optimizer, lr=0.2, schedule=schedule, steps=7, eval_every=7))
    finally:
        hook.remove()
    # 0.2 x [0, 0.5, 1, cos^2(pi/8), 0.5, sin^2(pi/8), 0]: hand-computed, warmup then cosine over 4 steps
    expected = [0.0, 0.1, 0.2, 0.2 * (1 + math.cos(math.pi / 4)) / 2, 0.1, 0.2 * (1 - math.cos(math.pi / 4)) / 2, 0.0]
    assert record["curves"]["lr"] == pytest.approx(expected, abs=1e-15)
    assert seen == record["curves"]["lr"]
    assert len(built) == 1 and built[0].state_dict()["step"] == 7
    assert built[0].state_dict()["schedule"] == record["lr_schedule"]
    assert record["status"] == "ok"


@pytest.mark.parametrize("name", sorted(set(optimizers()) - set(LR_FREE)))  # LR_FREE: test_lab_lrfree.py
def test_every_optimizer_trains(name):
    lr = {
        "sgd": 0.2,
        "sgd-momentum": 0.1,
        "adagrad": 0.1,
        "rmsprop": 3e-3,
        "adam": 1e-2,
        "adamw": 1e-2,
        "schedulefree-adamw": 1e-2,
    }[name]
    record = train(spec("digits-logreg", optimizer=name, lr=lr, steps=30, eval_every=15))
    assert record["status"] == "ok"
    assert val_losses(record)[-1] < val_losses(record)[0] - 0.5
    if name.startswith("schedulefree"):
        assert "schedulefree" in record["versions"]


def test_divergence_stops_the_run():
    record = train(spec("digits-logreg", optimizer="sgd", lr=1e38, steps=50, eval_every=5))
    assert record["status"] == "diverged"
    assert len(record["curves"]["lr"]) < 50
    assert all(v is None for v in record["final"].values())


def test_task_registry_accepts_user_tasks(monkeypatch):
    monkeypatch.setattr(tasks, "_TASKS", dict(tasks._TASKS))  # the registration ends with the test
    seen = {}

    def build(options, seed):
        seen.update(options, seed=seed)
        return tasks.get_task("digits-logreg").build({"batch_size": options["batch"]}, seed)

    tasks.register_task(
        tasks.Task(
            name="test-user-task",
            build=build,
            defaults={"batch": 16},
            metric="accuracy",
            mode="max",
            target=None,
            description="x",
        ),
        replace=True,
    )
    st = study_from_dict(
        {
            "name": "u",
            "steps": 5,
            "tasks": [{"name": "test-user-task", "options": {"batch": 8}}],
            "optimizers": ["sgd"],
            "schedules": ["constant(1.0)"],
        }
    )
    train(st.runs()[0].to_dict())
    assert seen == {"batch": 8, "seed": 0}
    with pytest.raises(LabError, match="taken"):
        tasks.register_task(tasks.get_task("test-user-task"))
