"""Golden values from ../shared/reference/schedules-catalog.md (§2 and the per-library tables) and hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrplan as L


def check(schedule: L.Schedule, table: dict[int, float], rel: float = 1e-9) -> None:
    """Each value equal to ``rel``, through the scalar and the NumPy paths."""
    for step, expected in table.items():
        for got in (schedule(step), schedule(np.array([step]))[0]):
            assert got == pytest.approx(expected, rel=rel, abs=1e-15), f"{schedule} at {step}: {got} != {expected}"


def check_digits(schedule: L.Schedule, table: dict[int, float], digits: int = 6) -> None:
    """Each value equal to the table's when both are rounded to ``digits`` significant digits."""
    for step, expected in table.items():
        for got in (schedule(step), float(schedule(np.array([step]))[0])):
            assert f"{got:.{digits - 1}e}" == f"{expected:.{digits - 1}e}", f"{schedule} at {step}: {got}"


def test_t5_truncated_rsqrt():
    # catalog §2: T5 defaults (truncated, W = 10^4): 0.01 at 0, 1, 5000, 10000; 0.005 at 40000
    s = L.inverse_sqrt(peak_value=0.01, warmup_steps=10_000, warmup_shape="constant")
    check(s, {0: 0.01, 1: 0.01, 5000: 0.01, 10_000: 0.01, 40_000: 0.005})
    # and it is 1/sqrt(max(n, k)) everywhere
    for n in (0, 3, 9999, 10_001, 123_456):
        assert s(n) == pytest.approx(1 / math.sqrt(max(n, 10_000)), rel=1e-12)


def test_fairseq_shaped_rsqrt():
    # catalog §2: fairseq inverse_sqrt, lr=5e-4, warmup_updates=4000, warmup_init_lr=1e-7
    s = L.inverse_sqrt(peak_value=5e-4, warmup_steps=4000, init_value=1e-7)
    check_digits(s, {0: 1e-7, 1: 2.24975e-07, 2000: 2.50050e-04, 4000: 5e-4, 16000: 2.5e-4})


def test_fairseq_default_init_zero():
    s = L.inverse_sqrt(peak_value=5e-4, warmup_steps=4000)
    check(s, {0: 0.0, 1: 1.25e-07, 2000: 2.5e-04, 4000: 5e-4, 16000: 2.5e-4})


def test_hf_timescale_10000():
    # catalog §2: HF get_inverse_sqrt_schedule(timescale=10000) and big_vision rsqrt: 3.37100e-04 at 16000
    s = L.inverse_sqrt(peak_value=5e-4, warmup_steps=4000, timescale=10_000)
    check_digits(s, {0: 0.0, 1: 1.25e-07, 2000: 2.5e-04, 4000: 5e-4, 16000: 3.37100e-04})


def test_noam_as_inverse_sqrt():
    # catalog §2: Noam paper, d_model=512, warmup_steps=4000
    d_model, w = 512, 4000
    s = L.inverse_sqrt(peak_value=(d_model * w) ** -0.5, warmup_steps=w)
    check_digits(s, {0: 0.0, 1: 1.74693e-07, 2000: 3.49386e-04, 4000: 6.98771e-04, 16000: 3.49386e-04})


def test_zero_warmup_rsqrt_is_valid_and_uses_hf_default_timescale():
    s = L.inverse_sqrt(peak_value=1.0, warmup_steps=0)
    check(s, {0: 1.0, 10_000: 1 / math.sqrt(2), 30_000: 0.5})


def test_wsd_1sqrt_table():
    # catalog §2 WSD / 1-sqrt worked example: W=10, stable 80, decay 10, peak 1
    s = L.wsd(peak_value=1.0, warmup_steps=10, stable_steps=80, decay_steps=10)
    table = {0: 0, 1: 0.1, 5: 0.5, 9: 0.9, 10: 1, 89: 1, 90: 1, 91: 0.6838, 95: 0.2929, 99: 0.05132, 100: 0, 101: 0}
    check_digits(s, table, digits=4)


def test_wsd_cosine_table():
    s = L.wsd(peak_value=1.0, warmup_steps=10, stable_steps=80, decay_steps=10, decay_shape="cosine")
    check_digits(s, {91: 0.9755, 95: 0.5, 99: 0.02447, 100: 0.0}, digits=4)


def test_big_vision_rsqrt_with_cooldown():
    # catalog §2: big_vision, total 20000, cooldown 2000: 3.371e-4, 3.227e-4 (hand: 18000), 1.581e-4, 0
    s = L.cooldown(L.inverse_sqrt(peak_value=5e-4, warmup_steps=4000, timescale=10_000), start=18_000, steps=2000)
    check_digits(s, {16_000: 3.371e-4, 18_000: 3.227e-4, 19_000: 1.581e-4, 20_000: 0.0}, digits=4)


def test_seed_decays_by_hand():
    # linear to a floor over K steps, power law, exponential
    check(L.linear(init_value=0.1, end_value=0.001, decay_steps=100), {0: 0.1, 50: 0.0505, 100: 0.001, 500: 0.001})
    check(L.power_law(init_value=0.1, scale_steps=10, exponent=-1.0), {0: 0.1, 10: 0.05, 90: 0.01})
    check(L.exponential(init_value=0.1, decay_rate=0.5, decay_steps=100), {0: 0.1, 100: 0.05, 50: 0.1 / math.sqrt(2)})
    # step decay, 1/t decay
    check(L.step_decay(init_value=0.1, decay_rate=0.5, decay_steps=10), {9: 0.1, 10: 0.05, 25: 0.025})
    check(L.inverse_time(init_value=0.1, decay_rate=1.0, decay_steps=10), {0: 0.1, 10: 0.05, 90: 0.01})
    check(L.inverse_time(init_value=0.1, decay_rate=1.0, decay_steps=10, staircase=True), {9: 0.1, 19: 0.05})


def test_piecewise_switches_at_boundary():
    # catalog §1.2: optax piecewise_constant {3: .1, 5: .1}: t=3 -> .1, t=5 -> .01
    s = L.piecewise_constant(boundaries=[3, 5], values=[1.0, 0.1, 0.01])
    check(s, {0: 1.0, 2: 1.0, 3: 0.1, 4: 0.1, 5: 0.01, 100: 0.01})


def test_cosine_and_exponent():
    # catalog §1.2 verified: I=0, P=1, W=5, D=15 (includes warmup), E=.1: t=4 -> .8, 5 -> 1, 10 -> .55, 15 -> .1
    s = L.warmup(L.cosine(init_value=1.0, decay_steps=10, end_value=0.1), steps=5)
    check(s, {4: 0.8, 5: 1.0, 10: 0.55, 15: 0.1, 99: 0.1})
    e = L.cosine(init_value=1.0, decay_steps=10, exponent=2.0)
    check(e, {0: 1.0, 5: 0.25, 10: 0.0})


def test_cosine_restarts_torch_table():
    # catalog §1.1 verified: CosineAnnealingWarmRestarts T_0=3, T_mult=2: 1, .75, .25, 1, .933, .75, .5, .25, .067, 1
    s = L.cosine_restarts(init_value=1.0, decay_steps=3, period_mult=2)
    expected = [1, 0.75, 0.25, 1, 0.9330127, 0.75, 0.5, 0.25, 0.0669873, 1]
    check(s, dict(enumerate(expected)), rel=1e-6)


def test_cyclic_triangular2_torch_table():
    # catalog §1.1 verified: triangular2 with up=2: 0.1, .55, 1, .55, .1, .325, .55
    s = L.cyclic(init_value=0.1, peak_value=1.0, up_steps=2, mode="triangular2")
    check(s, dict(enumerate([0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55])))


def test_one_cycle_defaults():
    # catalog §1.1/1.2: starts at max/25, minimum max/(25 * 1e4) = 4e-6 * max
    s = L.one_cycle(peak_value=1.0, total_steps=100)
    check(s, {0: 0.04, 29: 1.0, 99: 4e-6, 150: 4e-6})


def test_step_convention_endpoints():
    # schedule(k) is the value for the k-th update, k from 0: warmup from 0 makes step 0 use init_value
    s = L.warmup(L.constant(1.0), steps=4)
    assert [s(k) for k in range(6)] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    # negative steps clamp to 0
    assert s(-5) == 0.0
    assert list(s(np.array([-3, 0, 4]))) == [0.0, 0.0, 1.0]


def test_wsd_without_stable_or_decay_phase_still_warms_to_the_peak():
    s = L.wsd(peak_value=1.0, warmup_steps=2, stable_steps=0, decay_steps=0, end_value=0.1)
    assert [s(k) for k in range(4)] == [0.0, 0.5, 0.1, 0.1]
    s = L.wsd(peak_value=1.0, warmup_steps=4, stable_steps=0, decay_steps=4, decay_shape="linear")
    assert [s(k) for k in range(10)] == [0.0, 0.25, 0.5, 0.75, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]


def test_anneal_shapes_by_hand():
    # from 1.0 to 0.0 over 100 steps, at p = 0.25: linear .75, cosine (1+cos(pi/4))/2, 1-sqrt 1-.5, square 1-1/16
    p = 0.25
    expected = {
        "linear": 0.75,
        "cosine": 0.5 * (1 + math.cos(math.pi * p)),
        "1-sqrt": 0.5,
        "square": 1 - p * p,
    }
    for shape, value in expected.items():
        s = L.anneal(init_value=1.0, end_value=0.0, steps=100, shape=shape)
        check(s, {0: 1.0, 25: value, 100: 0.0, 1000: 0.0})
    # geometric: 1 -> 1e-4 over 100 steps is 1e-1 at a quarter
    check(L.anneal(init_value=1.0, end_value=1e-4, steps=100, shape="exponential"), {0: 1.0, 25: 0.1, 50: 0.01})


def test_warmup_shapes_are_time_reversed_decays():
    # warmup from 0 to 1 over 100 steps, at p = 0.25: linear .25, cosine (1-cos(pi/4))/2, 1-sqrt 1-sqrt(.75)
    for shape, value in {
        "linear": 0.25,
        "cosine": 0.5 * (1 - math.cos(math.pi / 4)),
        "1-sqrt": 1 - math.sqrt(0.75),
        "square": 1 - 0.75**2,
    }.items():
        check(L.warmup(L.constant(1.0), steps=100, shape=shape), {0: 0.0, 25: value, 100: 1.0})
    check(L.warmup(L.constant(1.0), steps=100, init_value=1e-4, shape="exponential"), {0: 1e-4, 50: 1e-2, 75: 0.1})


def test_cooldown_multiplies_the_live_schedule():
    base = L.linear(init_value=2.0, end_value=1.0, decay_steps=100)  # 2 - s/100
    s = L.cooldown(base, start=50, steps=40, end_value=0.1)
    # at 70: q = 0.5, live value 1.3: 0.1 + (1.3 - 0.1) * 0.5 = 0.7
    check(s, {49: 1.51, 50: 1.5, 70: 0.7, 90: 0.1, 500: 0.1})
    check(L.cooldown(L.constant(1.0), start=10, steps=0), {9: 1.0, 10: 0.0})


def test_combinators_by_hand():
    cos = L.cosine(init_value=1.0, decay_steps=10)
    check(L.scale(cos, factor=0.5), {0: 0.5, 5: 0.25})
    check(L.shift(cos, steps=5), {0: 1.0, 5: 1.0, 10: 0.5, 15: 0.0})
    check(L.product([cos, L.constant(0.2)]), {0: 0.2, 5: 0.1})
    check(L.clip(cos, min_value=0.3, max_value=0.8), {0: 0.8, 5: 0.5, 10: 0.3})
    check(L.polynomial(init_value=1.0, end_value=0.1, decay_steps=10, power=2.0), {0: 1.0, 5: 0.325, 10: 0.1})
    # exp_range: amplitude times gamma^s; at s = 8 (the peak of the first cycle), 0.1 + 0.9 * 0.99^8
    check(L.cyclic(init_value=0.1, peak_value=1.0, up_steps=8, mode="exp_range", gamma=0.99), {8: 0.1 + 0.9 * 0.99**8})
    # exponential with a ceiling (rate > 1)
    check(L.exponential(init_value=1e-3, decay_rate=10.0, decay_steps=10, end_value=0.5), {10: 1e-2, 20: 0.1, 30: 0.5})
