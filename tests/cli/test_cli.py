"""The ``lrplan`` command: every subcommand in a subprocess on realistic input, bad input in-process.

Expected numbers are computed by hand (closed forms in the comments), never by the code under test.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan
from lrplan import cli
from lrplan.cli import _app, _summary, auto_steps, braille_chart, main, resolve, summarize

SRC = str(Path(__file__).resolve().parents[2] / "src")
WARMUP_COSINE = "warmup(cosine(init_value=3e-4, decay_steps=10_000), steps=500)"


def run(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "COLUMNS": "100", "MPLBACKEND": "Agg"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "lrplan", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def rows(text: str) -> dict[str, list[str]]:
    """The `show` table as {first cell: the other cells}, first occurrence of each label."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        parts = line.split("  ")
        cells = [p.strip() for p in parts if p.strip()]
        if cells and cells[0] not in out:
            out[cells[0]] = cells[1:]
    return out


def not_blank(path: Path, size: tuple[int, int]) -> None:
    from matplotlib.image import imread

    img = imread(str(path))
    assert img.shape[:2] == (size[1], size[0])
    rgb = img[..., :3]
    ink = np.mean(np.any(rgb < 0.9, axis=-1))  # share of pixels that are not (near) white
    assert 0.01 < ink < 0.9, ink
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 5  # lines in several colours, not a flat image


# ----------------------------------------------------------------------------------- subprocesses
def test_show_draws_the_curve_and_tabulates_what_matters():
    out = run("show", WARMUP_COSINE, "--steps", "12000")
    assert out.returncode == 0, out.stderr
    assert "warmup(cosine(init_value=0.0003, decay_steps=10000), steps=500)" in out.stdout
    assert any(ch in out.stdout for ch in "⣀⠉⡇"), "no braille chart"
    assert "└" in out.stdout and "┴" in out.stdout  # axis with the phase boundaries ticked
    table = rows(out.stdout)
    assert table["start"][:2] == ["0", "0"]
    assert table["peak"][:2] == ["500", "0.0003"]
    assert table["end"] == ["11,999", "0", "constant from step 10,500"]
    assert table["phase boundary"][:2] == ["500", "0.0003"]
    assert "10,500" in out.stdout
    # 50% milestone, step 5,999: 3e-4 * (1 + cos(pi * 5499 / 10000)) / 2
    assert table["50% of steps"] == ["5,999", f"{3e-4 * (1 + math.cos(math.pi * 5499 / 10000)) / 2:.6g}"]
    # area: warmup sum_k<500 3e-4 k/500 = 3e-4 * 249.5; cosine sum_j<10000 3e-4 (1 + cos(pi j/1e4))/2 = 3e-4 * 5000.5
    assert table["area Σ lr"][:2] == ["0-11,999", f"{3e-4 * (249.5 + 5000.5):.6g}"] == ["0-11,999", "1.575"]
    assert "Traceback" not in out.stderr


def test_plot_writes_an_image_of_the_requested_size(tmp_path):
    target = tmp_path / "curves.png"
    out = run(
        "plot",
        WARMUP_COSINE,
        "wsd(peak_value=3e-4, warmup_steps=500, stable_steps=7000, decay_steps=2500)",
        "--steps",
        "12000",
        "-o",
        str(target),
        "--log",
        "--mark",
        "500",
        "--mark",
        "7500",
        "--size",
        "640x320",
    )
    assert out.returncode == 0, out.stderr
    assert f"wrote {target}" in out.stdout
    not_blank(target, (640, 320))


def test_sample_values_equal_the_library(tmp_path):
    spec = "step_decay(init_value=0.1, decay_rate=0.5, decay_steps=25)"
    out = run("sample", spec, "--steps", "0:100:7")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "step,lr"
    steps = [int(line.split(",")[0]) for line in lines[1:]]
    values = [float(line.split(",")[1]) for line in lines[1:]]
    assert steps == list(range(0, 100, 7))
    assert values == [0.1 * 0.5 ** (k // 25) for k in steps]  # halves every 25 steps
    assert values == lrplan.parse(spec)(np.array(steps)).tolist()  # bit for bit
    assert values == [lrplan.parse(spec)(k) for k in steps]


def test_compare_exits_nonzero_on_different_schedules():
    # |linear - 1| = k/100 up to step 100, then 1: the largest difference is first reached at step 100
    out = run("compare", "linear(init_value=1.0, end_value=0.0, decay_steps=100)", "constant(1.0)", "--steps", "150")
    assert out.returncode == 1, out.stdout + out.stderr
    table = rows(out.stdout)
    assert table["largest |A - B|"] == ["100", "0", "1", "1"]
    assert table["largest |A - B| / |B|"] == ["100", "0", "1", "1"]
    assert "compared over steps 0-149 (--steps)" in out.stdout
    # only step 0 agrees; |A - B| / |B| = k/100 is largest (1) from step 100 on
    assert (
        "DIFFERENT: 149 of 150 steps are outside rtol=1e-09, atol=1e-12, at steps 1 to 149; "
        "the largest relative difference is 1, at step 100."
    ) in out.stdout


def test_compare_exits_zero_on_a_schedule_and_its_round_tripped_spec(tmp_path):
    s = lrplan.warmup(lrplan.cosine(init_value=3e-4, decay_steps=10_000, end_value=3e-5), steps=500)
    config = tmp_path / "schedule.json"
    config.write_text(json.dumps(lrplan.to_config(s)))
    out = run("compare", str(config), str(s))
    assert out.returncode == 0, out.stdout + out.stderr
    # by default over the steps where they are used: up to the horizon, 500 + 10,000
    assert "compared over steps 0-10,499 (up to the longer horizon, step 10,500)" in out.stdout
    assert "same within rtol=1e-09, atol=1e-12 over steps 0-10,499." in out.stdout


def test_list_names_every_registered_schedule():
    out = run("list")
    assert out.returncode == 0, out.stderr
    first_cells = {line.split()[0] for line in out.stdout.splitlines() if line.strip()}
    # the built-ins (a test of this process may have registered a user schedule the command never sees)
    assert {name for name in lrplan.registered() if "." not in name} <= first_cells
    assert "Inverse square root decay after a warmup" in out.stdout


def test_explain_shows_formula_arguments_and_defaults():
    out = run("explain", "cosine")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("cosine  (lrplan.Cosine)\n")
    # the formula as readable text, not reST or LaTeX
    assert "    η(s) = η_end + (η₀ - η_end) [½(1 + cos(π min(s, K))/K)]^e\n" in out.stdout
    assert ".. math::" not in out.stdout and "\\" not in out.stdout and "``" not in out.stdout
    table = rows(out.stdout)
    assert table["init_value"][:3] == ["float", "required", "η₀, the value at step 0."]
    assert table["decay_steps"][:2] == ["float", "required"]
    assert table["end_value"][:2] == ["float", "0.0"]
    assert table["exponent"][:2] == ["float", "1.0"]
    assert "Example:" in out.stdout


def test_demo_shows_seven_classic_schedules_and_writes_a_comparison_plot(tmp_path):
    out = run("demo", "--out", str(tmp_path / "demo"))
    assert out.returncode == 0, out.stderr
    for title in cli.DEMO_SCHEDULES:
        assert title in out.stdout
    assert "inverse square root, constant for the first 10,000 steps (T5)" in out.stdout
    for s in cli.DEMO_SCHEDULES.values():
        assert str(s) in out.stdout
    assert out.stdout.count("area Σ lr") == 7
    # T5's 1/sqrt(max(n, k)) with k = 10,000: 0.01 until step 10,000, 1/sqrt(99,999) at the last step
    assert f"{1 / math.sqrt(99_999):.6g}" in out.stdout
    assert "seed" not in out.stdout.lower()
    not_blank(tmp_path / "demo" / "schedules.png", (1000, 500))


def test_spec_syntax_error_shows_a_caret_and_exits_2():
    text = "cosine(init_value=1e-3 decay_steps=1000)"
    out = run("show", text)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    assert lines[0].startswith("Error: Invalid syntax")
    assert lines[1] == "  " + text
    assert lines[2] == "  " + " " * text.index("1e-3") + "^"  # ast points at the start of the bad expression


def test_importing_lrplan_and_plot_loads_no_cli_dependency():
    heavy = ["typer", "rich", "matplotlib", "yaml", "click", "pydantic"]
    code = (
        "import sys, lrplan, lrplan.plot, lrplan.cli\n"
        f"heavy = {heavy!r}\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
        "from lrplan.cli import main\n"
        "main(['sample', 'constant(0.1)', '--steps', '2'])\n"
        "main(['show', 'cosine(init_value=1.0, decay_steps=10)', '--log', '--height', '4'])\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": SRC}
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == ""  # nothing heavy after `import lrplan, lrplan.plot, lrplan.cli`
    assert lines[-1] == ""  # show and sample start without typer, rich, click or pydantic


# ----------------------------------------------------------------------------------- bad input
def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


BAD = {
    "unknown name": (["show", "cosin(init_value=1.0, decay_steps=10)"], "Did you mean 'cosine'"),
    "unknown argument": (["show", "cosine(init_value=1.0, decay_step=10)"], "Did you mean 'decay_steps'?"),
    "invalid value": (["show", "cosine(init_value=1.0, decay_steps=-10)"], "`decay_steps` must be > 0"),
    "missing file": (["show", "missing.json"], "File not found: missing.json"),
    "malformed json": (["show", "{tmp}/bad.json"], "is not valid JSON: Expecting"),
    "malformed yaml": (["show", "{tmp}/bad.yaml"], "is not valid YAML"),
    "config with unknown name": (["show", "{tmp}/unknown.json"], "Did you mean 'cosine'"),
    "config that is a list": (["show", "{tmp}/list.yaml"], "expected a schedule config"),
    "negative steps": (["show", "constant(0.1)", "--steps", "-5"], "--steps must be >= 1. Received: --steps=-5."),
    "fractional steps": (["show", "constant(0.1)", "--steps", "2.5"], "--steps must be a whole number"),
    "unwritable output": (["plot", "constant(0.1)", "-o", "{tmp}/file.txt/x.png"], "Cannot write"),
    "unknown image format": (["plot", "constant(0.1)", "-o", "{tmp}/x.gif"], "Unknown image format '.gif'"),
    "bad size": (["plot", "constant(0.1)", "-o", "{tmp}/x.png", "--size", "big"], "--size is WIDTHxHEIGHT"),
    "labels mismatch": (["plot", "constant(0.1)", "-o", "{tmp}/x.png", "--label", "a", "--label", "b"], "--label"),
    "empty range": (["sample", "constant(0.1)", "--steps", "10:5"], "STOP must be greater than START"),
    "negative start": (["sample", "constant(0.1)", "--steps", "-3:5"], "START must be >= 0"),
    "bad format": (["sample", "constant(0.1)", "--format", "xml"], "--format must be csv or json"),
    "unwritable sample": (["sample", "constant(0.1)", "-o", "{tmp}/file.txt/x.csv"], "Cannot write"),
    "explain unknown": (["explain", "cosin"], "Did you mean 'cosine'"),
    "unknown preset source": (["show", "torhc.StepLR(lr=0.1, step_size=3)"], "Did you mean 'torch'?"),
    "missing option": (["plot", "constant(0.1)"], "Missing option '--output'"),
    "unknown command": (["shwo"], "No such command 'shwo'"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_input_gets_one_clear_message_and_a_nonzero_exit(case, tmp_path, capsys):
    _write(tmp_path, "bad.json", '{"name": "cosine", "args": {"init_value": 1.0,, }}')
    _write(tmp_path, "bad.yaml", "name: cosine\nargs: [unclosed\n")
    _write(tmp_path, "unknown.json", '{"format": 1, "name": "cosinee", "args": {}}')
    _write(tmp_path, "list.yaml", "- 1\n- 2\n")
    _write(tmp_path, "file.txt", "not a folder")
    argv, expected = BAD[case]
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    captured = capsys.readouterr()
    assert code == 2
    assert "Traceback" not in captured.err + captured.out
    assert expected in captured.err
    error_lines = [line for line in captured.err.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1
    if not case.startswith(("unknown name", "unknown argument", "invalid value", "missing option", "unknown command")):
        assert captured.err.strip().count("\n") == 0  # exactly one line


HF_COSINE = "hf.get_cosine_schedule_with_warmup(1e-3, 100, 1000)"  # rises again after step 1,000 (cosine_wave)
OPTAX_COSINE = "optax.warmup_cosine_decay_schedule(init_value=0.0, peak_value=1e-3, warmup_steps=100, decay_steps=1000)"


def test_compare_by_default_covers_the_steps_where_the_schedules_are_used(capsys):
    # HF's cosine has no horizon; optax's holds 0 from step 1,000: they are used over steps 0-999, and agree there
    assert main(["compare", HF_COSINE, OPTAX_COSINE]) == 0
    out = capsys.readouterr().out
    assert "compared over steps 0-999 (up to the longer horizon, step 1,000)" in out
    assert "same within rtol=1e-09, atol=1e-12 over steps 0-999." in out


def test_compare_says_where_the_difference_lies(capsys):
    # past step 1,000 HF's cosine rises again: 1e-3 (1 - cos(pi (k - 1000)/900))/2 > 0 while optax holds 0
    assert main(["compare", OPTAX_COSINE, HF_COSINE, "--steps", "1200"]) == 1
    out = capsys.readouterr().out
    rows = {line.split("  ")[0]: line.split()[-4:] for line in out.splitlines() if line.startswith("largest")}
    # |A - B| is largest at the last step, 1,199: 1e-3 (1 - cos(pi 199/900))/2 = 0.000115858
    assert rows["largest |A - B|"] == ["1,199", "0", "0.000115858", "0.000116"]
    # |A - B| / |B| is 1 wherever B > 0 = A: first reached at step 1,001
    assert rows["largest |A - B| / |B|"] == ["1,001", "0", "3.04617e-09", "1"]
    assert (
        "DIFFERENT: 199 of 1,200 steps are outside rtol=1e-09, atol=1e-12, at steps 1,001 to 1,199; "
        "the largest relative difference is 1, at step 1,001."
    ) in out


def test_compare_mismatch_exit_status_is_1_in_process(capsys):
    assert main(["compare", "constant(0.1)", "constant(0.2)", "--steps", "10"]) == 1
    assert "DIFFERENT: 10 of 10 steps are outside rtol=1e-09, atol=1e-12, at steps 0 to 9;" in capsys.readouterr().out
    assert main(["compare", "constant(0.1)", "constant(0.1000001)", "--steps", "10", "--rtol", "1e-5"]) == 0


# ----------------------------------------------------------------------------------- presets
@pytest.fixture
def fake_torch_presets(monkeypatch):
    module = types.ModuleType("lrplan.presets.torch")

    def CosineAnnealingLR(base_lr, T_max, eta_min=0.0):
        return lrplan.cosine(init_value=base_lr, decay_steps=T_max, end_value=eta_min)

    def LinearWarmup(schedule, steps):
        return lrplan.warmup(schedule, steps=steps)

    module.CosineAnnealingLR = CosineAnnealingLR
    module.LinearWarmup = LinearWarmup
    module.__all__ = ["CosineAnnealingLR", "LinearWarmup"]
    monkeypatch.setitem(sys.modules, "lrplan.presets.torch", module)
    return module


def test_preset_calls_resolve_with_literal_arguments(fake_torch_presets):
    expected = lrplan.cosine(init_value=0.1, decay_steps=100, end_value=0.001)
    assert resolve("torch.CosineAnnealingLR(base_lr=0.1, T_max=100, eta_min=1e-3)") == expected
    assert resolve("preset:torch.CosineAnnealingLR(0.1, 100, eta_min=0.001)") == expected
    nested = resolve("torch.LinearWarmup(cosine(init_value=1.0, decay_steps=10), steps=5)")
    assert nested == lrplan.warmup(lrplan.cosine(init_value=1.0, decay_steps=10), steps=5)


def test_preset_errors_are_clean(fake_torch_presets, capsys):
    with pytest.raises(lrplan.SpecError, match="literal values"):
        resolve("torch.CosineAnnealingLR(base_lr=os.environ, T_max=100)")
    with pytest.raises(lrplan.SpecError, match="Unknown schedule '__import__'"):  # calls are schedules, never run
        resolve("torch.CosineAnnealingLR(base_lr=__import__('os'), T_max=100)")
    with pytest.raises(cli.CliError, match="unexpected keyword argument 'T_maxx'"):
        resolve("torch.CosineAnnealingLR(base_lr=0.1, T_maxx=100)")
    with pytest.raises(lrplan.UnknownScheduleError, match=re.escape("Did you mean 'torch.CosineAnnealingLR'")):
        resolve("torch.CosineAnealingLR(base_lr=0.1, T_max=100)")
    assert main(["sample", "torch.CosineAnnealingLR(base_lr=1.0, T_max=4)", "--steps", "0:5:2"]) == 0
    assert capsys.readouterr().out == "step,lr\n0,1.0\n2,0.5\n4,0.0\n"  # (1 + cos(pi k/4)) / 2


def test_preset_source_that_is_not_installed_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "lrplan.presets.fairseq", None)  # import fails with ImportError
    with pytest.raises(cli.CliError, match="Presets for 'fairseq' are not available"):
        resolve("fairseq.inverse_sqrt(lr=5e-4, warmup_updates=4000)")


def test_a_plain_spec_is_read_before_a_file_of_the_same_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "constant(0.1)").write_text('{"name": "constant", "args": {"value": 0.2}}')
    assert resolve("constant(0.1)") == lrplan.constant(0.1)


def test_files_hold_configs_specs_or_adapter_states(tmp_path):
    s = lrplan.wsd(peak_value=1e-3, warmup_steps=10, stable_steps=50, decay_steps=20)
    import yaml

    (tmp_path / "a.yaml").write_text(yaml.safe_dump(lrplan.to_config(s)))
    (tmp_path / "b.yml").write_text(yaml.safe_dump(str(s)))
    (tmp_path / "c.json").write_text(json.dumps({"schedule": lrplan.to_config(s), "step": 12}))
    for name in ("a.yaml", "b.yml", "c.json"):
        assert resolve(str(tmp_path / name)) == s


# ----------------------------------------------------------------------------------- lab mount
def test_lab_is_mounted_only_when_it_exists(monkeypatch, capsys):
    import typer

    monkeypatch.setattr(_app, "_LAB_MOUNTED", False)
    monkeypatch.setattr(_app.app, "registered_groups", list(_app.app.registered_groups))
    monkeypatch.setitem(sys.modules, "lrplan.lab.cli", None)
    assert main(["lab", "run"]) == 2
    assert "`lrplan lab` is not available here" in capsys.readouterr().err

    lab_app = typer.Typer()

    @lab_app.command()
    def run(task: str) -> None:
        typer.echo(f"lab ran {task}")

    @lab_app.command()
    def report() -> None:
        pass

    monkeypatch.setitem(sys.modules, "lrplan.lab.cli", types.SimpleNamespace(app=lab_app))
    assert main(["lab", "run", "digits"]) == 0
    assert capsys.readouterr().out == "lab ran digits\n"


# ----------------------------------------------------------------------------------- in-process pieces
def test_sample_json_and_file_output(tmp_path, capsys):
    spec = "linear(init_value=1.0, end_value=0.0, decay_steps=4)"
    assert main(["sample", spec, "--steps", "6", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"schedule": spec, "step": [0, 1, 2, 3, 4, 5], "lr": [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]}
    target = tmp_path / "v.csv"
    assert main(["sample", spec, "--steps", "2:4", "-o", str(target)]) == 0
    assert target.read_text() == "step,lr\n2,0.5\n3,0.25\n"


def test_plot_svg_and_pdf(tmp_path, capsys):
    for name in ("c.svg", "c.pdf"):
        assert main(["plot", "cosine(init_value=1.0, decay_steps=50)", "-o", str(tmp_path / name)]) == 0
    assert "<svg" in (tmp_path / "c.svg").read_text()
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")


def test_long_ranges_are_evaluated_in_chunks_with_progress(monkeypatch, capsys):
    monkeypatch.setattr(_summary, "CHUNK", 7)
    monkeypatch.setattr(_summary, "PROGRESS_ABOVE", 10)
    spec = "cosine(init_value=1.0, decay_steps=50)"
    assert main(["sample", spec, "--steps", "0:60:3"]) == 0
    got = [float(line.split(",")[1]) for line in capsys.readouterr().out.splitlines()[1:]]
    assert got == lrplan.parse(spec)(np.arange(0, 60, 3)).tolist()
    assert got == pytest.approx([0.5 * (1 + math.cos(math.pi * min(k, 50) / 50)) for k in range(0, 60, 3)])


def test_summary_by_hand():
    # linear 1 -> 0.5 over 5 steps, 10 steps: 1, .9, .8, .7, .6, then .5 five times; area 4 + 2.5 = 6.5
    s = summarize(lrplan.linear(init_value=1.0, end_value=0.5, decay_steps=5), 10, bins=4)
    assert (s.first, s.peak, s.peak_step, s.last, s.settled_step) == (1.0, 1.0, 0, 0.5, 5)
    assert s.area == pytest.approx(6.5)
    # cyclic 0.1 -> 1 over 10 steps and back over 20: lowest after the peak is 0.1 at step 30
    c = summarize(lrplan.cyclic(init_value=0.1, peak_value=1.0, up_steps=10, down_steps=20), 35)
    assert (c.peak_step, c.low_step) == (10, 0)
    assert (c.peak, c.low) == pytest.approx((1.0, 0.1))
    assert c.settled_step == 34  # still changing


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 400),
    chunk=st.integers(1, 50),
    decay=st.integers(1, 300),
    bins=st.integers(1, 100),
)
def test_summary_is_independent_of_chunking(n, chunk, decay, bins):
    s = lrplan.cosine(init_value=1.0, decay_steps=decay)
    values = s(np.arange(n))
    old = _summary.CHUNK
    _summary.CHUNK = chunk
    try:
        summary = summarize(s, n, bins=bins)
    finally:
        _summary.CHUNK = old
    assert summary.area == pytest.approx(float(values.sum()))
    assert summary.peak == values.max() and summary.low == values.min()
    changed = np.flatnonzero(values[1:] != values[:-1])
    assert summary.settled_step == (int(changed[-1]) + 1 if changed.size else 0)
    assert np.all(summary.lows <= summary.highs)
    assert summary.lows.min() == values.min() and summary.highs.max() == values.max()


def test_braille_chart_by_hand():
    chart, bottom, top = braille_chart([1, 1, 0.5, 0.5, 0, 0], [1, 1, 0.5, 0.5, 0, 0], height=2)
    # 8 pixel rows: 1 -> row 7, 0.5 -> round(3.5) = 4, 0 -> 0. Sub-columns 0-1 light the top dot of char 0
    # (0x01 | 0x08 = ⠉); sub-column 2 draws 4..6 (joined to 7 above): 0x40 | 0x04 | 0x02, sub-column 3 pixel 4:
    # 0x80, so char 1 is 0xC6 = ⣆; sub-column 4 draws 0..3 in the lower row (0x47) and 5 pixel 0 (0x80): ⣇
    assert (bottom, top) == (0.0, 1.0)
    assert chart == ["\u2809\u28c6\u2800", "\u2800\u2800\u28c7"] == ["⠉⣆⠀", "⠀⠀⣇"]
    log_chart, lo, hi = braille_chart([1e-3, 1e-2, 1e-1], [1e-3, 1e-2, 1e-1], height=1, log=True)
    assert (lo, hi) == pytest.approx((1e-3, 1e-1))
    assert len(log_chart) == 1 and len(log_chart[0]) == 2


def test_auto_steps_by_hand():
    assert auto_steps(lrplan.parse(WARMUP_COSINE)) == 12_000  # 10,500 * 1.1 + 1 -> 11,551 -> 12,000
    assert auto_steps(lrplan.power_law(init_value=1.0, scale_steps=100, exponent=-0.5)) == 1_000  # 10 x scale
    assert auto_steps(lrplan.constant(0.1)) == 1_000


def test_gallery_shows_every_registered_schedule():
    docs = Path(__file__).resolve().parents[2] / "docs"
    gallery = (docs / "gallery.md").read_text()
    for name in lrplan.registered():
        assert f"](images/{name}.png)" in gallery
        image = docs / "images" / f"{name}.png"
        assert image.exists() and image.stat().st_size < 60_000
    assert (docs / "images" / "demo.png").exists()


@pytest.mark.parametrize("missing", ["typer", "rich"])
def test_without_the_cli_extra_the_command_says_what_to_install(missing):
    code = (
        "import sys\n"
        f"sys.modules[{missing!r}] = None  # as if not installed\n"
        "from lrplan.cli import main\n"
        "sys.exit(main(['show', 'constant(0.1)']))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": SRC}
    )
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr == (
        f"Error: the lrplan command needs the CLI extra: pip install 'lrplan[cli]' ({missing} not installed).\n"
    )
