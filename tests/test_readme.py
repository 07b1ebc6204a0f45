"""The README's self-contained code blocks run, and print what the README says they print."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"<!-- tested[^>]*-->\n```python\n(.*?)```", README, flags=re.S)


def test_there_are_tested_blocks():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_block_runs_and_commented_results_hold(index):
    code = BLOCKS[index]
    namespace: dict = {}
    exec(compile(code, f"README block {index}", "exec"), namespace)
    # lines of the form `expr   # (a, b, c)` or `expr  # value` promise a printed value: check them
    for line in code.splitlines():
        m = re.match(r"^(\S.*?)\s+#\s*(\(.*\)|[-+0-9.e]+)\s*$", line)
        if m and "=" not in m.group(1).split("(")[0]:
            got = eval(m.group(1), namespace)
            assert repr(got) == m.group(2) or str(got) == m.group(2), (line, got)


def test_t2t_factor_string_matches_the_catalog():
    ns: dict = {}
    exec(compile(BLOCKS[1], "README presets", "exec"), ns)
    s = ns["t5"].learning_rate_schedule(
        "constant*linear_warmup*rsqrt_decay*rsqrt_hidden_size",
        learning_rate_constant=2.0,
        learning_rate_warmup_steps=4000,
        hidden_size=512,
    )
    # catalog §2: 0, 3.49386e-07, 6.98771e-04, 1.39754e-03, 6.98771e-04 at 0, 1, 2000, 4000, 16000
    got = [f"{s(k):.5e}" for k in (1, 2000, 4000, 16000)]
    assert got == ["3.49386e-07", "6.98771e-04", "1.39754e-03", "6.98771e-04"]
