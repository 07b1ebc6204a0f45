"""Built-in study e5: Adam at 4x the batch with the square-root rule (lrplan.sqrt_scaling)."""

from __future__ import annotations

from lrplan.lab.store import Store
from lrplan.lab.studies import get_builtin, run_builtin
from lrplan.lab.studies.e5 import sqrt_rule


def test_sqrt_rule_arm_is_the_library_transform():
    # kappa = 128 / 32 = 4: lr x 2, 1 - beta x 4, eps / 2 (Malladi et al. 2022)
    assert sqrt_rule(0.03) == {
        "name": "adam",
        "lr": 0.06,
        "options": {"betas": [0.6, 0.996], "eps": 5e-09},
        "label": "sqrt rule",
    }


def test_e5_runs_both_stages_and_states_its_outcome(tmp_path):
    studies = run_builtin("e5", tmp_path, overrides={"seeds": 2}, backend="inline", progress=False)
    assert [s.name for s in studies] == ["e5-base", "e5"]
    main = studies[1]
    assert main.steps == 100 and main.tasks[0]["options"]["batch_size"] == 128
    tuned = next(o["lr"] for o in main.optimizers if o["label"] == "unchanged lr")
    rule = next(o for o in main.optimizers if o["label"] == "sqrt rule")
    assert rule["lr"] == 2 * tuned and rule["options"]["betas"] == [0.6, 0.996]
    store = Store(tmp_path)
    records = [store.read(r.key()) for st in studies for r in st.runs()]
    claims, regime = get_builtin("e5").check(records)
    assert [c.met for c in claims] == [None] * 4  # descriptive: the outcome is stated, whatever it is
    assert all("paired over 2 seeds" in c.detail for c in claims[:3])
    assert f"lr tuned at batch 32: {tuned:g}" in regime
