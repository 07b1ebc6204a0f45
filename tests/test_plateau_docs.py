"""The Python examples of docs/plateau.md run.

Two are covered elsewhere, to keep the suite fast: the Keras one by test_plateau_keras.py (same calls, in a
subprocess with KERAS_BACKEND=jax) and the digits range test by test_finder_torch.py (same data and model).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "plateau.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


def test_the_page_has_its_examples():
    assert len(BLOCKS) == 6
    assert (DOC.parent / "images" / "range_test.png").exists()


@pytest.mark.parametrize("index", [i for i, b in enumerate(BLOCKS) if "keras" not in b and "load_digits" not in b])
def test_doc_example_runs(index):
    for module in ("torch", "jax", "optax", "matplotlib", "sklearn"):
        if f"import {module}" in BLOCKS[index] or f"from {module}" in BLOCKS[index]:
            pytest.importorskip(module)
    if "matplotlib" not in BLOCKS[index] and ".plot(" in BLOCKS[index]:
        pytest.importorskip("matplotlib").use("Agg")
    exec(compile(BLOCKS[index], f"{DOC.name}[{index}]", "exec"), {"__name__": "__doc_example__"})
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
