"""Continued and anytime training: infinite schedules, WSD-S, re-warming, cooldown branches (hand computation)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrplan as L


def test_infinite_phases_by_hand():
    s = L.infinite(
        peak_value=3e-4,
        warmup_steps=100,
        cooldown_steps=400,
        constant_value=1e-4,
        constant_steps=1_000,
        anneal_steps=200,
        end_value=1e-5,
    )
    assert s(0) == 0.0 and s(50) == pytest.approx(1.5e-4, rel=1e-12) and s(100) == 3e-4
    assert s(300) == pytest.approx((3e-4 + 1e-4) / 2, rel=1e-12)  # the cosine cooldown's midpoint
    assert s(500) == s(1_499) == 1e-4  # the constant phase, as long as the data lasts
    assert s(1_600) == pytest.approx(math.sqrt(1e-4 * 1e-5), rel=1e-12)  # exponential anneal: geometric midpoint
    assert s(1_700) == s(10**6) == 1e-5 and s.horizon == 1_700.0
    v = s(np.arange(100, 1_701))
    assert np.all(np.diff(v) <= 0)  # never rises after the warmup


def test_infinite_linear_anneal_to_zero_without_cooldown():
    s = L.infinite(
        peak_value=1.0,
        warmup_steps=0,
        cooldown_steps=0,
        constant_value=0.5,
        constant_steps=30,
        anneal_steps=10,
        end_value=0.0,
        anneal_shape="linear",
    )
    assert [s(k) for k in (0, 29, 30, 35, 40)] == [0.5, 0.5, 0.5, 0.25, 0.0]


def test_wsd_s_returns_to_the_peak_after_each_decay():
    s = L.wsd_s(
        peak_value=2.0, warmup_steps=10, stable_steps=[40, 30, 20], decay_steps=[10, 10, 5], decay_shape="linear"
    )
    # periods: stable 10-50, decay 50-60 | stable 60-90, decay 90-100 | stable 100-120, decay 120-125
    expected = {
        0: 0.0,
        5: 1.0,
        10: 2.0,
        49: 2.0,
        55: 1.0,
        59: 0.2,
        60: 2.0,
        89: 2.0,
        95: 1.0,
        100: 2.0,
        122: 1.2,
        125: 0.0,
    }
    assert {k: s(k) for k in expected} == pytest.approx(expected, rel=1e-12)
    assert s.horizon == 125.0 and s(10**6) == 0.0
    # each period's last decay update ends one step short of end_value, as a wsd of the same period does
    one = L.wsd(peak_value=2.0, warmup_steps=10, stable_steps=40, decay_steps=10, decay_shape="linear")
    np.testing.assert_array_equal(s(np.arange(60)), one(np.arange(60)))


def test_rewarm_continues_the_update_count():
    first = L.warmup(L.cosine(init_value=3e-4, decay_steps=900, end_value=3e-5), steps=100)
    second = L.cosine(init_value=3e-4, decay_steps=900, end_value=3e-5)
    s = L.rewarm(first, at=1_000, schedule=second, steps=100)
    np.testing.assert_array_equal(s(np.arange(1_000)), first(np.arange(1_000)))
    assert s(1_000) == first(1_000) == 3e-5  # re-warming starts where the first run ended: no jump
    assert s(1_050) == pytest.approx((3e-5 + 3e-4) / 2, rel=1e-12) and s(1_100) == 3e-4
    assert s(1_550) == pytest.approx(second(450), rel=1e-15) and s(2_000) == 3e-5
    assert L.parse(str(s)) == s


def test_cooldown_branches_share_the_main_run():
    main = L.warmup(L.constant(1e-3), steps=100)
    branches = L.cooldown_branches(main, {"a": (1_000, 200), "b": (2_000, 400)}, shape="linear")
    for name, (start, steps) in {"a": (1_000, 200), "b": (2_000, 400)}.items():
        b = branches[name]
        np.testing.assert_array_equal(b(np.arange(start)), main(np.arange(start)))
        assert b(start + steps // 2) == pytest.approx(5e-4, rel=1e-12) and b(start + steps) == 0.0
    with pytest.raises(L.ConfigError, match=r"`starts\['x'\]` must be a pair \(start, steps\)"):
        L.cooldown_branches(main, {"x": 5})


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: L.infinite(
                peak_value=1.0,
                warmup_steps=1,
                cooldown_steps=1,
                constant_value=2.0,
                constant_steps=1,
                anneal_steps=1,
                end_value=0.1,
            ),
            "infinite: `constant_value` must be <= peak_value=1.0. Received: constant_value=2.0.",
        ),
        (
            lambda: L.infinite(
                peak_value=1.0,
                warmup_steps=1,
                cooldown_steps=1,
                constant_value=0.5,
                constant_steps=1,
                anneal_steps=1,
                end_value=0.0,
            ),
            "infinite: `end_value` must be > 0 with an exponential phase towards it. Received: end_value=0.0.",
        ),
        (
            lambda: L.wsd_s(peak_value=1.0, warmup_steps=1, stable_steps=[1, 2], decay_steps=[1]),
            "wsd_s: `decay_steps` must be as long as `stable_steps` (2 periods). Received: decay_steps=[1].",
        ),
        (
            lambda: L.wsd_s(peak_value=1.0, warmup_steps=1, stable_steps=[], decay_steps=[]),
            "wsd_s: `stable_steps` must be a non-empty list of durations >= 0. Received: stable_steps=[].",
        ),
    ],
)
def test_refused_naming_the_argument(build, message):
    with pytest.raises(L.ConfigError) as err:
        build()
    assert str(err.value) == message
