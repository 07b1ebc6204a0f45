"""``e1``: char-LM, AdamW peak 1e-2: every decaying schedule ends >= 0.03 nats below constant, and WSD
with a 20 % cooldown ends within 0.02 nats of the better cosine or below it.

18 runs of 1000 steps. References: Hägele et al. 2024, arXiv:2405.18392; Hu et al. 2024 (MiniCPM),
arXiv:2404.06395.
"""

from __future__ import annotations

import math
from typing import Any

from .base import Builtin, Claim, Finals, Records, by_schedule, charlm_regime, compare, fmt, mean


def _wsd(shape: str) -> str:
    return (
        "wsd(peak_value=1.0, warmup_steps=50, stable_steps={steps*0.8-50}, decay_steps={steps*0.2}, "
        f"decay_shape='{shape}')"
    )


E1_SCHEDULES = [
    {"spec": "warmup(constant(1.0), steps=50)", "label": "constant"},
    {
        "spec": "warmup(cosine(init_value=1.0, decay_steps={steps-50}, end_value=0.1), steps=50)",
        "label": "cosine to 10%",
    },
    {"spec": "warmup(cosine(init_value=1.0, decay_steps={steps-50}), steps=50)", "label": "cosine to 0"},
    {"spec": "warmup(linear(init_value=1.0, end_value=0.0, decay_steps={steps-50}), steps=50)", "label": "linear to 0"},
    {"spec": _wsd("linear"), "label": "WSD 20% linear"},
    {"spec": _wsd("1-sqrt"), "label": "WSD 20% 1-sqrt"},
]


def _e1(_: Records) -> dict[str, Any]:
    return {
        "name": "e1",
        "description": "Char-LM (2 layers, d=64) on Python's stdlib, AdamW (0.9, 0.95), weight decay 0.1, clip 1.0, "
        "peak lr 1e-2 with a 50-step warmup, 1000 steps, 3 seeds; six schedules.",
        "expectation": "Constant LR ends worst: every decaying schedule ends >= 0.03 nats/byte below it; WSD with a 20% "
        "cooldown ends within 0.02 nats of the better cosine or below it (Hägele et al. 2024; MiniCPM), "
        "with most of its gain inside the cooldown window.",
        "steps": 1000,
        "eval_every": 100,
        "seeds": 3,
        "grad_clip": 1.0,
        "tasks": [{"name": "charlm", "label": "charlm"}],
        "optimizers": [
            {"name": "adamw", "lr": 1e-2, "options": {"betas": [0.9, 0.95], "weight_decay": 0.1}, "label": "AdamW"}
        ],
        "schedules": E1_SCHEDULES,
        "targets": {"charlm": 1.9},
    }


def _check_e1(records: Records) -> tuple[list[Claim], str]:
    f = by_schedule(records)
    const = f.get("constant", Finals())
    claims = []
    decaying = [s for s in f if s != "constant"]
    worst_gap = max((mean(f[s]) - mean(const) for s in decaying), default=math.inf)
    claims.append(
        Claim(
            "every decaying schedule ends >= 0.03 nats below constant",
            bool(decaying) and worst_gap <= -0.03,
            "; ".join(f"{s}: {compare(f[s], const)}" for s in decaying),
        )
    )
    cos = min(("cosine to 10%", "cosine to 0"), key=lambda s: mean(f.get(s, Finals())))
    for w in ("WSD 20% linear", "WSD 20% 1-sqrt"):
        gap = mean(f.get(w, Finals())) - mean(f.get(cos, Finals()))
        claims.append(
            Claim(
                f"{w} ends within 0.02 nats of {cos} or below",
                gap <= 0.02,
                compare(f.get(w, Finals()), f.get(cos, Finals())),
            )
        )
    sqrt_vs_linear = compare(f.get("WSD 20% 1-sqrt", Finals()), f.get("WSD 20% linear", Finals()))
    claims.append(Claim("(1-sqrt) cooldown vs linear cooldown (descriptive)", None, sqrt_vs_linear))
    claims.append(
        Claim("final validation loss per schedule (nats/byte)", None, "; ".join(f"{s}: {fmt(v)}" for s, v in f.items()))
    )
    return claims, charlm_regime(records, "1e-2")


BUILTIN = Builtin(
    "e1",
    "char-LM: decaying schedules vs constant, WSD vs cosine",
    _e1([])["expectation"],
    10.0,
    (_e1,),
    _check_e1,
)
