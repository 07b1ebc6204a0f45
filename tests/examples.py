"""The EXAMPLES table: one instance of every schedule (and the compositions users build).

Most tests are parametrised over this table (golden values live in test_golden.py): a new schedule is
covered by the property, round-trip, adapter and cross-framework tests by adding one row here.
"""

from __future__ import annotations

import numpy as np

import lrplan as L

EXAMPLES: dict[str, L.Schedule] = {
    "constant": L.constant(0.1),
    "linear": L.linear(init_value=1.0, end_value=0.1, decay_steps=100),
    "linear_up": L.linear(init_value=0.0, end_value=2e-3, decay_steps=37),
    "polynomial": L.polynomial(init_value=1.0, end_value=0.01, decay_steps=80, power=2.0),
    "anneal_1sqrt": L.anneal(init_value=1.0, end_value=0.0, steps=50, shape="1-sqrt"),
    "anneal_exp": L.anneal(init_value=1.0, end_value=1e-3, steps=50, shape="exponential"),
    "power_law": L.power_law(init_value=0.5, scale_steps=20, exponent=-0.5),
    "exponential": L.exponential(init_value=1.0, decay_rate=0.9, decay_steps=10),
    "exponential_floor": L.exponential(init_value=1.0, decay_rate=0.5, decay_steps=10, staircase=True, end_value=0.05),
    "exponential_up": L.exponential(init_value=1e-3, decay_rate=2.0, decay_steps=10, end_value=1.0),
    "step_decay": L.step_decay(init_value=0.1, decay_rate=0.5, decay_steps=25),
    "inverse_time": L.inverse_time(init_value=1.0, decay_rate=0.5, decay_steps=10),
    "inverse_time_stair": L.inverse_time(init_value=1.0, decay_rate=0.5, decay_steps=10, staircase=True),
    "piecewise_constant": L.piecewise_constant(boundaries=[10, 30, 60], values=[1.0, 0.5, 0.1, 0.01]),
    "inverse_sqrt": L.inverse_sqrt(peak_value=5e-4, warmup_steps=40),
    "inverse_sqrt_t5": L.inverse_sqrt(peak_value=0.01, warmup_steps=100, warmup_shape="constant"),
    "inverse_sqrt_timescale": L.inverse_sqrt(peak_value=1e-3, warmup_steps=20, init_value=1e-5, timescale=100),
    "inverse_sqrt_nowarmup": L.inverse_sqrt(peak_value=1e-3, warmup_steps=0, timescale=50),
    "cosine": L.cosine(init_value=1.0, decay_steps=100, end_value=0.1),
    "cosine_exponent": L.cosine(init_value=1.0, decay_steps=60, exponent=2.0),
    "cosine_restarts": L.cosine_restarts(init_value=1.0, decay_steps=10, period_mult=2.0, peak_decay=0.5, max_cycles=3),
    "cosine_restarts_periodic": L.cosine_restarts(init_value=1.0, decay_steps=15, end_value=0.1),
    "one_cycle": L.one_cycle(peak_value=1.0, total_steps=100),
    "one_cycle_3phase_linear": L.one_cycle(
        peak_value=0.1, total_steps=90, pct_start=0.25, shape="linear", three_phase=True
    ),
    "one_cycle_momentum": L.one_cycle(peak_value=0.85, init_value=0.95, end_value=0.95, total_steps=100),
    "cyclic": L.cyclic(init_value=0.1, peak_value=1.0, up_steps=10, down_steps=20),
    "cyclic_tri2": L.cyclic(init_value=0.1, peak_value=1.0, up_steps=8, mode="triangular2"),
    "cyclic_exp_range": L.cyclic(init_value=0.1, peak_value=1.0, up_steps=8, mode="exp_range", gamma=0.99),
    "wsd": L.wsd(peak_value=1.0, warmup_steps=10, stable_steps=80, decay_steps=10),
    "wsd_cosine": L.wsd(
        peak_value=3e-4,
        warmup_steps=5,
        stable_steps=20,
        decay_steps=30,
        end_value=3e-5,
        decay_shape="cosine",
        init_value=1e-6,
    ),
    "warmup_cosine": L.warmup(L.cosine(init_value=3e-4, decay_steps=100), steps=20),
    "warmup_cosine_shape": L.warmup(
        L.cosine(init_value=1.0, decay_steps=50, end_value=0.1), steps=10, init_value=0.01, shape="exponential"
    ),
    "join": L.join(
        [L.constant(1.0), L.linear(init_value=0.5, end_value=0.0, decay_steps=20), L.constant(0.01)],
        boundaries=[10, 40],
    ),
    "scale": 0.5 * L.cosine(init_value=1.0, decay_steps=30),
    "product": L.product(
        [
            L.linear(init_value=0.0, end_value=1.0, decay_steps=10),
            L.exponential(init_value=1.0, decay_rate=0.95, decay_steps=1, end_value=0.2),
        ]
    ),
    "clip": L.clip(L.power_law(init_value=1.0, scale_steps=5, exponent=-1.0), min_value=0.05, max_value=0.5),
    "shift": L.shift(L.cosine(init_value=1.0, decay_steps=40), steps=15),
    "cooldown_rsqrt": L.cooldown(
        L.warmup(L.inverse_sqrt(peak_value=1e-3, warmup_steps=0, timescale=20), steps=10), start=60, steps=30
    ),
    "cooldown_1sqrt": L.cooldown(L.constant(1.0), start=20, steps=20, shape="1-sqrt"),
    "cosine_wave": L.cosine_wave(init_value=1.0, decay_steps=40, end_value=0.1, num_cycles=0.75),
    "cosine_hard_restarts": L.cosine_hard_restarts(init_value=1.0, decay_steps=60, num_cycles=3),
    "cycle_anneal_tanh": L.cycle_anneal(
        init_value=1.0, cycle_steps=10, end_value=0.05, shape="tanh", period_mult=2.0, peak_decay=0.5, max_cycles=3
    ),
    "quantize": L.quantize(L.cosine(init_value=1.0, decay_steps=10), unit_steps=4),
    "range_test": L.range_test_schedule(min_value=1e-6, max_value=1.0, steps=100),
    "cosine_restarts_fixed_floor": L.cosine_restarts_fixed_floor(
        init_value=1.0, decay_steps=10, end_value=0.1, period_mult=2.0, peak_decay=0.5
    ),
    "polynomial_cycle": L.polynomial_cycle(init_value=1.0, end_value=0.1, decay_steps=15, power=2.0),
    "batch_constant": L.batch_constant(8),
    "batch_rampup": L.batch_rampup(start=4, increment=4, ramp_samples=200, batch_size=16),
    "batch_steps_tokens": L.batch_steps(
        boundaries=[1024, 4096], batch_sizes=[2, 4, 8], unit="tokens", sequence_length=64
    ),
    "batch_switch": L.batch_switch(
        L.batch_rampup(start=2, increment=2, ramp_samples=60, batch_size=8), L.batch_constant(6), at_update=20
    ),
    # a schedule written in samples (or tokens, epochs, fractions of the run) evaluated at optimizer updates
    "per_update_samples": L.per_update(
        L.wsd(peak_value=1.0, warmup_steps=100, stable_steps=700, decay_steps=200, decay_shape="linear"),
        batch=L.batch_rampup(start=4, increment=4, ramp_samples=200, batch_size=16),
    ),
    "per_update_tokens": L.per_update(
        L.warmup(L.cosine(init_value=3e-4, decay_steps=60_000, end_value=3e-5), steps=6_000),
        batch=L.batch_steps(boundaries=[300], batch_sizes=[4, 12]),
        unit="tokens",
        sequence_length=128,
    ),
    "per_update_epochs": L.per_update(
        L.step_decay(init_value=0.1, decay_rate=0.1, decay_steps=3), batch=32, unit="epochs", dataset_size=500
    ),
    "per_update_fraction": L.per_update(
        L.cosine(init_value=1.0, decay_steps=1.0), batch=L.batch_constant(10), unit="fraction", run_samples=900
    ),
    "infinite": L.infinite(
        peak_value=1.0,
        warmup_steps=10,
        cooldown_steps=30,
        constant_value=0.4,
        constant_steps=40,
        anneal_steps=20,
        end_value=0.01,
    ),
    "infinite_rsqrt_like": L.infinite(
        peak_value=1.0,
        warmup_steps=0,
        cooldown_steps=0,
        constant_value=0.5,
        constant_steps=30,
        anneal_steps=10,
        end_value=0.0,
        anneal_shape="linear",
    ),
    "wsd_s": L.wsd_s(peak_value=1.0, warmup_steps=10, stable_steps=[30, 20, 20], decay_steps=[10, 5, 10]),
    # A plateau is a schedule too: plateau(step) is the value before any reduction (its base schedule's).
    "plateau": L.plateau(
        L.warmup(L.cosine(init_value=0.1, decay_steps=100, end_value=1e-3), steps=10), patience=2, factor=0.5
    ),
    "plateau_keras": L.plateau(0.05, mode="max", compat="keras", cooldown=1, threshold=0.01, min_value=1e-4),
}


def steps_for(schedule: L.Schedule, n: int = 0) -> np.ndarray:
    """Integer steps that span every phase boundary of ``schedule`` (and a stretch past its horizon)."""
    points = list(schedule.breakpoints())
    if schedule.horizon is not None:
        points.append(schedule.horizon)
    end = int(max(points, default=0) * 1.5) + 20
    end = max(end, n)
    grid = set(range(0, end + 1))
    for p in points:
        for d in (-1, 0, 1):
            if p + d >= 0:
                grid.add(int(p) + d)
    return np.array(sorted(grid))
