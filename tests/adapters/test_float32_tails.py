"""The last steps of a decay to 0 keep float32's relative precision (no ``1 - q`` cancellation).

Expected values are the closed forms, computed here in float64: a linear cooldown from 1e-3 at step
900 over 200 steps is ``1e-3 (1100 - s) / 200``; a ``1-sqrt`` cooldown over 10 steps is
``1 - sqrt(q)``; a cosine one over 100 steps ``(1 + cos(pi q)) / 2 = sin(pi (1 - q) / 2)**2``.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import lrplan as L

CASES = {
    "linear_cooldown": (
        L.cooldown(L.constant(1e-3), start=900, steps=200),
        [1096, 1097, 1098, 1099, 1100],
        [2e-5, 1.5e-5, 1e-5, 5e-6, 0.0],
    ),
    "wsd_1sqrt": (
        L.wsd(peak_value=1.0, warmup_steps=10, stable_steps=80, decay_steps=10),
        [97, 98, 99, 100],
        [1 - math.sqrt(0.7), 1 - math.sqrt(0.8), 1 - math.sqrt(0.9), 0.0],
    ),
    "cosine_cooldown": (
        L.cooldown(L.constant(1.0), start=0, steps=100, shape="cosine"),
        [97, 98, 99, 100],
        [math.sin(math.pi * 0.03 / 2) ** 2, math.sin(math.pi * 0.02 / 2) ** 2, math.sin(math.pi * 0.01 / 2) ** 2, 0.0],
    ),
    "cosine": (
        L.cosine(init_value=1.0, decay_steps=1000),
        [998, 999, 1000],
        [math.sin(math.pi * 0.002 / 2) ** 2, math.sin(math.pi * 0.001 / 2) ** 2, 0.0],
    ),
    "1sqrt_warmup_from_0": (
        L.warmup(L.constant(1.0), steps=1000, shape="1-sqrt"),
        [1, 2],  # 1 - sqrt(1 - p) = p / (1 + sqrt(1 - p)): no cancellation near p = 0 either
        [0.001 / (1 + math.sqrt(0.999)), 0.002 / (1 + math.sqrt(0.998))],
    ),
}


@pytest.mark.parametrize("how", ["jax.jit", "torch", "python"])
@pytest.mark.parametrize("case", list(CASES))
def test_float32_tail(case: str, how: str) -> None:
    schedule, steps, expected = CASES[case]
    if how == "jax.jit":
        got = np.asarray(jax.jit(jax.vmap(schedule))(jnp.asarray(steps, dtype=jnp.int32)), dtype=np.float64)
    elif how == "torch":
        got = schedule(torch.as_tensor(steps, dtype=torch.int64)).to(torch.float64).numpy()
        assert schedule(torch.as_tensor(steps)).dtype == torch.float32
    else:
        got = np.array([schedule(k) for k in steps])
    rtol = 1e-6 if how != "python" else 1e-12
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=0)
