"""Invariants over every schedule in the EXAMPLES table (hypothesis where a search helps)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan as L
from tests.examples import EXAMPLES, steps_for

IDS = sorted(EXAMPLES)
NESTABLE = [n for n in IDS if not EXAMPLES[n].metric_driven]  # a plateau cannot be nested (tested in test_kernel)
PERIODIC = {
    "cosine_restarts_periodic",
    "cyclic",
    "cyclic_tri2",
    "cyclic_exp_range",
    "cosine_wave",
    "cosine_restarts_fixed_floor",
    "polynomial_cycle",
}


@pytest.mark.parametrize("name", IDS)
def test_vectorised_equals_scalar(name):
    s = EXAMPLES[name]
    steps = steps_for(s)
    vec = s(steps)
    assert vec.dtype == np.float64 and vec.shape == steps.shape
    scalar = np.array([s(int(k)) for k in steps])
    np.testing.assert_allclose(vec, scalar, rtol=1e-12, atol=1e-300)
    assert all(type(s(int(k))) is float for k in steps[:5])


@pytest.mark.parametrize("name", IDS)
@settings(max_examples=30, deadline=None)
@given(step=st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_vectorised_equals_scalar_at_float_steps(name, step):
    s = EXAMPLES[name]
    assert s(np.array([step]))[0] == pytest.approx(s(step), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("name", IDS)
def test_spec_round_trip(name):
    s = EXAMPLES[name]
    text = str(s)
    assert L.parse(text) == s
    assert repr(s) == text


@pytest.mark.parametrize("name", IDS)
def test_config_round_trip_through_json(name):
    s = EXAMPLES[name]
    config = json.loads(json.dumps(L.to_config(s)))
    assert config["format"] == 1
    back = L.from_config(config)
    assert back == s and hash(back) == hash(s)
    steps = steps_for(s)
    np.testing.assert_array_equal(back(steps), s(steps))


def _values(config, key=""):
    """Every value parameter (``value``, ``init_value``, ``values``...) of a config, nested schedules included."""
    if isinstance(config, dict):
        return [x for k, v in config.items() for x in _values(v, k)]
    if isinstance(config, list):
        return [x for v in config for x in _values(v, key)]
    number = isinstance(config, (int, float)) and not isinstance(config, bool)
    return [config] if number and key.endswith(("value", "values")) else []


@pytest.mark.parametrize("name", IDS)
def test_values_finite_and_non_negative(name):
    # a schedule whose value parameters are all >= 0 never yields a negative value (values may be negative)
    s = EXAMPLES[name]
    assert min(_values(L.to_config(s)), default=0) >= 0
    v = s(np.concatenate([steps_for(s), [10**6, 10**9]]))
    assert np.all(np.isfinite(v)) and np.all(v >= 0)


@pytest.mark.parametrize("name", [n for n in IDS if EXAMPLES[n].horizon is not None])
def test_holds_end_value_past_horizon(name):
    s = EXAMPLES[name]
    h = s.horizon
    end = s(math.ceil(h))
    later = [math.ceil(h) + d for d in (1, 7, 100, 10**4, 10**7)]
    assert [s(k) for k in later] == [end] * len(later)
    np.testing.assert_array_equal(s(np.array(later)), end)


@pytest.mark.parametrize("name", [n for n in IDS if EXAMPLES[n].horizon is None and n not in PERIODIC])
def test_non_periodic_without_horizon_never_rises_again(name):
    # decaying schedules without a horizon (rsqrt, exponential, 1/t, power law) are monotone after their last phase
    s = EXAMPLES[name]
    start = max(s.breakpoints(), default=0.0)
    v = s(np.arange(int(start), int(start) + 5000))
    assert np.all(np.diff(v) <= 1e-18)


@pytest.mark.parametrize("name", IDS)
def test_continuity_where_promised(name):
    s = EXAMPLES[name]
    scale = max(float(np.max(np.abs(s(steps_for(s))))), 1e-12)
    for b in s.continuous_at():
        if b <= 0:
            continue
        left, right = s(b - 1e-7), s(b)
        assert abs(left - right) <= 1e-5 * scale, f"{s} jumps at {b}: {left} -> {right}"


@pytest.mark.parametrize("name", NESTABLE)
def test_one_element_join_equals_element(name):
    s = EXAMPLES[name]
    j = L.join([s], boundaries=[])
    steps = steps_for(s)
    np.testing.assert_array_equal(j(steps), s(steps))
    assert [j(int(k)) for k in steps] == [s(int(k)) for k in steps]


@pytest.mark.parametrize("name", NESTABLE)
def test_zero_length_warmup_and_phase_are_no_ops(name):
    s = EXAMPLES[name]
    steps = steps_for(s)
    np.testing.assert_array_equal(L.warmup(s, steps=0)(steps), s(steps))
    other = L.constant(123.0)
    # a zero-length phase inside a join is skipped
    j = L.join([s, other, s], boundaries=[0, 0])
    np.testing.assert_array_equal(j(steps), s(steps))


@settings(max_examples=40, deadline=None)
@given(
    b1=st.integers(0, 50),
    d1=st.integers(0, 50),
    step=st.integers(0, 300),
)
def test_join_nesting_is_associative(b1, d1, step):
    a = L.linear(init_value=1.0, end_value=0.5, decay_steps=17)
    b = L.cosine(init_value=0.4, decay_steps=23)
    c = L.inverse_sqrt(peak_value=0.3, warmup_steps=5)
    b2 = b1 + d1
    flat = L.join([a, b, c], boundaries=[b1, b2])
    left = L.join([L.join([a, b], boundaries=[b1]), c], boundaries=[b2])
    right = L.join([a, L.join([b, c], boundaries=[d1])], boundaries=[b1])
    assert flat(step) == left(step) == right(step)


@settings(max_examples=60, deadline=None)
@given(
    peak=st.floats(1e-6, 10.0),
    warmup=st.integers(0, 5000),
    init_frac=st.floats(0.0, 1.0),
    timescale=st.one_of(st.none(), st.integers(1, 20000)),
    step=st.integers(0, 10**7),
)
def test_inverse_sqrt_invariants(peak, warmup, init_frac, timescale, step):
    s = L.inverse_sqrt(peak_value=peak, warmup_steps=warmup, init_value=peak * init_frac, timescale=timescale)
    v = s(step)
    assert 0 <= v <= peak * (1 + 1e-12)
    if step >= warmup:
        tau = timescale if timescale is not None else (warmup or 10_000)
        assert v == pytest.approx(peak * math.sqrt(tau / (step - warmup + tau)), rel=1e-12)
        assert s(step + 1) <= v
    assert s(warmup) == pytest.approx(peak, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    peak=st.floats(1e-6, 1.0),
    w=st.integers(0, 100),
    stable=st.integers(0, 100),
    d=st.integers(0, 100),
    end_frac=st.floats(0.0, 1.0),
    shape=st.sampled_from(["linear", "cosine", "1-sqrt", "square"]),
)
def test_wsd_shape_and_endpoints(peak, w, stable, d, end_frac, shape):
    end = peak * end_frac
    s = L.wsd(peak_value=peak, warmup_steps=w, stable_steps=stable, decay_steps=d, end_value=end, decay_shape=shape)
    v = s(np.arange(0, w + stable + d + 10))
    assert np.all(v <= peak * (1 + 1e-12)) and np.all(v >= -1e-18)
    assert s(w + stable + d) == end and s(w + stable + d + 1000) == end
    if stable > 0:
        assert s(w) == pytest.approx(peak) and s(w + stable - 1) == pytest.approx(peak)
    # monotone non-increasing after the warmup
    assert np.all(np.diff(v[w:]) <= 1e-15)


@settings(max_examples=40, deadline=None)
@given(step=st.integers(0, 10**6), offset=st.integers(0, 10**5))
def test_resume_is_a_pure_function_of_the_step(step, offset):
    # "resuming restores one integer": a rebuilt schedule (from its config) gives bit-identical values
    s = EXAMPLES["cooldown_rsqrt"]
    rebuilt = L.from_config(json.loads(json.dumps(L.to_config(s))))
    assert rebuilt(step + offset) == s(step + offset)


def test_sequence_is_join_by_durations():
    a, b, c = L.constant(1.0), L.cosine(init_value=0.5, decay_steps=10), L.constant(0.01)
    s = L.sequence([(a, 5), (b, 10), (c, None)])
    assert s == L.join([a, b, c], boundaries=[5, 15])
    assert [s(k) for k in (4, 5, 10, 15, 99)] == [1.0, 0.5, 0.25, 0.01, 0.01]
    assert L.sequence([(b, None)]) == b
    assert L.sequence([(a, 0), (b, None)]) == b  # a zero-length phase is dropped
    with pytest.raises(L.ConfigError, match="only the last phase may use None"):
        L.sequence([(a, None), (b, 3)])
    with pytest.raises(L.ConfigError, match=r"`phases\[0\] duration` must be >= 0"):
        L.sequence([(a, -1), (b, 3)])
