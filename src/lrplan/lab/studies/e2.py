"""``e2``: char-LM with 4 layers: post-LN without warmup ends > 0.05 nats worse than with 100 warmup
steps; pre-LN differs by < 0.03. 12 runs of 400 steps.

Reference: Xiong et al. 2020, arXiv:2002.04745.
"""

from __future__ import annotations

from typing import Any

from .base import Builtin, Claim, Finals, Records, by_schedule, charlm_regime, compare, fmt, mean


def _e2(_: Records) -> dict[str, Any]:
    return {
        "name": "e2",
        "description": "Char-LM with 4 layers (d=64), pre-LN vs post-LN, AdamW lr 1e-2 (0.9, 0.95), clip 1.0, cosine "
        "decay over 400 steps, without warmup vs with 100 warmup steps, 3 seeds.",
        "expectation": "Post-LN without warmup ends > 0.05 nats worse than with warmup; pre-LN differs by < 0.03 "
        "(Xiong et al. 2020; Liu et al. 2019).",
        "steps": 400,
        "eval_every": 50,
        "seeds": 3,
        "grad_clip": 1.0,
        "tasks": [
            {"name": "charlm", "options": {"norm": "pre", "layers": 4}, "label": "pre-LN"},
            {"name": "charlm", "options": {"norm": "post", "layers": 4}, "label": "post-LN"},
        ],
        "optimizers": [
            {"name": "adamw", "lr": 1e-2, "options": {"betas": [0.9, 0.95], "weight_decay": 0.1}, "label": "AdamW"}
        ],
        "schedules": [
            {"spec": "cosine(init_value=1.0, decay_steps={steps})", "label": "no warmup"},
            {"spec": "warmup(cosine(init_value=1.0, decay_steps={steps-100}), steps=100)", "label": "warmup 100"},
        ],
    }


def _check_e2(records: Records) -> tuple[list[Claim], str]:
    claims = []
    for task, rule in (("post-LN", "> 0.05"), ("pre-LN", "< 0.03")):
        f = by_schedule(records, task)
        a, b = f.get("no warmup", Finals()), f.get("warmup 100", Finals())
        gap = mean(a) - mean(b)
        met = gap > 0.05 if task == "post-LN" else abs(gap) < 0.03
        claims.append(
            Claim(
                f"{task}: no warmup minus warmup {rule} nats",
                met,
                f"no warmup {fmt(a)}, warmup {fmt(b)}; {compare(a, b)}",
            )
        )
    return claims, charlm_regime(records, "1e-2") + " Gradient clipping at 1.0 narrows the post-LN gap."


BUILTIN = Builtin(
    "e2", "char-LM: post-LN needs warmup, pre-LN does not", _e2([])["expectation"], 6.0, (_e2,), _check_e2
)
