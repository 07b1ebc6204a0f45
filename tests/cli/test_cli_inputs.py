"""Hostile and huge input to the ``lrplan`` command: one line on stderr, exit 2, bounded time and memory.

The subprocess cases run under a 1 GiB address-space limit and a timeout that only guards against a
hang; nothing is timed.
"""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

import lrplan
from lrplan.cli import _commands, _summary, _term, main

SRC = str(Path(__file__).resolve().parents[2] / "src")

BILLION_LAUGHS = "".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n',
        *(f"{b}: &{b} [{','.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)),
    ]
)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def run_limited(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "lrplan", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        preexec_fn=_limit_memory,
    )


def one_error_line(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), out.stderr
    return lines[0]


def test_a_yaml_billion_laughs_is_refused_after_a_bounded_walk(tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(BILLION_LAUGHS)
    assert len(BILLION_LAUGHS.encode()) < 400  # expands to 9**9 = 387,420,489 strings
    line = one_error_line(run_limited("show", str(path)))
    assert (
        line
        == f"Error: {path} holds more than 100,000 values (YAML aliases expanded); a schedule config is far smaller."
    )


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_not_read(device):
    line = one_error_line(run_limited("show", device))
    assert line == f"Error: {device} is not a regular file (a device, pipe or socket); give a schedule file."


def test_a_fifo_without_writer_does_not_hang(tmp_path):
    fifo = tmp_path / "schedule.json"
    os.mkfifo(fifo)
    line = one_error_line(run_limited("sample", str(fifo)))
    assert line == f"Error: {fifo} is not a regular file (a device, pipe or socket); give a schedule file."


def test_a_file_over_one_mebibyte_is_refused_and_one_at_the_limit_is_read(tmp_path, capsys):
    config = json.dumps(lrplan.to_config(lrplan.constant(0.25)))
    big = tmp_path / "big.json"
    big.write_text(config + " " * (1 << 20))
    assert main(["sample", str(big), "--steps", "1"]) == 2
    assert capsys.readouterr().err == f"Error: {big} is larger than 1 MiB; a schedule file is far smaller.\n"
    exact = tmp_path / "exact.json"
    exact.write_text(config + " " * ((1 << 20) - len(config)))
    assert exact.stat().st_size == 1 << 20
    assert main(["sample", str(exact), "--steps", "1"]) == 0
    assert capsys.readouterr().out == "step,lr\n0,0.25\n"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, "is nested too deeply to be a schedule config."),
        ("deep.yaml", "[" * 70 + "]" * 70, "is nested more than 64 levels deep; a schedule config is not."),
        ("huge.json", '{"name": "constant", "args": {"value": 1' + "0" * 400 + "}}", "holds an integer of 401 digits"),
        ("huge.yaml", "name: constant\nargs: {value: 1" + "0" * 400 + "}\n", "holds an integer of 401 digits"),
        ("longer.yaml", "name: constant\nargs: {value: 1" + "0" * 5000 + "}\n", "holds an integer too long to read"),
        ("binary.json", "\udcff", "it is not UTF-8 text"),
    ],
)
def test_files_too_deep_or_with_huge_numbers_get_one_line(tmp_path, capsys, name, text, expected):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    assert main(["show", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("Error: ") and str(path) in err and expected in err, err
    assert len(err) < 300


def test_sample_json_streams_in_chunks(monkeypatch):
    monkeypatch.setattr(_commands, "CHUNK", 1000)
    monkeypatch.setattr(_summary, "CHUNK", 1000)

    sizes: list[int] = []

    class Recorder(io.StringIO):
        def write(self, text: str) -> int:
            sizes.append(len(text))
            return super().write(text)

    out = Recorder()
    spec = lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=16_384)
    _commands.write_samples(out, spec, range(20_000), "json")
    data = json.loads(out.getvalue())
    assert data["step"] == list(range(20_000))
    assert (
        data["lr"][:3] == [1.0, 1 - 1 / 16_384, 1 - 2 / 16_384] and data["lr"][16_383:] == [1 / 16_384] + [0.0] * 3616
    )
    assert sum(sizes) > 300_000 and max(sizes) < 25_000  # 40 writes of one chunk each, never all at once


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "constant(0.1)", "--steps", "2e9"], "--steps must be at most 1,000,000,000 (the steps evaluated"),
        (["compare", "constant(0.1)", "constant(0.1)", "--steps", "1e12"], "--steps must be at most 1,000,000,000"),
        (["sample", "constant(0.1)", "--steps", "0:2e9"], "--steps covers 2,000,000,000 steps; at most 1,000,000,000"),
        (["sample", "constant(0.1)", "--steps", "0:1e16:1e9"], "--steps STOP must be at most 9,007,199,254,740,992"),
        (["sample", "constant(0.1)", "--steps", "1" * 400], "--steps must be a whole number. Received: --steps=111"),
        (["plot", "constant(0.1)", "-o", "x.png", "--steps", "1e16"], "--steps must be at most 9,007,199,254,740,992"),
    ],
)
def test_steps_are_bounded(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and len(err) < 300, err


def test_steps_are_read_exactly_up_to_two_to_the_53(capsys):
    assert main(["sample", "constant(0.1)", "--steps", "9_007_199_254_740_990:9_007_199_254_740_992"]) == 0
    assert capsys.readouterr().out == "step,lr\n9007199254740990,0.1\n9007199254740991,0.1\n"


def test_plot_draws_a_trillion_steps(tmp_path, capsys):
    target = tmp_path / "long.png"
    assert main(["plot", "cosine(init_value=1.0, decay_steps=5e11)", "-o", str(target), "--steps", "1e12"]) == 0
    assert capsys.readouterr().out == f"wrote {target} (800x400, steps 0-999,999,999,999)\n"


# ----------------------------------------------------------------------------------- closed pipes, huge values
def test_a_closed_pipe_ends_sample_quietly_with_status_141():
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lrplan", "sample", "cosine(init_value=1.0, decay_steps=10)", "--steps", "3000000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(8) == b"step,lr\n"
    proc.stdout.close()  # the reader goes away, as `| head -1` does
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 141  # 128 + SIGPIPE, not 1 (compare's "different")
    assert err == b""


def test_a_broken_pipe_in_process_is_status_141(monkeypatch):
    class Closed(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    silenced = []
    monkeypatch.setattr(_term, "silence_stdout", lambda: silenced.append(True))
    monkeypatch.setattr(sys, "stdout", Closed())
    assert main(["show", "constant(0.1)"]) == 141
    assert main(["sample", "constant(0.1)"]) == 141
    assert silenced == [True, True]


def test_huge_integers_in_preset_arguments_get_one_line(capsys):
    huge = "1" + "0" * 400
    assert main(["sample", f"torch.StepLR(base_lr=0.1, step_size={huge})"]) == 2
    assert capsys.readouterr().err == (
        "Error: torch.StepLR: `step_size` must be a finite real number. Received: step_size=<an integer of 401 digits>.\n"
    )
    assert main(["sample", f"torch.MultiStepLR(base_lr=0.1, milestones=[1, {huge}])"]) == 2
    err = capsys.readouterr().err
    assert err == "Error: torch.MultiStepLR: `milestones` must be a list of integers >= 0. " + (
        "Received: milestones=[1, <an integer of 401 digits>].\n"
    )


def test_huge_integers_in_spec_text_get_at_most_three_lines_and_no_traceback(capsys):
    assert main(["show", f"cosine(init_value=1.0, decay_steps=1{'0' * 400})"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "Traceback" not in err and err.count("\n") <= 3


def test_error_messages_are_bounded_whatever_the_core_says(tmp_path, capsys):
    config = {"name": "piecewise_constant", "args": {"boundaries": list(range(1, 50_001)), "values": [1.0, 0.5]}}
    path = tmp_path / "long.json"
    path.write_text(json.dumps(config))
    assert main(["show", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"Error: {path}: ") and err.count("\n") == 1 and len(err) <= len("Error: ") + 501


def test_arithmetic_beyond_floats_is_one_line(monkeypatch, capsys):
    def overflow(text):
        raise OverflowError("int too large to convert to float")

    monkeypatch.setattr(_commands, "resolve", overflow)
    assert main(["show", "constant(0.1)"]) == 2
    assert capsys.readouterr().err == (
        "Error: the input is too large to handle (OverflowError: int too large to convert to float).\n"
    )
