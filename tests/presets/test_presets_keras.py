"""lrplan.presets.keras against keras.optimizers.schedules itself (Keras 3, JAX backend).

Keras runs in a subprocess (tests/presets/source_worker.py) so that its backend is JAX whatever else this
pytest process imported, and so that XLA divides exactly (see the worker's docstring). Keras computes
in float32 (its ``ops.cos`` returns float32 even with ``floatx="float64"``), so:

* hyperparameters are drawn as float32 numbers, so that Keras's own cast of them is exact and both
  sides compute the same curve;
* values must agree to 1e-6 relative, or 1e-6 times the largest value of the curve in absolute terms
  (float32 carries 7 digits and cancels in Keras's formulas: ``1 - t/D`` near the end of a
  polynomial decay, ``1 + cos`` near the end of a cosine, ``r^(t/D)`` for large exponents);
* CosineDecayRestarts also loses the fraction of its cycle as the step grows: Keras computes
  ``t / first_decay_steps`` in float32 and subtracts the cycle index, an absolute error up to
  ``(t / first_decay_steps) * 2^-22`` in the cosine's argument, so its tolerance grows by
  ``pi * (t / first_decay_steps) * 2^-21`` times the curve's scale.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import lrplan as L
from lrplan.presets import keras as P
from tests.presets.presets_parity import SourceWorker, assert_match, preset_values

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RTOL = 1e-6
ATOL = 1e-6  # times the curve's largest value


def f32(lo, hi):
    return st.floats(float(np.float32(lo)), float(np.float32(hi)), width=32)


lrs = st.one_of(st.just(1.0), st.just(0.0), f32(1e-5, 10.0))


@pytest.fixture(scope="module")
def keras_worker():
    worker = SourceWorker()
    yield worker
    worker.close()


def restart_steps(first: float, t_mul: float, n: int) -> np.ndarray:
    """Integer steps at (or within float32 rounding of) a restart of cycles first, first*t_mul, ..."""
    starts, length, at = [], float(first), float(first)
    while at < n + 1 and len(starts) < 10_000:
        starts.append(at)
        length *= t_mul
        at += length
    steps = np.arange(n)
    near = np.zeros(n, dtype=bool)
    for b in starts:
        near |= np.abs(steps - b) <= 1e-4 * max(b, 1.0)
    return near


def check(worker, name, n, *args, cycle_steps=None, restarts=None, base_error=None, **kwargs):
    preset = getattr(P, name)(*args, **kwargs)
    theirs = worker.values("keras", name, *args, n=n, **kwargs)
    ours = preset_values(preset, n)
    if restarts is not None:
        # At a step that lands exactly on a restart, Keras's float32 log() may place it at the end of the
        # previous cycle (value alpha) instead of the start of the next (the restart value): a float32
        # artefact of the source. Those steps are left out; every other step is compared.
        keep = ~restart_steps(*restarts, n)
        ours, theirs = ours[keep], theirs[keep]
        n_kept = np.arange(n)[keep]
    else:
        n_kept = np.arange(n)
    scale = max(float(np.abs(theirs).max()), 1e-300)
    atol = ATOL * scale
    if cycle_steps is not None:  # float32 loses the cycle fraction as t / first_decay_steps grows
        atol = atol + scale * np.pi * n_kept / cycle_steps * 2.0**-21
    if base_error is not None:  # a float32 rounding of the formula's base, propagated through the curve
        atol = atol + base_error(ours, n_kept)
    assert_match(ours, theirs, rtol=RTOL, atol=atol, what=f"keras.{name}{args}{kwargs} vs {preset}")


@SETTINGS
@given(
    lr=lrs,
    decay_steps=st.one_of(st.integers(1, 500), f32(0.5, 500.0)),
    decay_rate=st.one_of(st.just(1.0), f32(0.05, 1.0)),
    staircase=st.booleans(),
)
@example(lr=2.588187304802124, decay_steps=159, decay_rate=0.10777571121255623, staircase=True)
def test_exponential_decay(keras_worker, lr, decay_steps, decay_rate, staircase):
    if staircase:
        # Keras floors step / decay_steps computed in float32: with a fractional decay_steps, a quotient just
        # below an integer can round up to it and switch one step early (a float32 artefact of the source, not
        # a schedule difference). Integer decay_steps keep the float32 floor exact over these step ranges.
        decay_steps = max(1, round(decay_steps))
    check(keras_worker, "ExponentialDecay", 2000, lr, decay_steps, decay_rate, staircase=staircase)


@SETTINGS
@given(
    boundaries=st.lists(st.integers(0, 400), min_size=1, max_size=5, unique=True).map(sorted),
    data=st.data(),
)
@example(boundaries=[2, 4], data=None)
def test_piecewise_constant_decay_switches_one_step_after_each_boundary(keras_worker, boundaries, data):
    if data is None:
        values = [1.0, 0.5, 0.1]
    else:
        values = data.draw(st.lists(f32(0.0, 1.0), min_size=len(boundaries) + 1, max_size=len(boundaries) + 1))
    check(keras_worker, "PiecewiseConstantDecay", 3 * boundaries[-1] + 10, boundaries, values)


@SETTINGS
@given(
    lr=lrs,
    decay_steps=st.integers(1, 300),
    end_frac=st.one_of(st.just(0.0), f32(0.0, 2.0)),
    power=st.one_of(st.sampled_from([0.0, 1.0, 2.0, 0.5]), f32(0.1, 5.0)),
    cycle=st.booleans(),
)
@example(lr=1.0, decay_steps=4, end_frac=0.1, power=1.0, cycle=True)
@example(lr=1.0, decay_steps=1, end_frac=0.0, power=1.0, cycle=False)
def test_polynomial_decay(keras_worker, lr, decay_steps, end_frac, power, cycle):
    n = 2000 if cycle else 3 * decay_steps + 10
    end = float(np.float32(end_frac * lr))

    def base_error(values, steps):
        # Keras computes b = 1 - t/D' in float32: an error of ~2^-24 in t/D' changes (lr - end) b^p by
        # |lr - end| p b^(p-1) 2^-24, which is large where b is small and p < 1 (just before each restart).
        if lr == end or power == 0:
            return 0.0
        b = np.clip((values - end) / (lr - end), 0.0, None) ** (1.0 / power)
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = np.where(b > 0, power * b ** (power - 1.0), 0.0)
        return abs(lr - end) * grad * 2.0**-22

    check(keras_worker, "PolynomialDecay", n, lr, decay_steps, end, power=power, cycle=cycle, base_error=base_error)


@SETTINGS
@given(
    lr=lrs,
    decay_steps=st.one_of(st.integers(1, 300), f32(0.5, 300.0)),
    decay_rate=st.one_of(st.just(0.0), f32(0.0, 10.0)),
    staircase=st.booleans(),
)
def test_inverse_time_decay(keras_worker, lr, decay_steps, decay_rate, staircase):
    if staircase:  # see test_exponential_decay: Keras floors a float32 quotient
        decay_steps = max(1, round(decay_steps))
    check(keras_worker, "InverseTimeDecay", 2000, lr, decay_steps, decay_rate, staircase=staircase)


@SETTINGS
@given(
    lr=lrs,
    decay_steps=st.integers(1, 400),
    alpha=st.one_of(st.just(0.0), f32(0.0, 1.0)),
    target=st.one_of(st.none(), st.just(0.0), f32(1e-5, 10.0)),
    warmup_steps=st.one_of(st.just(0), st.just(1), st.integers(0, 200)),
)
@example(lr=0.0, decay_steps=10, alpha=0.0, target=1.0, warmup_steps=0)
@example(lr=0.5, decay_steps=10, alpha=0.0, target=None, warmup_steps=5)  # warmup_steps ignored
def test_cosine_decay_with_and_without_warmup(keras_worker, lr, decay_steps, alpha, target, warmup_steps):
    n = 3 * (decay_steps + warmup_steps) + 10
    kw = {"alpha": alpha, "warmup_target": target, "warmup_steps": warmup_steps}
    check(keras_worker, "CosineDecay", n, lr, decay_steps, **kw)


@SETTINGS
@given(
    lr=lrs,
    first=st.one_of(st.integers(1, 100), f32(1.0, 100.0)),
    t_mul=st.one_of(st.sampled_from([1.0, 2.0]), f32(1.0, 3.0)),
    m_mul=st.one_of(st.sampled_from([1.0, 0.5, 0.0]), f32(0.0, 1.5)),
    alpha=st.one_of(st.just(0.0), f32(0.0, 1.0)),
)
@example(lr=1.0, first=1, t_mul=1.0, m_mul=1.0, alpha=0.0)
@example(lr=1.0, first=94, t_mul=1.0, m_mul=0.625, alpha=0.25)
@example(lr=1.0, first=10, t_mul=1.0, m_mul=0.5, alpha=0.1)
def test_cosine_decay_restarts_does_not_scale_alpha(keras_worker, lr, first, t_mul, m_mul, alpha):
    kw = {"t_mul": t_mul, "m_mul": m_mul, "alpha": alpha}
    check(keras_worker, "CosineDecayRestarts", 2000, lr, first, cycle_steps=first, restarts=(first, t_mul), **kw)


# ------------------------------------------------------------------------------- quirks, by hand
def test_quirks_with_catalog_values():
    # catalog §1.3 (verified against Keras 3.15.1): PiecewiseConstantDecay([2, 4]) -> t=2: 1.0, t=3: 0.5
    s = P.PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])
    assert [s(t) for t in range(6)] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.1]
    # PolynomialDecay(cycle=True), lr0=1, end=.1, D=4: t=4 -> .1, 5 -> .4375, 8 -> .1, 9 -> .325
    s = P.PolynomialDecay(1.0, 4, 0.1, cycle=True)
    assert [s(4), s(5), s(8), s(9)] == pytest.approx([0.1, 0.4375, 0.1, 0.325], rel=1e-12)
    # CosineDecayRestarts restart value lr0((1 - alpha) m_mul + alpha) = .55 for m_mul=.5, alpha=.1
    s = P.CosineDecayRestarts(1.0, 10, t_mul=1.0, m_mul=0.5, alpha=0.1)
    assert s(10) == pytest.approx(0.55, rel=1e-12)
    # CosineDecay: warmup_steps is ignored without warmup_target
    assert P.CosineDecay(1.0, 100, warmup_steps=50) == P.CosineDecay(1.0, 100)
    # ... and decay_steps excludes the warmup: end of the decay at warmup + decay
    s = P.CosineDecay(0.0, 100, warmup_target=1.0, warmup_steps=10)
    assert (s(5), s(10), s(60), s(110)) == pytest.approx((0.5, 1.0, 0.5, 0.0), abs=1e-15)


def test_presets_are_plain_core_schedules():
    for s in (
        P.ExponentialDecay(0.1, 100, 0.9),
        P.PolynomialDecay(0.1, 100, cycle=True),
        P.CosineDecayRestarts(0.1, 10, m_mul=0.9, alpha=0.01),
        P.CosineDecay(0.0, 100, warmup_target=0.1, warmup_steps=10),
    ):
        assert L.parse(str(s)) == s and L.from_config(L.to_config(s)) == s


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: P.ExponentialDecay(0.1, 0, 0.9),
            "keras.ExponentialDecay: `decay_steps` must be > 0. Received: decay_steps=0.",
        ),
        (
            lambda: P.ExponentialDecay(0.1, 10, -1.5),
            "keras.ExponentialDecay: `decay_rate` must be >= 0 (Keras gives NaN",
        ),
        (lambda: P.PiecewiseConstantDecay([5, 2], [1, 2, 3]), "keras.PiecewiseConstantDecay: `boundaries` must be"),
        (lambda: P.PiecewiseConstantDecay([2.5], [1, 2]), "keras.PiecewiseConstantDecay: `boundaries` must be"),
        (lambda: P.PiecewiseConstantDecay([2, 4], [1, 2]), "keras.PiecewiseConstantDecay: `values` must be one longer"),
        (lambda: P.PolynomialDecay(0.1, 10, power=-1.0), "keras.PolynomialDecay: `power` must be >= 0"),
        (lambda: P.PolynomialDecay(0.1, 10, cycle=1), "keras.PolynomialDecay: `cycle` must be True or False"),
        (lambda: P.InverseTimeDecay(0.1, 10, -1.0), "keras.InverseTimeDecay: `decay_rate` must be >= 0"),
        (lambda: P.CosineDecay(0.1, 0), "keras.CosineDecay: `decay_steps` must be > 0"),
        (lambda: P.CosineDecay(0.1, 10, warmup_target=-1.0), "keras.CosineDecay: `warmup_target` must be >= 0"),
        (lambda: P.CosineDecayRestarts(0.1, 10, t_mul=0.5), "keras.CosineDecayRestarts: `t_mul` must be >= 1"),
        (lambda: P.CosineDecayRestarts(0.1, 10, alpha=2.0), "keras.CosineDecayRestarts: `alpha` must be in [0.0, 1.0]"),
        (lambda: P.CosineDecay(0.1, 10, name=3), "keras.CosineDecay: `name` must be a string"),
    ],
)
def test_bad_arguments_raise_config_error_naming_preset_and_argument(call, message):
    with pytest.raises(L.ConfigError) as info:
        call()
    assert message in str(info.value)


# ----------------------------------------------------------------------------------- what Keras accepts


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay_with_a_zero_rate_drops_to_zero(keras_worker, staircase):
    # 0.5 * 0 ** (t / 4): 0 ** 0 = 1 at the start (the whole first period with staircase), then 0
    s = P.ExponentialDecay(0.5, 4, 0.0, staircase=staircase)
    assert [s(t) for t in range(6)] == ([0.5] * 4 + [0.0] * 2 if staircase else [0.5] + [0.0] * 5)
    check(keras_worker, "ExponentialDecay", 50, 0.5, 4, 0.0, staircase=staircase)


def test_exponential_decay_grows_with_a_rate_above_one(keras_worker):
    s = P.ExponentialDecay(0.01, 10, 2.0)
    assert [s(t) for t in (0, 10, 20, 5)] == pytest.approx([0.01, 0.02, 0.04, 0.01 * 2**0.5], rel=1e-15)
    check(keras_worker, "ExponentialDecay", 100, 0.01, 10, 2.0)


def test_exponential_decay_of_a_negative_rate_value(keras_worker):
    s = P.ExponentialDecay(-0.1, 10, 0.5)
    assert [s(t) for t in (0, 10, 20)] == pytest.approx([-0.1, -0.05, -0.025], rel=1e-15)
    check(keras_worker, "ExponentialDecay", 100, -0.1, 10, 0.5)
