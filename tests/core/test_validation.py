"""Bad input gets a clear, typed error at construction, naming the schedule, the argument and the value."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrplan as L

BAD = [
    (lambda: L.cosine(init_value=1.0, decay_steps=0), "cosine: `decay_steps` must be > 0. Received: decay_steps=0."),
    (
        lambda: L.cosine(init_value="1e-3", decay_steps=10),
        "cosine: `init_value` must be a finite real number. Received: init_value='1e-3'.",
    ),
    (
        lambda: L.cosine(init_value=math.nan, decay_steps=10),
        "`init_value` must be a finite real number. Received: init_value=nan",
    ),
    (lambda: L.cosine(init_value=math.inf, decay_steps=10), "Received: init_value=inf"),
    (lambda: L.cosine(init_value=True, decay_steps=10), "Received: init_value=True"),
    (
        lambda: L.inverse_time(init_value=-1.0, decay_rate=1.0, decay_steps=10),
        "inverse_time: `init_value` must be >= 0. Received: init_value=-1.0.",
    ),
    (
        lambda: L.linear(init_value=1.0, end_value=0.0, decay_steps=-5),
        "linear: `decay_steps` must be > 0. Received: decay_steps=-5.",
    ),
    (
        lambda: L.inverse_sqrt(peak_value=1.0, warmup_steps=-1),
        "inverse_sqrt: `warmup_steps` must be >= 0. Received: warmup_steps=-1.",
    ),
    (
        lambda: L.inverse_sqrt(peak_value=1.0, warmup_steps=10, timescale=0),
        "inverse_sqrt: `timescale` must be > 0. Received: timescale=0.",
    ),
    (
        lambda: L.inverse_sqrt(peak_value=1.0, warmup_steps=10, warmup_shape="cubic"),
        "inverse_sqrt: `warmup_shape` must be one of 'linear', 'cosine', 'constant'. Received: warmup_shape='cubic'.",
    ),
    (
        lambda: L.inverse_sqrt(peak_value=1.0, warmup_steps=10, warmup_shape="constant", init_value=0.1),
        "`init_value` must be 0 (unused) with warmup_shape='constant'",
    ),
    (
        lambda: L.wsd(peak_value=1.0, warmup_steps=1, stable_steps=1, decay_steps=1, end_value=2.0),
        "wsd: `end_value` must be <= peak_value=1.0. Received: end_value=2.0.",
    ),
    (
        lambda: L.wsd(peak_value=1.0, warmup_steps=1, stable_steps=1, decay_steps=1, decay_shape="exponential"),
        "wsd: `end_value` must be > 0 with decay_shape='exponential'",
    ),
    (
        lambda: L.piecewise_constant(boundaries=[1, 2], values=[1.0, 0.5]),
        "piecewise_constant: `values` must be one longer than `boundaries`",
    ),
    (
        lambda: L.piecewise_constant(boundaries=[5, 2], values=[1.0, 0.5, 0.1]),
        "piecewise_constant: `boundaries` must be strictly increasing. Received: boundaries=[5, 2].",
    ),
    (
        lambda: L.piecewise_constant(boundaries="10", values=[1.0, 0.5]),
        "`boundaries` must be a list of finite real numbers",
    ),
    (
        lambda: L.join([L.constant(1.0), L.constant(0.5)], boundaries=[]),
        "join: `boundaries` must be 1 step(s), one fewer than `schedules`",
    ),
    (
        lambda: L.join([L.constant(1.0), L.constant(0.5)], boundaries=[-1]),
        "join: `boundaries` must be a list of numbers >= 0",
    ),
    (lambda: L.join([], boundaries=[]), "join: `schedules` must be a list of at least 1 lrplan Schedule(s)"),
    (
        lambda: L.warmup(lambda step: 0.1, steps=10),
        "warmup: `schedule` must be an lrplan Schedule (wrap a plain function",
    ),
    (lambda: L.warmup(L.constant(1.0), steps=10, shape="exponential"), "warmup: `init_value` must be > 0"),
    (
        lambda: L.exponential(init_value=1.0, decay_rate=0.5, decay_steps=10, end_value=2.0),
        "exponential: `end_value` must be <= init_value=1.0 when decay_rate < 1",
    ),
    (
        lambda: L.exponential(init_value=1.0, decay_rate=0.0, decay_steps=10),
        "exponential: `decay_rate` must be > 0. Received: decay_rate=0.0.",
    ),
    (
        lambda: L.step_decay(init_value=1.0, decay_rate=2.0, decay_steps=10, end_value=0.5),
        "step_decay: `end_value` must be >= init_value=1.0 when decay_rate > 1. Received: end_value=0.5.",
    ),
    (
        lambda: L.exponential(init_value=1.0, decay_rate=0.5, decay_steps=10, staircase=1),
        "exponential: `staircase` must be True or False. Received: staircase=1.",
    ),
    (
        lambda: L.cosine_restarts(init_value=1.0, decay_steps=10, period_mult=0.5),
        "cosine_restarts: `period_mult` must be >= 1. Received: period_mult=0.5.",
    ),
    (
        lambda: L.cosine_restarts(init_value=1.0, decay_steps=10, max_cycles=0),
        "cosine_restarts: `max_cycles` must be an integer >= 1. Received: max_cycles=0.",
    ),
    (
        lambda: L.cosine_restarts(init_value=1.0, decay_steps=10, max_cycles=1.5),
        "cosine_restarts: `max_cycles` must be an integer. Received: max_cycles=1.5.",
    ),
    (
        lambda: L.one_cycle(peak_value=1.0, total_steps=100, pct_start=1.0),
        "one_cycle: `pct_start` must be in (0, 1.0). Received: pct_start=1.0.",
    ),
    (lambda: L.one_cycle(peak_value=1.0, total_steps=2), "one_cycle: `total_steps` must be large enough"),
    (
        lambda: L.cyclic(init_value=0.1, peak_value=1.0, up_steps=10, mode="sine"),
        "cyclic: `mode` must be one of 'triangular', 'triangular2', 'exp_range'. Received: mode='sine'.",
    ),
    (lambda: L.clip(L.constant(1.0)), "clip: `min_value` must be given (or max_value)"),
    (
        lambda: L.clip(L.constant(1.0), min_value=0.5, max_value=0.1),
        "clip: `min_value` must be <= max_value=0.1. Received: min_value=0.5.",
    ),
    (lambda: L.cooldown(L.constant(1.0), start=-1, steps=10), "cooldown: `start` must be >= 0. Received: start=-1."),
    (
        lambda: L.anneal(init_value=0.0, end_value=1.0, steps=10, shape="exponential"),
        "anneal: `init_value` must be > 0 with shape='exponential'. Received: init_value=0.0.",
    ),
    (
        lambda: L.power_law(init_value=1.0, scale_steps=10, exponent=math.nan),
        "power_law: `exponent` must be a finite real number. Received: exponent=nan.",
    ),
]


@pytest.mark.parametrize("make, message", BAD, ids=[m[:48] for _, m in BAD])
def test_bad_arguments_raise_config_error_naming_argument_and_value(make, message):
    with pytest.raises(L.ConfigError) as info:
        make()
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_and_unknown_keywords_are_type_errors():
    with pytest.raises(TypeError, match="decay_steps"):
        L.cosine(init_value=1.0)
    with pytest.raises(TypeError, match="T_max"):
        L.cosine(init_value=1.0, decay_steps=10, T_max=10)


def test_schedules_are_immutable_and_hashable():
    s = L.cosine(init_value=1.0, decay_steps=10)
    with pytest.raises(AttributeError):
        s.init_value = 2.0  # type: ignore[misc]
    assert {s: 1}[L.cosine(init_value=1.0, decay_steps=10)] == 1
    assert s != L.cosine(init_value=1.0, decay_steps=11)
    assert s != L.polynomial(init_value=1.0, end_value=0.0, decay_steps=10)


def test_bad_steps():
    s = L.constant(0.1)
    for bad in (math.nan, math.inf, "3", True):
        with pytest.raises(L.StepError):
            s(bad)
    with pytest.raises(L.StepError):
        s(np.array(["a"]))
    # negative steps clamp to 0; numpy NaN stays NaN (evaluate never raises)
    assert s(-1) == 0.1
    lin = L.linear(init_value=1.0, end_value=0.0, decay_steps=10)
    assert lin(-100) == 1.0
    assert np.isnan(lin(np.array([np.nan]))[0])


def test_lists_are_normalised_to_tuples():
    s = L.piecewise_constant(boundaries=[10, 20], values=[1.0, 0.5, 0.1])
    assert s.boundaries == (10, 20) and s.values == (1.0, 0.5, 0.1)
    assert s == L.piecewise_constant(boundaries=(10, 20), values=(1.0, 0.5, 0.1))


def test_numpy_scalars_and_lists():
    s = L.linear(init_value=1.0, end_value=0.0, decay_steps=10)
    assert s(np.int64(5)) == 0.5
    assert isinstance(s(np.float32(5.0)), float)
    np.testing.assert_array_equal(s([0, 5, 10]), [1.0, 0.5, 0.0])
    np.testing.assert_array_equal(s(np.arange(6).reshape(2, 3)), [[1.0, 0.9, 0.8], [0.7, 0.6, 0.5]])
