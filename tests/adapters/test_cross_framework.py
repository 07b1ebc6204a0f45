"""One schedule, the same numbers in every framework.

Every schedule of the EXAMPLES table, over steps spanning all its phase boundaries (``steps_for``),
evaluated through Python floats, NumPy, torch tensors, ``jax.jit(jax.vmap(schedule))`` on int32
steps, and ``keras.ops`` on the jax, torch and tensorflow backends (one subprocess per backend, see
tests/adapters/keras_backend_checks.py), must agree with the float64 NumPy values.

A new schedule is covered by adding one row to tests/examples.py.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import lrplan as L
from tests.adapters._keras_runs import backend_results
from tests.examples import EXAMPLES, steps_for

FRAMEWORKS = ("python", "numpy-int32", "torch", "jax.jit", "keras-jax", "keras-torch", "keras-tensorflow")

FLOAT32_CLOCK_RTOL = {"per_update_fraction": 2e-5}
"""Rows whose float32 value carries the rounding of a clock conversion (documented in ``per_update``).

A fraction of the run is ``samples / run_samples``, one float32 division: near the end of a decay the
remaining fraction is small, so that one rounding becomes a relative error of up to about 2e-5 in the
value (measured: 1.8e-5 at step 87 of 90). Every other row, per_update in samples or tokens included, is
held to 1e-6.
"""
CLOCK_ROWS = {
    name for name, s in EXAMPLES.items() if s.spec_name() == "per_update" or s.spec_name().startswith("batch_")
}
"""Rows that count samples or tokens: float32 holds those counts exactly only up to 2**24 (``per_update``), so
they are left out of the 2**33 test below; their counts far past 2**33 are tested in float64 and with Python
integers in tests/core/test_clocks.py."""


def _evaluate(framework: str, schedule, steps: np.ndarray) -> np.ndarray:
    if framework == "python":
        return np.array([schedule(int(k)) for k in steps])
    if framework == "numpy-int32":
        return schedule(steps.astype(np.int32))
    if framework == "torch":
        return schedule(torch.as_tensor(steps, dtype=torch.int64)).to(torch.float64).numpy()
    if framework == "jax.jit":
        out = jax.jit(jax.vmap(schedule))(jnp.asarray(steps, dtype=jnp.int32))
        assert out.dtype == jnp.float32
        return np.asarray(out, dtype=np.float64)
    backend = framework.removeprefix("keras-")
    row = backend_results(backend)["values"][next(n for n, s in EXAMPLES.items() if s is schedule)]
    assert row["steps"] == steps.tolist()
    assert row["dtype"] == "float32"
    return np.array(row["values"])


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_agrees_with_float64_numpy(name: str, framework: str) -> None:
    """``|value - reference| <= 1e-6 * |reference|`` (float32 frameworks), with no absolute allowance.

    ``reference`` is the float64 NumPy value: a value that is exactly 0 in float64 must be exactly 0.
    The float32 target holds down to the last step of a decay to 0 because every shape computes the
    remaining fraction directly (``(end - s) / D``, the half-angle ``sin`` of a cosine tail), never
    ``1 - q``. The float64 paths (Python floats and NumPy on int32 steps) must agree to 1e-12 relative.
    """
    schedule = EXAMPLES[name]
    steps = steps_for(schedule)
    reference = schedule(steps)
    assert reference.dtype == np.float64
    got = _evaluate(framework, schedule, steps)
    rtol = 1e-12 if framework in ("python", "numpy-int32") else FLOAT32_CLOCK_RTOL.get(name, 1e-6)
    err = np.abs(got - reference)
    bad = err > rtol * np.abs(reference)
    assert np.all(np.isfinite(got))
    assert not bad.any(), (
        f"{name} via {framework}: first mismatch at step {steps[bad][0]}: {got[bad][0]!r} vs {reference[bad][0]!r}"
        f" (max error {err.max():.3g})"
    )


# Arguments that count steps; ``quantize`` counts its child in units, so only its ``unit_steps`` scale.
_DURATIONS = {
    "steps", "decay_steps", "start", "cycle_steps", "up_steps", "down_steps", "warmup_steps", "stable_steps",
    "timescale", "total_steps", "boundaries", "scale_steps", "unit_steps", "cooldown_steps", "constant_steps",
    "anneal_steps",
}  # fmt: skip
SCALE = 2**30
"""Every duration times 2**30: a 10-step phase lasts about 1.07e10 > 2**33 steps."""


def _scaled(node, factor):
    args = dict(node["args"])
    for key, val in args.items():
        if key in _DURATIONS and val is not None:
            args[key] = [v * factor for v in val] if isinstance(val, list) else val * factor
        elif isinstance(val, dict) and node["name"] != "quantize":
            args[key] = _scaled(val, factor)
        elif isinstance(val, list) and val and isinstance(val[0], dict):
            args[key] = [_scaled(v, factor) for v in val]
    return {**node, "args": args}


@pytest.mark.parametrize("name", [n for n in EXAMPLES if n not in CLOCK_ROWS])
def test_durations_past_2_33_under_jax_jit(name: str) -> None:
    """Every EXAMPLES row with its durations (ints) times 2**30, under ``jax.jit`` on float32 steps.

    The steps are the row's ``steps_for`` times 2**30: multiples of 2**30 below 2**54, so exact in
    float32 (a float32 step near 10**10 is only exact to a multiple of 1024), and every ratio the
    formulas take is the unscaled one. Values must agree with the float64 NumPy values of the scaled
    schedule to 1e-6 relative, with no absolute allowance, as in the unscaled test.
    """
    schedule = EXAMPLES[name]
    config = L.to_config(schedule)
    big = L.from_config({**config, **_scaled(config, SCALE)})
    steps = steps_for(schedule).astype(np.float64) * SCALE
    assert steps.max() >= 2**33
    reference = big(steps)
    got = np.asarray(jax.jit(jax.vmap(big))(jnp.asarray(steps, dtype=jnp.float32)), dtype=np.float64)
    err = np.abs(got - reference)
    bad = err > 1e-6 * np.abs(reference)
    assert not bad.any(), (
        f"{name}: first mismatch at step {steps[bad][0]:.0f}: {got[bad][0]!r} vs {reference[bad][0]!r}"
    )
