"""lrplan.keras on the jax, torch and tensorflow backends (one subprocess per backend).

The per-backend work (model.fit, save/load, error messages) runs in tests/adapters/keras_backend_checks.py;
these tests assert on its JSON results. Expected learning rates are computed by hand from the
schedule's formula.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrplan
from tests.adapters._keras_runs import BACKENDS, backend_results

# warmup(cosine(init_value=0.1, decay_steps=20, end_value=0.01), steps=4), by hand:
# k < 4: 0.1 * k / 4; k >= 4: 0.01 + 0.09 * (1 + cos(pi * (k - 4) / 20)) / 2.
EXPECTED = [0.1 * k / 4 if k < 4 else 0.01 + 0.045 * (1 + math.cos(math.pi * (k - 4) / 20)) for k in range(12)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_fit_uses_the_schedule(backend: str) -> None:
    result = backend_results(backend)
    assert lrplan.from_config(result["schedule"]) == lrplan.warmup(
        lrplan.cosine(init_value=0.1, decay_steps=20, end_value=0.01), steps=4
    )
    fit = result["fit"]
    steps = fit["first"]["steps"] + fit["continued"]["steps"]
    lrs = fit["first"]["lrs"] + fit["continued"]["lrs"]
    assert steps == list(range(12))
    # optimizer.learning_rate, read eagerly at the start of each batch
    np.testing.assert_allclose(lrs, EXPECTED, rtol=1e-6, atol=1e-9)
    # the rates the compiled train step applied (each SGD update adds its rate to the kernel)
    deltas = fit["first"]["deltas"] + fit["continued"]["deltas"]
    np.testing.assert_allclose(deltas, EXPECTED, rtol=0, atol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_save_load_restores_schedule_and_step(backend: str) -> None:
    result = backend_results(backend)
    assert result["loaded"] == {"class": "lrplan.keras.Schedule", "same_schedule": True, "iterations": 6}
    fit = result["fit"]
    assert fit["resumed"]["steps"] == list(range(6, 12))
    assert fit["resumed"]["lrs"] == fit["continued"]["lrs"]  # bit-identical to the run that went on
    assert fit["resumed"]["deltas"] == fit["continued"]["deltas"]
    assert fit["kernel_resumed"] == fit["kernel_continued"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_python_step_takes_the_fast_path(backend: str) -> None:
    fast = backend_results(backend)["python_step"]
    assert fast["type"] == "float"
    assert fast["value"] == fast["core"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_misuse_messages(backend: str) -> None:
    errors = backend_results(backend)["errors"]
    assert errors["plain_function"].startswith("lrplan.keras.Schedule: `schedule` must be an lrplan Schedule.")
    assert "A plain function has no config to save" in errors["plain_function"]
    assert "CosineDecay" in errors["keras_schedule"]
    assert "already a Keras schedule" in errors["keras_schedule"]
    assert "Received: schedule='cosine(init_value=0.1, decay_steps=10)'" in errors["spec_text"]
    # Keras calls a bare (unwrapped) schedule with no argument: it fails on first use, never trains on a
    # wrong rate. (Naming lrplan.keras there needs Schedule.__call__ to recognise the missing step.)
    assert errors["bare_schedule"].startswith(("TypeError: ", "StepError: "))
    assert errors["unknown_schedule"] == (
        "UnknownScheduleError: lrplan.keras.Schedule: the saved schedule uses 'mypkg.ramp', which is not"
        " registered. Import the package that registers it (for example `import mypkg`) before loading the model."
    )


def test_docs_examples_run() -> None:
    lines = backend_results("jax")["docs_output"]
    assert lines[0] == "16"  # iterations after 2 epochs of 8 batches
    assert abs(float(lines[1]) - float(lines[2])) < 1e-9  # optimizer.learning_rate == schedule(16)
    assert lines[3:5] == ["True", "16"]  # restored schedule and step
    assert lines[5] == "0.0 0.0003 0.0"
    assert lines[7] == "wsd"
