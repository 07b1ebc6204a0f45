"""``e2``: char-LM with 4 layers, post-LN vs pre-LN: the width of the stable peak-LR range with and without
warmup, from a search over :data:`GRID` (8 peak LRs, factor 2 apart), 1 seed, 32 runs of 400 steps.

Pre-stated definition: a peak LR is *stable* for a model and a warmup setting when its run did not
diverge and ended within :data:`MARGIN` nats/byte of the best final validation loss of that model (over
every LR and both warmup settings). The *width* of a range is its number of stable grid LRs (one grid step
is a factor 2). Pre-stated rule: warmup widens post-LN's stable range by at least one grid step, and
pre-LN's by at most one (Xiong et al. 2020: post-LN needs warmup at large LRs, pre-LN does not).

The first version of ``e2`` compared the final loss at one peak LR (1e-2), which was above post-LN's
stable range with and without warmup, so it could not show whether warmup rescues post-LN (docs/lab.md).

References: Xiong et al. 2020, arXiv:2002.04745; Liu et al. 2019, arXiv:1908.03265.

Example:
    >>> from lrplan.lab.studies.e2 import GRID, stable
    >>> GRID
    (0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032)
    >>> stable({0.001: 2.30, 0.002: 2.21, 0.004: 2.15, 0.008: 2.26, 0.016: None}, best=2.15)
    [0.002, 0.004]
"""

from __future__ import annotations

from typing import Any

from .base import Builtin, Claim, Records, charlm_regime

GRID = (2.5e-4, 5e-4, 1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2, 3.2e-2)
"""Peak learning rates searched (factor 2 apart)."""
MARGIN = 0.1
"""nats/byte above the model's best final validation loss that still counts as stable."""
STEPS, WARMUP = 400, 100
MODELS = ("post-LN", "pre-LN")
SETTINGS = ("no warmup", f"warmup {WARMUP}")
EXPECTATION = (
    f"Stable peak LR: the run did not diverge and ended within {MARGIN} nats/byte of the best final validation loss "
    f"of that model (over every LR and both warmup settings); width: the number of stable LRs of the grid (factor 2 "
    f"apart). Warmup ({WARMUP} steps) widens post-LN's stable range by at least one grid step and pre-LN's by at "
    "most one (Xiong et al. 2020)."
)


def _e2(_: Records) -> dict[str, Any]:
    return {
        "name": "e2",
        "description": "Char-LM with 4 layers (d=64), pre-LN vs post-LN, AdamW (0.9, 0.95), weight decay 0.1, clip 1.0, "
        f"cosine decay over {STEPS} steps, without warmup vs with {WARMUP} warmup steps, peak lr "
        f"{', '.join(f'{lr:g}' for lr in GRID)}, 1 seed.",
        "expectation": EXPECTATION,
        "steps": STEPS,
        "eval_every": 50,
        "seeds": 1,
        "grad_clip": 1.0,
        "tasks": [
            {"name": "charlm", "options": {"norm": "pre", "layers": 4}, "label": "pre-LN"},
            {"name": "charlm", "options": {"norm": "post", "layers": 4}, "label": "post-LN"},
        ],
        "optimizers": [{"name": "adamw", "options": {"betas": [0.9, 0.95], "weight_decay": 0.1}, "label": "AdamW"}],
        "lrs": list(GRID),
        "schedules": [
            {"spec": "cosine(init_value=1.0, decay_steps={steps})", "label": SETTINGS[0]},
            {
                "spec": f"warmup(cosine(init_value=1.0, decay_steps={{steps-{WARMUP}}}), steps={WARMUP})",
                "label": SETTINGS[1],
            },
        ],
    }


def stable(finals: dict[float, float | None], best: float) -> list[float]:
    """The peak LRs whose final loss is finite and within :data:`MARGIN` of ``best``, in increasing order."""
    return sorted(lr for lr, v in finals.items() if v is not None and v <= best + MARGIN + 1e-12)


def _finals(records: Records, model: str, setting: str) -> dict[float, float | None]:
    """Final validation loss per peak LR (the mean over seeds; None when a seed diverged)."""
    out: dict[float, list[float | None]] = {}
    for r in records:
        if r["labels"]["task"] == model and r["labels"]["schedule"] == setting:
            ok = r["status"] == "ok"
            out.setdefault(float(r["run"]["lr"]), []).append(r["final"].get(r["metric"]) if ok else None)
    means: dict[float, float | None] = {}
    for lr, vs in sorted(out.items()):
        xs = [v for v in vs if v is not None]
        means[lr] = sum(xs) / len(xs) if len(xs) == len(vs) else None
    return means


def _span(lrs: list[float]) -> str:
    if not lrs:
        return "none"
    edge = " (at the grid's edge: the range may extend further)" if lrs[0] == GRID[0] or lrs[-1] == GRID[-1] else ""
    gaps = " (not contiguous)" if len(lrs) > 1 and GRID.index(lrs[-1]) - GRID.index(lrs[0]) + 1 != len(lrs) else ""
    return f"{', '.join(f'{lr:g}' for lr in lrs)}{gaps}{edge}"


def _check_e2(records: Records) -> tuple[list[Claim], str]:
    claims = []
    rows = []
    for model in MODELS:
        finals = {s: _finals(records, model, s) for s in SETTINGS}
        values = [v for f in finals.values() for v in f.values() if v is not None]
        best = min(values) if values else float("inf")
        widths = {}
        for s in SETTINGS:
            ok = stable(finals[s], best)
            widths[s] = len(ok)
            table = ", ".join(f"{lr:g}: {'diverged' if v is None else f'{v:.3f}'}" for lr, v in finals[s].items())
            rows.append(f"{model}, {s}: stable {_span(ok)}; width {len(ok)} grid steps; final loss {table}")
        gain = widths[SETTINGS[1]] - widths[SETTINGS[0]]
        rule, met = ("at least one", gain >= 1) if model == "post-LN" else ("at most one", gain <= 1)
        claims.append(
            Claim(
                f"{model}: warmup widens the stable range by {rule} grid step",
                bool(values) and met,
                f"width {widths[SETTINGS[0]]} without warmup, {widths[SETTINGS[1]]} with; {gain:+d} grid steps; "
                f"best final loss {best:.3f}, stable within {best + MARGIN:.3f}",
            )
        )
    claims.append(
        Claim("stable peak LRs and final validation loss (nats/byte) per model and warmup", None, " | ".join(rows))
    )
    regime = charlm_regime(records, f"searched over {', '.join(f'{lr:g}' for lr in GRID)}") + (
        f" One seed per LR: a width is uncertain by about one grid step where a final loss lies near the "
        f"{MARGIN} margin. Gradient clipping at 1.0."
    )
    return claims, regime


BUILTIN = Builtin(
    "e2",
    "char-LM: the stable peak-LR range of post-LN and pre-LN, with and without warmup",
    EXPECTATION,
    7.0,
    (_e2,),
    _check_e2,
)
