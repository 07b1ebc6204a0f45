"""lrplan.presets.optax against optax.schedules itself (optax 0.2.8), in float64.

optax runs in a subprocess (tests/presets/source_worker.py) under ``jax.enable_x64(True)``, evaluated with
``jax.vmap`` with XLA's algebraic simplifier off (so that ``x / c`` is an exact division; see the
worker). Both sides compute in float64, so values must agree to 1e-12 relative, with an absolute
tolerance of 1e-12 times the curve's largest value (optax's linear ramp ``(I - P)(1 - t/W) + P``
cancels next to zero where the preset's ``I + (P - I) t/W`` does not). Every function of
``optax.schedules`` that returns a schedule is covered (test_every_optax_schedule_has_a_preset).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import lrplan as L
from lrplan.presets import optax as P
from tests.presets.presets_parity import Call, SourceWorker, assert_match, preset_values

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RTOL = 1e-12
ATOL = 1e-12  # times the curve's largest value

values = st.one_of(st.just(0.0), st.just(1.0), st.floats(1e-6, 10.0))
fractions = st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0))
steps = st.one_of(st.integers(1, 300), st.floats(0.5, 300.0))
begins = st.one_of(st.just(0), st.integers(-10, 100))


@pytest.fixture(scope="module")
def optax_worker():
    worker = SourceWorker()
    yield worker
    worker.close()


def _ours(x):
    if isinstance(x, Call):
        return getattr(P, x.name)(*[_ours(a) for a in x.args], **{k: _ours(v) for k, v in x.kwargs.items()})
    if isinstance(x, list):
        return [_ours(v) for v in x]
    return x


def check(worker, call: Call, n: int):
    preset = _ours(call)
    theirs = worker.values("optax", call.name, *call.args, n=n, x64=True, **call.kwargs)
    ours = preset_values(preset, n)
    finite = np.isfinite(theirs)
    if not finite.all():  # optax overflowed (0 * inf): there the preset holds its last value
        k = int(np.argmin(finite))
        assert finite[:k].all() and k > 0, f"optax.{call.name} is not finite from step {k}"
        assert (ours[k:] == ours[k - 1]).all(), f"{preset} does not hold its value from step {k}"
        ours, theirs = ours[:k], theirs[:k]
    scale = max(float(np.abs(theirs).max()), 1e-300)
    assert_match(ours, theirs, rtol=RTOL, atol=ATOL * scale, what=f"optax.{call.name} vs {preset}")


def test_every_optax_schedule_has_a_preset():
    import optax

    schedule_fns = {
        n
        for n in dir(optax.schedules)
        if not n.startswith("_") and n[0].islower() and n not in ("inject_hyperparams", "inject_stateful_hyperparams")
    }
    assert schedule_fns == set(P.__all__)


@SETTINGS
@given(value=values)
def test_constant_schedule(optax_worker, value):
    check(optax_worker, Call("constant_schedule", value), 50)


@SETTINGS
@given(
    init=values,
    end=values,
    power=st.one_of(st.sampled_from([0.0, 1.0, 2.0, 0.5]), st.floats(0.0, 5.0)),
    transition_steps=st.one_of(st.integers(-3, 0), steps),
    begin=begins,
)
@example(init=1.0, end=0.01, power=2.0, transition_steps=100, begin=5)
def test_polynomial_schedule(optax_worker, init, end, power, transition_steps, begin):
    n = 3 * int(max(transition_steps, 1) + max(begin, 0)) + 10
    check(optax_worker, Call("polynomial_schedule", init, end, power, transition_steps, transition_begin=begin), n)


@SETTINGS
@given(init=values, end=values, transition_steps=st.one_of(st.integers(-3, 0), steps), begin=begins)
@example(init=0.0, end=1.0, transition_steps=1, begin=0)
def test_linear_schedule(optax_worker, init, end, transition_steps, begin):
    n = 3 * int(max(transition_steps, 1) + max(begin, 0)) + 10
    check(optax_worker, Call("linear_schedule", init, end, transition_steps, transition_begin=begin), n)


scale_dicts = st.dictionaries(st.integers(-5, 300), st.one_of(st.just(0.0), st.floats(0.0, 2.0)), max_size=5)


@SETTINGS
@given(init=values, scales=st.one_of(st.none(), scale_dicts))
@example(init=1.0, scales={3: 0.1, 5: 0.1})
def test_piecewise_constant_schedule(optax_worker, init, scales):
    n = 3 * max(scales or {0: 1}) + 10
    check(optax_worker, Call("piecewise_constant_schedule", init, scales), n)


@st.composite
def exponential_args(draw):
    rate = draw(st.one_of(st.sampled_from([0.0, 1.0, 0.5]), st.floats(0.01, 1.0), st.floats(1.0, 3.0)))
    end = draw(st.one_of(st.none(), st.just(0.0), values))
    if rate > 1 and end is None:
        end = draw(values)
    return {
        "transition_steps": draw(st.one_of(st.integers(-3, 0), steps)),
        "decay_rate": rate,
        "transition_begin": draw(begins),
        "staircase": draw(st.booleans()),
        "end_value": end,
    }


@SETTINGS
@given(init=values, kw=exponential_args())
@example(init=1.0, kw={"transition_steps": 49, "decay_rate": 0.5, "transition_begin": 0, "staircase": True,
                       "end_value": None})  # fmt: skip
def test_exponential_decay(optax_worker, init, kw):
    check(optax_worker, Call("exponential_decay", init, **kw), 2000)


@SETTINGS
@given(
    init=values,
    decay_steps=steps,
    alpha=st.one_of(st.just(0.0), st.floats(0.0, 2.0)),
    exponent=st.one_of(st.sampled_from([0.0, 1.0, 2.0]), st.floats(0.0, 4.0)),
)
def test_cosine_decay_schedule(optax_worker, init, decay_steps, alpha, exponent):
    n = 3 * int(decay_steps) + 10
    check(optax_worker, Call("cosine_decay_schedule", init, decay_steps, alpha=alpha, exponent=exponent), n)


interp_dicts = st.dictionaries(
    st.one_of(st.integers(0, 300), st.floats(0.0, 300.0, allow_subnormal=False)),
    st.one_of(st.just(0.0), st.floats(0.0, 3.0)),
    max_size=5,
)


@SETTINGS
@given(kind=st.sampled_from(["linear", "cosine"]), init=values, scales=st.one_of(st.none(), interp_dicts))
@example(kind="linear", init=1.0, scales={4: 0.1, 8: 0.01})
@example(kind="cosine", init=1.0, scales={0: 0.5, 0.5: 2.0, 1.2: 0.1})
def test_piecewise_interpolate_schedule(optax_worker, kind, init, scales):
    n = 3 * int(max(scales or {0: 1})) + 10
    check(optax_worker, Call("piecewise_interpolate_schedule", kind, init, scales), n)


onecycle = st.fixed_dictionaries(
    {
        "transition_steps": st.integers(1, 400),
        "peak_value": values,
        "pct_start": fractions,
        "div_factor": st.floats(1.0, 100.0),
        "final_div_factor": st.floats(1.0, 1e5),
    }
)


@SETTINGS
@given(kw=onecycle, pct_final=fractions)
@example(kw={"transition_steps": 1, "peak_value": 1.0, "pct_start": 0.3, "div_factor": 25.0,
             "final_div_factor": 1e4}, pct_final=0.85)  # fmt: skip
def test_linear_onecycle_schedule(optax_worker, kw, pct_final):
    kw = dict(kw, pct_final=pct_final)
    check(optax_worker, Call("linear_onecycle_schedule", **kw), 3 * kw["transition_steps"] + 10)


@SETTINGS
@given(kw=onecycle)
def test_cosine_onecycle_schedule(optax_worker, kw):
    check(optax_worker, Call("cosine_onecycle_schedule", **kw), 3 * kw["transition_steps"] + 10)


@SETTINGS
@given(init=values, peak=values, warmup_steps=st.one_of(st.integers(-2, 0), steps))
def test_warmup_constant_schedule(optax_worker, init, peak, warmup_steps):
    n = 3 * int(max(warmup_steps, 1)) + 10
    check(optax_worker, Call("warmup_constant_schedule", init, peak, warmup_steps), n)


@st.composite
def warmup_cosine_args(draw):
    warmup = draw(st.one_of(st.just(0), st.just(1), st.integers(0, 200)))
    return {
        "init_value": draw(values),
        "peak_value": draw(values),
        "warmup_steps": warmup,
        "decay_steps": warmup + draw(st.one_of(st.just(1), st.integers(1, 300))),
        "end_value": draw(st.one_of(st.just(0.0), values)),
        "exponent": draw(st.one_of(st.just(1.0), st.floats(0.0, 3.0))),
    }


@SETTINGS
@given(kw=warmup_cosine_args())
@example(kw={"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 5, "decay_steps": 15, "end_value": 0.1,
             "exponent": 1.0})  # fmt: skip
@example(kw={"init_value": 0.5, "peak_value": 0.0, "warmup_steps": 3, "decay_steps": 6, "end_value": 0.1,
             "exponent": 1.0})  # fmt: skip
def test_warmup_cosine_decay_schedule(optax_worker, kw):
    check(optax_worker, Call("warmup_cosine_decay_schedule", **kw), 3 * kw["decay_steps"] + 10)


@SETTINGS
@given(init=values, peak=values, warmup_steps=st.one_of(st.just(0), st.integers(0, 100)), kw=exponential_args())
def test_warmup_exponential_decay_schedule(optax_worker, init, peak, warmup_steps, kw):
    check(optax_worker, Call("warmup_exponential_decay_schedule", init, peak, warmup_steps, **kw), 2000)


@SETTINGS
@given(cycles=st.lists(warmup_cosine_args(), min_size=1, max_size=3))
def test_sgdr_schedule(optax_worker, cycles):
    n = 3 * sum(kw["decay_steps"] for kw in cycles) + 10
    check(optax_worker, Call("sgdr_schedule", cycles), n)


@st.composite
def joined(draw):
    def child():
        kind = draw(st.sampled_from(["constant", "linear", "cosine", "exponential"]))
        if kind == "constant":
            return Call("constant_schedule", draw(values))
        if kind == "linear":
            return Call("linear_schedule", draw(values), draw(values), draw(st.integers(1, 50)))
        if kind == "cosine":
            return Call("cosine_decay_schedule", draw(values), draw(st.integers(1, 50)), alpha=draw(fractions))
        return Call("exponential_decay", draw(values), draw(st.integers(1, 20)), draw(st.floats(0.1, 1.0)))

    children = [child() for _ in range(draw(st.integers(1, 4)))]
    bounds = sorted(draw(st.lists(st.integers(0, 100), min_size=len(children) - 1, max_size=len(children) - 1)))
    return children, bounds


@SETTINGS
@given(args=joined())
def test_join_schedules(optax_worker, args):
    children, bounds = args
    check(optax_worker, Call("join_schedules", children, bounds), 3 * max(bounds, default=20) + 60)


# ------------------------------------------------------------------------------------ quirks by hand
def test_quirks_with_catalog_values():
    # catalog §1.2, each verified against optax 0.2.8 there
    s = P.piecewise_constant_schedule(1.0, {3: 0.1, 5: 0.1})
    assert (s(2), s(3), s(5)) == pytest.approx((1.0, 0.1, 0.01), rel=1e-12)
    s = P.warmup_cosine_decay_schedule(0.0, 1.0, 5, 15, end_value=0.1)
    assert (s(4), s(5), s(10), s(15)) == pytest.approx((0.8, 1.0, 0.55, 0.1), rel=1e-12)
    assert P.warmup_cosine_decay_schedule(0.3, 1.0, 0, 10)(0) == 1.0  # W = 0: the peak, not init_value
    s = P.piecewise_interpolate_schedule("linear", 1.0, {4: 0.1, 8: 0.01})
    assert [s(t) for t in (0, 2, 4, 6, 8)] == pytest.approx([1, 0.55, 0.1, 0.0505, 0.001], rel=1e-12)
    assert P.cosine_onecycle_schedule(100, 1.0)(100) == pytest.approx(4e-6, rel=1e-12)
    assert P.linear_schedule(1.0, 0.0, transition_steps=0) == L.constant(1.0)
    assert P.exponential_decay(1.0, transition_steps=10, decay_rate=0.0) == L.constant(1.0)
    assert P.polynomial_schedule(1.0, 0.0, 1.0, 10, transition_begin=-5) == P.polynomial_schedule(1.0, 0.0, 1.0, 10)
    assert P.warmup_constant_schedule(0.0, 1.0, 0)(10) == 0.0


def test_presets_run_inside_jit_as_optax_learning_rates():
    import jax
    import optax

    s = P.warmup_cosine_decay_schedule(0.0, 1e-3, 10, 100, end_value=1e-5)
    opt = optax.sgd(learning_rate=s)
    params = {"w": jax.numpy.ones(3)}
    state = opt.init(params)

    @jax.jit
    def update(state):
        updates, state = opt.update({"w": jax.numpy.ones(3)}, state, params)
        return updates, state

    for k in range(12):
        updates, state = update(state)
        assert float(-updates["w"][0]) == pytest.approx(s(k), rel=1e-6, abs=1e-12)


def test_presets_are_plain_core_schedules():
    for s in (
        P.piecewise_interpolate_schedule("cosine", 1.0, {10: 0.1, 30: 0.5}),
        P.sgdr_schedule([{"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 2, "decay_steps": 10}] * 2),
        P.exponential_decay(1.0, 10, 0.5, transition_begin=5, staircase=True, end_value=0.01),
        P.linear_onecycle_schedule(100, 1.0),
    ):
        assert L.parse(str(s)) == s and L.from_config(L.to_config(s)) == s


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: P.cosine_decay_schedule(1.0, 0),
            "optax.cosine_decay_schedule: `decay_steps` must be > 0. Received: decay_steps=0.",
        ),
        (
            lambda: P.cosine_decay_schedule(1.0, 10, exponent=-1.0),
            "optax.cosine_decay_schedule: `exponent` must be >= 0",
        ),
        (lambda: P.polynomial_schedule(1.0, 0.0, -1.0, 10), "optax.polynomial_schedule: `power` must be >= 0"),
        (
            lambda: P.exponential_decay(1.0, 10, -0.5),
            "optax.exponential_decay: `decay_rate` must be >= 0 (optax gives NaN",
        ),
        (lambda: P.piecewise_constant_schedule(1.0, {3: -0.1}), "`boundaries_and_scales` must be a dict whose scales"),
        (lambda: P.piecewise_constant_schedule(1.0, [(3, 0.1)]), "`boundaries_and_scales` must be a dict"),
        (lambda: P.piecewise_interpolate_schedule("cos", 1.0), "`interpolate_type` must be one of 'linear', 'cosine'"),
        (lambda: P.piecewise_interpolate_schedule("linear", 1.0, {-3: 0.5}), "whose boundaries are >= 0"),
        (lambda: P.linear_onecycle_schedule(0, 1.0), "optax.linear_onecycle_schedule: `transition_steps` must be > 0"),
        (lambda: P.cosine_onecycle_schedule(100, 1.0, div_factor=0.0), "`div_factor` must be > 0"),
        (lambda: P.warmup_cosine_decay_schedule(0.0, 1.0, 10, 10), "`decay_steps` must be > warmup_steps=10"),
        (lambda: P.warmup_cosine_decay_schedule(0.0, 1.0, -1, 10), "`warmup_steps` must be >= 0"),
        (lambda: P.sgdr_schedule([]), "optax.sgdr_schedule: `cosine_kwargs` must be a non-empty list"),
        (lambda: P.sgdr_schedule([{"peak": 1.0}]), "optax.sgdr_schedule: `cosine_kwargs[0]` has a bad argument"),
        (lambda: P.join_schedules([lambda t: 1.0], []), "optax.join_schedules: `schedules[0]` must be an lrplan"),
        (lambda: P.join_schedules([P.constant_schedule(1.0)] * 2, [5, 1, 3]), "`boundaries` must be non-decreasing"),
        (lambda: P.constant_schedule(math.nan), "optax.constant_schedule: `value` must be a finite real number"),
        (
            lambda: P.cosine_decay_schedule(1.0, 10, exponent=-2),
            "`exponent` must be >= 0 (a negative exponent gives inf",
        ),
    ],
)
def test_bad_arguments_raise_config_error_naming_preset_and_argument(call, message):
    with pytest.raises(L.ConfigError) as info:
        call()
    assert message in str(info.value)


# ----------------------------------------------------------------------------------- what optax accepts
# Cases from optax's own test suite (optax/schedules/_schedule_test.py, optax 0.2.8): a preset takes every
# argument optax takes and gives optax's values. Expected values are optax's test expectations, computed
# here by hand, and optax itself evaluated in the worker.


def test_piecewise_constant_of_negative_values(optax_worker):
    # optax's test_negative: -[0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1]
    s = P.piecewise_constant_schedule(-0.1, {3: 2.0, 6: 0.5})
    assert [s(k) for k in range(10)] == pytest.approx([-0.1] * 3 + [-0.2] * 3 + [-0.1] * 4, rel=1e-15)
    check(optax_worker, Call("piecewise_constant_schedule", -0.1, {3: 2.0, 6: 0.5}), 20)


def test_a_negative_constant(optax_worker):
    assert P.constant_schedule(-1e-3)(7) == -1e-3
    check(optax_worker, Call("constant_schedule", -1e-3), 10)


@pytest.mark.parametrize(("staircase", "begin"), [(False, 0), (True, 0), (False, 5), (True, 5)])
def test_exponential_growth_without_end_value(optax_worker, staircase, begin):
    # optax's test_exponential: init 1.0, transition_steps 2, decay_rate 2.0: 2 ** (k / 2) after the begin
    s = P.exponential_decay(1.0, 2, 2.0, transition_begin=begin, staircase=staircase)
    expected = [1.0] * begin + [2.0 ** ((k // 2) if staircase else k / 2) for k in range(15)]
    assert [s(k) for k in range(15 + begin)] == pytest.approx(expected, rel=1e-15)
    check(optax_worker, Call("exponential_decay", 1.0, 2, 2.0, transition_begin=begin, staircase=staircase), 60)


@pytest.mark.parametrize(
    ("decay_rate", "end_value", "staircase", "expected"),
    [
        # optax's test_end_value_with_staircase, begin 3: 1.0 held 3 steps, then 1.0 * rate ** (k / 2), clamped
        (0.2, 0.1, False, [1.0, 1.0, 1.0, 1.0, 0.2**0.5, 0.2, 0.1, 0.1, 0.1]),  # 0.2 ** 1.5 = 0.089 < 0.1
        (1.0, 0.1, False, [0.1] * 9),  # rate 1: optax clamps with min, so 0.1 from the start
        (2.0, 3.0, True, [1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0]),
    ],
)
def test_exponential_end_value_as_in_optax_tests(optax_worker, decay_rate, end_value, staircase, expected):
    s = P.exponential_decay(1.0, 2, decay_rate, transition_begin=3, staircase=staircase, end_value=end_value)
    assert [s(k) for k in range(9)] == pytest.approx(expected, rel=1e-12)
    call = Call("exponential_decay", 1.0, 2, decay_rate, transition_begin=3, staircase=staircase, end_value=end_value)
    check(optax_worker, call, 40)


def test_warmup_cosine_to_a_negative_end_with_exponent(optax_worker):
    # optax's test_with_exponent: linear 0.2 -> 1.21 over 50 steps, then -3 + 4.21 c**2 with c = (1 + cos(pi t/50))/2
    s = P.warmup_cosine_decay_schedule(0.2, 1.21, 50, 100, end_value=-3.0, exponent=2)
    assert [s(k) for k in (0, 10, 50, 75, 100)] == pytest.approx([0.2, 0.402, 1.21, -1.9475, -3.0], rel=1e-12)
    check(optax_worker, Call("warmup_cosine_decay_schedule", 0.2, 1.21, 50, 100, end_value=-3.0, exponent=2), 150)


def test_warmup_cosine_with_zero_peak_ignores_the_end_value(optax_worker):
    # optax's test_zero_peak_value: linear 0.2 -> 0 over 50 steps, then 0 whatever end_value says
    s = P.warmup_cosine_decay_schedule(0.2, 0, 50, 100, end_value=-3.0, exponent=2)
    assert [s(k) for k in (0, 10, 50, 75, 100)] == pytest.approx([0.2, 0.16, 0.0, 0.0, 0.0], abs=1e-15)
    check(optax_worker, Call("warmup_cosine_decay_schedule", 0.2, 0, 50, 100, end_value=-3.0, exponent=2), 150)
