"""lrplan schedules as optax schedules, and the lrplan.optax helpers."""

from __future__ import annotations

import re
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan
import lrplan.optax as lo
from tests.examples import EXAMPLES, steps_for

PARAMS = {"w": jnp.zeros((3,)), "b": jnp.zeros(())}
GRADS = {"w": jnp.ones((3,)), "b": jnp.ones(())}
# linear: 1.0, 0.75, 0.5, 0.25, 0.0, 0.0, ... (by hand)
LINEAR = lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=4)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_schedule_is_jit_safe_on_int32_counts(name: str) -> None:
    schedule = EXAMPLES[name]
    with jax.checking_leaks():
        fn = jax.jit(schedule)
        got = [float(fn(jnp.int32(k))) for k in (0, 7, 1000, 2**31 - 1)]
    want = [schedule(k) for k in (0, 7, 1000)]
    np.testing.assert_allclose(got[:3], want, rtol=1e-6, atol=1e-7 * max(abs(v) for v in want))
    # The largest int32 count: float32 rounds it to 2**31. A periodic schedule loses its phase there
    # (float32 steps are exact only up to 2**24), but stays finite and within its range; any other
    # schedule gives its value at 2**31.
    values = schedule(steps_for(schedule))
    assert np.isfinite(got[3])
    if isinstance(schedule, lrplan.Cyclic) or (
        isinstance(schedule, lrplan.CosineRestarts) and schedule.max_cycles is None
    ):
        assert values.min() - 1e-6 <= got[3] <= values.max() + 1e-6
    else:
        assert got[3] == pytest.approx(schedule(2**31), rel=1e-6, abs=1e-7 * np.abs(values).max())
    jaxpr = str(jax.make_jaxpr(schedule)(jnp.int32(3)))
    assert "callback" not in jaxpr


def test_sgd_applies_the_core_rate() -> None:
    opt = optax.sgd(learning_rate=LINEAR)
    state = opt.init(PARAMS)
    params = PARAMS
    applied = []
    for _ in range(6):
        updates, state = jax.jit(opt.update)(GRADS, state, params)
        applied.append(-float(updates["b"]))  # gradient 1: the update is -lr
    assert applied == [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]


def _train(opt: optax.GradientTransformation, schedule: lrplan.Schedule, n: int):
    traces = []

    @jax.jit
    def train_step(params, state, x):
        traces.append(None)  # runs only while tracing
        loss, grads = jax.value_and_grad(lambda p: jnp.sum((x @ p["w"] + p["b"] - 1.0) ** 2))(params)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, lo.last_lr(state, schedule), loss

    params, state = PARAMS, opt.init(PARAMS)
    x = jnp.ones((4, 3))
    lrs = []
    for _ in range(n):
        params, state, lr, _ = train_step(params, state, x)
        lrs.append(lr)
    return len(traces), train_step._cache_size(), np.asarray(jnp.stack(lrs), dtype=np.float64), state


@pytest.mark.parametrize("kind", ["adamw", "scheduled"])
def test_jitted_train_step_compiles_once_over_1000_steps(kind: str) -> None:
    schedule = lrplan.warmup(lrplan.cosine(init_value=1e-3, decay_steps=900, end_value=1e-5), steps=100)
    if kind == "adamw":
        opt = optax.adamw(learning_rate=schedule, weight_decay=1e-4)
    else:
        opt = lo.scheduled(optax.adamw, learning_rate=schedule, weight_decay=1e-4)
    traces, cache_size, lrs, state = _train(opt, schedule, 1000)
    assert (traces, cache_size) == (1, 1)
    want = schedule(np.arange(1000))
    np.testing.assert_allclose(lrs, want, rtol=1e-6, atol=1e-7 * want.max())
    assert int(lo.step(state)) == 1000
    if kind == "scheduled":  # optax's own record of the rate it used for the last update
        assert float(state.hyperparams["learning_rate"]) == pytest.approx(schedule(999), rel=1e-6)
    # spot values by hand: warmup 1e-3 * k / 100, then 1e-5 + 0.99e-3 * (1 + cos(pi (k - 100) / 900)) / 2
    assert lrs[50] == pytest.approx(5e-4, rel=1e-6)
    assert lrs[550] == pytest.approx(1e-5 + 0.99e-3 * 0.5, rel=1e-6)
    assert lrs[999] == pytest.approx(1e-5 + 0.99e-3 * (1 + np.cos(np.pi * 899 / 900)) / 2, rel=1e-5)


def test_vmap_over_steps_and_over_states() -> None:
    counts = jnp.array([0, 1, 2, 3, 4, 5], dtype=jnp.int32)
    np.testing.assert_allclose(jax.vmap(LINEAR)(counts), [1.0, 0.75, 0.5, 0.25, 0.0, 0.0])
    states = jax.vmap(lambda c: optax.ScaleByScheduleState(count=c))(counts)
    np.testing.assert_allclose(jax.vmap(lambda s: lo.current_lr(s, LINEAR))(states), [1.0, 0.75, 0.5, 0.25, 0.0, 0.0])


def test_current_and_last_lr_follow_the_count() -> None:
    opt = optax.chain(optax.clip_by_global_norm(10.0), optax.adam(learning_rate=LINEAR))
    state = opt.init(PARAMS)
    seen = [(float(lo.current_lr(state, LINEAR)), float(lo.last_lr(state, LINEAR)))]
    for _ in range(3):
        _, state = jax.jit(opt.update)(GRADS, state, PARAMS)
        seen.append((float(lo.current_lr(state, LINEAR)), float(lo.last_lr(state, LINEAR))))
    assert seen == [(1.0, 1.0), (0.75, 1.0), (0.5, 0.75), (0.25, 0.5)]


def test_last_lr_matches_inject_hyperparams_record() -> None:
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=LINEAR)
    state = opt.init(PARAMS)
    for k in range(6):
        assert float(state.hyperparams["learning_rate"]) == float(lo.last_lr(state, LINEAR)), k
        assert int(lo.step(state)) == k
        _, state = jax.jit(opt.update)(GRADS, state, PARAMS)


def test_step_counts_applied_updates_under_multisteps() -> None:
    opt = optax.MultiSteps(optax.sgd(learning_rate=LINEAR), every_k_schedule=2)
    state = opt.init(PARAMS)
    for _ in range(5):  # five micro-batches: two applied updates
        _, state = jax.jit(opt.update)(GRADS, state, PARAMS)
    assert int(lo.step(state)) == 2
    assert float(lo.current_lr(state, LINEAR)) == 0.5


def test_step_errors_name_the_problem() -> None:
    constant = optax.adam(1e-3).init(PARAMS)
    with pytest.raises(lrplan.ConfigError, match="holds no schedule counter"):
        lo.step(constant)
    two = optax.multi_transform({"a": optax.sgd(LINEAR), "b": optax.sgd(LINEAR)}, {"w": "a", "b": "b"}).init(PARAMS)
    with pytest.raises(lrplan.ConfigError, match="holds 2 schedule counters"):
        lo.current_lr(two, LINEAR)
    assert float(lo.current_lr(two.inner_states["a"], LINEAR)) == 1.0
    with pytest.raises(lrplan.ConfigError, match="`schedule` must be an lrplan Schedule"):
        lo.current_lr(optax.sgd(LINEAR).init(PARAMS), 0.1)


def test_scheduled_hyperparameters() -> None:
    wd = lrplan.linear(init_value=0.0, end_value=0.4, decay_steps=4)  # 0, .1, .2, .3, .4
    b1 = lrplan.constant(0.5)
    opt = lo.scheduled(optax.adamw, learning_rate=LINEAR, weight_decay=wd, b1=b1, b2=0.9, mask=None)
    state = opt.init(PARAMS)
    for _ in range(3):
        _, state = jax.jit(opt.update)(GRADS, state, PARAMS)
    hp = {k: round(float(v), 6) for k, v in state.hyperparams.items()}
    # after 3 updates optax records the values of the 3rd update (k = 2); eps 1e-8 rounds to 0
    assert hp == {"learning_rate": 0.5, "weight_decay": 0.2, "b1": 0.5, "b2": 0.9, "eps": 0.0, "eps_root": 0.0}
    assert float(lo.current_lr(state, wd)) == pytest.approx(0.3)


def test_scheduled_passes_static_functions_through() -> None:
    mask = lambda params: {"w": True, "b": False}  # noqa: E731
    opt = lo.scheduled(optax.adamw, static_args=("mask",), learning_rate=LINEAR, weight_decay=1.0, mask=mask)
    params = {"w": jnp.ones((3,)), "b": jnp.ones(())}
    zero = {"w": jnp.zeros((3,)), "b": jnp.zeros(())}
    updates, _ = opt.update(zero, opt.init(params), params)
    # zero gradients: only the masked-in weight decay moves w, by -lr * wd * w = -1.0
    assert updates["w"].tolist() == [-1.0, -1.0, -1.0]
    assert float(updates["b"]) == 0.0


def test_scheduled_misuse() -> None:
    with pytest.raises(lrplan.ConfigError, match=r"`learning_rate` must be an lrplan Schedule or a number"):
        lo.scheduled(optax.adamw, learning_rate=lambda count: 1e-3)
    with pytest.raises(lrplan.ConfigError, match=r"static_args=\('mask',\)"):
        lo.scheduled(optax.adamw, learning_rate=LINEAR, mask=lambda p: p)
    with pytest.raises(lrplan.ConfigError, match="scheduled: "):
        lo.scheduled(optax.adamw, learning_rate=LINEAR, not_an_argument=1.0)
    with pytest.raises(lrplan.ConfigError, match="`factory` must be an optax optimizer factory"):
        lo.scheduled("adamw", learning_rate=LINEAR)


@settings(max_examples=30, deadline=None)
@given(count=st.integers(min_value=0, max_value=2**31 - 1))
def test_current_lr_is_schedule_at_count(count: int) -> None:
    schedule = EXAMPLES["warmup_cosine"]
    state = optax.ScaleByScheduleState(count=jnp.int32(count))
    got = float(jax.jit(lo.current_lr, static_argnums=1)(state, schedule))
    assert got == pytest.approx(schedule(count), rel=1e-6, abs=1e-7 * 3e-4)


def test_docs_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "jax.md").read_text()
    for n, block in enumerate(re.findall(r"```python\n(.*?)```", text, re.S)):
        exec(compile(block, f"docs/jax.md block {n}", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "150"
    # warmup 100 then cosine: 1e-5 + 0.99e-3 * (1 + cos(pi * k / 900)) / 2 at k = 49 and 50
    assert float(lines[1]) == pytest.approx(1e-5 + 0.99e-3 * (1 + np.cos(np.pi * 49 / 900)) / 2, rel=1e-6)
    assert float(lines[2]) == pytest.approx(1e-5 + 0.99e-3 * (1 + np.cos(np.pi * 50 / 900)) / 2, rel=1e-6)
    assert lines[-1] == "['b1', 'b2', 'eps', 'eps_root', 'learning_rate', 'weight_decay']"


def test_tracers_dispatch_to_jax_ops() -> None:
    # jax.core.Tracer subclasses live in jax._src modules; ops_for must still pick the jax namespace.
    from lrplan._ops import jax_ops, ops_for

    seen = []

    @jax.jit
    def f(k):
        seen.append((type(k).__module__, ops_for(k) is jax_ops()))
        return LINEAR(k)

    assert float(f(jnp.int32(2))) == 0.5
    assert float(jax.vmap(LINEAR)(jnp.array([1], dtype=jnp.int32))[0]) == 0.75
    assert seen[0][0].startswith("jax._src") and seen[0][1]
