"""docs/laws.md: every Python block runs as pasted, and prints the text block that follows it."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "laws.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```\n(?:\n```text\n(.*?)```)?", PAGE, flags=re.S)


def test_the_page_has_its_blocks_and_pictures():
    assert len(BLOCKS) >= 5
    for name in re.findall(r"\]\(images/(laws_\w+\.png)\)", PAGE):
        image = ROOT / "docs" / "images" / name
        assert image.exists() and image.stat().st_size < 80_000


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_block_runs_and_prints_what_the_page_says(index):
    code, expected = BLOCKS[index]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"docs/laws.md block {index}", "exec"), {"__name__": "__docs__"})
    if expected:
        assert out.getvalue() == expected
