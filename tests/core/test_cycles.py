"""Cycles: cosine_wave, cosine_hard_restarts, cycle_anneal and quantize, by hand, by invariant and in every framework."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan as L
from tests.examples import EXAMPLES, steps_for

CYCLES = ("cosine_wave", "cosine_hard_restarts", "cycle_anneal_tanh", "quantize")


def test_values_by_hand():
    w = L.cosine_wave(init_value=1.0, decay_steps=10, end_value=0.2, num_cycles=1.0)
    assert (w(0), w(10)) == (1.0, 1.0) and w(5) == pytest.approx(0.2)
    h = L.cosine_hard_restarts(init_value=2.0, decay_steps=30, num_cycles=3)
    assert (h(0), h(10), h(20), h(30)) == (2.0, 2.0, 2.0, 0.0) and h(5) == pytest.approx(1.0)
    c = L.cycle_anneal(init_value=1.0, cycle_steps=10, shape="poly", power=2.0, k_decay=0.5)
    assert c(4) == pytest.approx((1 - math.sqrt(0.4)) ** 2) and c(10) == 0.0
    t = L.cycle_anneal(init_value=1.0, cycle_steps=4, end_value=0.0, shape="triangular", max_cycles=None)
    assert [t(k) for k in range(6)] == [0.0, 0.5, 1.0, 0.5, 0.0, 0.5]
    f = L.cycle_anneal(init_value=1.0, cycle_steps=10, end_value=0.2, peak_decay=0.5, end_decay=True, max_cycles=None)
    assert f(10) == 0.5 and f(15) == pytest.approx(0.1 + 0.2)
    q = L.quantize(L.linear(init_value=1.0, end_value=0.0, decay_steps=3), unit_steps=2.5)
    assert [q(k) for k in (0, 2, 3, 5, 7.5)] == [1.0, 1.0, pytest.approx(2 / 3), pytest.approx(1 / 3), 0.0]


@settings(max_examples=25, deadline=None)
@given(k=st.integers(1, 50), d=st.sampled_from([1.0, 0.5, 0.3]), n=st.integers(1, 4), s=st.integers(0, 400))
def test_cycle_anneal_cosine_is_sgdr(k, d, n, s):
    # with period_mult = 1 and k_decay = 1 it is the core cosine_restarts
    a = L.cycle_anneal(init_value=1.0, cycle_steps=k, end_value=0.1, peak_decay=d, max_cycles=n)
    b = L.cosine_restarts(init_value=1.0, decay_steps=k, end_value=0.1, peak_decay=d, max_cycles=n)
    assert a(s) == pytest.approx(b(s), rel=1e-12, abs=1e-15)


@settings(max_examples=25, deadline=None)
@given(k=st.integers(1, 200), s=st.integers(0, 1000))
def test_cosine_wave_is_cosine_until_its_end(k, s):
    wave = L.cosine_wave(init_value=3.0, decay_steps=k, end_value=0.5)
    if s <= k:
        assert wave(s) == pytest.approx(L.cosine(init_value=3.0, decay_steps=k, end_value=0.5)(s), rel=1e-12)
    assert wave(s) == pytest.approx(wave(s + 2 * k), rel=1e-9, abs=1e-12)  # periodic


@settings(max_examples=25, deadline=None)
@given(u=st.integers(1, 20), s=st.integers(0, 500))
def test_quantize_is_constant_within_a_unit(u, s):
    q = L.quantize(L.cosine(init_value=1.0, decay_steps=15), unit_steps=u)
    assert q(s) == q((s // u) * u) == L.cosine(init_value=1.0, decay_steps=15)(s // u)


@pytest.mark.parametrize("name", CYCLES)
def test_frameworks_agree(name):
    torch = pytest.importorskip("torch")
    jnp = pytest.importorskip("jax.numpy")
    s = EXAMPLES[name]
    steps = steps_for(s)
    expected = np.array([s(int(k)) for k in steps])
    np.testing.assert_allclose(s(steps), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s(torch.tensor(steps, dtype=torch.float64)).numpy(), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(np.asarray(s(jnp.asarray(steps))), expected, rtol=1e-5, atol=1e-6)
    assert L.parse(str(s)) == s and L.from_config(L.to_config(s)) == s


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: L.cycle_anneal(init_value=1.0, cycle_steps=10, period_mult=0.5),
            "cycle_anneal: `period_mult` must be >= 1",
        ),
        (lambda: L.cycle_anneal(init_value=1.0, cycle_steps=10, lb=3.0, ub=1.0), "`lb` must be < ub"),
        (
            lambda: L.cosine_hard_restarts(init_value=1.0, decay_steps=10, num_cycles=0),
            "`num_cycles` must be an integer",
        ),
        (lambda: L.quantize(L.constant(1.0), unit_steps=0), "quantize: `unit_steps` must be > 0"),
        (lambda: L.cosine_wave(init_value=1.0, decay_steps=0), "cosine_wave: `decay_steps` must be > 0"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(L.ConfigError) as info:
        call()
    assert message in str(info.value)
