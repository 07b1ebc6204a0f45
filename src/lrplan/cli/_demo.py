"""The schedules of ``lrplan demo``: seven classic decays, all starting from (or peaking at) 0.01."""

from __future__ import annotations

from .. import Schedule, parse

__all__ = ["DEMO_SCHEDULES", "DEMO_STEPS"]

DEMO_SCHEDULES: dict[str, Schedule] = {
    title: parse(spec)
    for title, spec in {
        "inverse square root, constant for the first 10,000 steps (T5)": (
            "inverse_sqrt(peak_value=0.01, warmup_steps=10_000, warmup_shape='constant')"
        ),
        "inverse square root after a linear warmup (Transformer, fairseq)": (
            "inverse_sqrt(peak_value=0.01, warmup_steps=4_000)"
        ),
        "linear to a floor": "linear(init_value=0.01, end_value=0.001, decay_steps=60_000)",
        "power law": "power_law(init_value=0.01, scale_steps=5_000, exponent=-0.7)",
        "exponential": "exponential(init_value=0.01, decay_rate=0.5, decay_steps=20_000)",
        "step decay": "step_decay(init_value=0.01, decay_rate=0.5, decay_steps=25_000)",
        "inverse time (1/t)": "inverse_time(init_value=0.01, decay_rate=1.0, decay_steps=10_000)",
    }.items()
}
"""Seven classic schedules by title, all starting from (or peaking at) 0.01, as ``lrplan demo`` shows them.

Inverse square root with a constant phase (T5: :math:`1/\\sqrt{\\max(n, k)}`), inverse square root
after a linear warmup (Transformer, fairseq), linear decay to a floor, a power law, exponential
decay, step decay and inverse-time (1/t) decay.

Example:
    >>> from lrplan.cli import DEMO_SCHEDULES, DEMO_STEPS
    >>> len(DEMO_SCHEDULES), DEMO_STEPS, round(DEMO_SCHEDULES["step decay"](DEMO_STEPS - 1), 6)
    (7, 100000, 0.00125)
"""
DEMO_STEPS = 100_000
"""The steps ``lrplan demo`` shows and plots by default."""
