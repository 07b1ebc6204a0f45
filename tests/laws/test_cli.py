"""The laws' commands, run through their own entry point (the main command mounts the same functions)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import lrplan
import lrplan.laws as L
from lrplan.laws.cli import main

MANIFEST = str(L.example_manifest("25M"))
COSINE = "warmup(cosine(init_value=3e-4, decay_steps=21840, end_value=3e-5), steps=2160)"
WSD = "wsd(peak_value=3e-4, warmup_steps=2160, stable_steps=17840, decay_steps=4000, end_value=3e-5)"
MOMENTUM = "momentum(L0=3.07, A=0.49, alpha=0.57, C=0.4)"


def test_fit_prints_per_run_errors_and_writes_the_law(tmp_path, capsys):
    out = tmp_path / "law.json"
    assert main(["fit", MANIFEST, "--law", "momentum", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith("momentum(L0=3.06")
    rows = {line.split()[0]: line.split() for line in text.splitlines()[2:5]}
    assert list(rows) == ["cosine_24000", "constant_24000", "wsdcon_9"]
    assert rows["cosine_24000"][1] == "171" and rows["cosine_24000"][2] == "0.064%"
    assert "uncertainty: jackknife (3 refits)" in text
    law = L.law_from_config(json.loads(out.read_text()))
    assert isinstance(law, L.MomentumLaw) and law.report is not None and len(law.report.runs) == 3


def test_fit_reads_csv_with_a_schedule_and_json_runs(tmp_path, capsys):
    runs = L.load_manifest(MANIFEST)
    paths = []
    for run in runs[:2]:
        path = tmp_path / f"{run.name}.csv"
        path.write_text("step,loss\n" + "".join(f"{s},{x}\n" for s, x in zip(run.steps, run.loss, strict=True)))
        paths.append(str(path))
    extra = tmp_path / "more.json"
    third = runs[2]
    extra.write_text(
        json.dumps({"name": "w", "schedule": str(third.schedule), "steps": list(third.steps), "loss": list(third.loss)})
    )
    # both CSV files hold step,loss only: one --schedule serves them (here the cosine's for both is wrong
    # for the constant run, so give the files one at a time)
    assert (
        main(
            [
                "fit",
                paths[0],
                "--schedule",
                str(runs[0].schedule),
                str(extra),
                "--law",
                "momentum",
                "--uncertainty",
                "none",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "cosine_24000" in text and "\nw " in text


def test_predict_table_json_and_plot(tmp_path, capsys):
    assert main(["predict", MOMENTUM, COSINE, WSD, "--steps", "24000", "--rows", "3"]) == 0
    text = capsys.readouterr().out
    assert sum(line.startswith("step ") for line in text.splitlines()) == 2 and "23,999" in text
    assert main(["predict", MOMENTUM, COSINE, "-f", "json"]) == 0
    (curve,) = json.loads(capsys.readouterr().out)
    assert len(curve["loss"]) == 24_000  # the schedule's horizon
    expected = L.parse_law(MOMENTUM).predict(lrplan.parse(COSINE), 23_999)
    assert curve["loss"][-1] == pytest.approx(expected, rel=1e-12)
    assert curve["low"][-1] == curve["loss"][-1]  # a law written by hand has no band
    image = tmp_path / "curves.png"
    assert main(["predict", MOMENTUM, COSINE, WSD, "--plot", str(image)]) == 0
    assert image.stat().st_size > 10_000


def test_optimize_prints_the_schedule_and_the_baselines(capsys):
    assert (
        main(["optimize", MOMENTUM, "--steps", "24000", "--peak", "3e-4", "--warmup", "2160", "--family", "wsd"]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("wsd(peak_value=0.0003, warmup_steps=2160")
    assert [line.split()[0] for line in lines[2:]] == ["optimized", "cosine", "wsd"]
    assert (
        main(["optimize", MOMENTUM, "-n", "24000", "--peak", "3e-4", "--warmup", "2160", "-f", "json", "--knots", "4"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["family"] == "free" and [b["name"] for b in data["baselines"]] == ["cosine", "wsd"]
    assert all(b["gain"] > 0 for b in data["baselines"])


def test_transfer(capsys):
    assert (
        main(
            ["transfer", "3e-4", "cosine(init_value=1.0, decay_steps=1000)", "cosine(init_value=1.0, decay_steps=4000)"]
        )
        == 0
    )
    assert float(capsys.readouterr().out) == pytest.approx(3e-4 * 0.015340237694949632 / 0.030624082175425643, rel=1e-5)
    assert main(["transfer", "1e-3", "constant(1.0)", "constant(1.0)", "--from-steps", "100", "--to-steps", "400"]) == 0
    assert float(capsys.readouterr().out) < 1e-3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["predict", "nope", COSINE], "Error: parse_law: `text` must be a call of a law name"),
        (["predict", MOMENTUM, "cosin(1)"], "Error: Unknown schedule 'cosin'"),
        (["predict", MOMENTUM, "constant(0.1)"], "Error: predict: 'constant(0.1)' has no horizon; give --steps N."),
        (["fit", "missing.txt"], "Error: missing.txt: not a run file"),
        (
            ["optimize", MOMENTUM, "-n", "100", "--peak", "1e-3", "--family", "step"],
            "Error: optimize: `--family` must be one of",
        ),
        (
            ["transfer", "-1", "constant(1.0)", "constant(1.0)", "--from-steps", "10", "--to-steps", "10"],
            "No such option",
        ),
    ],
)
def test_bad_input_is_one_line_and_status_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_python_dash_m():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "lrplan.laws",
            "transfer",
            "1e-3",
            "constant(1.0)",
            "constant(1.0)",
            "--from-steps",
            "100",
            "--to-steps",
            "100",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert np.isclose(float(out.stdout), 1e-3)
