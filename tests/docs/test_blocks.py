"""Every code block of README.md and docs/*.md runs as pasted.

Each Python block runs on its own in a fresh interpreter, in an empty folder: a block defines the tiny model,
data and optimizer it needs. Each ``lrplan`` line of a shell block runs in an empty folder kept for the rest of
its page, so a line may use a file an earlier line of the same page created; it must exit 0, or 1 for a
``compare`` that reports a difference. ``pip install`` and ``make`` lines are left to the install tests. Blocks
fenced as ``text`` are output, not code. There is no marker to forget: a new block is run the day it is written.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", flags=re.S | re.M)
SHELLS = {"bash", "sh", "console", "shell"}
ENV = {**os.environ, "MPLBACKEND": "Agg", "COLUMNS": "100", "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "3"}


def blocks(page: Path) -> list[tuple[str, str, int]]:
    text = page.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(text)]


def python_blocks() -> list[tuple[str, str]]:
    out = []
    for page in PAGES:
        for lang, code, line in blocks(page):
            if lang == "python":
                out.append((f"{page.relative_to(ROOT)}:{line}", code))
    return out


def shell_pages() -> list[tuple[str, list[tuple[int, str]]]]:
    out = []
    for page in PAGES:
        lines = []
        for lang, code, line in blocks(page):
            if lang not in SHELLS:
                continue
            for offset, raw in enumerate(_logical_lines(code)):
                cmd = raw.split(" #", 1)[0].strip().removeprefix("$ ")
                if cmd.startswith(("lrplan ", "python -m lrplan ")):
                    lines.append((line + offset + 1, cmd))
        if lines:
            out.append((str(page.relative_to(ROOT)), lines))
    return out


def _logical_lines(code: str) -> list[str]:
    return code.replace("\\\n", " ").splitlines()


PY_BLOCKS = python_blocks()
SHELL_PAGES = shell_pages()


def test_the_pages_have_blocks_to_run():
    assert len(PY_BLOCKS) >= 20 and sum(len(lines) for _, lines in SHELL_PAGES) >= 10


DOCTEST = """
import doctest, sys
text = sys.stdin.read()
test = doctest.DocTestParser().get_doctest(text, {}, "block", "block", 0)
runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
runner.run(test, out=sys.stderr.write)
sys.exit(1 if runner.failures else 0)
"""


@pytest.mark.parametrize(("where", "code"), PY_BLOCKS, ids=[w for w, _ in PY_BLOCKS])
def test_python_block_runs_as_pasted(where, code, tmp_path):
    # a block written as a console session (``>>>``) must also print what it shows: it runs as a doctest
    session = code.lstrip().startswith(">>>")
    argv = [sys.executable, "-c", DOCTEST] if session else [sys.executable, "-c", code]
    done = subprocess.run(
        argv, input=code if session else None, cwd=tmp_path, capture_output=True, text=True, env=ENV, timeout=300
    )
    assert done.returncode == 0, f"{where} failed:\n{done.stderr[-3000:]}"


@pytest.mark.parametrize(("page", "lines"), SHELL_PAGES, ids=[p for p, _ in SHELL_PAGES])
def test_lrplan_lines_run_in_an_empty_folder(page, lines, tmp_path):
    for line, cmd in lines:
        argv = shlex.split(cmd)
        if argv[0] == "python":
            argv[0] = sys.executable
        else:
            argv = [sys.executable, "-m", "lrplan", *argv[1:]]
        done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=ENV, timeout=600)
        allowed = {0, 1} if argv[3:4] == ["compare"] else {0}
        assert done.returncode in allowed, f"{page}:{line} `{cmd}` exited {done.returncode}:\n{done.stderr[-2000:]}"
