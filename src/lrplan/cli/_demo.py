"""The schedules of ``lrplan demo``."""

from __future__ import annotations

from .. import Schedule, parse

__all__ = ["SEEDS", "SEED_STEPS"]

SEEDS: dict[str, Schedule] = {
    title: parse(spec)
    for title, spec in {
        "1/sqrt(max(n, k)), k = 10,000": "inverse_sqrt(peak_value=0.01, warmup_steps=10_000, warmup_shape='constant')",
        "warmup + inverse sqrt": "inverse_sqrt(peak_value=0.01, warmup_steps=4_000)",
        "linear to a floor": "linear(init_value=0.01, end_value=0.001, decay_steps=60_000)",
        "power law": "power_law(init_value=0.01, scale_steps=5_000, exponent=-0.7)",
        "exponential": "exponential(init_value=0.01, decay_rate=0.5, decay_steps=20_000)",
        "step decay": "step_decay(init_value=0.01, decay_rate=0.5, decay_steps=25_000)",
        "1/t decay": "inverse_time(init_value=0.01, decay_rate=1.0, decay_steps=10_000)",
    }.items()
}
"""The seeds' schedules, all starting from (or peaking at) 0.01, shown by ``lrplan demo``.

Inverse square root with a constant phase (T5: :math:`1/\\sqrt{\\max(n, k)}`), warmup + inverse
square root (Transformer, fairseq), linear decay to a floor, a power law, exponential decay, step decay and
1/t decay.
"""
SEED_STEPS = 100_000
