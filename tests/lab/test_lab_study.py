"""Study files and flags: expansion, keys, and rejection of bad studies before any run starts."""

import pytest
from typer.testing import CliRunner

from lrplan.lab import StudyError
from lrplan.lab.cli import app
from lrplan.lab.study import load_study, run_key, study_from_dict, substitute_steps

GOOD = """
name: mini
steps: 120
eval_every: 40
seeds: [0, 1]
tasks:
  - digits-logreg
  - {name: digits-mlp, options: {hidden: 16}, label: small-mlp}
optimizers:
  - adam
  - {name: sgd-momentum, lr: 0.2, options: {nesterov: true}}
schedules:
  - constant(1.0)
  - {spec: "wsd(peak_value=1.0, warmup_steps=10, stable_steps={steps*0.8-10}, decay_steps={steps//5})", label: wsd}
"""


def test_yaml_and_toml_studies_expand_to_runs(tmp_path):
    (tmp_path / "s.yaml").write_text(GOOD)
    st = load_study(tmp_path / "s.yaml")
    runs = st.runs()
    assert len(runs) == 2 * 2 * 2 * 2
    wsd = next(r for r in runs if r.schedule_label == "wsd")
    assert wsd.schedule == "wsd(peak_value=1.0, warmup_steps=10, stable_steps=86, decay_steps=24)"
    assert {r.lr for r in runs} == {3e-3, 0.2}  # adam's default lr, and the given one
    assert runs[-1].optimizer_options == {"momentum": 0.9, "nesterov": True, "weight_decay": 0.0}
    assert {r.task_label for r in runs} == {"digits-logreg", "small-mlp"}
    toml = 'name = "t"\nsteps = 50\nseeds = 3\ntasks = ["digits-logreg"]\noptimizers = ["sgd"]\nschedules = ["constant(1.0)"]\nlrs = [0.1, 0.3]\n'
    (tmp_path / "s.toml").write_text(toml)
    st = load_study(tmp_path / "s.toml")
    assert [(r.lr, r.seed) for r in st.runs()] == [(0.1, 0), (0.1, 1), (0.1, 2), (0.3, 0), (0.3, 1), (0.3, 2)]


def test_run_key_hashes_the_config_not_the_labels():
    base = {
        "name": "k",
        "steps": 10,
        "tasks": ["digits-logreg"],
        "optimizers": ["sgd"],
        "schedules": ["constant(1.0)"],
        "seeds": 2,
    }
    a, b = study_from_dict(base).runs()
    relabeled = study_from_dict({**base, "schedules": [{"spec": "constant(1.0)", "label": "flat"}]}).runs()[0]
    assert a.key() != b.key()  # seeds differ
    assert relabeled.key() == a.key()
    assert a.key() == run_key(a.config()) and len(a.key()) == 16
    assert a.config()["schedule"] == {"format": 1, "name": "constant", "args": {"value": 1.0}}


def test_substitute_steps():
    assert (
        substitute_steps("cosine(init_value=1.0, decay_steps={steps - 50})", 1000)
        == "cosine(init_value=1.0, decay_steps=950)"
    )
    assert substitute_steps("x={(steps + 1) / 3}", 8) == "x=3"
    with pytest.raises(ValueError, match="only numbers"):
        substitute_steps("{__import__('os')}", 10)


BAD = [
    ("tasks: [digit-mlp]", "tasks[0]: unknown task 'digit-mlp'. Did you mean 'digits-mlp'?"),
    ("optimizers: [adamm]", "optimizers[0]: unknown optimizer 'adamm'. Did you mean 'adam'?"),
    (
        "schedules: ['cosin(init_value=1.0, decay_steps=10)']",
        "schedules[0]: invalid schedule 'cosin(init_value=1.0, decay_steps=10)': Unknown schedule 'cosin'",
    ),
    (
        "schedules: ['cosine(init_value=1.0, decay_steps=0)']",
        "schedules[0]: invalid schedule 'cosine(init_value=1.0, decay_steps=0)': cosine: `decay_steps` must be > 0. Received: decay_steps=0.",
    ),
    ("steps: -5", "steps: must be an integer in [1, 10000000]. Received: -5."),
    ("eval_every: 0", "eval_every: must be an integer in [1, 10000000]. Received: 0."),
    (
        "seeds: []",
        "seeds: must be a count in [1, 100000] or a non-empty list of at most 100000 integers in [0, 2**63 - 1]. "
        "Received: [].",
    ),
    ("learning_rate: 0.1", "learning_rate: unknown key; allowed keys: name, description"),
    (
        "tasks: [{name: digits-mlp, option: {}}]",
        "tasks[0]: unknown key(s) ['option']; allowed: ['name', 'options', 'label'].",
    ),
    (
        "tasks: [{name: digits-mlp, options: {hiden: 3}}]",
        "tasks[0]: task 'digits-mlp': unknown option(s) ['hiden']. Options: ['batch_size', 'hidden']. Did you mean 'hidden'?",
    ),
    (
        "tasks: [{name: charlm, options: {norm: mid}}]",
        "tasks[0]: task 'charlm': option `norm` must be one of ['pre', 'post']. Received: norm='mid'.",
    ),
    ("optimizers: [{name: adam, lr: -1}]", "optimizers[0].lr: must be a number > 0. Received: -1."),
    (
        "optimizers: [{name: adam, options: {betas: [0.9]}}]",
        "optimizers[0]: optimizer 'adam': option `betas` must be a list of 2 numbers in [0, 1), like [0.9, 0.999]. "
        "Received: betas=[0.9].",
    ),
    ("lrs: [0.1, 0]", "lrs: must be a non-empty list of numbers > 0. Received: [0.1, 0]."),
    ("targets: {digits: 0.9}", "targets.digits: not a known task."),
]


@pytest.mark.parametrize("line, message", BAD)
def test_bad_study_files_name_the_file_key_and_reason(tmp_path, line, message):
    key = line.split(":")[0]
    text = _replace_section(GOOD, key, line) if key + ":" in GOOD else GOOD.strip() + "\n" + line + "\n"
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(StudyError) as info:
        load_study(path)
    assert f"{path}: {message}" in str(info.value)


def _replace_section(text, key, line):
    out, skipping = [], False
    for ln in text.strip().splitlines():
        if ln.startswith(key + ":"):
            out.append(line)
            skipping = True
            continue
        if skipping and ln.startswith("  "):
            continue
        skipping = False
        out.append(ln)
    return "\n".join(out) + "\n"


def test_every_problem_is_listed_at_once():
    with pytest.raises(StudyError) as info:
        study_from_dict(
            {
                "name": "x y",
                "steps": 0,
                "tasks": [],
                "optimizers": ["nope"],
                "schedules": ["constant(1.0)"],
                "color": 1,
            },
            source="f.yaml",
        )
    text = str(info.value)
    for part in (
        "f.yaml: color: unknown key",
        "f.yaml: name: required",
        "f.yaml: steps:",
        "f.yaml: tasks: required",
        "f.yaml: optimizers[0]: unknown optimizer",
    ):
        assert part in text


def test_malformed_files(tmp_path):
    (tmp_path / "a.yaml").write_text("name: [unclosed")
    with pytest.raises(StudyError, match="not valid YAML") as got:
        load_study(tmp_path / "a.yaml")
    # one line, the problem and where: "expected ',' or ']', but got '<stream end>'" at line 1, column 16
    assert str(got.value) == (
        f"{tmp_path / 'a.yaml'}: not valid YAML: expected ',' or ']', but got '<stream end>' (line 1, column 16)."
    )
    (tmp_path / "a.toml").write_text("name = ")
    with pytest.raises(StudyError, match="not valid TOML"):
        load_study(tmp_path / "a.toml")
    (tmp_path / "a.json").write_text("{}")
    with pytest.raises(StudyError, match=r"must end in .yaml, .yml or .toml"):
        load_study(tmp_path / "a.json")


def test_cli_rejects_a_bad_study_before_any_run(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(_replace_section(GOOD, "optimizers", "optimizers: [adam, sgdd]"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--no-progress"])
    assert result.exit_code == 2
    assert f"{path}: optimizers[1]: unknown optimizer 'sgdd'" in result.output
    assert not out.exists()
    result = CliRunner().invoke(
        app, ["run", "--task", "digits-logreg", "--optimizer", "sgd", "--schedule", "cosine(1.0)", "--out", str(out)]
    )
    assert result.exit_code == 2 and "<flags>: schedules[0]: invalid schedule 'cosine(1.0)'" in result.output
    assert not out.exists()
    result = CliRunner().invoke(app, ["run", "no-such-study", "--out", str(out)])
    assert result.exit_code == 2 and "neither a built-in study" in result.output


def test_cli_flags_mode_runs_and_reports(tmp_path):
    out = tmp_path / "flags"
    args = [
        "run",
        "--task",
        "digits-logreg",
        "--optimizer",
        "sgd",
        "--schedule",
        "constant(1.0)",
        "--schedule",
        "linear(init_value=1.0, end_value=0.0, decay_steps={steps})",
        "--lr",
        "0.2",
        "--steps",
        "20",
        "--seeds",
        "2",
        "--backend",
        "inline",
        "--no-progress",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "4 runs trained, 0 already finished" in result.output
    assert (out / "report.html").exists() and len(list((out / "runs").glob("*.json"))) == 4
    result = CliRunner().invoke(app, [*args, "--no-report"])
    assert "0 runs trained, 4 already finished" in result.output


def test_cli_list_and_import_is_light():
    import subprocess
    import sys

    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 0
    for name in ("digits-mlp", "charlm", "mnist", "schedulefree-adamw", "sgd-momentum", "quick", "e1", "e3"):
        assert name in result.output
    code = "import sys, lrplan.lab.cli; print('torch' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_progress_shows_the_start_up_phase_then_runs_and_an_eta():
    import io

    from rich.console import Console

    from lrplan.lab.progress import ProgressView

    console = Console(file=io.StringIO(), force_terminal=True, width=160, record=True, color_system=None)
    spec = {"task_label": "t", "optimizer_label": "o", "schedule_label": "s", "lr": 0.1, "seed": 0, "steps": 100}
    with ProgressView(enabled=True, total=3, done=1, title="demo", steps=200, console=console) as view:
        view.status("starting 2 worker processes (torch, data)")
        view.update(spec, 0, 100)
        view.progress.refresh()
        starting = console.export_text()
        view.update(spec, 50, 100)
        view.update({**spec, "seed": 1}, 50, 100)
        view.progress.refresh()
        training = console.export_text()
        view.finished(spec)
        view.progress.refresh()
        one_done = console.export_text()
    assert "starting 2 worker processes (torch, data)" in starting and "runs 1/3" in starting
    assert "t · o · s · lr=0.1 · seed 0" in starting and "0/100" in starting
    assert "starting 2 worker" not in training  # training is under way: the start-up line is gone
    assert "50/100" in training and "ETA" in training
    main = next(line for line in one_done.splitlines() if line.startswith("demo"))
    assert "runs 2/3" in main  # the main bar: 150 of 200 steps done, whatever the runs' order
    assert view.progress.tasks[0].completed == 150


BLOCK = """
import sys
from importlib.abc import MetaPathFinder

class Missing(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}")
        return None

sys.meta_path.insert(0, Missing())
from lrplan.lab.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize(
    "blocked, args, names",
    [
        ({"torch"}, ["demo"], "torch"),
        ({"sklearn", "jinja2"}, ["demo"], "scikit-learn, jinja2"),
        ({"torch"}, ["run", "quick"], "torch"),
        ({"jinja2"}, ["run", "quick"], "jinja2"),
        ({"matplotlib"}, ["report", "."], "matplotlib"),
    ],
)
def test_lab_commands_check_their_extra_before_starting_anything(tmp_path, blocked, args, names):
    import os
    import subprocess
    import sys

    out = tmp_path / "out"
    code = BLOCK.format(blocked=blocked)
    extra = [] if args[0] == "report" else ["--out", str(out)]
    result = subprocess.run([sys.executable, "-c", code, *args, *extra], capture_output=True, text=True, cwd=tmp_path)
    which = "is" if "," not in names else "are"
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"error: the lab needs {names}, which {which} not installed: pip install 'lrplan[lab]'\n"
    assert result.stdout == "" and not out.exists() and os.listdir(tmp_path) == []
