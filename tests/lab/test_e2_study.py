"""Built-in study e2: the stable peak-LR range of post-LN and pre-LN, with and without warmup.

No training here: the claims are checked on synthetic final losses with hand-set stable ranges.
"""

from __future__ import annotations

from typing import Any

from lrplan.lab.studies import first_stage, get_builtin
from lrplan.lab.studies.e2 import GRID, MARGIN, stable
from tests.lab.records import charlm_record

BUILTIN = get_builtin("e2")


def record(model: str, setting: str, lr: float, value: float | None) -> dict[str, Any]:
    return charlm_record(model, "AdamW", setting, lr, 0, value, steps=400, layers=4)


def sweep(losses: dict[tuple[str, str], list[float | None]]) -> list[dict[str, Any]]:
    return [record(m, s, lr, v) for (m, s), vs in losses.items() for lr, v in zip(GRID, vs, strict=True)]


def test_the_search_is_a_grid_of_eight_lrs_factor_two_apart_for_both_models_and_settings():
    st = first_stage("e2")
    runs = st.runs()
    assert len(runs) == 2 * 8 * 2 and {r.seed for r in runs} == {0}
    assert sorted({r.lr for r in runs}) == [2.5e-4, 5e-4, 1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2, 3.2e-2]
    assert {(r.task_label, r.task_options["norm"], r.task_options["layers"]) for r in runs} == {
        ("pre-LN", "pre", 4),
        ("post-LN", "post", 4),
    }
    assert {r.schedule_label: r.schedule for r in runs} == {
        "no warmup": "cosine(init_value=1.0, decay_steps=400)",
        "warmup 100": "warmup(cosine(init_value=1.0, decay_steps=300), steps=100)",
    }
    assert {(r.optimizer, r.steps, r.grad_clip) for r in runs} == {("adamw", 400, 1.0)}
    assert "within 0.1 nats/byte of the best final validation loss" in BUILTIN.expectation


def test_stable_means_finite_and_within_the_margin_of_the_best():
    assert MARGIN == 0.1
    assert stable({1e-3: 2.25, 2e-3: 2.2500001, 4e-3: 2.15, 8e-3: None, 1.6e-2: 3.15}, best=2.15) == [1e-3, 4e-3]
    assert stable({1e-3: 2.3}, best=2.15) == []


def test_claims_met_when_warmup_widens_post_ln_and_barely_changes_pre_ln():
    d = None  # diverged
    records = sweep(
        {
            # post-LN: best 2.20 (warmup, lr 2e-3); stable <= 2.30: 2 LRs without warmup, 4 with
            ("post-LN", "no warmup"): [2.60, 2.45, 2.28, 2.25, 3.15, 3.16, d, d],
            ("post-LN", "warmup 100"): [2.62, 2.48, 2.30, 2.20, 2.22, 2.29, 3.15, d],
            # pre-LN: best 2.00; stable <= 2.10: 3 LRs without warmup, 4 with
            ("pre-LN", "no warmup"): [2.50, 2.30, 2.10, 2.05, 2.08, 2.40, d, d],
            ("pre-LN", "warmup 100"): [2.52, 2.31, 2.09, 2.00, 2.02, 2.10, 2.60, d],
        }
    )
    claims, regime = BUILTIN.check(records)
    assert [(c.claim, c.met) for c in claims] == [
        ("post-LN: warmup widens the stable range by at least one grid step", True),
        ("pre-LN: warmup widens the stable range by at most one grid step", True),
        ("stable peak LRs and final validation loss (nats/byte) per model and warmup", None),
    ]
    assert claims[0].detail == (
        "width 2 without warmup, 4 with; +2 grid steps; best final loss 2.200, stable within 2.300"
    )
    assert claims[1].detail == (
        "width 3 without warmup, 4 with; +1 grid steps; best final loss 2.000, stable within 2.100"
    )
    rows = claims[2].detail.split(" | ")
    assert rows[0].startswith("post-LN, no warmup: stable 0.001, 0.002; width 2 grid steps; final loss 0.00025: 2.600")
    assert "0.016: diverged" in rows[0]
    assert rows[1].startswith("post-LN, warmup 100: stable 0.001, 0.002, 0.004, 0.008; width 4 grid steps")
    assert "searched over 0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032" in regime
    assert "400 steps x batch 32 x context 64 = 819,200 bytes" in regime


def test_claims_not_met_when_warmup_does_not_widen_post_ln_and_widens_pre_ln_by_two():
    d = None
    records = sweep(
        {
            ("post-LN", "no warmup"): [2.60, 2.40, 2.25, 2.20, 3.15, d, d, d],
            ("post-LN", "warmup 100"): [2.60, 2.42, 2.26, 2.21, 3.15, d, d, d],
            ("pre-LN", "no warmup"): [2.50, 2.30, 2.20, 2.05, 2.30, d, d, d],
            ("pre-LN", "warmup 100"): [2.50, 2.30, 2.09, 2.00, 2.05, 2.08, 2.50, d],
        }
    )
    claims, _ = BUILTIN.check(records)
    assert [c.met for c in claims] == [False, False, None]
    assert claims[0].detail.startswith("width 2 without warmup, 2 with; +0 grid steps")
    assert claims[1].detail.startswith("width 1 without warmup, 4 with; +3 grid steps")


def test_ranges_at_the_grid_edge_or_with_gaps_are_flagged():
    flat = [2.00] * 8
    records = sweep(
        {
            ("post-LN", "no warmup"): [2.00, 2.50, 2.05, 2.50, 2.50, 2.50, 2.50, 2.50],
            ("post-LN", "warmup 100"): flat,
            ("pre-LN", "no warmup"): flat,
            ("pre-LN", "warmup 100"): flat,
        }
    )
    claims, _ = BUILTIN.check(records)
    rows = claims[2].detail.split(" | ")
    assert rows[0].startswith(
        "post-LN, no warmup: stable 0.00025, 0.001 (not contiguous) (at the grid's edge: the range may extend further)"
    )
    assert "width 8 grid steps" in rows[1]
    assert claims[0].met is True and claims[1].met is True  # +6 for post-LN; +0 for pre-LN
