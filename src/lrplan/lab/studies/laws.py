"""``laws``: char-LM, closing the loop of :mod:`lrplan.laws`: fit on constant and cosine, predict WSD and the
optimized schedule, train them, and compare. Two stages, 3 seeds, paired by seed.

Stage 1 (``laws-fit``) trains E1's char-LM (pre-LN, AdamW, peak lr 1e-2, 40-step warmup) for 400 updates
under constant and cosine (to 0), evaluated every 20 updates. Between the stages both laws are fitted on
those six curves (``lrplan.laws.load_lab`` + ``lrplan.laws.fit``) and the multi-power law picks the
schedule with the lowest predicted final loss (``lrplan.laws.optimize``, free form, same peak and
warmup). Stage 2 (``laws``) trains WSD with a 20 % 1-sqrt cooldown and that optimized schedule on the
same seeds. Stated in advance and reported whatever the outcome: each law's prediction error on each
held-out schedule (mean relative error over the curve and at the final step, with the 90 % band), and
whether the optimized schedule ends below cosine (paired by seed).

References: Luo et al. 2025, arXiv:2503.12811 (multi-power law); Tissue et al. 2024, arXiv:2408.11029
(momentum law); Hägele et al. 2024, arXiv:2405.18392 (WSD, 1-sqrt cooldown).

Example:
    >>> from lrplan.lab.studies.laws import STEPS, WARMUP, PEAK, shapes
    >>> STEPS, WARMUP, PEAK
    (400, 40, 0.01)
    >>> for label, spec in shapes().items(): print(label, spec)
    constant warmup(constant(1.0), steps=40)
    cosine warmup(cosine(init_value=1.0, decay_steps=360), steps=40)
    WSD 20% 1-sqrt wsd(peak_value=1.0, warmup_steps=40, stable_steps=288, decay_steps=72)
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import lrplan
import lrplan.laws

from ..errors import LabError
from .base import Builtin, Claim, Finals, Records, by_schedule, charlm_regime, compare, fmt, mean

STEPS, WARMUP, PEAK, EVAL_EVERY, SEEDS, VAL_BATCHES = 400, 40, 1e-2, 20, 3, 10
LAWS = ("multi_power", "momentum")
FIT_LABELS = ("constant", "cosine")
WSD_LABEL, OPT_LABEL = "WSD 20% 1-sqrt", "optimized (multi-power)"
THRESHOLD = 0.01
"""A law passes on a held-out schedule when its final-step relative error (mean over seeds) is <= 1 %."""
LEVEL = 0.9

_TASK: dict[str, Any] = {"name": "charlm", "options": {"val_batches": VAL_BATCHES}, "label": "charlm"}
_OPTIMIZER = {"name": "adamw", "lr": PEAK, "options": {"betas": [0.9, 0.95], "weight_decay": 0.1}, "label": "AdamW"}
_FITS: dict[tuple[str, ...], dict[str, lrplan.laws.Law]] = {}


def shapes() -> dict[str, str]:
    """The fixed schedules (peak 1.0): the two fitted ones and the WSD of :func:`lrplan.laws.baselines`."""
    base = lrplan.laws.baselines(STEPS, 1.0, WARMUP)
    return {
        "constant": str(lrplan.warmup(lrplan.constant(1.0), steps=WARMUP)),
        "cosine": str(base["cosine"]),
        WSD_LABEL: str(base["wsd"]),
    }


def _study(name: str, description: str, schedules: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "expectation": "Stated in advance, reported whatever the outcome: fitted on constant and cosine only, each "
        "law (multi-power, momentum) predicts the final validation loss of WSD (20% 1-sqrt cooldown) and of the "
        "schedule the multi-power law optimizes within 1 % (mean over seeds, with the curve's mean relative error "
        "and the 90 % band); the optimized schedule ends below cosine, paired by seed.",
        "steps": STEPS,
        "eval_every": EVAL_EVERY,
        "seeds": SEEDS,
        "grad_clip": 1.0,
        "tasks": [_TASK],
        "optimizers": [_OPTIMIZER],
        "schedules": schedules,
    }


def _fit_stage(_: Records) -> dict[str, Any]:
    s = shapes()
    return _study(
        "laws-fit",
        f"Char-LM (pre-LN, 2 layers, d=64) on Python's stdlib, AdamW (0.9, 0.95), weight decay 0.1, clip 1.0, peak "
        f"lr {PEAK:g} with a {WARMUP}-step warmup, {STEPS} steps, validation every {EVAL_EVERY}, {SEEDS} seeds: "
        "constant and cosine, the runs both laws are fitted on.",
        [{"spec": s[label], "label": label} for label in FIT_LABELS],
    )


def lab_runs(records: Records) -> list[lrplan.laws.Run]:
    """``lrplan.laws.load_lab`` on ``records`` (written to a temporary folder), in the order given."""
    with tempfile.TemporaryDirectory() as folder:
        for i, r in enumerate(records):
            (Path(folder) / f"{i:04d}-{r['key']}.json").write_text(json.dumps(r), encoding="utf-8")
        return lrplan.laws.load_lab(folder)


def _fit_records(records: Records) -> Records:
    return [r for r in records if r["labels"]["schedule"] in FIT_LABELS]


def fitted(records: Records) -> dict[str, lrplan.laws.Law]:
    """Both laws fitted on the stage-1 records (constant and cosine, every seed); cached per set of runs."""
    fit_records = _fit_records(records)
    if not fit_records:
        raise LabError("laws: stage 1 (constant and cosine) produced no records.")
    key = tuple(sorted(r["key"] for r in fit_records))
    if key not in _FITS:
        runs = lab_runs(fit_records)
        _FITS[key] = {law: lrplan.laws.fit(runs, law=law) for law in LAWS}
    return _FITS[key]


def optimized(records: Records) -> lrplan.laws.Optimized:
    """The schedule minimizing the fitted multi-power law's predicted loss after ``STEPS`` updates."""
    return lrplan.laws.optimize(fitted(records)["multi_power"], STEPS, peak_value=PEAK, warmup_steps=WARMUP)


def _main_stage(records: Records) -> dict[str, Any]:
    best = optimized(records)
    shape = lrplan.scale(best.schedule, factor=1.0 / PEAK)
    gains = ", ".join(f"{b.name} {b.final_loss:.4f} (gain {b.gain:+.4f} ± {b.gain_se:.4f})" for b in best.baselines)
    return _study(
        "laws",
        f"Held-out schedules on the same char-LM, seeds and peak lr: WSD with a 20% 1-sqrt cooldown, and the schedule "
        f"the multi-power law fitted on stage 1 optimizes ({best.family}, predicted final loss {best.final_loss:.4f}; "
        f"{gains}): {best.schedule}.",
        [{"spec": shapes()[WSD_LABEL], "label": WSD_LABEL}, {"spec": str(shape), "label": OPT_LABEL}],
    )


def _prediction_claims(records: Records, laws: dict[str, lrplan.laws.Law]) -> list[Claim]:
    claims = []
    f = by_schedule(records)
    for label in (WSD_LABEL, OPT_LABEL):
        held = sorted(
            (r for r in records if r["labels"]["schedule"] == label and r["status"] == "ok"),
            key=lambda r: r["run"]["seed"],
        )
        if not held:
            claims.append(Claim(f"predictions for {label}", False, "no finished runs"))
            continue
        runs = lab_runs(held)
        for name, law in laws.items():
            errors = lrplan.laws.diagnose(law, runs)
            curve = sum(e.mean_error for e in errors) / len(errors)
            final = sum(e.final_error for e in errors) / len(errors)
            run = runs[0]
            band = law.predict_band(run.schedule, [run.steps[-1]], level=LEVEL)
            measured = mean(f.get(label, Finals()))
            inside = band.low[0] <= measured <= band.high[0]
            claims.append(
                Claim(
                    f"{name} law predicts the final loss of {label} within {THRESHOLD:.0%}",
                    final <= THRESHOLD,
                    f"mean relative error over the curve {curve:.2%} (per seed "
                    + ", ".join(f"{e.mean_error:.2%}" for e in errors)
                    + f"), at the final step {final:.2%}; predicted final {band.loss[0]:.4f}, {LEVEL:.0%} band "
                    f"[{band.low[0]:.4f}, {band.high[0]:.4f}]; measured {fmt(f.get(label, Finals()), 4)} "
                    f"({'inside' if inside else 'outside'} the band)",
                )
            )
    return claims


def per_seed_errors(records: Records) -> dict[str, dict[str, list[tuple[float, float]]]]:
    """Each law refitted on one seed's constant and cosine runs, scored on that seed's held-out runs.

    ``{law: {held-out label: [(mean relative error over the curve, final-step error) per seed]}}``:
    it separates what the law misses in a schedule's shape from the seed-to-seed offsets a single fit
    over all seeds cannot follow.
    """
    ok = [r for r in records if r["status"] == "ok"]
    out: dict[str, dict[str, list[tuple[float, float]]]] = {law: {} for law in LAWS}
    for seed in sorted({r["run"]["seed"] for r in ok}):
        mine = [r for r in ok if r["run"]["seed"] == seed]
        fit_runs = lab_runs(_fit_records(mine))
        for name in LAWS:
            law = lrplan.laws.fit(fit_runs, law=name, uncertainty="none")
            for label in (WSD_LABEL, OPT_LABEL):
                held = [r for r in mine if r["labels"]["schedule"] == label]
                if held and len(fit_runs) == len(FIT_LABELS):
                    e = lrplan.laws.diagnose(law, lab_runs(held))[0]
                    out[name].setdefault(label, []).append((e.mean_error, e.final_error))
    return out


def _per_seed_claim(records: Records) -> Claim:
    parts = []
    for name, by_label in per_seed_errors(records).items():
        for label, errors in by_label.items():
            curve = sum(c for c, _ in errors) / len(errors)
            final = sum(f for _, f in errors) / len(errors)
            parts.append(
                f"{name} on {label}: over the curve {curve:.2%}, at the final step {final:.2%} "
                f"(per seed {', '.join(f'{f:.2%}' for _, f in errors)})"
            )
    return Claim("prediction errors with one fit per seed (descriptive)", None, "; ".join(parts))


def _check_laws(records: Records) -> tuple[list[Claim], str]:
    laws = fitted(records)
    best = optimized(records)
    f = by_schedule(records)
    cos, opt, wsd = (f.get(label, Finals()) for label in ("cosine", OPT_LABEL, WSD_LABEL))
    claims = _prediction_claims(records, laws)
    claims.append(_per_seed_claim(records))
    diffs = [a - b for a, b in zip(opt, cos, strict=False) if a is not None and b is not None]
    claims.append(
        Claim(
            "the optimized schedule ends below cosine (paired by seed)",
            bool(opt) and bool(cos) and mean(opt) < mean(cos),
            f"{compare(opt, cos)}; lower in {sum(d < 0 for d in diffs)} of {len(diffs)} seeds",
        )
    )
    predicted = {b.name: b for b in best.baselines}
    claims.append(
        Claim(
            "predicted vs measured gain over cosine and WSD (multi-power, descriptive)",
            None,
            f"predicted: over cosine {predicted['cosine'].gain:+.4f} ± {predicted['cosine'].gain_se:.4f}, over WSD "
            f"{predicted['wsd'].gain:+.4f} ± {predicted['wsd'].gain_se:.4f}; measured: over cosine "
            f"{mean(cos) - mean(opt):+.4f}, over WSD {mean(wsd) - mean(opt):+.4f}",
        )
    )
    claims.append(Claim("WSD 20% 1-sqrt vs cosine (descriptive)", None, compare(wsd, cos)))
    claims.append(
        Claim(
            "fit on constant + cosine (descriptive)",
            None,
            "; ".join(
                f"{name}: mean relative error {sum(d.mean_error for d in law.report.runs) / len(law.report.runs):.2%} "
                f"over {len(law.report.runs)} runs, {law}"
                for name, law in laws.items()
                if law.report is not None
            ),
        )
    )
    claims.append(
        Claim(
            "final validation loss per schedule (nats/byte)",
            None,
            "; ".join(f"{s}: {fmt(v, 4)}" for s, v in f.items()),
        )
    )
    regime = charlm_regime(records, f"{PEAK:g}") + (
        f" Laws fitted on {len(_fit_records(records))} curves of {STEPS // EVAL_EVERY} validation points; the "
        f"optimized schedule: {best.schedule}. Validation losses are over {VAL_BATCHES} fixed "
        "batches, so a single run's curve carries its seed's noise; the band is the fit's jackknife over runs, "
        "not that noise."
    )
    return claims, regime


BUILTIN = Builtin(
    "laws",
    "char-LM: fit both laws on constant + cosine, predict and train WSD and the optimized schedule",
    _fit_stage([])["expectation"],
    4.0,
    (_fit_stage, _main_stage),
    _check_laws,
)
