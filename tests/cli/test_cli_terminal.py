# ruff: noqa: RUF001 (the expected text holds Greek letters)
"""The terminal: readable formulas, wrapping at the width, help with examples, completion, the quick path."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import lrplan
from lrplan.cli import _app, _docs, _fast, guarded, main
from lrplan.cli._term import Column, Terminal

SRC = str(Path(__file__).resolve().parents[2] / "src")
RAW = re.compile(r"\.\. math::|:math:|:func:|:class:|``|\\[A-Za-z]|\\\\|\$")


def lrplan_cli(
    *args: str, env: dict[str, str] | None = None, cwd: str | None = None
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": SRC, "COLUMNS": "100", **(env or {})}
    full.pop("FORCE_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "lrplan", *args], capture_output=True, text=True, env=full, cwd=cwd, timeout=120
    )


# ----------------------------------------------------------------------------------- formulas as text
@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"\eta(s) = \eta_0\, r^{s/K}", "η(s) = η₀ r^(s/K)"),
        (r"\eta(s) = \min(\max(f(s), \eta_{min}), \eta_{max})", "η(s) = min(max(f(s), η_min), η_max)"),
        (r"\eta_K + (\eta_0 - \eta_K)\left(1 - \frac{\min(s, K)}{K}\right)^{p}", "η_K + (η₀ - η_K)(1 - min(s, K)/K)^p"),
        (r"\eta \sqrt{\dfrac{\tau}{s - W + \tau}}", "η √(τ/(s - W + τ))"),
        (r"\max\!\left(\eta_0\, r^{\lfloor s/K \rfloor},\ \eta_{end}\right)", "max(η₀ r^(⌊s/K⌋), η_end)"),
        (r"\tfrac12(1 + \cos \pi q)", "½(1 + cos π q)"),
        (r"K_i = K m^i, \quad S_i = K(m^i - 1)/(m - 1)", "Kᵢ = K mⁱ, Sᵢ = K(mⁱ - 1)/(m - 1)"),
        (r"\hat\eta_i = \eta_0 d^{\,i}", "η̂ᵢ = η₀ dⁱ"),
        (r"\text{1-sqrt}", "1-sqrt"),
    ],
)
def test_latex_becomes_readable_text(tex, text):
    assert _docs.latex(tex) == text


def test_a_cases_formula_is_one_aligned_line_per_case():
    text = _docs.render(
        ".. math::\n    \\eta(s) = \\begin{cases} \\eta_0 + (\\eta_K - \\eta_0)\\, s/K & s < K \\\\ "
        "\\eta_K & s \\ge K \\end{cases}\n\nwith K = ``decay_steps``.",
        80,
    )
    assert text.split("\n") == [
        "    η(s) = η₀ + (η_K - η₀) s/K    if s < K",
        "           η_K                    if s ≥ K",
        "",
        "with K = decay_steps.",
    ]


@pytest.mark.parametrize("name", sorted(lrplan.registered()))
def test_explain_prints_no_rest_or_latex(name, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["explain", name]) == 0
    out = capsys.readouterr().out
    prose = [line for line in out.splitlines() if not line.lstrip().startswith((">>>", "..."))]
    examples = out.split("Example:")[0] if "Example:" in out else out
    assert not RAW.search("\n".join(prose).replace("\\n", "")), [line for line in prose if RAW.search(line)]
    assert out.startswith(f"{name}  (lrplan.")
    assert "seed" not in examples.lower()


def test_explain_of_a_preset_shows_its_arguments_and_readable_formula(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["explain", "torch.StepLR"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("torch.StepLR(*, base_lr, step_size, gamma=0.1, last_epoch=-1)\n")
    assert "    η(t) = b γ^(⌊t / step_size⌋)\n" in out
    assert not RAW.search(out.split("Example:")[0])


def test_list_prints_no_rest_latex_or_bookkeeping(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert not RAW.search(out) and "seed" not in out.lower()
    expected = r"exponential +schedule +Exponential decay: η\(s\) = η₀ r\^\(s/K\), optionally stepwise and floored\."
    assert re.search(f"^{expected}$", out, flags=re.M)
    assert main(["list", "--presets"]) == 0
    presets = capsys.readouterr().out
    assert "t5.T2T_FACTORS" not in presets and "torch.OneCycleLR" in presets  # presets are functions


def test_explain_wraps_at_the_terminal_width_at_word_boundaries(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    assert main(["explain", "cosine_restarts"]) == 0
    out = capsys.readouterr().out
    for line in out.splitlines():
        if line.lstrip().startswith((">>>", "...", "η(s)", "cosine_restarts(")):
            continue  # examples and formulas are kept whole
        assert len(line) <= 60 or " " not in line.strip(), line
    doc = " ".join(_docs.inline(_docs.sections(lrplan.CosineRestarts.__doc__ or "")[0]).split())
    for word in ("periodic", "CosineAnnealingWarmRestarts", "max_cycles=None"):  # never split across lines
        assert word in doc and word in out


def test_a_table_wraps_its_last_column_and_keeps_the_others():
    term = Terminal(io.StringIO(), width=50, color=False)
    term.table(
        [("end_value", "0.0", "the value held from decay_steps on, and the floor of every cycle")],
        [Column("argument"), Column("default", "right"), Column("meaning", wrap=True)],
    )
    assert term.stream.getvalue().split("\n") == [
        "argument   default  meaning",
        "end_value      0.0  the value held from",
        "                    decay_steps on, and the floor",
        "                    of every cycle",
        "",
    ]


def test_colour_only_on_request_or_on_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert Terminal(io.StringIO()).style("x", "bold") == "x"  # not a terminal
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert Terminal(io.StringIO()).style("x", "bold cyan") == "\x1b[1;36mx\x1b[0m"
    monkeypatch.setenv("NO_COLOR", "1")
    assert Terminal(io.StringIO()).style("x", "bold") == "x"


# ----------------------------------------------------------------------------------- help and completion
@pytest.mark.parametrize("command", ["show", "plot", "sample", "compare", "list", "explain", "demo"])
def test_every_command_help_ends_with_an_example(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert f"Example: lrplan {command}" in " ".join(out.replace("│", " ").split())
    assert "seed" not in out.lower()


def test_completion_scripts_and_completions(tmp_path):
    shown = lrplan_cli("--show-completion", "bash")
    assert shown.returncode == 0 and "_LRPLAN_COMPLETE=complete_bash" in shown.stdout
    home = tmp_path / "home"
    home.mkdir()
    installed = lrplan_cli("--install-completion", "bash", env={"HOME": str(home), "SHELL": "/bin/bash"})
    assert installed.returncode == 0, installed.stderr
    assert "lrplan" in (home / ".bashrc").read_text()
    asked = {"_LRPLAN_COMPLETE": "complete_bash", "COMP_WORDS": "lrplan sh", "COMP_CWORD": "1"}
    assert lrplan_cli(env=asked).stdout.split() == ["show"]
    asked = {"_LRPLAN_COMPLETE": "complete_bash", "COMP_WORDS": "lrplan show x --", "COMP_CWORD": "3"}
    assert lrplan_cli(env=asked).stdout.split() == ["--steps", "--log", "--height", "--help"]


# ----------------------------------------------------------------------------------- the quick path
def test_the_quick_path_reads_the_options_of_the_typer_commands():
    import typer

    group = typer.main.get_command(_app.app)
    for name, options in _fast.OPTIONS.items():
        params = [p for p in group.commands[name].params if p.param_type_name == "option" and p.name != "help"]
        assert set(options) == {opt for p in params for opt in p.opts}
        flags = {options[opt] for p in params if p.is_flag for opt in p.opts}
        assert flags == set(_fast.FLAGS) & set(options.values())


QUICK = [
    ["show", "cosine(init_value=1.0, decay_steps=100)"],
    ["show", "cosine(init_value=1.0, decay_steps=100)", "--steps=50", "--log", "--height", "4"],
    ["show", "--height", "3", "-n", "20", "linear(init_value=1.0, end_value=0.0, decay_steps=10)"],
    ["sample", "cosine(init_value=1.0, decay_steps=10)", "-n", "0:12:5"],
    ["sample", "cosine(init_value=1.0, decay_steps=10)", "--format", "json", "--steps", "3"],
    ["sample", "cosin(init_value=1.0, decay_steps=10)"],
    ["sample", "constant(0.1)", "--steps", "2.5"],
]


@pytest.mark.parametrize("argv", QUICK, ids=[" ".join(a) for a in QUICK])
def test_the_quick_path_answers_as_typer_does(argv, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    quick = _fast.quick_command(argv)
    assert quick is not None
    code = guarded(quick)
    fast = capsys.readouterr()
    assert _app.run(list(argv)) == code
    slow = capsys.readouterr()
    assert (fast.out, fast.err) == (slow.out, slow.err)


@pytest.mark.parametrize(
    "argv",
    [
        ["show", "constant(0.1)", "--help"],
        ["show", "constant(0.1)", "--steps", "-5"],
        ["show", "constant(0.1)", "--height", "99"],
        ["show", "constant(0.1)", "--bogus"],
        ["show"],
        ["show", "constant(0.1)", "constant(0.2)"],
        ["sample", "constant(0.1)", "--log"],
        ["sample", "constant(0.1)", "-n5"],
        ["sample", "constant(0.1)", "--", "x"],
        ["list"],
    ],
)
def test_anything_unusual_goes_to_typer(argv):
    assert _fast.quick_command(argv) is None
