"""Batch-size schedules and per_update clocks: Megatron's ramp-up simulated step by step, the #2609 scenario, units.

The simulations below are written from NVIDIA/Megatron-LM megatron/core/num_microbatches_calculator.py
(RampupBatchsizeNumMicroBatchesCalculator.update at commit 0b9bc20, StepBatchsizeNumMicroBatchesCalculator
at 532ad92) and its training loop (``update_num_microbatches(consumed_train_samples)`` before every
update, then ``consumed_train_samples += global batch``): a loop over the updates, independent of the
closed forms under test.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan as L


# ------------------------------------------------------------------------------ Megatron, step by step
def megatron_rampup_batch(consumed: int, start: int, increment: int, ramp_samples: int, global_batch: int) -> int:
    """RampupBatchsizeNumMicroBatchesCalculator.update: the current global batch after ``consumed`` samples."""
    num_increments = (global_batch - start) // increment
    rampup_samples_per_increment = ramp_samples / num_increments
    if consumed > ramp_samples:
        return global_batch
    steps = int(consumed / rampup_samples_per_increment)
    return start + steps * increment


def megatron_step_batch(consumed: int, schedule: str, seq_length: int | None) -> int:
    """StepBatchsizeNumMicroBatchesCalculator: parse "THRESHOLD:BS ..." (tokens if seq_length) and look up."""
    table = []
    for entry in schedule.split():
        threshold, bs = (int(x) for x in entry.split(":"))
        table.append((threshold // seq_length if seq_length is not None else threshold, bs))
    table.sort()
    batch = table[0][1]
    for threshold, bs in table:
        if consumed >= threshold:
            batch = bs
        else:
            break
    return batch


def simulate(batch_of, total_samples: int) -> list[int]:
    """consumed_train_samples before each update of a run of ``total_samples`` samples."""
    consumed, out = 0, []
    while consumed < total_samples:
        out.append(consumed)
        consumed += batch_of(consumed)
    return out


# ------------------------------------------------------------------------------ the #2609 scenario
PEAK = 3e-4
WSD_SAMPLES = L.wsd(
    peak_value=PEAK, warmup_steps=100_000, stable_steps=7_900_000, decay_steps=2_000_000, decay_shape="linear"
)
RAMPUP = L.batch_rampup(start=32, increment=32, ramp_samples=2_000_000, batch_size=512)
RUN = 10_000_000


@pytest.fixture(scope="module")
def megatron_run() -> list[int]:
    return simulate(lambda c: megatron_rampup_batch(c, 32, 32, 2_000_000, 512), RUN)


def test_rampup_matches_megatron_step_by_step(megatron_run):
    consumed = megatron_run
    assert len(consumed) == 29_453  # updates of the 10M-sample run
    k = np.arange(len(consumed))
    np.testing.assert_array_equal(RAMPUP.samples_before(k), consumed)
    assert [RAMPUP.samples_before(int(i)) for i in k[::97]] == consumed[::97]
    batches = np.diff([*consumed, consumed[-1] + 512])
    np.testing.assert_array_equal(RAMPUP(k), batches)
    # the ramp, by hand: 2M / 15 = 133,333.3 samples per increment; the batch becomes 64 at the first update
    # with consumed >= 133,334, i.e. after ceil(133334 / 32) = 4167 updates of 32 (133,344 samples)
    assert RAMPUP.phases[:2] == ((0, 0, 32), (4167, 133_344, 64))
    assert RAMPUP.phases[-1] == (13_828, 2_000_320, 512)
    assert RAMPUP.samples_before(10**9) == 2_000_320 + (10**9 - 13_828) * 512


def test_wsd_in_samples_is_exact_at_every_update(megatron_run):
    s = L.per_update(WSD_SAMPLES, batch=RAMPUP, unit="samples")
    consumed = np.array(megatron_run)
    k = np.arange(len(consumed))
    expected = WSD_SAMPLES(consumed)  # the sample schedule at the samples consumed
    np.testing.assert_array_equal(s(k), expected)  # bit for bit, vectorised
    assert [s(int(i)) for i in k] == [WSD_SAMPLES(int(c)) for c in consumed]  # and one update at a time
    # the decay starts at 8M samples: the last update before it is at the peak, the first one after is below
    first = int(np.argmax(consumed >= 8_000_000))
    assert consumed[first - 1] < 8_000_000 <= consumed[first]
    assert s(first - 1) == PEAK and s(first) == PEAK * (1 - (consumed[first] - 8_000_000) / 2_000_000) < PEAK
    assert s(first) == pytest.approx(PEAK * (1 - (int(consumed[first]) - 8_000_000) / 2_000_000), rel=1e-15)
    # and completes by the last update: the last update decays to within one batch of 0, the run ends at 0
    last = len(consumed) - 1
    assert s(last) == WSD_SAMPLES(int(consumed[last])) == pytest.approx(PEAK * (RUN - consumed[last]) / 2_000_000)
    assert 0 < s(last) <= PEAK * 512 / 2_000_000
    assert s(last + 1) == 0.0 and s.horizon == RAMPUP.update_at(RUN) == 29_452.375
    assert np.all(np.diff(s(k[first - 1 :])) < 0)  # decaying at every update to the end, never stuck half way


def test_a_step_schedule_converted_with_the_final_batch_misses_the_data():
    # what per_update avoids: the same WSD in updates, converted with the final batch (512), ends its decay
    # at update 19,531, when the ramped run has consumed less than half of the 10M samples the decay was meant for
    naive = L.wsd(peak_value=PEAK, warmup_steps=195, stable_steps=15_430, decay_steps=3_906, decay_shape="linear")
    assert naive.horizon == 19_531
    assert RAMPUP.samples_before(19_531) == 4_920_256 < RUN / 2  # the decay 'stops half way' (Megatron-Bridge#2609)


def test_same_schedule_under_two_batch_schedules_is_bit_identical_where_samples_coincide():
    a = L.per_update(WSD_SAMPLES, batch=RAMPUP)
    b = L.per_update(WSD_SAMPLES, batch=L.batch_constant(96))
    ka, kb = np.arange(30_000), np.arange(120_000)
    ca, cb = RAMPUP.samples_before(ka), L.batch_constant(96).samples_before(kb)
    common, ia, ib = np.intersect1d(ca, cb, return_indices=True)
    assert len(common) > 1000 and common.max() > 9_000_000
    np.testing.assert_array_equal(a(ka[ia]), b(kb[ib]))
    assert all(a(int(i)) == b(int(j)) for i, j in zip(ka[ia][::50], kb[ib][::50], strict=True))


# ------------------------------------------------------------------------------ closed forms vs loops
@settings(max_examples=60, deadline=None)
@given(
    start=st.integers(1, 64),
    increment=st.integers(1, 64),
    n=st.integers(0, 20),
    ramp=st.integers(1, 5_000),
    total=st.integers(1, 20_000),
)
def test_rampup_equals_megatron_for_any_arguments(start, increment, n, ramp, total):
    final = start + n * increment
    b = L.batch_rampup(start=start, increment=increment, ramp_samples=ramp, batch_size=final)
    batch = (lambda c: final) if n == 0 else (lambda c: megatron_rampup_batch(c, start, increment, ramp, final))
    consumed = simulate(batch, total)
    np.testing.assert_array_equal(b.samples_before(np.arange(len(consumed))), consumed)
    assert [b(k) for k in range(len(consumed))] == [float(batch(c)) for c in consumed]
    assert b.megatron_batch(ramp + 1) == final


def test_token_steps_match_megatron_step_schedule():
    b = L.batch_steps(boundaries=[10_000, 50_000], batch_sizes=[4, 8, 16], unit="tokens", sequence_length=96)
    consumed = simulate(lambda c: megatron_step_batch(c, "0:4 10000:8 50000:16", 96), 2_000)
    np.testing.assert_array_equal(b.samples_before(np.arange(len(consumed))), consumed)
    # 10,000 tokens // 96 = 104 samples: the batch becomes 8 at the first update with 104 samples consumed
    assert b.phases[:2] == ((0, 0, 4), (26, 104, 8))


def test_switch_continues_from_the_samples_consumed():
    before = L.batch_rampup(start=2, increment=2, ramp_samples=60, batch_size=8)
    after = L.batch_rampup(start=4, increment=4, ramp_samples=200, batch_size=16)  # its rule in samples consumed
    b = L.batch_switch(before, after, at_update=20)
    c20 = before.samples_before(20)
    assert [b.samples_before(k) for k in range(21)] == [before.samples_before(k) for k in range(21)]
    # then after's rule from c20 samples on, one update at a time: no sample skipped or seen twice
    consumed, c = [], c20
    for _ in range(50):
        consumed.append(c)
        c += megatron_rampup_batch(c, 4, 4, 200, 16)
    assert [b.samples_before(20 + i) for i in range(50)] == consumed
    assert L.batch_switch(before, after, at_update=0).phases == after.phases


def test_samples_before_types_and_bounds():
    b = L.batch_constant(3)
    assert b.samples_before(-5) == 0 and b.samples_before(2.7) == 6 and type(b.samples_before(4)) is int
    assert b.samples_before(10**30) == 3 * 10**30  # Python integers stay exact
    arr = b.samples_before(np.array([0, 1, 5], dtype=np.int32))
    assert arr.dtype == np.int64 and arr.tolist() == [0, 3, 15]
    assert b.samples_at(np.array([0.5, 2.0])).tolist() == [1.5, 6.0]
    with pytest.raises(ValueError, match="must be finite"):
        b.samples_before(float("inf"))
    with pytest.raises(ValueError, match="must be finite"):
        b.samples_before(np.array([1.0, np.nan]))


# ------------------------------------------------------------------------------ data loaders
def test_split_into_micro_batches_and_accumulation():
    split = RAMPUP.split(20_000, world_size=8, micro_batch_size=4)
    assert (split.global_batch, split.accumulation_steps, split.per_rank) == (512, 16, 64)
    assert split.samples_before == RAMPUP.samples_before(20_000)
    assert RAMPUP.split(5_000, world_size=2, micro_batch_size=16).accumulation_steps == 2  # batch 64
    RAMPUP.check_split(world_size=4, micro_batch_size=8)  # 32 divides every batch of the ramp
    with pytest.raises(L.ConfigError) as err:
        RAMPUP.split(4_167, world_size=3, micro_batch_size=1)
    assert str(err.value) == (
        "batch_rampup.split: `micro_batch_size` * `world_size` must divide the global batch 64 of update 4167. "
        "Received: micro_batch_size=1, world_size=3."
    )
    with pytest.raises(L.ConfigError, match="`world_size` must be an integer >= 1"):
        RAMPUP.split(0, world_size=0, micro_batch_size=1)


# ------------------------------------------------------------------------------ per_update units
def test_units_by_hand():
    tokens = L.per_update(
        L.linear(init_value=1.0, end_value=0.0, decay_steps=1_000), batch=2, unit="tokens", sequence_length=100
    )
    assert tokens.clock(3) == 600.0 and tokens(3) == 0.4 and tokens.horizon == 5.0
    epochs = L.per_update(
        L.step_decay(init_value=1.0, decay_rate=0.5, decay_steps=1), batch=25, unit="epochs", dataset_size=100
    )
    assert epochs.clock(6) == 1.5 and epochs(3) == 1.0 and epochs(4) == 0.5 and epochs(8) == 0.25
    frac = L.per_update(L.cosine(init_value=1.0, decay_steps=1.0), batch=10, unit="fraction", run_samples=1000)
    assert frac(0) == 1.0 and frac(50) == pytest.approx(0.5, rel=1e-15) and frac(100) == 0.0 and frac.horizon == 100.0
    # between updates the clock is linear: half an update of batch 10 is 5 samples
    assert L.per_update(L.linear(init_value=1.0, end_value=0.0, decay_steps=100), batch=10)(2.5) == 0.75


def test_spec_and_config_round_trip():
    s = L.per_update(WSD_SAMPLES, batch=RAMPUP)
    text = str(s)
    assert text.startswith("per_update(wsd(") and text.endswith(
        "batch=batch_rampup(start=32, increment=32, ramp_samples=2000000, batch_size=512))"
    )
    assert L.parse(text) == s and L.from_config(json.loads(json.dumps(L.to_config(s)))) == s
    assert L.per_update(L.constant(1.0), batch=64) == L.per_update(L.constant(1.0), batch=L.batch_constant(64))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: L.batch_rampup(start=32, increment=32, ramp_samples=100, batch_size=500),
            "batch_rampup: `batch_size` must be start=32 plus a multiple of increment=32. Received: batch_size=500.",
        ),
        (
            lambda: L.batch_rampup(start=64, increment=32, ramp_samples=100, batch_size=32),
            "batch_rampup: `batch_size` must be >= start=64. Received: batch_size=32.",
        ),
        (
            lambda: L.batch_rampup(start=32, increment=32, ramp_samples=0, batch_size=64),
            "batch_rampup: `ramp_samples` must be >= 1 when batch_size > start=32. Received: ramp_samples=0.",
        ),
        (
            lambda: L.batch_rampup(start=1, increment=1, ramp_samples=10, batch_size=20_002),
            "batch_rampup: `increment` must be at least (batch_size - start) / 10000 = 2.0001. Received: increment=1.",
        ),
        (
            lambda: L.batch_constant(0),
            "batch_constant: `batch_size` must be an integer >= 1. Received: batch_size=0.",
        ),
        (
            lambda: L.batch_steps(boundaries=[100, 120], batch_sizes=[1, 2, 4], unit="tokens", sequence_length=64),
            "batch_steps: `boundaries` must be strictly increasing once converted to samples, all >= 1. "
            "Received: boundaries=[100, 120].",
        ),
        (
            lambda: L.batch_steps(boundaries=[100], batch_sizes=[1, 2], unit="tokens"),
            "batch_steps: `sequence_length` must be an integer >= 1 with unit='tokens'. Received: sequence_length=None.",
        ),
        (
            lambda: L.per_update(L.constant(1.0), batch=0),
            "per_update: `batch` must be a batch-size schedule (batch_constant, batch_rampup, ...) or an integer >= 1. "
            "Received: batch=0.",
        ),
        (
            lambda: L.per_update(L.constant(1.0), batch=8, unit="epochs"),
            "per_update: `dataset_size` must be an integer >= 1 with unit='epochs'. Received: dataset_size=None.",
        ),
        (
            lambda: L.per_update(L.constant(1.0), batch=8, sequence_length=128),
            "per_update: `sequence_length` must be None with unit='samples' (it is read with unit='tokens'). "
            "Received: sequence_length=128.",
        ),
    ],
)
def test_bad_arguments_are_refused_naming_them(build, message):
    with pytest.raises(L.ConfigError) as err:
        build()
    assert str(err.value) == message


# ------------------------------------------------------------------------------ invariants
BATCHES = st.one_of(
    st.builds(L.batch_constant, st.integers(1, 1000)),
    st.builds(
        lambda s, i, n, r: L.batch_rampup(start=s, increment=i, ramp_samples=r, batch_size=s + n * i),
        st.integers(1, 64),
        st.integers(1, 64),
        st.integers(0, 30),
        st.integers(1, 100_000),
    ),
    st.builds(
        lambda bounds, sizes: L.batch_steps(boundaries=sorted(set(bounds)), batch_sizes=sizes[: len(set(bounds)) + 1]),
        st.lists(st.integers(1, 10**6), min_size=1, max_size=5),
        st.lists(st.integers(1, 512), min_size=6, max_size=6),
    ),
)


@settings(max_examples=80, deadline=None)
@given(b=BATCHES, k=st.integers(0, 10**9), frac=st.floats(0.0, 1.0, exclude_max=True))
def test_batch_schedule_invariants(b, k, frac):
    # each update consumes its batch: samples_before(k + 1) - samples_before(k) = b(k), an integer >= 1
    assert b.samples_before(k + 1) - b.samples_before(k) == b(k) >= 1
    assert b.samples_before(np.array([k]))[0] == b.samples_before(k)
    # the continuous clock interpolates between updates, and update_at inverts it
    at = b.samples_at(k + frac)
    assert b.samples_before(k) <= at <= b.samples_before(k + 1)
    assert b.update_at(b.samples_before(k)) == pytest.approx(k, rel=1e-12, abs=1e-9)
    assert L.parse(str(b)) == b


@settings(max_examples=40, deadline=None)
@given(b=BATCHES, at=st.integers(0, 5_000), k=st.integers(0, 10_000))
def test_switch_never_repeats_or_skips(b, at, k):
    after = L.batch_constant(7)
    s = L.batch_switch(b, after, at_update=at)
    if k <= at:
        assert s.samples_before(k) == b.samples_before(k)
    else:
        assert s.samples_before(k) == b.samples_before(at) + 7 * (k - at)
