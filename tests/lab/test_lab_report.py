"""The report: HTML with curves, a results table and the claims; it renders in headless Chromium."""

import base64
import json
import math
import re
import shutil
import subprocess

import pytest

from lrplan.lab import LabError
from lrplan.lab.report import load_records, write_report
from lrplan.lab.store import record_problem
from lrplan.lab.studies import RANGE_TEST, analyse_range_test, builtins, run_builtin
from lrplan.lab.study import study_from_dict
from lrplan.lab.sweep import run_study

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("lab") / "quick"
    # the quick built-in, shrunk: its stages, manifest and claim checks run as in `lrplan lab demo`
    run_builtin("quick", out, overrides={"steps": 30, "eval_every": 10}, backend="inline", progress=False)
    return write_report(out)


def test_report_has_curves_table_claims_and_configuration(report):
    html = report.read_text()
    # one figure, embedded: the page is a single file with no external image link
    assert html.count("<img ") == 1 and html.count('src="') == 1
    png = base64.b64decode(re.search(r'<img data-figure="digits-mlp-30" src="data:image/png;base64,([^"]+)"', html)[1])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert list(report.parent.glob("*.png")) == []
    # one table row per optimizer x schedule, with mean ± std over the 2 seeds
    for schedule in ("constant", "inverse-sqrt (T5)", "linear to floor", "exponential"):
        assert f"<td>{schedule}</td>" in html
    assert len(re.findall(r"\d+\.\d\d ± \d+\.\d\d %", html)) == 8
    assert "steps to accuracy ≥ 0.95" in html
    assert "Did the run meet it?" in html and "descriptive" in html and "Regime." in html
    assert "linear(init_value=1.0, end_value=0.05, decay_steps=22)" in html  # {steps*0.75} for 30 steps


def test_report_of_an_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(LabError, match="no run records found"):
        write_report(tmp_path)


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (Debian/Ubuntu package: chromium) for the headless check")
def test_report_renders_in_headless_chromium(report):
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--virtual-time-budget=10000",
        "--dump-dom",
        report.as_uri(),
    ]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout
    assert "lrplan lab: quick" in dom
    assert 'data-images-loaded="1/1"' in dom


def test_range_test_pairs_each_lr_with_the_loss_after_its_update():
    # lab curves: train_loss[k] is measured before update k, so lr[k] goes with train_loss[k + 1]
    lrs = [float(v) for v in RANGE_TEST(range(120))]
    assert lrs[0] == 1e-4 and lrs[60] == pytest.approx(1e-4 * 1e5 ** (60 / 299))  # 1.0077e-3, nearest to 1e-3
    after = [2.5 - 2.0 / (1 + math.exp(-6 * (math.log10(v) + 3.0))) for v in lrs]  # falls fastest at lr = 1e-3
    record = {"curves": {"lr": lrs, "train_loss": [2.5, *after[:-1]]}}
    s = analyse_range_test(record, beta=0.0)
    assert s.verdict == "ok" and len(s.lrs) == 119
    assert s.lr == lrs[60]  # pairing lr[k] with train_loss[k] would give lrs[61]
    # a run stopped by a non-finite loss (recorded as None) is cut there
    stopped = {"curves": {"lr": lrs[:101], "train_loss": [2.5, *after[:99], None]}}
    s = analyse_range_test(stopped, beta=0.0)
    assert s.diverged_at == 99 and s.verdict == "ok" and s.lr == lrs[60]


def test_builtin_studies_validate_and_say_what_they_expect():
    from lrplan.lab.studies import first_stage

    sizes = {name: len(first_stage(name).runs()) for name in builtins()}
    assert sizes == {"quick": 16, "e1": 18, "e2": 32, "e3": 3, "e4": 84, "e5": 15, "laws": 6, "lrfree": 12}
    assert all(len(b.expectation) > 40 for b in builtins().values())
    e1 = first_stage("e1")
    assert {s["label"]: s["spec"] for s in e1.schedules}["WSD 20% 1-sqrt"] == (
        "wsd(peak_value=1.0, warmup_steps=50, stable_steps=750, decay_steps=200)"
    )


def test_e3_runs_both_stages_and_checks_its_claim(tmp_path):
    run_builtin("e3", tmp_path, overrides={"seeds": 1}, backend="inline", progress=False)
    html = write_report(tmp_path).read_text()
    assert "LR range test" in html and "one-cycle peak" in html
    assert re.search(
        r"one-cycle at the range-test LR &gt;= naive constant LR at 100 steps \(test accuracy\)</td>\s*<td><span class=\"(met|notmet)\">",
        html,
    )


def test_flags_study_report_without_builtin(tmp_path):
    st = study_from_dict(
        {
            "name": "plain",
            "steps": 10,
            "eval_every": 5,
            "tasks": ["digits-logreg"],
            "optimizers": ["sgd"],
            "schedules": ["constant(1.0)"],
            "lrs": [0.1, 0.2],
        }
    )
    run_study(st, tmp_path, backend="inline", progress=False)
    html = write_report(tmp_path).read_text()
    assert "Did the run meet it?" not in html and '<td class="num">0.2</td>' in html


def test_builtin_claims_compare_schedules_paired_by_seed():
    from lrplan.lab.studies.base import by_schedule, compare

    def rec(schedule, seed, loss):
        labels = {"task": "t", "optimizer": "o", "schedule": schedule}
        return {"labels": labels, "run": {"seed": seed, "lr": 1.0}, "metric": "val_loss", "final": {"val_loss": loss}}

    # seed 1 is worse for both schedules; "b" is better than "a" by 0.1, 0.2 and 0.0 on seeds 0, 1, 2
    f = by_schedule(
        [rec("a", s, v) for s, v in ((2, 1.5), (0, 1.1), (1, 2.2))]
        + [rec("b", 0, 1.0), rec("b", 1, 2.0), rec("b", 2, 1.5)]
    )
    assert f["a"] == [1.1, 2.2, 1.5] and f["a"].seeds == [0, 1, 2]
    # differences b - a: -0.1, -0.2, 0.0: mean -0.1, sample sd 0.1, standard error 0.1 / sqrt(3) = 0.058
    assert compare(f["b"], f["a"]) == (
        "difference -0.100, standard error 0.058 (paired over 3 seeds, higher in 0 of 3) (within 2 s.e.: seed noise)"
    )
    # without matching seeds: unpaired, sqrt(sd_b^2 / 3 + sd_a^2 / 3) = sqrt(0.25 / 3 + 0.31 / 3) = 0.432
    assert compare(f["b"], [1.1, 2.2, 1.5]) == (
        "difference -0.100, standard error 0.432 (unpaired) (within 2 s.e.: seed noise)"
    )


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished 4-run study (2 lrs x 2 seeds), records only."""
    out = tmp_path_factory.mktemp("finished")
    st = study_from_dict(
        {
            "name": "four",
            "steps": 6,
            "eval_every": 3,
            "seeds": 2,
            "tasks": ["digits-logreg"],
            "optimizers": ["sgd"],
            "schedules": ["constant(1.0)"],
            "lrs": [0.1, 0.2],
        }
    )
    run_study(st, out, backend="inline", progress=False)
    return out, [r.key() for r in st.runs()]


def corrupt(record, path, value):
    """``record`` with the field at ``path`` (a tuple of keys) set to ``value`` (deleted if value is DELETE)."""
    out = json.loads(json.dumps(record))
    *parents, last = path
    target = out
    for p in parents:
        target = target[p]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return out


DELETE = object()
WRONG_SHAPES = [
    (("metric",), DELETE, "field 'metric' is missing"),
    (("curves",), [], "field 'curves' has the wrong type (expected dict)"),
    (("format",), 2, "record format 2 (this version reads 1)"),
    (("format",), True, "field 'format' has the wrong type (expected int)"),
    (("status",), "running", "field 'status' or 'mode' has an unknown value"),
    (("labels", "schedule"), 3, "run.schedule or labels.schedule is not a string"),
    (("run", "seed"), "0", "run.seed is not a number"),
    (("run", "task_options"), None, "run.task_options or run.optimizer_options is not an object"),
    (("final", "accuracy"), "97%", "field 'final' holds a value that is not a number"),
    (("curves", "lr"), [0.1, None], "curves.lr or curves.train_loss is not a list of numbers"),
    (("curves", "eval", "step"), {"0": 0}, "curves.eval.step is not a list of numbers"),
    (("curves", "eval", "accuracy"), [0.5], "curves.eval.accuracy is not a list of numbers, one per evaluation step"),
]


@pytest.mark.parametrize("path, value, problem", WRONG_SHAPES)
def test_record_problem_names_what_is_wrong(finished, path, value, problem):
    out, keys = finished
    record = json.loads((out / "runs" / f"{keys[0]}.json").read_text())
    assert record_problem(record) is None
    assert record_problem(corrupt(record, path, value)) == problem


def test_report_skips_unusable_records_with_one_warning_each(finished, tmp_path):
    src, keys = finished
    out = tmp_path / "copy"
    shutil.copytree(src, out)
    runs = out / "runs"
    good = json.loads((runs / f"{keys[0]}.json").read_text())
    (runs / f"{keys[0]}.json").write_text(json.dumps(corrupt(good, ("curves", "eval"), [1, 2])))  # valid JSON
    (runs / f"{keys[1]}.json").write_bytes(b"\x00\xff garbage")  # unreadable
    (runs / f"{keys[2]}.json").write_text("[" * 100_000 + "]" * 100_000)  # nested past the recursion limit
    warnings = []
    _, records = load_records(out, warn=warnings.append)
    assert [r["key"] for r in records] == [keys[3]]
    assert warnings == [
        f"{runs / keys[0]}.json: skipped (not a lab record: curves.eval.step is not a list of numbers)",
        f"{runs / keys[1]}.json: skipped (not valid JSON (Expecting value: line 1 column 1 (char 0)))",
        f"{runs / keys[2]}.json: skipped (nested too deeply to read)",
    ]
    (runs / f"{keys[3]}.json").unlink()
    (runs / f"{keys[0]}.json").write_text(json.dumps(good))  # repaired
    warnings.clear()
    html = write_report(out, warn=warnings.append).read_text()
    assert warnings[-1] == f"1 of the 4 runs in {out / 'study.json'} have no record yet"
    assert "1 runs" in html and "3 warnings while reading the results." in html
    assert "nested too deeply to read" in html


def test_report_ignores_a_manifest_of_the_wrong_shape(finished, tmp_path):
    src, keys = finished
    out = tmp_path / "copy"
    shutil.copytree(src, out)
    (out / "study.json").write_text(json.dumps({"keys": ["../../etc/passwd"], "study": {}}))
    warnings = []
    manifest, records = load_records(out, warn=warnings.append)
    assert manifest is None and sorted(r["key"] for r in records) == sorted(keys)
    assert warnings == [
        f"{out / 'study.json'}: ignored ('keys' is not a list of run keys); reporting every record in {out / 'runs'}"
    ]
