"""Regression tests of the numerical defects of issue 13, each with its reproducer as input.

Expected values are hand-computed (the formula of the schedule's docstring, written out).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan as L
from lrplan import ConfigError
from tests.examples import EXAMPLES


def test_fixed_floor_never_goes_negative() -> None:
    """Keras's CosineDecayRestarts with alpha = 2 and m_mul = 2 gives 0.1 ((1 - 2) 0.5 * 8 * 2 + 2) = -0.6 at 30."""
    with pytest.raises(ConfigError, match=r"cosine_restarts_fixed_floor: `peak_decay` must be <= 1 when end_value"):
        L.cosine_restarts_fixed_floor(init_value=0.1, decay_steps=10, end_value=0.2, peak_decay=2.0)
    # Where Keras's formula is a learning rate it is kept: the floor above the peak, the height shrinking.
    s = L.cosine_restarts_fixed_floor(init_value=0.1, decay_steps=10, end_value=0.2, peak_decay=0.5)
    # 0.1 ((1 - 2) 0.5 m (1 + cos(pi t / 10)) + 2) with m = 0.5**3 at step 30 (t = 0) and 35 (t = 5)
    assert s(30) == pytest.approx(0.1875, rel=1e-15)
    assert s(35) == pytest.approx(0.19375, rel=1e-15)
    # A floor below the peak may grow its height: every value stays >= the floor.
    g = L.cosine_restarts_fixed_floor(init_value=0.2, decay_steps=10, end_value=0.1, peak_decay=2.0)
    assert g(30) == pytest.approx(0.1 + 0.1 * 8, rel=1e-15)


# ----------------------------------------------------------------------------- 6: past-horizon hold
OFFSETS = (0.0, 0.25, 1.0, 7.0, 1e3, 1e6)


@pytest.mark.parametrize("name", [n for n, s in EXAMPLES.items() if s.horizon is not None])
def test_examples_hold_past_their_horizon(name: str) -> None:
    s = EXAMPLES[name]
    h = s.horizon
    assert [s(h + k) for k in OFFSETS] == [s(h)] * len(OFFSETS)


def test_join_holds_with_a_fractional_cooldown() -> None:
    """The issue's shape: a join whose cooldown has a fractional start and steps=0.0."""
    cool = L.cooldown(L.constant(0.99976), start=0.449, steps=0.0, end_value=0.09517)
    s = L.join([L.constant(1.0), cool], boundaries=[0.495])
    # (0.495 + 0.449) - 0.495 = 0.44899999999999995 < 0.449: the horizon must be the next float up.
    assert (0.495 + 0.449) - 0.495 < 0.449
    assert s.horizon == math.nextafter(0.495 + 0.449, math.inf)
    assert s(s.horizon) == s(s.horizon + 1) == 0.09517


fractions = st.floats(min_value=0.0, max_value=1e4, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-3, max_value=1e4, allow_nan=False, allow_infinity=False)


@st.composite
def fractional_schedules(draw: st.DrawFn) -> L.Schedule:
    base = L.cosine(init_value=1.0, decay_steps=draw(positive), end_value=0.1)
    kind = draw(st.sampled_from(["join", "warmup", "shift", "quantize", "cooldown", "nested"]))
    if kind == "join":
        cool = L.cooldown(L.constant(0.9), start=draw(fractions), steps=draw(fractions), end_value=0.05)
        return L.join([L.constant(1.0), cool], boundaries=[draw(fractions)])
    if kind == "warmup":
        return L.warmup(base, steps=draw(fractions))
    if kind == "shift":
        return L.shift(base, steps=draw(st.floats(min_value=-1e4, max_value=1e4)))
    if kind == "quantize":
        return L.quantize(
            L.linear(init_value=1.0, end_value=0.2, decay_steps=draw(positive)), unit_steps=draw(positive)
        )
    if kind == "cooldown":
        return L.cooldown(base, start=draw(fractions), steps=draw(fractions), end_value=0.01)
    inner = L.join([base, L.warmup(base, steps=draw(fractions))], boundaries=[draw(fractions)])
    return L.shift(L.warmup(inner, steps=draw(fractions)), steps=draw(fractions))


@settings(max_examples=300, deadline=None)
@given(fractional_schedules(), st.sampled_from(OFFSETS[1:]))
def test_fractional_durations_hold_past_the_horizon(s: L.Schedule, k: float) -> None:
    h = s.horizon
    assert h is not None
    assert s(h + k) == s(h)
    assert s(np.array([h, h + k]))[1] == s(np.array([h]))[0]


# ----------------------------------------------------------------------------- 10: huge numbers
@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: L.cosine(init_value=1.0, decay_steps=10**400), "cosine: `decay_steps` must be a finite real number"),
        (
            lambda: L.cosine_restarts(init_value=1.0, decay_steps=10, period_mult=2.0, max_cycles=1100),
            "cosine_restarts: `max_cycles` must be small enough that the last cycle ends at a finite step",
        ),
        (
            lambda: L.cycle_anneal(init_value=1.0, cycle_steps=10, period_mult=7, max_cycles=10**12),
            "cycle_anneal: `max_cycles` must be small enough",
        ),
        (
            lambda: L.cosine_restarts(init_value=1.0, decay_steps=10, peak_decay=2.0, max_cycles=2000),
            "cosine_restarts: `max_cycles` must be small enough",
        ),
        (lambda: L.piecewise_constant(boundaries=[10**400], values=[1.0, 0.5]), "`boundaries` must be"),
    ],
)
def test_huge_arguments_are_refused_at_construction(build, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        build()


def test_huge_steps_and_powers_evaluate_or_refuse_cleanly() -> None:
    from lrplan import StepError

    with pytest.raises(StepError, match=r"cosine: a step must be finite. Received: an int of 1329 bits."):
        L.cosine(init_value=1.0, decay_steps=10)(10**400)
    assert L.cosine(init_value=1.0, decay_steps=10)(2**1023) == 0.0  # the largest ints that are floats
    # (1 + 2**31)**50 is past the float range: inf, as NumPy gives, on the scalar path too.
    p = L.power_law(init_value=1.0, scale_steps=1, exponent=50.0)
    assert p(2**31) == math.inf == p(np.array([2**31]))[0]
    # k_decay=1000: timm's t**k / T**k overflows; (t / T)**k is the same number: cos(pi 0.5**1000) = 1.
    c = L.cycle_anneal(init_value=1.0, cycle_steps=10, k_decay=1000)
    assert (c(0), c(5), c(10)) == (1.0, 1.0, 0.0)
    assert c(9) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.9**1000)), rel=1e-15)
    # A cycle count whose last restart is still a float: evaluates, with a horizon 10 (2**900 - 1).
    r = L.cosine_restarts(init_value=1.0, decay_steps=10, period_mult=2.0, max_cycles=900)
    assert r.horizon == 10 * (2.0**900 - 1)
    assert (r(0), r(r.horizon)) == (1.0, 0.0)


# ----------------------------------------------------------------------------- 12: a billion cycles
def test_a_billion_cycles_are_never_materialised() -> None:
    hard = L.cosine_hard_restarts(init_value=1.0, decay_steps=100, num_cycles=1000000000)
    points = hard.breakpoints()
    assert len(points) == 1001 and points[0] == 100 / 1e9 and points[-1] == 100.0
    assert hard(0) == 1.0 and hard(100) == 0.0
    # cycle i starts at i * 1e-7; step 5 is 5e7 cycles in, at the start of one: value 1.
    assert hard(5) == pytest.approx(1.0, abs=1e-6)
    r = L.cosine_restarts(init_value=1.0, decay_steps=100, max_cycles=1e9)
    assert r.horizon == 1e11 and len(r.breakpoints()) == 1001 and r.breakpoints()[-1] == 1e11
    assert r(150) == pytest.approx(0.5, rel=1e-12)  # half-way through the second 100-step cycle
    assert r(1e11) == 0.0
    with pytest.raises(ConfigError, match=r"cosine_hard_restarts: `num_cycles` must be at most 2\*\*53"):
        L.cosine_hard_restarts(init_value=1.0, decay_steps=100, num_cycles=10**20)


# ----------------------------------------------------------------------------- 17: steps
def test_numpy_scalar_steps_follow_the_array_rule() -> None:
    s = L.cosine(init_value=1.0, decay_steps=10)
    for nan in (np.float32("nan"), np.float64("nan")):
        out = s(nan)
        assert isinstance(out, np.float64) and math.isnan(out)
    assert s(np.float64(5.0)) == s(np.float32(5.0)) == s(5.0) == 0.5
    with pytest.raises(L.StepError, match="a step must not be NaN"):
        s(float("nan"))  # a Python float keeps the scalar rule


def test_bool_and_complex_tensors_are_refused() -> None:
    torch = pytest.importorskip("torch")
    s = L.cosine(init_value=1.0, decay_steps=10)
    for t in (torch.tensor([True, False]), torch.tensor([1 + 2j]), torch.tensor(True)):
        with pytest.raises(
            L.StepError, match=r"cosine: steps must be real numbers. Received a tensor of dtype torch\."
        ):
            s(t)
    assert s(torch.tensor([5])).tolist() == pytest.approx([0.5])


def test_piecewise_and_join_search_their_boundaries() -> None:
    """10**5 boundaries at 10, 20, ...; value 1/(i+1) in phase i: the NumPy path (binary search) must equal
    the branch-free one and the hand values."""
    from lrplan._ops import NUMPY

    n = 10**5
    pc = L.piecewise_constant(boundaries=[10 * (i + 1) for i in range(n)], values=[1.0 / (i + 1) for i in range(n + 1)])
    steps = np.array([0.0, 9.0, 10.0, 15.0, 999_999.0, 1_000_000.0, 5e6, np.nan])
    got = pc(steps)
    expected = [1.0, 1.0, 0.5, 0.5, 1.0 / 100_000, 1.0 / 100_001, 1.0 / 100_001]
    assert got[:-1].tolist() == expected and math.isnan(got[-1])
    branch_free = NUMPY._replace(name="branch-free")  # not NUMPY itself: the traced frameworks' formula
    assert np.array_equal(pc.evaluate(steps[:-1], branch_free), got[:-1])
    j = L.join(
        [L.linear(init_value=1.0, end_value=0.0, decay_steps=10), L.constant(0.5), L.constant(0.25), L.constant(0.1)],
        boundaries=[5, 8, 8],  # a zero-length phase between the equal boundaries is skipped
    )
    steps = np.array([[0.0, 2.0], [5.0, 7.5], [8.0, 100.0]])
    assert j(steps).tolist() == [[1.0, 0.8], [0.5, 0.5], [0.1, 0.1]]
    assert np.array_equal(j.evaluate(steps, branch_free), j(steps))
    assert j(np.float64(7.0)) == 0.5 and j(np.array(2.0)).shape == ()
