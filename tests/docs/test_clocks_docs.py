"""docs/clocks.md: every Python block runs as pasted, on its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "clocks.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_page_has_its_sections():
    assert len(BLOCKS) >= 7
    assert any("batch_rampup" in b for b in BLOCKS) and any("lrplan.torch" in b for b in BLOCKS)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_block_runs_on_its_own(index, capsys):
    exec(compile(BLOCKS[index], f"docs/clocks.md[{index}]", "exec"), {"__name__": "__docs__"})
    assert capsys.readouterr().out  # every block shows its values
