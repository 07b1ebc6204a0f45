"""Parity of lrplan.presets.hf with the installed transformers.optimization (run, not re-derived).

Each test draws arguments from Hugging Face's valid domain (edges included: zero warmup, one-step
phases, training shorter than the warmup, decay to exactly 0), drives Hugging Face's ``LambdaLR`` on
a dummy SGD optimizer with lr=L and compares ``group["lr"]`` at every step with the preset, over at
least three horizons (capped at 2,000 steps). Both sides are float64: the tolerance is 1e-12
relative, with an absolute floor of 1e-12 * L for values that cancel to near 0.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers_optimization = pytest.importorskip("transformers.optimization")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import lrplan  # noqa: E402
from lrplan.presets import hf  # noqa: E402

T = transformers_optimization
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RTOL = 1e-12

lrs = st.sampled_from([1e-5, 3e-4, 1e-3, 0.1, 1.0, 2.5]) | st.floats(1e-6, 10.0)
warmups = st.sampled_from([0, 1, 2]) | st.integers(0, 60)
lengths = st.sampled_from([0, 1, 2]) | st.integers(0, 300)
cycles = st.sampled_from([0.5, 1.0, 0.25]) | st.floats(0.05, 3.0)


def source_values(make, lr: float, n: int) -> np.ndarray:
    """``group["lr"]`` for steps 0..n-1 of a Hugging Face scheduler built by ``make(optimizer)``."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = make(opt)
    out = [opt.param_groups[0]["lr"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(n - 1):
            sched.step()
            out.append(opt.param_groups[0]["lr"])
    return np.array(out, dtype=np.float64)


def n_steps(*lengths: float) -> int:
    return int(min(2000, max(50, 3 * sum(lengths) + 10)))


def assert_parity(schedule: lrplan.Schedule, expected: np.ndarray, lr: float) -> None:
    steps = np.arange(len(expected))
    scalar = np.array([schedule(int(k)) for k in steps])
    vector = schedule(steps)
    for got in (scalar, vector):
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=RTOL * lr, err_msg=str(schedule))


@SETTINGS
@given(lr=lrs, w=warmups)
def test_constant_family(lr, w):
    n = n_steps(w)
    assert_parity(hf.get_constant_schedule(lr), source_values(T.get_constant_schedule, lr, n), lr)
    expected = source_values(lambda o: T.get_constant_schedule_with_warmup(o, w), lr, n)
    assert_parity(hf.get_constant_schedule_with_warmup(lr, w), expected, lr)


@SETTINGS
@given(lr=lrs, w=warmups, t=lengths)
def test_linear(lr, w, t):
    expected = source_values(lambda o: T.get_linear_schedule_with_warmup(o, w, t), lr, n_steps(w, t))
    assert_parity(hf.get_linear_schedule_with_warmup(lr, w, t), expected, lr)


@SETTINGS
@given(lr=lrs, w=warmups, t=lengths, c=cycles)
def test_cosine_rises_after_the_end(lr, w, t, c):
    expected = source_values(lambda o: T.get_cosine_schedule_with_warmup(o, w, t, num_cycles=c), lr, n_steps(w, t))
    assert_parity(hf.get_cosine_schedule_with_warmup(lr, w, t, num_cycles=c), expected, lr)


@SETTINGS
@given(lr=lrs, w=warmups, t=lengths, c=st.integers(0, 5))
def test_cosine_hard_restarts(lr, w, t, c):
    make = lambda o: T.get_cosine_with_hard_restarts_schedule_with_warmup(o, w, t, num_cycles=c)  # noqa: E731
    assert_parity(
        hf.get_cosine_with_hard_restarts_schedule_with_warmup(lr, w, t, num_cycles=c),
        source_values(make, lr, n_steps(w, t)),
        lr,
    )


@SETTINGS
@given(lr=lrs, w=warmups, d=st.integers(1, 300), end_frac=st.sampled_from([0.0, 1e-4, 0.1, 0.9]), p=st.floats(0.1, 4))
def test_polynomial_uses_default_lr(lr, w, d, end_frac, p):
    t = w + d  # T == W divides by zero in Hugging Face (tested separately below)
    end = lr * end_frac
    make = lambda o: T.get_polynomial_decay_schedule_with_warmup(o, w, t, lr_end=end, power=p)  # noqa: E731
    assert_parity(
        hf.get_polynomial_decay_schedule_with_warmup(lr, w, t, lr_end=end, power=p),
        source_values(make, lr, n_steps(w, t)),
        lr,
    )


@SETTINGS
@given(lr=lrs, w=warmups, tau=st.none() | st.integers(1, 500))
def test_inverse_sqrt(lr, w, tau):
    expected = source_values(lambda o: T.get_inverse_sqrt_schedule(o, w, timescale=tau), lr, n_steps(w, 300))
    assert_parity(hf.get_inverse_sqrt_schedule(lr, w, timescale=tau), expected, lr)


@SETTINGS
@given(lr=lrs, w=warmups, t=lengths, c=cycles, rate=st.sampled_from([0.0, 0.01, 0.1, 0.5, 1.0]), absolute=st.booleans())
def test_cosine_with_min_lr(lr, w, t, c, rate, absolute):
    kw = {"min_lr": lr * rate} if absolute else {"min_lr_rate": rate}
    make = lambda o: T.get_cosine_with_min_lr_schedule_with_warmup(o, w, t, num_cycles=c, **kw)  # noqa: E731
    assert_parity(
        hf.get_cosine_with_min_lr_schedule_with_warmup(lr, w, t, num_cycles=c, **kw),
        source_values(make, lr, n_steps(w, t)),
        lr,
    )


@SETTINGS
@given(
    lr=lrs,
    w=warmups,
    t=lengths,
    c=cycles,
    rate=st.sampled_from([0.0, 0.1]),
    warm=st.none() | st.sampled_from([0.0, 0.01, 0.5]),
)
def test_cosine_warmup_with_min_lr_shifted_by_one(lr, w, t, c, rate, warm):
    make = lambda o: T.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(  # noqa: E731
        o, w, t, num_cycles=c, min_lr_rate=rate, warmup_lr_rate=warm
    )
    preset = hf.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
        lr, w, t, num_cycles=c, min_lr_rate=rate, warmup_lr_rate=warm
    )
    assert_parity(preset, source_values(make, lr, n_steps(w, t)), lr)


@SETTINGS
@given(
    lr=lrs,
    w=warmups,
    d=st.sampled_from([0, 1]) | st.integers(0, 100),
    extra=st.integers(-40, 150),
    use_stable=st.booleans(),
    wt=st.sampled_from(["linear", "cosine", "1-sqrt"]),
    dt=st.sampled_from(["linear", "cosine", "1-sqrt"]),
    m=st.sampled_from([0.0, 0.1, 1.0]) | st.floats(0, 1),
    c=st.sampled_from([0.5, 0.5, 1.0, 0.3]),
)
def test_wsd(lr, w, d, extra, use_stable, wt, dt, m, c):
    kw = {"num_stable_steps": extra} if use_stable else {"num_training_steps": max(0, w + d + extra)}
    common = {"warmup_type": wt, "decay_type": dt, "min_lr_ratio": m, "num_cycles": c}
    make = lambda o: T.get_wsd_schedule(o, w, d, **kw, **common)  # noqa: E731
    expected = source_values(make, lr, n_steps(w, d, abs(extra)))
    assert_parity(hf.get_wsd_schedule(lr, w, d, **kw, **common), expected, lr)


@SETTINGS
@given(
    name=st.sampled_from(sorted(hf._BY_NAME)),
    lr=lrs,
    w=st.integers(0, 30),
    t=st.integers(31, 200),
)
def test_get_scheduler_by_name(name, lr, w, t):
    kw = {"min_lr_rate": 0.1} if "min_lr" in name else {}
    if name == "warmup_stable_decay":
        kw = {"num_decay_steps": 20}
    make = lambda o: T.get_scheduler(name, o, w, t, scheduler_specific_kwargs=kw)  # noqa: E731
    expected = source_values(make, lr, n_steps(w, t))
    assert_parity(hf.get_scheduler(name, lr, w, t, scheduler_specific_kwargs=kw), expected, lr)


def test_every_hf_schedule_function_is_covered():
    # every get_*_schedule* of the installed module has a preset or a clear refusal
    source = {n for n in dir(T) if n.startswith("get_") and "schedule" in n}
    ours = set(hf.__all__) | {"get_reduce_on_plateau_schedule", "get_greedy_schedule", "get_adafactor_schedule"}
    assert source <= ours, source - ours
    assert set(hf._BY_NAME) | set(hf._METRIC_DRIVEN) == {t.value for t in T.SchedulerType}


def test_quirks_named_values():
    # cosine rises after T (0 at T, lr again at 2T - W)
    s = hf.get_cosine_schedule_with_warmup(1.0, 10, 110)
    assert s(110) == 0.0 and s(210) == pytest.approx(1.0, abs=1e-15)
    # polynomial with T == W: Hugging Face divides by zero at W; the preset gives lr_end
    p = hf.get_polynomial_decay_schedule_with_warmup(1.0, 5, 5, lr_end=0.01)
    assert (p(4), p(5), p(100)) == (0.8, 0.01, 0.01)
    # the lr_rate variant reaches the peak one step early
    r = hf.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(1.0, 4, 104, min_lr_rate=0.0)
    assert (r(0), r(3)) == (0.25, 1.0)
    # WSD with no stable and no decay phase: the warmup still climbs to lr, then the floor
    w = hf.get_wsd_schedule(1.0, 2, 0, num_training_steps=2)
    assert [w(k) for k in range(4)] == [0.0, 0.5, 0.0, 0.0]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: hf.get_cosine_schedule_with_warmup(-1.0, 0, 10),
            "hf.get_cosine_schedule_with_warmup: `lr` must be >= 0",
        ),
        (lambda: hf.get_linear_schedule_with_warmup(1e-3, -1, 10), "`num_warmup_steps` must be >= 0"),
        (lambda: hf.get_polynomial_decay_schedule_with_warmup(1e-3, 0, 10, lr_end=1e-2), "`lr_end` must be smaller"),
        (lambda: hf.get_cosine_with_min_lr_schedule_with_warmup(1e-3, 0, 10), "`min_lr_rate` must be given"),
        (
            lambda: hf.get_cosine_with_min_lr_schedule_with_warmup(1e-3, 0, 10, min_lr=0.0, min_lr_rate=0.0),
            "`min_lr` must be None",
        ),
        (lambda: hf.get_wsd_schedule(1e-3, 0, 10), "hf.get_wsd_schedule: `num_training_steps` must be given"),
        (lambda: hf.get_wsd_schedule(1e-3, 0, 10, 100, warmup_type="exp"), "`warmup_type` must be one of"),
        (lambda: hf.get_wsd_schedule(1e-3, 0, 10, 100, min_lr_ratio=2.0), "`min_lr_ratio` must be in [0.0, 1.0]"),
        (
            lambda: hf.get_constant_schedule(1e-3, last_epoch=5),
            "hf.get_constant_schedule: `last_epoch` must be -1 (a preset is a pure function of the step",
        ),
        (lambda: hf.get_scheduler("cosin", 1e-3, 0, 10), "did you mean 'cosine'"),
        (lambda: hf.get_scheduler("greedy", 1e-3), "reduce-on-plateau"),
        (lambda: hf.get_scheduler("linear", 1e-3, 0), "`num_training_steps` must be given for 'linear'"),
        (lambda: hf.get_scheduler("cosine", 1e-3, 0, 10, {"foo": 1}), "`scheduler_specific_kwargs` must hold only"),
        (lambda: hf.get_reduce_on_plateau_schedule(1e-3), "reduce-on-plateau"),
        (lambda: hf.get_adafactor_schedule(1e-3), "adafactor_relative_step"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(lrplan.ConfigError) as info:
        call()
    assert message in str(info.value)


def test_presets_round_trip_through_the_spec_language():
    for s in (
        hf.get_cosine_schedule_with_warmup(3e-4, 100, 1000),
        hf.get_wsd_schedule(1e-3, 10, 10, 100, num_cycles=1.0),
        hf.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(1e-3, 5, 50, min_lr_rate=0.1, warmup_lr_rate=0.1),
    ):
        assert lrplan.parse(str(s)) == s
        assert lrplan.from_config(lrplan.to_config(s)) == s
