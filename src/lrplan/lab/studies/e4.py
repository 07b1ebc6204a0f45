"""``e4``: digits MLP, SGD-momentum / Adam / AdaGrad / RMSProp x 7 schedules, 1500 steps. Descriptive:
digits saturates, so accuracy differences are about seed noise.
"""

from __future__ import annotations

import math
from typing import Any

from ..summary import mean_std
from .base import Builtin, Claim, Records, by_schedule, fmt


def _e4(_: Records) -> dict[str, Any]:
    return {
        "name": "e4",
        "description": "Digits MLP, 1500 steps, batch 32, 3 seeds: SGD-momentum (0.1), Adam (3e-3), AdaGrad (0.05), "
        "RMSProp (1e-3) x seven schedules.",
        "expectation": "Descriptive. Test accuracy saturates near 96-98 % for every schedule except a fast inverse-sqrt "
        "decay; training loss is lowest for constant/WSD because the MLP interpolates digits. A hypothesis to "
        "check: AdaGrad, with its built-in decay, is the least schedule-sensitive.",
        "steps": 1500,
        "eval_every": 50,
        "seeds": 3,
        "tasks": ["digits-mlp"],
        "optimizers": [
            {"name": "sgd-momentum", "lr": 0.1, "label": "SGD-momentum"},
            {"name": "adam", "lr": 3e-3, "label": "Adam"},
            {"name": "adagrad", "lr": 0.05, "label": "AdaGrad"},
            {"name": "rmsprop", "lr": 1e-3, "label": "RMSProp"},
        ],
        "schedules": [
            {"spec": "constant(1.0)", "label": "constant"},
            {
                "spec": "piecewise_constant(boundaries=[{steps/3}, {steps*2/3}], values=[1.0, 0.1, 0.01])",
                "label": "step /10",
            },
            {"spec": "cosine(init_value=1.0, decay_steps={steps})", "label": "cosine"},
            {"spec": "linear(init_value=1.0, end_value=0.0, decay_steps={steps})", "label": "linear"},
            {
                "spec": "wsd(peak_value=1.0, warmup_steps=0, stable_steps={steps*0.8}, decay_steps={steps*0.2}, decay_shape='linear')",
                "label": "WSD linear",
            },
            {
                "spec": "wsd(peak_value=1.0, warmup_steps=0, stable_steps={steps*0.8}, decay_steps={steps*0.2})",
                "label": "WSD 1-sqrt",
            },
            {"spec": "inverse_sqrt(peak_value=1.0, warmup_steps=0, timescale=10)", "label": "fast inverse-sqrt"},
        ],
        "targets": {"digits-mlp": 0.95},
    }


def _check_e4(records: Records) -> tuple[list[Claim], str]:
    claims = []
    for opt in dict.fromkeys(r["labels"]["optimizer"] for r in records):
        f = by_schedule([r for r in records if r["labels"]["optimizer"] == opt])
        means = [m for m in (mean_std(v)[0] for v in f.values()) if m is not None]
        spread = max(means) - min(means) if means else math.nan
        claims.append(
            Claim(
                f"{opt}: spread of final accuracy across schedules {spread * 100:.1f} pp",
                None,
                "; ".join(f"{s}: {fmt(v)}" for s, v in f.items()),
            )
        )
    return claims, "digits MLP, 1500 steps (36 epochs), 3 seeds: an interpolating regime; descriptive only."


BUILTIN = Builtin(
    "e4", "digits: 4 optimizers x 7 schedules (descriptive)", _e4([])["expectation"], 3.0, (_e4,), _check_e4
)
