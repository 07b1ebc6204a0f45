"""``e3``: digits MLP, SGD-momentum: an LR range test (``lrplan.range_test_schedule``, 1e-4 -> 10 over
300 steps, analysed by ``lrplan.suggest_lr``), then one-cycle with the LR of the lowest smoothed loss
as peak reaches at least the accuracy of a naive constant LR (0.01) at a 100-step budget.
Two stages, 5 seeds.

References: Smith 2017, arXiv:1506.01186; Smith & Topin 2017, arXiv:1708.07120.

Example:
    >>> from lrplan.lab.studies.e3 import RANGE_TEST
    >>> print(RANGE_TEST)
    range_test_schedule(min_value=0.0001, max_value=10.0, steps=300)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from lrplan import Suggestion, range_test_schedule, suggest_lr

from ..errors import LabError
from .base import Builtin, Claim, Finals, Records, by_schedule, compare, fmt, mean

RANGE_TEST = range_test_schedule(min_value=1e-4, max_value=10.0, steps=300)
"""E3's ramp: ``lrplan.range_test_schedule`` from 1e-4 to 10 (exponential) over 300 updates."""


def analyse_range_test(record: dict[str, Any], **options: Any) -> Suggestion:
    """:func:`lrplan.suggest_lr` on the record of a range-test run (options go to ``suggest_lr``).

    A lab record's ``train_loss[k]`` is the loss on the batch of update ``k``, measured before that
    update, so the loss *after* the update that used ``lr[k]`` is ``train_loss[k + 1]``; the curves
    are paired that way (as :func:`lrplan.torch.range_test` pairs them). A run stopped by a
    non-finite loss passes it on as NaN, which ``suggest_lr`` treats as divergence.
    """
    lrs = record["curves"]["lr"]
    losses = [math.nan if v is None else float(v) for v in record["curves"]["train_loss"]]
    n = len(losses) - 1
    return suggest_lr(lrs[:n], losses[1:], **options)


def _geomean(xs: Sequence[float]) -> float:
    return float(f"{math.exp(sum(math.log(x) for x in xs) / len(xs)):.3g}")


def _e3_suggestions(records: Records) -> list[Suggestion]:
    found = [analyse_range_test(r) for r in records if r["labels"]["schedule"] == "LR range test"]
    if not found:
        raise LabError("e3: the LR range test produced no records.")
    ok = [s for s in found if s.verdict == "ok"]
    if not ok:
        raise LabError("e3: the LR range test gave no suggestion: " + " | ".join(str(s) for s in found))
    return ok


def _e3_lrs(records: Records) -> tuple[float, float]:
    """(LR at the minimum smoothed loss, LR of steepest descent): geometric means over the seeds."""
    ok = _e3_suggestions(records)
    return _geomean([s.lr_at_min for s in ok if s.lr_at_min is not None]), _geomean([s.lr for s in ok if s.lr])


def _e3_range(_: Records) -> dict[str, Any]:
    return {
        "name": "e3-range-test",
        "description": f"LR range test: SGD-momentum 0.9 on the digits MLP, {RANGE_TEST} (lr from 1e-4 to 10, "
        "exponential ramp, 300 steps), analysed with lrplan.suggest_lr.",
        "steps": RANGE_TEST.steps,
        "eval_every": RANGE_TEST.steps,
        "seeds": 3,
        "tasks": ["digits-mlp"],
        "optimizers": [{"name": "sgd-momentum", "label": "SGD-momentum"}],
        "lrs": [1.0],
        "schedules": [{"spec": str(RANGE_TEST), "label": "LR range test"}],
    }


def _e3_main(records: Records) -> dict[str, Any]:
    top, steep = _e3_lrs(records)
    return {
        "name": "e3",
        "description": f"Digits MLP, SGD-momentum 0.9, batch 32, 100-step budget, 5 seeds. LR range test (3 seeds, "
        f"lrplan.suggest_lr): lowest smoothed loss at lr {top:g}, steepest descent at lr {steep:g} "
        "(geometric means over the seeds).",
        "expectation": "One-cycle with the range test's LR (lowest smoothed loss) as peak reaches at least the test "
        "accuracy of a naive constant LR (0.01) at 100 steps; the range test brackets a good LR within about 3x "
        "(Smith 2017; Smith & Topin 2017).",
        "steps": 100,
        "eval_every": 10,
        "seeds": 5,
        "tasks": ["digits-mlp"],
        "optimizers": [{"name": "sgd-momentum", "label": "SGD-momentum"}],
        "lrs": [1.0],
        "schedules": [
            {"spec": "constant(0.01)", "label": "constant 0.01 (naive)"},
            {"spec": f"constant({steep:g})", "label": f"constant {steep:g} (steepest descent)"},
            {"spec": f"constant({top / 3:.3g})", "label": f"constant {top / 3:.3g} (range/3)"},
            {"spec": f"one_cycle(peak_value={top:g}, total_steps={{steps}})", "label": f"one-cycle peak {top:g}"},
            {"spec": f"cosine(init_value={top / 3:.3g}, decay_steps={{steps}})", "label": f"cosine {top / 3:.3g}"},
        ],
        "targets": {"digits-mlp": 0.9},
    }


def _check_e3(records: Records) -> tuple[list[Claim], str]:
    main = [r for r in records if r["labels"]["schedule"] != "LR range test"]
    top, steep = _e3_lrs(records)
    f = by_schedule(main)
    naive = f.get("constant 0.01 (naive)", Finals())
    one = next((v for s, v in f.items() if s.startswith("one-cycle")), Finals())
    gap = mean(one) - mean(naive)
    claims = [
        Claim(
            "one-cycle at the range-test LR >= naive constant LR at 100 steps (test accuracy)",
            bool(one) and gap >= 0,
            f"one-cycle {fmt(one)}, naive constant {fmt(naive)}; {compare(one, naive)}",
        ),
        Claim(
            "accuracy per schedule at 100 steps (descriptive)", None, "; ".join(f"{s}: {fmt(v)}" for s, v in f.items())
        ),
        Claim(
            "LR range test per seed (lrplan.suggest_lr, descriptive)",
            None,
            "; ".join(
                f"seed {r['run']['seed']}: {s.verdict}, lowest smoothed loss at lr {s.lr_at_min or math.nan:.3g}, "
                f"steepest descent at {s.lr or math.nan:.3g}"
                + (f", diverged from {s.lrs[s.diverged_at]:.3g}" if s.diverged_at is not None else "")
                for r, s in ((r, analyse_range_test(r)) for r in records if r["labels"]["schedule"] == "LR range test")
            ),
        ),
    ]
    steps = main[0]["run"]["steps"] if main else 0
    seeds = len({r["run"]["seed"] for r in main})
    tests = len([r for r in records if r["labels"]["schedule"] == "LR range test"])
    return claims, (
        f"digits MLP 64-128-10, SGD-momentum 0.9, batch 32, {steps} steps ({steps * 32 / 1347:.1f} epochs), "
        f"{seeds} seeds; range test (lrplan.suggest_lr, {tests} seeds): lowest smoothed loss at lr {top:g}, "
        f"steepest descent at {steep:g}. "
        "suggest_lr smooths without lag (forward and backward EMA); a causal EMA puts the minimum at larger "
        "rates (the quality anchors' pilot: 0.459). The benefit of one-cycle is a short-budget effect; at long "
        "budgets digits saturates."
    )


BUILTIN = Builtin(
    "e3",
    "digits: LR range test, then one-cycle vs naive constant at 100 steps",
    "One-cycle at the range-test LR >= naive constant LR at 100 steps.",
    0.5,
    (_e3_range, _e3_main),
    _check_e3,
)
