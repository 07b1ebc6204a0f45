"""The sums behind the laws: the fast multi-power sum against the direct one, within the stated bound."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan
import lrplan.laws
from lrplan.laws import _kernel as K

COSINE_100K = "warmup(cosine(init_value=3e-4, decay_steps=97_840, end_value=3e-5), steps=2_160)"


def reference_drop(lrs, C, beta, gamma, steps):
    """The reference code's sum (thu-yao-01-luo/MultiPowerLaw, src/evaluation.py), transcribed:
    LD[s] = sum(lr_gap[1:s+1] * (1 - (1 + C * lrs[1:s+1]**-gamma * (lr_sum[s] - lr_sum[:s]))**-beta)),
    lr_gap[k] = lrs[k] - lrs[k-1]; the law adds B * LD, so the drop is -LD."""
    lr_sum = np.cumsum(lrs)
    lr_gap = np.zeros(len(lrs))
    lr_gap[1:] = np.diff(lrs)
    out = []
    for s in steps:
        ld = np.sum(
            lr_gap[1 : s + 1] * (1 - (1 + C * lrs[1 : s + 1] ** (-gamma) * (lr_sum[s] - lr_sum[:s])) ** (-beta))
        )
        out.append(-ld)
    return np.array(out)


def test_direct_sum_is_the_reference_sum():
    rng = np.random.default_rng(0)
    lrs = np.r_[np.linspace(0, 1e-3, 30)[1:], rng.uniform(1e-5, 1e-3, 200)]
    steps = np.arange(0, len(lrs), 7)
    got = K.drop_direct(lrs, 2.0, 0.6, 0.65, steps)
    np.testing.assert_allclose(got, reference_drop(lrs, 2.0, 0.6, 0.65, steps), rtol=1e-12, atol=1e-17)


@pytest.mark.parametrize("size", ["25M", "100M"])
def test_fast_sum_within_its_bound_on_the_published_schedules(size):
    for run in lrplan.laws.load_manifest(lrplan.laws.example_manifest(size), "all"):
        lrs = run.schedule(np.arange(run.steps[-1] + 1))
        steps = np.unique(np.r_[np.arange(0, len(lrs), 401), len(lrs) - 1])
        fast = K.drop_fast(lrs, 2.06560812, 0.58279013, 0.64142257)[steps]
        direct = K.drop_direct(lrs, 2.06560812, 0.58279013, 0.64142257, steps)
        assert np.max(np.abs(fast - direct)) <= K.drop_bound(lrs) + 1e-15, run.name


def test_fast_sum_of_100k_steps_matches_the_quadratic_one():
    lrs = lrplan.parse(COSINE_100K)(np.arange(100_000))
    steps = np.r_[1, 2, 3, np.arange(2_000, 100_000, 4_001), 99_999]
    fast = K.drop_fast(lrs, 2.0, 0.58, 0.64)
    direct = K.drop_direct(lrs, 2.0, 0.58, 0.64, steps)
    bound = K.drop_bound(lrs)
    assert 1e-15 < bound < 1e-12  # 1e-10 * sum|eta_{k-1} - eta_k| = 1e-10 * (3e-4 + 2.7e-4)
    assert np.max(np.abs(fast[steps] - direct)) <= bound


schedules = st.lists(st.one_of(st.just(0.0), st.floats(1e-7, 1.0)), min_size=2, max_size=40).flatmap(
    lambda values: st.tuples(st.just(values), st.lists(st.integers(1, 30), min_size=len(values), max_size=len(values)))
)


@settings(max_examples=60)
@given(
    schedules,
    st.floats(1e-3, 1e3),
    st.floats(0.05, 3.0),
    st.floats(0.0, 1.5),
)
def test_fast_sum_within_its_bound_on_any_piecewise_schedule(pieces, C, beta, gamma):
    values, lengths = pieces
    lrs = np.repeat(np.array(values), lengths)
    if len(lrs) > 1:
        lrs[1::3] *= 0.5  # some changes at every other step too
    steps = np.arange(len(lrs))
    fast = K.drop_fast(lrs, C, beta, gamma)
    direct = K.drop_direct(lrs, C, beta, gamma, steps)
    assert np.all(np.isfinite(fast))
    assert np.max(np.abs(fast - direct)) <= K.drop_bound(lrs) + 1e-13 * max(1.0, float(np.abs(direct).max()))


def test_a_step_whose_lr_stays_zero_has_made_no_progress():
    lrs = np.array([0.0, 1.0, 1.0, 0.0, 0.0, 0.5])
    # w = [0, -1, 0, 1, 0, -0.5]; at steps 3 and 4 the drop of step 3 (lr 0 since) counts 0, at 5 it counts 1
    direct = K.drop_direct(lrs, 1.0, 1.0, 0.0, np.arange(6))
    fast = K.drop_fast(lrs, 1.0, 1.0, 0.0)
    np.testing.assert_allclose(fast, direct, atol=1e-12)
    assert direct[3] == pytest.approx(-(1 - 1 / 3))  # only the rise at step 1, with S = 2
    assert direct[5] == pytest.approx(-(1 - 1 / 3.5) + 1.0 - 0.5 * (1 - 1 / 1.5))


@pytest.mark.parametrize("beta", [0.1, 0.58, 1.0, 3.0])
@pytest.mark.parametrize("ratio", [10.0, 1e4, 1e9])
def test_exponential_sum_relative_error_below_the_tolerance(beta, ratio):
    u, lam, coef = K.soe_nodes(beta, ratio)
    y = np.geomspace(1 / ratio, 1.0, 5_000)
    approx = (lam[:, None] * np.exp(-np.outer(u, y))).sum(0) + np.polyval(coef[::-1], y)
    assert np.max(np.abs(approx * y**beta - 1)) <= K.SOE_TOLERANCE


def test_momentum_area_is_the_recurrence():
    rng = np.random.default_rng(1)
    lrs = np.r_[np.linspace(0, 1, 20), rng.uniform(0, 1, 300), np.zeros(10)]
    for decay in (0.0, 0.5, 0.99, 0.999):
        m, total, expected = 0.0, 0.0, [0.0]
        for k in range(1, len(lrs)):
            m = decay * m + (lrs[k - 1] - lrs[k])
            total += m
            expected.append(total)
        np.testing.assert_allclose(K.momentum_area(lrs, decay), expected, rtol=1e-9, atol=1e-12)


def test_decay_scan_is_the_recurrence_and_never_leaves_normal_numbers():
    rng = np.random.default_rng(2)
    n = 1_000
    d = np.exp(-rng.uniform(0, 36, n))
    b = rng.uniform(-1, 1, n) * (rng.uniform(size=n) < 0.05)
    out, last = K.decay_scan(d, b, 0.25)
    r, expected = 0.25, []
    for i in range(n):
        r = d[i] * r + b[i]
        expected.append(r)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-100)
    assert last == out[-1]
    tiny = np.abs(out[out != 0]).min()
    assert tiny >= np.finfo(float).tiny


def test_power_term_is_infinite_before_the_first_update():
    law = lrplan.laws.MultiPowerLaw(L0=3.0, A=0.5, alpha=0.5, B=300.0, C=2.0, beta=0.6, gamma=0.6)
    s = lrplan.warmup(lrplan.constant(1e-3), steps=10)
    assert law.predict(s, 0) == math.inf
    assert math.isfinite(law.predict(s, 1))
