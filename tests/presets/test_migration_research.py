"""docs/migration_research.md: its code runs, the fairseq recipe moved to optax gives fairseq's values under jax,
and it equals the core inverse_sqrt spec with a maximum difference of 0."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import lrplan

DOC = Path(__file__).resolve().parents[2] / "docs" / "migration_research.md"
CATALOG = {0: 1.00000e-07, 1: 2.24975e-07, 2000: 2.50050e-04, 4000: 5.00000e-04, 16000: 2.50000e-04}


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def test_worked_example_runs_under_optax_and_matches_fairseq():
    pytest.importorskip("optax")
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    namespace: dict = {}
    for block in _blocks():
        exec(compile(block, str(DOC), "exec"), namespace)  # the page's own code
    schedule, optimizer = namespace["schedule"], namespace["optimizer"]

    # under jax (jit-compiled, the way optax evaluates it) the values are fairseq's, to 6 digits
    jitted = jax.jit(schedule)
    for step, expected in CATALOG.items():
        got = float(jitted(jnp.asarray(step, dtype=jnp.int32)))
        assert f"{got:.5e}" == f"{expected:.5e}", (step, got)

    # optax uses the schedule: the first adamw updates scale with schedule(0), schedule(1)
    params = {"w": jnp.ones(3)}
    state = optimizer.init(params)
    grads = {"w": jnp.ones(3)}
    for step in range(2):
        updates, state = optimizer.update(grads, state, params)
        # adam's first normalized step is -1 per coordinate; adamw adds -lr * wd * w
        expected = -CATALOG[step] * (1.0 + 0.01)
        np.testing.assert_allclose(np.asarray(updates["w"]), expected, rtol=1e-4)


def test_compare_with_the_core_spec_is_zero():
    namespace: dict = {}
    exec(compile(_blocks()[0], str(DOC), "exec"), namespace)
    from lrplan.presets import fairseq

    preset = fairseq.inverse_sqrt(lr=5e-4, warmup_updates=4000, warmup_init_lr=1e-7)
    core = lrplan.parse("inverse_sqrt(peak_value=0.0005, warmup_steps=4000, init_value=1e-07)")
    steps = np.arange(0, 40_001)
    assert float(np.max(np.abs(preset(steps) - core(steps)))) == 0.0  # what `lrplan compare` reports
    assert str(preset) == "inverse_sqrt(peak_value=0.0005, warmup_steps=4000, init_value=1e-07)"
    for step, expected in CATALOG.items():
        assert f"{preset(step):.5e}" == f"{expected:.5e}"


def test_the_table_rows_build_the_specs_they_print():
    from lrplan.presets import big_vision, fairseq, hf, megatron, t5, timm

    rows = re.findall(r"^\| [^|]+ \| `([^`]+)` \| `([^`]+)`", DOC.read_text(), flags=re.M)
    assert len(rows) >= 30
    checked = 0
    for call, spec in rows:
        built = eval(
            call, {"hf": hf, "timm": timm, "fairseq": fairseq, "t5": t5, "big_vision": big_vision, "megatron": megatron}
        )
        if "..." in spec:  # long decimals abbreviated in the table
            continue
        expected = lrplan.parse(spec)
        steps = np.arange(0, 3000, 7)
        np.testing.assert_allclose(built(steps), expected(steps), rtol=1e-12, atol=1e-15, err_msg=call)
        checked += 1
    assert checked >= 25
