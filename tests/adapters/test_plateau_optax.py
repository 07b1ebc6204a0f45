"""optax glue for Plateau: the jitted jnp transition agrees with the Python state machine, and drives training."""

from __future__ import annotations

import math

import pytest

import lrplan as L

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
optax = pytest.importorskip("optax")

from lrplan.optax import (  # noqa: E402
    current_value,
    plateau_state,
    plateau_transform,
    report,
)

# multiples of 0.25 are exact in float32, so float32 and float64 comparisons agree at ties
METRICS = [3.0, 2.5, 2.5, 2.75, 2.5, float("nan"), 2.25, 2.25, 2.25, -1.0, -1.0, -0.75, -1.25, -1.25, 4.0, 4.0, 4.0]

PLATEAUS = [
    L.Plateau(L.constant(0.5), patience=1, factor=0.5, threshold=0.1, cooldown=1, min_value=0.01),
    L.Plateau(L.constant(0.5), patience=1, factor=0.5, threshold=0.1, compat="torch"),
    L.Plateau(L.constant(0.5), mode="max", patience=2, factor=0.5, threshold=0.25, cooldown=2, compat="keras"),
    L.Plateau(L.constant(0.5), patience=0, factor=0.25, threshold=0.0, threshold_mode="abs", min_value=0.004),
]


@pytest.mark.parametrize("plateau", PLATEAUS, ids=lambda p: p.compat)
def test_jitted_report_matches_python_update(plateau):
    tx = plateau_transform(plateau)
    opt_state = tx.init(jnp.zeros(1))
    jit_report = jax.jit(report)
    state = plateau.initial_state()
    reductions = 0
    for m in METRICS:
        opt_state = jit_report(opt_state, m)
        state = plateau.update(state, m)
        got = plateau_state(opt_state)
        step = got.pop("step")
        assert step == 0
        assert got["best"] == state["best"]
        assert {k: got[k] for k in ("bad_reports", "cooldown_left", "reductions", "reports")} == {
            k: state[k] for k in ("bad_reports", "cooldown_left", "reductions", "reports")
        }
        assert got["scale"] == pytest.approx(state["scale"], rel=1e-6)
        assert float(current_value(opt_state)) == pytest.approx(plateau.value(0, state), rel=1e-6)
        reductions = state["reductions"]
    assert reductions >= 2  # the sequence exercises reductions


def test_update_with_value_drives_a_jitted_training_loop():
    # warmup then plateau as one object; the loss of each step is reported in the update (optax.contrib style)
    p = L.Plateau(L.warmup(L.constant(0.2), steps=4), patience=1, factor=0.5, threshold=0.0, threshold_mode="abs")
    tx = optax.chain(optax.identity(), plateau_transform(p))
    params = jnp.array([1.0])
    opt_state = tx.init(params)
    losses = [1.0, 0.75, 0.75, 0.75, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25]

    @jax.jit
    def step(params, opt_state, loss):
        updates, opt_state = tx.update(jnp.ones(1), opt_state, params, value=loss)
        return optax.apply_updates(params, updates), opt_state

    state = p.initial_state()
    for k, loss in enumerate(losses):
        before = float(params[0])
        params, opt_state = step(params, opt_state, loss)
        state = p.update(state, loss)  # reported before the k-th update's rate is computed
        applied = before - float(params[0])
        assert applied == pytest.approx(p.value(k, state), rel=1e-5, abs=1e-7)
    # hand-computed: 0.75 bad, 0.75 bad -> halve (step 3); 0.5, then 3 bad -> halve at step 6 and again at 8
    assert state["reductions"] == 3 and state["scale"] == 0.125
    assert plateau_state(opt_state)["step"] == len(losses)


def test_report_needs_a_plateau_state_and_transform_needs_a_plateau():
    with pytest.raises(L.ConfigError, match="holds no plateau state"):
        report(optax.sgd(0.1).init(jnp.zeros(1)), 1.0)
    with pytest.raises(L.ConfigError, match="`plateau` must be an lrplan Plateau"):
        plateau_transform(L.constant(0.1))  # type: ignore[arg-type]


def test_nan_metric_is_a_bad_report_under_jit():
    p = L.Plateau(L.constant(1.0), patience=0, factor=0.5)
    opt_state = plateau_transform(p).init(None)
    opt_state = jax.jit(report)(opt_state, math.nan)
    assert plateau_state(opt_state)["best"] is None
    assert plateau_state(opt_state)["scale"] == 0.5
