"""The worked example of docs/migration.md: a Keras CosineDecay recipe (with warmup) moved to PyTorch.

Checked numerically: the keras preset against Keras itself (JAX backend, float32: 1e-6 relative or
1e-6 of the peak), against the core spec it prints, and the learning rates a PyTorch optimizer
receives step by step.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import lrplan as L
from lrplan.presets import keras as keras_presets
from tests.presets.presets_parity import SourceWorker, assert_match, preset_values

RECIPE = {
    "initial_learning_rate": 0.0,
    "decay_steps": 9_000,
    "alpha": 0.01,
    "warmup_target": 5e-4,
    "warmup_steps": 1_000,
}
SPEC = "warmup(cosine(init_value=0.0005, decay_steps=9000, end_value=5e-06), steps=1000)"
N = 12_000  # past the end of the decay, which Keras and the preset hold


def test_the_preset_is_the_printed_core_spec():
    schedule = keras_presets.CosineDecay(**RECIPE)
    assert str(schedule) == SPEC
    assert (
        schedule == L.parse(SPEC) == L.warmup(L.cosine(init_value=5e-4, decay_steps=9_000, end_value=5e-6), steps=1_000)
    )
    doc = Path(__file__).parents[2].joinpath("docs", "migration.md").read_text()
    assert doc.count(SPEC) >= 2  # the page shows the spec this test checks


def test_the_preset_matches_keras():
    worker = SourceWorker()
    try:
        theirs = worker.values("keras", "CosineDecay", n=N, **RECIPE)
    finally:
        worker.close()
    ours = preset_values(keras_presets.CosineDecay(**RECIPE), N)
    assert_match(ours, theirs, rtol=1e-6, atol=1e-6 * 5e-4, what="keras.CosineDecay recipe")
    # and the shape the recipe promises: linear warmup to the peak, cosine down to 1% of it
    assert (ours[0], ours[500], ours[1_000]) == pytest.approx((0.0, 2.5e-4, 5e-4), rel=1e-12)
    assert ours[5_500] == pytest.approx(5e-6 + (5e-4 - 5e-6) / 2, rel=1e-12)
    assert ours[10_000] == ours[-1] == pytest.approx(5e-6, rel=1e-12)


def test_pytorch_receives_the_same_learning_rates():
    schedule = keras_presets.CosineDecay(**RECIPE)
    param = torch.zeros(2, requires_grad=True)

    # any scheduler that sets lr = schedule(k) before the k-th update does; LambdaLR scales lr=1.0
    opt = torch.optim.AdamW([param], lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: schedule(k))
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(N):
            seen.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
    np.testing.assert_array_equal(np.array(seen), schedule(np.arange(N)))

    if importlib.util.find_spec("lrplan.torch") is not None:  # the adapter the page uses, where installed
        import lrplan.torch

        opt = torch.optim.AdamW([param])
        scheduler = lrplan.torch.Scheduler(opt, schedule)
        seen = []
        for _ in range(2_000):
            seen.append(float(opt.param_groups[0]["lr"]))
            opt.step()
            scheduler.step()
        np.testing.assert_allclose(seen, schedule(np.arange(2_000)), rtol=1e-15)


def test_the_page_code_uses_the_recipe_of_these_tests():
    doc = Path(__file__).parents[2].joinpath("docs", "migration.md").read_text()
    calls = re.findall(r"CosineDecay\(\s*initial_learning_rate=([^)]*)\)", doc)
    assert len(calls) == 3  # the Keras original, the PyTorch port, and the `lrplan compare` check
    for args in calls:
        call = ast.parse(f"f(initial_learning_rate={args})", mode="eval").body
        assert {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords} == RECIPE


def _compare(a: str, b: str, steps: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    return subprocess.run(
        [sys.executable, "-m", "lrplan", "compare", a, b, "--steps", str(steps)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_worked_migrations_checked_by_lrplan_compare():
    """The docs' two worked migrations, checked the way a user would: `lrplan compare` exits 0 when the
    source recipe (as a preset) and its target (the core spec, or the other framework's preset) agree,
    and 1 when the target is off by one warmup step."""
    keras_recipe = (
        "keras.CosineDecay(initial_learning_rate=0.0, decay_steps=9000, alpha=0.01, warmup_target=5e-4, "
        "warmup_steps=1000)"
    )
    fairseq_recipe = "fairseq.inverse_sqrt(lr=5e-4, warmup_updates=4000, warmup_init_lr=1e-7)"
    same = [
        (keras_recipe, "warmup(cosine(init_value=0.0005, decay_steps=9000, end_value=5e-06), steps=1000)", 12_000),
        (
            keras_recipe,
            "optax.warmup_cosine_decay_schedule(init_value=0.0, peak_value=5e-4, warmup_steps=1000, "
            "decay_steps=10000, end_value=5e-6)",
            12_000,
        ),
        (fairseq_recipe, "inverse_sqrt(peak_value=0.0005, warmup_steps=4000, init_value=1e-07)", 20_000),
    ]
    for a, b, n in same:
        out = _compare(a, b, n)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "same within" in out.stdout
    off = _compare(fairseq_recipe, "inverse_sqrt(peak_value=0.0005, warmup_steps=4001, init_value=1e-07)", 20_000)
    assert off.returncode == 1, off.stdout + off.stderr
