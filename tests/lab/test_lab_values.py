"""Every value of a study is checked before any run starts; a run that overflows is recorded as diverged.

The inputs are the reproducers of values that passed validation and then crashed mid-sweep.
"""

import math
import os

import pytest
from typer.testing import CliRunner

from lrplan.lab import StudyError
from lrplan.lab.cli import app
from lrplan.lab.run import train
from lrplan.lab.study import load_study, study_from_dict
from lrplan.lab.sweep import run_study

BASE = {
    "name": "v",
    "steps": 3,
    "eval_every": 3,
    "tasks": ["digits-logreg"],
    "optimizers": [{"name": "sgd", "lr": 0.1}],
    "schedules": ["constant(1.0)"],
}
LM = {"layers": 1, "d_model": 8, "heads": 2, "context": 8, "batch_size": 2, "max_bytes": 20_000, "val_batches": 1}
NAN, INF = math.nan, math.inf

REFUSED = [
    ({"optimizers": [{"name": "sgd", "lr": NAN}]}, "optimizers[0].lr: must be a number > 0. Received: nan."),
    ({"optimizers": [{"name": "sgd", "lr": INF}]}, "optimizers[0].lr: must be a number > 0. Received: inf."),
    ({"lrs": [0.1, INF]}, "lrs: must be a non-empty list of numbers > 0. Received: [0.1, inf]."),
    (
        {"optimizers": [{"name": "adam", "options": {"eps": NAN}}]},
        "optimizers[0]: optimizer 'adam': option `eps` must be a number >= 0, like 1e-08. Received: eps=nan.",
    ),
    (
        {"optimizers": [{"name": "adam", "options": {"eps": INF}}]},
        "optimizers[0]: optimizer 'adam': option `eps` must be a number >= 0, like 1e-08. Received: eps=inf.",
    ),
    ({"grad_clip": NAN}, "grad_clip: must be a number > 0 or null. Received: nan."),
    ({"grad_clip": INF}, "grad_clip: must be a number > 0 or null. Received: inf."),
    (
        {"targets": {"digits-logreg": NAN}},
        "targets: must map task names to finite numbers. Received: {'digits-logreg': nan}.",
    ),
    (
        {"targets": {"digits-logreg": -INF}},
        "targets: must map task names to finite numbers. Received: {'digits-logreg': -inf}.",
    ),
    (
        {"tasks": [{"name": "charlm", "options": {**LM, "heads": 0}}]},
        "tasks[0]: task 'charlm': option `heads` must be an integer in [1, 256]. Received: heads=0.",
    ),
    (
        {"tasks": [{"name": "charlm", "options": {**LM, "heads": 3}}]},
        "tasks[0]: task 'charlm': `d_model` must be divisible by `heads`. Received: d_model=8, heads=3.",
    ),
    (
        {"tasks": [{"name": "charlm", "options": {**LM, "val_batches": 0}}]},
        "tasks[0]: task 'charlm': option `val_batches` must be an integer in [1, 10000]. Received: val_batches=0.",
    ),
    (
        {"tasks": [{"name": "charlm", "options": {**LM, "context": 2000}}]},
        "tasks[0]: task 'charlm': `context` must be < 1999, the validation bytes of max_bytes=20000 less one. "
        "Received: context=2000.",
    ),
    (
        {"optimizers": [{"name": "adam", "options": {"betas": [2, 0.5]}}]},
        "optimizers[0]: optimizer 'adam': option `betas` must be a list of 2 numbers in [0, 1), like [0.9, 0.999]. "
        "Received: betas=[2, 0.5].",
    ),
    (
        {"optimizers": [{"name": "sgd", "options": {"nesterov": True}}]},
        "optimizers[0]: optimizer 'sgd': `nesterov` needs a momentum > 0. Received: nesterov=True, momentum=0.0.",
    ),
    (
        {"optimizers": [{"name": "sgd", "options": {"momentum": 5}}]},
        "optimizers[0]: optimizer 'sgd': option `momentum` must be a number in [0, 1), like 0.0. Received: momentum=5.",
    ),
    (
        {"optimizers": [{"name": "rmsprop", "options": {"alpha": 1.5}}]},
        "optimizers[0]: optimizer 'rmsprop': option `alpha` must be a number in [0, 1], like 0.99. Received: alpha=1.5.",
    ),
    ({"threads": 2**40}, "threads: must be an integer in [1, 1024]. Received: 1099511627776."),
    (
        {"tasks": [{"name": "digits-logreg", "options": {"batch_size": 0}}]},
        "tasks[0]: task 'digits-logreg': option `batch_size` must be an integer in [1, 65536]. Received: batch_size=0.",
    ),
    (
        {"name": ".."},
        "name: required: at most 100 letters, digits, '.', '_' or '-', starting with a letter or digit. Received: '..'.",
    ),
    (
        {"seeds": 1_000_000_000},
        "seeds: must be a count in [1, 100000] or a non-empty list of at most 100000 integers in [0, 2**63 - 1]. "
        "Received: 1000000000.",
    ),
    (
        {"seeds": 1000, "lrs": [0.1 * (i + 1) for i in range(200)]},
        "seeds: the study expands to 200000 runs; at most 100000 are allowed.",
    ),
    ({"steps": 10**12}, "steps: must be an integer in [1, 10000000]. Received: 1000000000000."),
    (
        {"schedules": ["cosine(init_value=1.0, decay_steps={1e308*10})"]},
        "schedules[0]: invalid schedule 'cosine(init_value=1.0, decay_steps={1e308*10})': "
        "cannot evaluate {1e308*10}: cannot convert float infinity to integer",
    ),
    (
        {"schedules": [{"spec": "constant(1.0)", "label": ["a"]}]},
        "schedules[0].label: must be a string of at most 200 characters. Received: ['a'].",
    ),
]


@pytest.mark.parametrize("override, message", REFUSED)
def test_values_that_crashed_mid_sweep_are_refused_before_any_run(override, message):
    with pytest.raises(StudyError) as info:
        study_from_dict({**BASE, **override}, source="s.yaml")
    assert str(info.value) == f"s.yaml: {message}"


def test_a_bad_value_in_a_study_file_stops_the_cli_before_any_run(tmp_path):
    path = tmp_path / "nan.yaml"
    path.write_text(
        "name: nan\nsteps: 5\ntasks: [digits-logreg]\noptimizers: [{name: sgd, lr: .nan}]\nschedules: ['constant(1.0)']\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--no-progress", "--backend", "inline"])
    assert result.exit_code == 2
    assert result.output == f"error: {path}: optimizers[0].lr: must be a number > 0. Received: nan.\n"
    assert not out.exists()
    result = CliRunner().invoke(app, ["run", "/dev/zero", "--out", str(out), "--no-progress"])
    assert (result.exit_code, result.output) == (
        2,
        "error: /dev/zero: not a regular file; a study file must be a file.\n",
    )
    assert not out.exists()


def test_binary_special_and_oversized_study_files_are_refused(tmp_path):
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"name: x\n\xff\xfe\x00\x01")
    with pytest.raises(StudyError, match=r"bin.yaml: not a text file \(byte 8 is not UTF-8\)"):
        load_study(binary)
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(b"name: x\x00\n")
    with pytest.raises(StudyError, match=r"nul.yaml: not a text file \(it holds NUL bytes\)"):
        load_study(nul)
    with pytest.raises(StudyError, match=r"^/dev/zero: not a regular file; a study file must be a file.$"):
        load_study("/dev/zero")
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (1 << 20) + "\n")
    with pytest.raises(StudyError, match=r"big.yaml: the study file is 1048579 bytes; at most 1048576 are read."):
        load_study(big)


def test_a_fifo_study_file_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(StudyError, match=r"pipe.yaml: not a regular file"):
        load_study(fifo)  # would block forever if opened for a plain read


def test_nested_and_aliased_studies_are_refused_without_recursion_or_expansion(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: d\ntasks: " + "[" * 40 + "]" * 40 + "\n")
    with pytest.raises(StudyError, match=r"deep.yaml: the study is nested more than 32 levels deep"):
        load_study(deep)
    deeper = tmp_path / "deeper.toml"
    deeper.write_text("name = 'd'\ntasks = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(StudyError, match=r"deeper.toml: the study is nested too deeply to read.$"):
        load_study(deeper)
    deeper = tmp_path / "deeper.yaml"
    deeper.write_text("name: d\ntasks: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(StudyError, match=r"deeper.yaml: the study is nested too deeply to read.$"):
        load_study(deeper)
    laughs = ["name: lol", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    laughs += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(laughs) + "\n")  # 9**9 = 387 million strings once expanded
    with pytest.raises(StudyError, match=r"bomb.yaml: the study is more than 1000000 values"):
        load_study(bomb)


@pytest.mark.parametrize(
    "optimizer", [{"name": "sgd-momentum"}, {"name": "adam"}, {"name": "rmsprop"}, {"name": "adagrad"}]
)
def test_an_update_that_overflows_is_recorded_as_diverged(optimizer):
    # lr 1e300 passes every check (finite, > 0) but overflows float32 in the first optimizer step
    st = study_from_dict({**BASE, "steps": 20, "eval_every": 5, "optimizers": [optimizer], "lrs": [1e300]})
    record = train(st.runs()[0].to_dict())
    assert record["status"] == "diverged"
    assert record["curves"]["lr"] == [1e300]  # one update tried
    assert all(v is None for v in record["final"].values())


def test_a_learning_rate_that_overflows_is_recorded_as_diverged(tmp_path):
    # 1e308 x 10 is inf in float64: no update can use it; the record stays valid JSON
    st = study_from_dict({**BASE, "lrs": [1e308], "schedules": ["constant(10.0)"]})
    summary = run_study(st, tmp_path, backend="inline", progress=False)
    assert summary.trained == 1
    record = next((tmp_path / "runs").glob("*.json")).read_text()
    assert '"status": "diverged"' in record and '"lr": []' in record


def test_an_integer_too_large_for_a_float_is_refused():
    # found by the fuzz test: 10**400 is an int, so "finite", but float(10**400) overflows
    with pytest.raises(StudyError) as info:
        study_from_dict({**BASE, "lrs": [10**400]}, source="s.yaml")
    assert str(info.value).startswith("s.yaml: lrs: must be a non-empty list of numbers > 0. Received: [1000000")
