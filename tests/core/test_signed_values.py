"""Values of any sign and growing exponentials: what optax, Keras and PyTorch accept, the core accepts.

Expected values are hand computations (and optax's own test expectations where quoted).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrplan as L


@pytest.mark.parametrize(
    ("schedule", "steps", "expected"),
    [
        (L.constant(-1e-3), [0, 7], [-1e-3, -1e-3]),
        (L.linear(init_value=-1.0, end_value=1.0, decay_steps=4), [0, 1, 2, 3, 4, 9], [-1.0, -0.5, 0.0, 0.5, 1.0, 1.0]),
        # -1 * (1 - 1/2) ** 2
        (L.polynomial(init_value=-1.0, end_value=0.0, decay_steps=2, power=2.0), [0, 1, 2, 5], [-1.0, -0.25, 0.0, 0.0]),
        # optax's test_negative: piecewise_constant_schedule(-0.1, {3: 2.0, 6: 0.5})
        (
            L.piecewise_constant(boundaries=[3, 6], values=[-0.1, -0.2, -0.1]),
            [0, 2, 3, 5, 6, 9],
            [-0.1, -0.1, -0.2, -0.2, -0.1, -0.1],
        ),
        # optax's test_with_exponent after the warmup: -3 + 4.21 * ((1 + cos(pi t / 50)) / 2) ** 2
        (
            L.cosine(init_value=1.21, decay_steps=50, end_value=-3.0, exponent=2.0),
            [0, 25, 50, 80],
            [1.21, -1.9475, -3.0, -3.0],
        ),
        (L.warmup(L.constant(1.0), steps=10, init_value=-1.0), [0, 5, 10, 20], [-1.0, 0.0, 1.0, 1.0]),
        # 1 + (-1 - 1) * (1 + cos(pi / 2)) / 2
        (L.anneal(init_value=-1.0, end_value=1.0, steps=2, shape="cosine"), [0, 1, 2, 3], [-1.0, 0.0, 1.0, 1.0]),
        # Keras' ExponentialDecay(-0.1, 10, 0.5)
        (L.exponential(init_value=-0.1, decay_rate=0.5, decay_steps=10), [0, 10, 20], [-0.1, -0.05, -0.025]),
    ],
)
def test_negative_values_are_accepted_and_evaluated(schedule, steps, expected):
    assert [schedule(k) for k in steps] == pytest.approx(expected, rel=1e-14, abs=1e-16)
    np.testing.assert_allclose(schedule(np.array(steps)), expected, rtol=1e-14, atol=1e-16)


def test_exponential_grows_without_end_value():
    s = L.exponential(init_value=0.01, decay_rate=2.0, decay_steps=10)
    assert [s(k) for k in (0, 10, 20, 5)] == pytest.approx([0.01, 0.02, 0.04, 0.01 * 2**0.5], rel=1e-15)
    assert s.horizon is None


@pytest.mark.parametrize(("init", "inf"), [(0.01, math.inf), (-0.1, -math.inf)])
@pytest.mark.parametrize("step", [20_000, 10**6, 10**9])
def test_growth_past_the_float_range_is_infinite_not_an_overflow_error(init, inf, step):
    s = L.exponential(init_value=init, decay_rate=2.0, decay_steps=10)
    assert s(step) == inf
    assert s(np.array([step]))[0] == inf


def test_growth_just_below_the_float_range_stays_exact():
    # 2 ** 1023 is the largest power of two a float holds; 2 ** 1025 is past the range
    s = L.exponential(init_value=1.0, decay_rate=2.0, decay_steps=1)
    assert s(1023) == 2.0**1023
    assert s(1025) == math.inf
    huge = L.exponential(init_value=1.0, decay_rate=1e300, decay_steps=1)
    assert huge(1) == 1e300 and huge(2) == math.inf


def test_step_decay_grows_with_a_rate_above_one():
    # PyTorch's StepLR(step_size=3, gamma=2.0) from 0.5
    s = L.step_decay(init_value=0.5, decay_rate=2.0, decay_steps=3)
    assert [s(t) for t in range(10)] == [0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 4.0]
    capped = L.step_decay(init_value=0.5, decay_rate=2.0, decay_steps=3, end_value=1.5)
    assert [capped(t) for t in (0, 3, 6, 10**6)] == [0.5, 1.0, 1.5, 1.5]
    assert capped.horizon == 6.0


@pytest.mark.parametrize(
    ("rate", "end", "expected", "horizon"),
    [
        # max(-1 * 0.5 ** k, -0.3): the clamp holds first, then the value rises past it toward 0
        (0.5, -0.3, [-0.3, -0.3, -0.25, -0.125], None),
        # max(-1 * 0.5 ** k, 0.2): the clamp wins from step 0
        (0.5, 0.2, [0.2, 0.2, 0.2, 0.2], 0.0),
        # min(-1 * 2 ** k, -3): the clamp holds first, then the value falls past it
        (2.0, -3.0, [-3.0, -3.0, -4.0, -8.0], None),
        # min(-1 * 2 ** k, -0.5): the value itself
        (2.0, -0.5, [-1.0, -2.0, -4.0, -8.0], None),
    ],
)
def test_exponential_clamp_of_a_negative_init_value_is_optax_max_or_min(rate, end, expected, horizon):
    s = L.exponential(init_value=-1.0, decay_rate=rate, decay_steps=1, end_value=end)
    assert [s(k) for k in range(4)] == expected
    np.testing.assert_array_equal(s(np.arange(4)), expected)
    assert s.horizon == horizon


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: L.exponential(init_value=1.0, decay_rate=0.5, decay_steps=10, end_value=2.0),
            "exponential: `end_value` must be <= init_value=1.0 when decay_rate < 1. Received: end_value=2.0.",
        ),
        (
            lambda: L.exponential(init_value=1.0, decay_rate=2.0, decay_steps=10, end_value=0.5),
            "exponential: `end_value` must be >= init_value=1.0 when decay_rate > 1. Received: end_value=0.5.",
        ),
        (lambda: L.constant(math.nan), "constant: `value` must be a finite real number. Received: value=nan."),
        (
            lambda: L.anneal(init_value=-1.0, end_value=1.0, steps=2, shape="exponential"),
            "anneal: `init_value` must be > 0 with shape='exponential'. Received: init_value=-1.0.",
        ),
    ],
)
def test_what_stays_refused(make, message):
    with pytest.raises(L.ConfigError) as info:
        make()
    assert str(info.value) == message
