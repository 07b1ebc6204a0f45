"""Built-in study lrfree: tuned cosine and WSD (AdamW) vs Prodigy, D-Adapt Adam, DoG and schedule-free.

No training here: the stages are built from synthetic tuning records and the claims are checked on
synthetic finals with hand-set values.
"""

from __future__ import annotations

from typing import Any

import pytest

from lrplan.lab import LabError
from lrplan.lab.studies import builtins, first_stage, get_builtin
from lrplan.lab.studies.lrfree import GRID, LR_FREE, SCHEDULES, TUNED, TUNING, tuned_lr
from lrplan.lab.study import study_from_dict
from tests.lab.records import charlm_record

BUILTIN = get_builtin("lrfree")


def record(optimizer: str, schedule: str, lr: float, seed: int, value: float | None) -> dict[str, Any]:
    return charlm_record("charlm", optimizer, schedule, lr, seed, value, steps=800, layers=2)


def tuning(best: dict[str, float]) -> list[dict[str, Any]]:
    """Seed-0 records over the grid: loss 1.8 at ``best[schedule]``, + 0.1 per grid step away, 4e-2 diverged."""
    out = []
    for s in ("cosine", "WSD"):
        i = GRID.index(best[s])
        for j, lr in enumerate(GRID):
            out.append(record(TUNING, s, lr, 0, None if lr == 4e-2 else 1.8 + 0.1 * abs(j - i)))
    return out


def main(finals: dict[str, tuple[float, float, float]]) -> list[dict[str, Any]]:
    schedule = {**{TUNED[s]: s for s in TUNED}, **{k: v[0] for k, v in LR_FREE.items()}}
    return [
        record(label, schedule[label], 1.0, seed, v) for label, vs in finals.items() for seed, v in zip((1, 2, 3), vs)
    ]


def test_registered_and_the_tuning_stage_is_the_grid_on_one_seed():
    assert "lrfree" in builtins()
    st = first_stage("lrfree")
    runs = st.runs()
    assert len(runs) == 12 and {r.seed for r in runs} == {0}
    assert sorted({r.lr for r in runs}) == [0.00125, 0.0025, 0.005, 0.01, 0.02, 0.04]
    assert {r.schedule_label for r in runs} == {"cosine", "WSD"}
    assert {r.schedule for r in runs} == {
        "warmup(cosine(init_value=1.0, decay_steps=750), steps=50)",
        "wsd(peak_value=1.0, warmup_steps=50, stable_steps=590, decay_steps=160, decay_shape='linear')",
    }
    assert {(r.optimizer, r.steps, r.grad_clip) for r in runs} == {("adamw", 800, 1.0)}


def test_later_stages_train_every_arm_at_the_tuned_lr_on_three_other_seeds():
    records = tuning({"cosine": 0.01, "WSD": 0.005})
    assert tuned_lr(records, "cosine") == 0.01 and tuned_lr(records, "WSD") == 0.005
    arms = {}
    for stage in BUILTIN.stages[1:]:
        st = study_from_dict(stage(records))
        for r in st.runs():
            arms.setdefault(r.optimizer_label, set()).add((r.optimizer, r.lr, r.schedule_label, r.seed))
    assert arms == {
        "AdamW + cosine, tuned": {("adamw", 0.01, "cosine", s) for s in (1, 2, 3)},
        "AdamW + WSD, tuned": {("adamw", 0.005, "WSD", s) for s in (1, 2, 3)},
        "Prodigy": {("prodigy", 1.0, "cosine", s) for s in (1, 2, 3)},
        "D-Adapt Adam": {("dadapt-adam", 1.0, "cosine", s) for s in (1, 2, 3)},
        "DoG": {("dog", 1.0, "constant", s) for s in (1, 2, 3)},
        "schedule-free AdamW": {("schedulefree-adamw", 0.01, "constant", s) for s in (1, 2, 3)},
    }
    assert SCHEDULES["constant"] == "constant(1.0)"
    assert [study_from_dict(s(records)).name for s in BUILTIN.stages] == [
        "lrfree-tune",
        "lrfree-cosine",
        "lrfree-wsd",
        "lrfree",
    ]


def test_tuning_needs_a_finished_run():
    records = [record(TUNING, "cosine", lr, 0, None) for lr in GRID]
    with pytest.raises(LabError, match="lrfree: the tuning stage has no finished cosine run"):
        tuned_lr(records, "cosine")


def test_claim_met_when_the_best_lr_free_optimizer_ends_within_the_margin():
    finals = {
        "AdamW + cosine, tuned": (1.80, 1.82, 1.78),  # mean 1.80
        "AdamW + WSD, tuned": (1.76, 1.78, 1.74),  # mean 1.76: the better tuned schedule
        "Prodigy": (1.80, 1.81, 1.79),  # mean 1.80: +0.04, the best LR-free
        "D-Adapt Adam": (1.90, 1.92, 1.88),  # +0.14
        "DoG": (2.10, 2.10, 2.10),  # +0.34
        "schedule-free AdamW": (1.805, 1.81, 1.80),  # +0.045
    }
    claims, regime = BUILTIN.check(tuning({"cosine": 0.01, "WSD": 0.04 / 2}) + main(finals))
    assert [(c.claim, c.met) for c in claims] == [
        ("tuning on seed 0: final validation loss per peak lr", None),
        (
            "the best LR-free optimizer (Prodigy) ends within 0.05 nats/byte of the better tuned schedule "
            "(AdamW + WSD, tuned)",
            True,
        ),
        ("D-Adapt Adam ends within 0.05 nats/byte of AdamW + WSD, tuned", False),
        ("DoG ends within 0.05 nats/byte of AdamW + WSD, tuned", False),
        ("schedule-free AdamW ends within 0.05 nats/byte of AdamW + WSD, tuned", True),
        ("AdamW + WSD, tuned vs AdamW + cosine, tuned (descriptive)", None),
        ("final validation loss per arm (nats/byte)", None),
    ]
    assert claims[0].detail.startswith("cosine: lr 0.00125 -> 2.100, lr 0.0025 -> 2.000")
    assert "lr 0.04 -> diverged; chosen 0.01" in claims[0].detail
    assert "WSD: " in claims[0].detail and "chosen 0.02" in claims[0].detail
    assert (
        claims[1].detail == "difference +0.040, standard error 0.006 (paired over 3 seeds, higher in 3 of 3)"
    )  # sd(0.04, 0.03, 0.05) / sqrt(3)
    assert "tuned on seed 0 (cosine 0.01, WSD 0.02)" in regime and "12 extra runs" in regime
    assert (
        "800 steps x batch 32 x context 64 = 1,638,400 bytes seen of 2,700,000 training bytes (0.61 epochs)" in regime
    )


def test_claim_not_met_when_every_lr_free_optimizer_ends_past_the_margin():
    finals = {
        "AdamW + cosine, tuned": (1.80, 1.80, 1.80),
        "AdamW + WSD, tuned": (1.82, 1.82, 1.82),
        "Prodigy": (1.86, 1.85, 1.87),  # +0.06: the best LR-free, just past the margin
        "D-Adapt Adam": (None, None, None),  # diverged in every seed
        "DoG": (2.10, 2.10, 2.10),
        "schedule-free AdamW": (1.90, 1.90, 1.90),
    }
    claims, _ = BUILTIN.check(tuning({"cosine": 0.00125, "WSD": 0.005}) + main(finals))
    assert [c.met for c in claims] == [None, False, False, False, False, None, None]
    assert "(Prodigy)" in claims[1].claim and "(AdamW + cosine, tuned)" in claims[1].claim
    assert "chosen 0.00125 (at the grid's edge)" in claims[0].detail
    assert "D-Adapt Adam: diverged" in claims[-1].detail
