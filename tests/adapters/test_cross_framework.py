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

from tests.adapters._keras_runs import backend_results
from tests.examples import EXAMPLES, steps_for

FRAMEWORKS = ("python", "numpy-int32", "torch", "jax.jit", "keras-jax", "keras-torch", "keras-tensorflow")


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
    """``|value - reference| <= 1e-6 * |reference| + 1e-7 * peak`` (float32 frameworks).

    ``reference`` is the float64 NumPy value and ``peak`` the schedule's largest ``|value|`` over the
    steps. The relative term is the 1e-6 float32 target; the absolute term (about one float32 rounding
    of the peak) only matters for values near 0, where float32 cannot hold 1e-6 relative: e.g. a
    cosine tail ``(1 + cos(pi x)) / 2`` for x near 1 and a ``1 - sqrt(x)`` anneal tail lose up to ~4e-6
    relative at 1-2% of the peak, with absolute errors below 4e-8 * peak. The float64 paths (Python
    floats and NumPy on int32 steps) must agree to 1e-12 relative.
    """
    schedule = EXAMPLES[name]
    steps = steps_for(schedule)
    reference = schedule(steps)
    assert reference.dtype == np.float64
    got = _evaluate(framework, schedule, steps)
    peak = float(np.max(np.abs(reference)))
    rtol, atol = (1e-12, 1e-12 * peak) if framework in ("python", "numpy-int32") else (1e-6, 1e-7 * peak)
    err = np.abs(got - reference)
    bad = err > rtol * np.abs(reference) + atol
    assert np.all(np.isfinite(got))
    assert not bad.any(), (
        f"{name} via {framework}: first mismatch at step {steps[bad][0]}: {got[bad][0]!r} vs {reference[bad][0]!r}"
        f" (max error {err.max():.3g}, peak {peak:.3g})"
    )
