"""``lrfree``: char-LM, a tuned cosine and a tuned WSD (AdamW) against optimizers that need no learning rate:
Prodigy, D-Adaptation Adam, DoG and schedule-free AdamW, at their defaults, at equal steps, 3 seeds.

Stage 1 (``lrfree-tune``) tunes AdamW's peak learning rate on seed 0 for each schedule, over :data:`GRID`
(factor 2 apart), by the final validation loss. The next stages train every arm on seeds 1-3 (not the
tuning seed): the two tuned schedules, and the LR-free optimizers with their multiplier ``lr`` at 1.0
(schedule-free AdamW at the lab's default 1e-2), Prodigy and D-Adaptation under the same warmup + cosine
shape (their authors' advice), DoG and schedule-free under a constant schedule. A study is a product of
optimizers and schedules, so each schedule has its own stage: ``lrfree-cosine``, ``lrfree-wsd``,
``lrfree``.

Pre-stated claim (checked whatever the outcome): the best LR-free optimizer, untuned, ends within
:data:`MARGIN` nats/byte of the better tuned schedule (mean final validation loss over seeds 1-3); each
LR-free optimizer is checked against the same margin.

References: Mishchenko & Defazio 2023, arXiv:2306.06101 (Prodigy); Defazio & Mishchenko 2023,
arXiv:2301.07733 (D-Adaptation); Ivgi, Hinder & Carmon 2023, arXiv:2302.12022 (DoG); Defazio et al. 2024,
arXiv:2405.15682 (schedule-free); Hägele et al. 2024, arXiv:2405.18392 (WSD).

Example:
    >>> from lrplan.lab.studies.lrfree import GRID, tuned_lr
    >>> GRID
    (0.00125, 0.0025, 0.005, 0.01, 0.02, 0.04)
    >>> records = [{"labels": {"optimizer": "AdamW (tuning)", "schedule": "cosine"}, "run": {"lr": lr, "seed": 0},
    ...             "metric": "val_loss", "final": {"val_loss": v}} for lr, v in ((0.005, 1.9), (0.01, 1.8), (0.02, None))]
    >>> tuned_lr(records, "cosine")
    0.01
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import LabError
from .base import Builtin, Claim, Finals, Records, by_optimizer, charlm_regime, compare, fmt, mean
from .e1 import E1_SCHEDULES

STEPS, EVAL_EVERY, TUNE_SEED, SEEDS = 800, 100, 0, (1, 2, 3)
GRID = (1.25e-3, 2.5e-3, 5e-3, 1e-2, 2e-2, 4e-2)
"""AdamW peak learning rates tried on the tuning seed (factor 2 apart)."""
MARGIN = 0.05
"""nats/byte: how close to the better tuned schedule an LR-free optimizer must end."""
TUNING = "AdamW (tuning)"
SCHEDULES = {
    "cosine": next(s["spec"] for s in E1_SCHEDULES if s["label"] == "cosine to 0"),
    "WSD": next(s["spec"] for s in E1_SCHEDULES if s["label"] == "WSD 20% linear"),
    "constant": "constant(1.0)",
}
"""Warmup 50 + cosine to 0, and WSD (warmup 50, 20 % linear cooldown), as in ``e1``; constant."""
_ADAM = {"betas": [0.9, 0.95], "weight_decay": 0.1}
TUNED = {"cosine": "AdamW + cosine, tuned", "WSD": "AdamW + WSD, tuned"}
LR_FREE: dict[str, tuple[str, dict[str, Any]]] = {
    "Prodigy": ("cosine", {"name": "prodigy", "options": {**_ADAM, "safeguard_warmup": True}}),
    "D-Adapt Adam": ("cosine", {"name": "dadapt-adam", "options": {**_ADAM, "weight_decouple": True}}),
    "DoG": ("constant", {"name": "dog", "options": {}}),
    "schedule-free AdamW": ("constant", {"name": "schedulefree-adamw", "options": {**_ADAM, "warmup_steps": 50}}),
}
"""Each LR-free arm: its schedule and its optimizer entry (default ``lr``: 1.0, schedule-free 1e-2)."""
_TASK = {"name": "charlm", "label": "charlm"}
_BASE: dict[str, Any] = {"steps": STEPS, "eval_every": EVAL_EVERY, "grad_clip": 1.0, "tasks": [_TASK]}


def _final(record: dict[str, Any]) -> float:
    value = record["final"].get(record["metric"])
    return math.inf if value is None else float(value)


def tuned_lr(records: Records, schedule: str) -> float:
    """The peak LR of the tuning grid with the lowest final validation loss for ``schedule`` (seed 0)."""
    tried = {
        r["run"]["lr"]: _final(r)
        for r in records
        if r["labels"]["optimizer"] == TUNING and r["labels"]["schedule"] == schedule
    }
    if not tried or min(tried.values()) == math.inf:
        raise LabError(f"lrfree: the tuning stage has no finished {schedule} run.")
    return float(min(sorted(tried), key=lambda lr: tried[lr]))


def _tune(_: Records) -> dict[str, Any]:
    return {
        **_BASE,
        "name": "lrfree-tune",
        "description": f"AdamW (0.9, 0.95), weight decay 0.1, clip 1.0 on the char-LM, {STEPS} steps, seed {TUNE_SEED}: "
        f"peak lr {', '.join(f'{lr:g}' for lr in GRID)} under warmup + cosine and WSD.",
        "seeds": [TUNE_SEED],
        "optimizers": [{"name": "adamw", "options": _ADAM, "label": TUNING}],
        "lrs": list(GRID),
        "schedules": [{"spec": SCHEDULES[s], "label": s} for s in ("cosine", "WSD")],
    }


EXPECTATION = (
    f"The best LR-free optimizer (Prodigy, D-Adapt Adam, DoG, schedule-free AdamW, at their defaults) ends within "
    f"{MARGIN} nats/byte of the better tuned schedule (AdamW + cosine or WSD, peak lr tuned over {len(GRID)} values "
    f"on seed {TUNE_SEED}), on the mean final validation loss over seeds 1-3; each LR-free optimizer is checked "
    "against the same margin."
)


def _stage(schedule: str, name: str) -> Any:
    def build(records: Records) -> dict[str, Any]:
        arms = []
        if schedule in TUNED:
            arms.append(
                {"name": "adamw", "lr": tuned_lr(records, schedule), "options": _ADAM, "label": TUNED[schedule]}
            )
        arms += [{**entry, "label": label} for label, (s, entry) in LR_FREE.items() if s == schedule]
        return {
            **_BASE,
            "name": name,
            "description": f"The {schedule} arms on seeds {', '.join(map(str, SEEDS))}: "
            + ", ".join(f"{a['label']}" + (f" (peak lr {a['lr']:g})" if "lr" in a else "") for a in arms)
            + ".",
            "expectation": EXPECTATION,
            "seeds": list(SEEDS),
            "optimizers": arms,
            "schedules": [{"spec": SCHEDULES[schedule], "label": schedule}],
        }

    return build


def _check(records: Records) -> tuple[list[Claim], str]:
    tuning = [r for r in records if r["labels"]["optimizer"] == TUNING]
    main = [r for r in records if r["labels"]["optimizer"] != TUNING]
    tuned = {s: by_optimizer(main, TUNED[s]) for s in TUNED}
    free = {label: by_optimizer(main, label) for label in LR_FREE}
    best_tuned = min(tuned, key=lambda s: mean(tuned[s]))
    best_free = min(free, key=lambda k: mean(free[k]))
    ref = tuned[best_tuned]

    def gap(values: Finals) -> float:
        return mean(values) - mean(ref)

    lines = []
    for s in TUNED:
        finals = {r["run"]["lr"]: r["final"].get(r["metric"]) for r in tuning if r["labels"]["schedule"] == s}
        chosen = tuned_lr(records, s) if finals else math.nan
        edge = " (at the grid's edge)" if chosen in (GRID[0], GRID[-1]) else ""
        lines.append(
            f"{s}: "
            + ", ".join(f"lr {lr:g} -> {'diverged' if v is None else f'{v:.3f}'}" for lr, v in sorted(finals.items()))
            + f"; chosen {chosen:g}{edge}"
        )
    claims = [
        Claim(f"tuning on seed {TUNE_SEED}: final validation loss per peak lr", None, "; ".join(lines)),
        Claim(
            f"the best LR-free optimizer ({best_free}) ends within {MARGIN} nats/byte of the better tuned schedule "
            f"({TUNED[best_tuned]})",
            bool(free[best_free]) and gap(free[best_free]) <= MARGIN,
            compare(free[best_free], ref),
        ),
        *(
            Claim(
                f"{label} ends within {MARGIN} nats/byte of {TUNED[best_tuned]}",
                bool(values) and gap(values) <= MARGIN,
                compare(values, ref),
            )
            for label, values in free.items()
            if label != best_free
        ),
        Claim(f"{TUNED['WSD']} vs {TUNED['cosine']} (descriptive)", None, compare(tuned["WSD"], tuned["cosine"])),
        Claim(
            "final validation loss per arm (nats/byte)",
            None,
            "; ".join(f"{k}: {fmt(v)}" for k, v in {**{TUNED[s]: tuned[s] for s in TUNED}, **free}.items()),
        ),
    ]
    lrs = ", ".join(f"{s} {tuned_lr(records, s):g}" for s in TUNED) if tuning else "not tuned"
    regime = (
        charlm_regime(main, f"tuned on seed {TUNE_SEED} ({lrs}); LR-free multipliers 1.0, schedule-free 1e-2")
        + f" Not interpolating: under one epoch, every byte seen about once. AdamW (0.9, 0.95), weight decay 0.1 "
        "(Prodigy and D-Adapt decoupled; DoG none), clip 1.0 for every arm. Tuning cost: "
        f"{len(tuning)} extra runs for the tuned arms, none for the LR-free ones. DoG is run without its "
        "iterate averaging; schedule-free is scored at its averaged iterate."
    )
    return claims, regime


BUILTIN = Builtin(
    "lrfree",
    "char-LM: tuned cosine and WSD vs Prodigy, D-Adapt Adam, DoG, schedule-free",
    EXPECTATION,
    7.0,
    (_tune, _stage("cosine", "lrfree-cosine"), _stage("WSD", "lrfree-wsd"), _stage("constant", "lrfree")),
    _check,
)
