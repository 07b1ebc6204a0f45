"""Durations and boundaries of 2**31 steps and more (schedules counted in tokens) on the float32 frameworks.

jax and Keras turn a Python int that meets a tensor into an int32, which overflows from 2**31 on; the
schedules hand them floats (``Schedule._for_tensors``). Expected values are hand-computed: the cosine
``1000 (1 + cos(pi s / 10**10)) / 2`` is 1000, 500 and 0 at 0, 5e9 and 1e10; the other rows are
linear, so their values at the listed steps are exact fractions.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import lrplan as L
from tests.adapters._keras_runs import BACKENDS, backend_results

B = 10**10
CASES = {
    "cosine": (L.cosine(init_value=1000.0, decay_steps=B), [0.0, 5e9, 1e10, 2**34], [1000.0, 500.0, 0.0, 0.0]),
    "warmup": (L.warmup(L.constant(1.0), steps=B), [0.0, 2.5e9, 5e9, 2**34], [0.0, 0.25, 0.5, 1.0]),
    "boundaries": (
        L.piecewise_constant(boundaries=[B, 2 * B], values=[1.0, 0.5, 0.25]),
        [0.0, 1e10, 2**34, 2**35],
        [1.0, 0.5, 0.5, 0.25],
    ),
    "wsd": (
        L.wsd(peak_value=1.0, warmup_steps=B, stable_steps=B, decay_steps=B, decay_shape="linear"),
        [5e9, 1.5e10, 2.5e10, 3e10],
        [0.5, 1.0, 0.5, 0.0],
    ),
    "join": (
        L.join([L.constant(1.0), L.linear(init_value=1.0, end_value=0.0, decay_steps=B)], boundaries=[B]),
        [0.0, 1.5e10, 2e10, 2**36],
        [1.0, 0.5, 0.0, 0.0],
    ),
}


@pytest.mark.parametrize("how", ["jax.jit", "jnp", "torch", "numpy"])
@pytest.mark.parametrize("case", list(CASES))
def test_durations_past_2_31(case: str, how: str) -> None:
    schedule, steps, expected = CASES[case]
    x = np.array(steps)
    if how == "jax.jit":
        got = jax.jit(schedule)(jnp.asarray(x, dtype=jnp.float32))
    elif how == "jnp":
        got = schedule(jnp.asarray(x, dtype=jnp.float32))
    elif how == "torch":
        got = schedule(torch.as_tensor(x, dtype=torch.float32)).numpy()
    else:
        got = schedule(x)
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), expected, rtol=1e-6, atol=0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_keras_duration_past_2_31(backend: str) -> None:
    got = backend_results(backend)["big_durations"]
    np.testing.assert_allclose(got, [1000.0, 500.0, 0.0, 0.0], rtol=1e-6, atol=0)
