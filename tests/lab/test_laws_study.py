"""Built-in study laws: fit both loss-curve laws on constant + cosine, then train WSD and the optimized schedule.

No training here: stage 1's records are made from a known momentum law, so the fit, the optimized
schedule built between the stages and the claims can be checked against that law.
"""

from __future__ import annotations

from typing import Any

import pytest

import lrplan
import lrplan.laws
from lrplan.lab.studies import builtins, first_stage, get_builtin
from lrplan.lab.studies.laws import OPT_LABEL, PEAK, STEPS, WSD_LABEL, fitted, optimized, shapes
from lrplan.lab.study import study_from_dict

pytest.importorskip("scipy")

TRUE = lrplan.laws.MomentumLaw(L0=1.8, A=0.3, alpha=0.5, C=0.05)


def _record(label: str, shape: lrplan.Schedule, seed: int) -> dict[str, Any]:
    absolute = lrplan.scale(shape, factor=PEAK)
    steps = list(range(0, STEPS + 1, 20))
    loss = [5.5] + [float(TRUE.predict(absolute, k - 1)) for k in steps[1:]]
    return {
        "key": f"{label}-{seed}",
        "status": "ok",
        "labels": {"task": "charlm", "optimizer": "AdamW", "schedule": label},
        "run": {
            "seed": seed,
            "lr": PEAK,
            "steps": STEPS,
            "task_options": {"layers": 2, "d_model": 64, "batch_size": 32, "context": 64},
        },
        "task_info": {"parameters": 105_000, "train_bytes": 2_700_000},
        "metric": "val_loss",
        "final": {"val_loss": loss[-1]},
        "curves": {"lr": [absolute(k) for k in range(STEPS)], "eval": {"step": steps, "val_loss": loss}},
    }


def _stage1() -> list[dict[str, Any]]:
    return [
        _record(label, lrplan.parse(shapes()[label]), seed) for label in ("constant", "cosine") for seed in range(3)
    ]


def test_laws_is_registered_and_its_first_stage_validates():
    assert "laws" in builtins()
    st = first_stage("laws")
    runs = st.runs()
    assert (st.name, st.steps, st.eval_every, len(runs)) == ("laws-fit", 400, 20, 6)
    assert sorted({r.labels()["schedule"] for r in runs}) == ["constant", "cosine"]
    assert sorted({r.seed for r in runs}) == [0, 1, 2]
    assert {r.lr for r in runs} == {0.01}
    assert runs[0].task_options["val_batches"] == 10


def test_fit_recovers_the_law_that_made_the_curves():
    law = fitted(_stage1())["momentum"]
    assert law.L0 == pytest.approx(1.8, rel=1e-3)
    assert law.A == pytest.approx(0.3, rel=1e-2)
    assert law.alpha == pytest.approx(0.5, rel=1e-2)
    assert law.C == pytest.approx(0.05, rel=1e-2)


def test_second_stage_trains_wsd_and_the_optimized_schedule_on_the_same_seeds():
    records = _stage1()
    spec = get_builtin("laws").stages[1](records)
    st = study_from_dict(spec, source="<laws stage 2>")
    runs = st.runs()
    assert (st.name, st.steps, len(runs)) == ("laws", 400, 6)
    assert sorted({r.labels()["schedule"] for r in runs}) == sorted([WSD_LABEL, OPT_LABEL])
    assert sorted({r.seed for r in runs}) == [0, 1, 2]
    best = optimized(records)
    trained = lrplan.parse(next(r.schedule for r in runs if r.labels()["schedule"] == OPT_LABEL))
    # the run's absolute lr (0.01 x the shape) is the optimized schedule at every update
    for k in (0, 39, 40, 200, 330, 399):
        assert PEAK * trained(k) == pytest.approx(best.schedule(k), rel=1e-12, abs=1e-15)
    assert str(lrplan.parse(shapes()[WSD_LABEL])) == (
        "wsd(peak_value=1.0, warmup_steps=40, stable_steps=288, decay_steps=72)"
    )


def test_claims_state_prediction_errors_and_the_paired_comparison():
    records = _stage1()
    best = optimized(records)
    held = [_record(WSD_LABEL, lrplan.parse(shapes()[WSD_LABEL]), s) for s in range(3)]
    held += [_record(OPT_LABEL, lrplan.scale(best.schedule, factor=1 / PEAK), s) for s in range(3)]
    claims, regime = get_builtin("laws").check(records + held)
    assert [c.claim for c in claims[:4]] == [
        f"multi_power law predicts the final loss of {WSD_LABEL} within 1%",
        f"momentum law predicts the final loss of {WSD_LABEL} within 1%",
        f"multi_power law predicts the final loss of {OPT_LABEL} within 1%",
        f"momentum law predicts the final loss of {OPT_LABEL} within 1%",
    ]
    # the momentum law made these curves: refitted on constant + cosine it predicts the others exactly
    assert claims[1].met is True and claims[3].met is True
    assert "at the final step 0.00%" in claims[1].detail
    # the multi-power law fitted to curves it did not make optimizes a schedule that, under the true law,
    # ends 0.003 above cosine: the claim is stated as failed, on every seed
    cosine = lrplan.scale(lrplan.parse(shapes()["cosine"]), factor=PEAK)
    assert TRUE.predict(cosine, STEPS - 1) == pytest.approx(2.0892, abs=1e-4)
    assert TRUE.predict(best.schedule, STEPS - 1) == pytest.approx(2.0922, abs=1e-4)
    assert claims[5].claim == "the optimized schedule ends below cosine (paired by seed)"
    assert claims[5].met is False and "lower in 0 of 3 seeds" in claims[5].detail
    # refitted on each seed alone, the momentum law predicts that seed's held-out runs exactly too
    assert claims[4].claim == "prediction errors with one fit per seed (descriptive)"
    assert f"momentum on {WSD_LABEL}: over the curve 0.00%, at the final step 0.00%" in claims[4].detail
    assert [c.met for c in claims[4:5] + claims[6:]] == [None] * 5
    assert "400 steps" in regime and "3 seeds" in regime
