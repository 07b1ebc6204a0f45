"""Built-in studies: ``quick`` (the demo) and CPU-sized reproductions of published claims.

Each built-in states its expectation, checks it on the records, and reports the regime it ran in
(model size, steps, seeds, seed noise) instead of claiming beyond it. Pass criteria follow the
project's quality anchors (§5-§6):

* ``quick``: digits MLP, SGD-momentum and Adam, constant / inverse-sqrt / linear-to-floor /
  exponential, 2 seeds, 300 steps (about a minute). Descriptive.
* ``e1``: char-LM, AdamW peak 1e-2: every decaying schedule ends >= 0.03 nats below constant, and WSD
  with a 20 % cooldown ends within 0.02 nats of the better cosine or below it (Hägele et al. 2024,
  arXiv:2405.18392; Hu et al. 2024 (MiniCPM), arXiv:2404.06395). 18 runs of 1000 steps.
* ``e2``: char-LM with 4 layers: post-LN without warmup ends > 0.05 nats worse than with 100 warmup
  steps; pre-LN differs by < 0.03 (Xiong et al. 2020, arXiv:2002.04745). 12 runs of 400 steps.
* ``e3``: digits MLP, SGD-momentum: an LR range test (``lrplan.range_test_schedule``, 1e-4 -> 10
  over 300 steps, analysed by ``lrplan.suggest_lr``), then one-cycle with the LR of the lowest
  smoothed loss as peak reaches at least the accuracy of a naive constant LR (0.01) at a 100-step
  budget (Smith 2017, arXiv:1506.01186; Smith & Topin, arXiv:1708.07120). Two stages, 5 seeds.
* ``e4``: digits MLP, SGD-momentum / Adam / AdaGrad / RMSProp x 7 schedules, 1500 steps. Descriptive:
  digits saturates, so accuracy differences are about seed noise.

Example:
    >>> from lrplan.lab import studies
    >>> sorted(studies.builtins())
    ['e1', 'e2', 'e3', 'e4', 'quick']
    >>> st = studies.first_stage("quick")
    >>> len(st.runs()), st.steps
    (16, 200)
    >>> print(studies.RANGE_TEST)
    range_test_schedule(min_value=0.0001, max_value=10.0, steps=300)
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import Suggestion, range_test_schedule, suggest_lr
from .errors import LabError
from .store import Store
from .study import Study, study_from_dict
from .summary import group, mean_std

__all__ = [
    "Claim",
    "Builtin",
    "builtins",
    "get_builtin",
    "first_stage",
    "run_builtin",
    "analyse_range_test",
    "RANGE_TEST",
]


@dataclass(frozen=True)
class Claim:
    """One checked statement: ``met`` is True, False, or None (descriptive, not pass/fail)."""

    claim: str
    met: bool | None
    detail: str


Records = list[dict[str, Any]]


@dataclass(frozen=True)
class Builtin:
    """A built-in study: stages (each builds a study dict from the records so far) and a check."""

    name: str
    summary: str
    expectation: str
    minutes: float
    stages: tuple[Callable[[Records], dict[str, Any]], ...]
    check: Callable[[Records], tuple[list[Claim], str]]


# ------------------------------------------------------------------------------ helpers
class _Finals(list[float | None]):
    """Final metric values of one schedule, with each value's seed (for paired comparisons)."""

    def __init__(self) -> None:
        super().__init__()
        self.seeds: list[int] = []


def _by_schedule(records: Records, task_label: str | None = None) -> dict[str, _Finals]:
    out: dict[str, _Finals] = {}
    for key, rs in group(records).items():
        if task_label is not None and key[0] != task_label:
            continue
        finals = out.setdefault(key[2], _Finals())
        for r in sorted(rs, key=lambda r: r["run"]["seed"]):
            finals.append(r["final"].get(r["metric"]))
            finals.seeds.append(r["run"]["seed"])
    return out


def _fmt(values: Sequence[float | None], digits: int = 3) -> str:
    m, sd, n = mean_std(values)
    if m is None or sd is None:
        return "diverged"
    return f"{m:.{digits}f} ± {sd:.{digits}f} (n={n})"


def _mean(values: Sequence[float | None]) -> float:
    m = mean_std(values)[0]
    return math.inf if m is None else m


def _paired(a: Sequence[float | None], b: Sequence[float | None]) -> list[float] | None:
    """Per-seed differences ``a - b`` when both ran the same seeds (same initialisation and batches)."""
    seeds_a, seeds_b = getattr(a, "seeds", None), getattr(b, "seeds", None)
    if seeds_a is None or seeds_a != seeds_b or len(set(seeds_a)) != len(seeds_a) or len(seeds_a) < 2:
        return None
    if any(v is None for v in [*a, *b]):
        return None
    return [float(x) - float(y) for x, y in zip(a, b, strict=True)]  # type: ignore[arg-type]


def _compare(a: Sequence[float | None], b: Sequence[float | None]) -> str:
    """``mean(a) - mean(b)`` with its standard error: paired by seed where possible, else unpaired.

    Runs of one seed share the initialisation and the batch order, so the per-seed difference
    removes most of the seed-to-seed spread; its standard error is ``sd(differences) / sqrt(n)``.
    """
    gap = _mean(a) - _mean(b)
    diffs = _paired(a, b)
    if diffs is not None:
        _, sd, n = mean_std(diffs)
        se = (sd or 0.0) / math.sqrt(n)
        worse = sum(d > 0 for d in diffs)
        how = f"paired over {n} seeds, higher in {worse} of {n}"
    else:
        sa, sb = mean_std(a), mean_std(b)
        se = math.sqrt((sa[1] or 0.0) ** 2 / max(sa[2], 1) + (sb[1] or 0.0) ** 2 / max(sb[2], 1))
        how = "unpaired"
    noise = " (within 2 s.e.: seed noise)" if abs(gap) < 2 * se else ""
    return f"difference {gap:+.3f}, standard error {se:.3f} ({how}){noise}"


def _charlm_regime(records: Records, lr: str) -> str:
    if not records:
        return "no records"
    r = records[0]
    o = r["run"]["task_options"]
    info = r["task_info"]
    seen = r["run"]["steps"] * o["batch_size"] * o["context"]
    seeds = sorted({x["run"]["seed"] for x in records})
    return (
        f"char-LM {o['layers']} layers, d={o['d_model']}, {info.get('parameters', '?')} parameters; "
        f"{r['run']['steps']} steps x batch {o['batch_size']} x context {o['context']} = {seen:,} bytes seen of "
        f"{info.get('train_bytes', 0):,} training bytes ({seen / max(info.get('train_bytes', 1), 1):.2f} epochs); "
        f"peak lr {lr}; {len(seeds)} seeds; text: Python {info.get('python')} stdlib, sha256 {str(info.get('sha256'))[:12]}. "
        "Schedule effects show only near the largest stable LR and once the run reaches its noise floor; "
        "at a lower peak LR or fewer steps the ordering can flip (quality anchors §5, E1 caveat)."
    )


# ------------------------------------------------------------------------------ quick
QUICK_SCHEDULES = [
    {"spec": "constant(1.0)", "label": "constant"},
    {"spec": "inverse_sqrt(peak_value=1.0, warmup_steps=30, warmup_shape='constant')", "label": "inverse-sqrt (T5)"},
    {"spec": "linear(init_value=1.0, end_value=0.05, decay_steps={steps*0.75})", "label": "linear to floor"},
    {"spec": "exponential(init_value=1.0, decay_rate=0.02, decay_steps={steps})", "label": "exponential"},
]


def _quick(_: Records) -> dict[str, Any]:
    return {
        "name": "quick",
        "description": "Digits MLP, 200 updates at batch 32 (about 5 epochs), SGD with momentum (peak lr 0.3) and "
        "Adam (peak lr 0.01), four schedules from the seeds (constant, inverse-sqrt, linear decay to a floor, "
        "exponential decay), 2 seeds.",
        "expectation": "With the peak LR near the largest stable value, a decaying schedule ends with higher test "
        "accuracy and lower training loss than constant LR, whose last steps stay noisy. At a low peak LR (SGD 0.1, "
        "Adam 3e-3) the difference vanishes or reverses, because digits saturates near 97 % (built-in study e4). "
        "Differences below about 1 point (4 test images) are seed noise.",
        "steps": 200,
        "eval_every": 10,
        "seeds": 2,
        "tasks": ["digits-mlp"],
        "optimizers": [
            {"name": "sgd-momentum", "lr": 0.3, "label": "SGD-momentum"},
            {"name": "adam", "lr": 1e-2, "label": "Adam"},
        ],
        "schedules": QUICK_SCHEDULES,
        "targets": {"digits-mlp": 0.95},
    }


def _check_quick(records: Records) -> tuple[list[Claim], str]:
    claims = []
    for opt in dict.fromkeys(r["labels"]["optimizer"] for r in records):
        finals = _by_schedule([r for r in records if r["labels"]["optimizer"] == opt])
        const = finals.get("constant", _Finals())
        decays = [s for s in finals if s != "constant"]
        if not const or not decays:
            continue
        best = max(decays, key=lambda s: _mean([None if v is None else -v for v in finals[s]]) * -1)
        claims.append(
            Claim(
                f"{opt}: best decaying schedule ({best}) vs constant, final test accuracy",
                None,
                f"{_compare(finals[best], const)}. " + "; ".join(f"{s}: {_fmt(v)}" for s, v in finals.items()),
            )
        )
    n = len({r["run"]["seed"] for r in records})
    steps = records[0]["run"]["steps"] if records else 0
    return (
        claims,
        f"digits MLP (1347 train / 450 test images), {steps} steps, {n} seeds: descriptive only, too few seeds for a verdict.",
    )


# ------------------------------------------------------------------------------ E1
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
    f = _by_schedule(records)
    const = f.get("constant", _Finals())
    claims = []
    decaying = [s for s in f if s != "constant"]
    worst_gap = max((_mean(f[s]) - _mean(const) for s in decaying), default=math.inf)
    claims.append(
        Claim(
            "every decaying schedule ends >= 0.03 nats below constant",
            bool(decaying) and worst_gap <= -0.03,
            "; ".join(f"{s}: {_compare(f[s], const)}" for s in decaying),
        )
    )
    cos = min(("cosine to 10%", "cosine to 0"), key=lambda s: _mean(f.get(s, _Finals())))
    for w in ("WSD 20% linear", "WSD 20% 1-sqrt"):
        gap = _mean(f.get(w, _Finals())) - _mean(f.get(cos, _Finals()))
        claims.append(
            Claim(
                f"{w} ends within 0.02 nats of {cos} or below",
                gap <= 0.02,
                _compare(f.get(w, _Finals()), f.get(cos, _Finals())),
            )
        )
    sqrt_vs_linear = _compare(f.get("WSD 20% 1-sqrt", _Finals()), f.get("WSD 20% linear", _Finals()))
    claims.append(Claim("(1-sqrt) cooldown vs linear cooldown (descriptive)", None, sqrt_vs_linear))
    claims.append(
        Claim(
            "final validation loss per schedule (nats/byte)", None, "; ".join(f"{s}: {_fmt(v)}" for s, v in f.items())
        )
    )
    return claims, _charlm_regime(records, "1e-2")


# ------------------------------------------------------------------------------ E2
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
        f = _by_schedule(records, task)
        a, b = f.get("no warmup", _Finals()), f.get("warmup 100", _Finals())
        gap = _mean(a) - _mean(b)
        met = gap > 0.05 if task == "post-LN" else abs(gap) < 0.03
        claims.append(
            Claim(
                f"{task}: no warmup minus warmup {rule} nats",
                met,
                f"no warmup {_fmt(a)}, warmup {_fmt(b)}; {_compare(a, b)}",
            )
        )
    return claims, _charlm_regime(records, "1e-2") + " Gradient clipping at 1.0 narrows the post-LN gap."


# ------------------------------------------------------------------------------ E3
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
    f = _by_schedule(main)
    naive = f.get("constant 0.01 (naive)", _Finals())
    one = next((v for s, v in f.items() if s.startswith("one-cycle")), _Finals())
    gap = _mean(one) - _mean(naive)
    claims = [
        Claim(
            "one-cycle at the range-test LR >= naive constant LR at 100 steps (test accuracy)",
            bool(one) and gap >= 0,
            f"one-cycle {_fmt(one)}, naive constant {_fmt(naive)}; {_compare(one, naive)}",
        ),
        Claim(
            "accuracy per schedule at 100 steps (descriptive)", None, "; ".join(f"{s}: {_fmt(v)}" for s, v in f.items())
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


# ------------------------------------------------------------------------------ E4
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
        f = _by_schedule([r for r in records if r["labels"]["optimizer"] == opt])
        means = [m for m in (mean_std(v)[0] for v in f.values()) if m is not None]
        spread = max(means) - min(means) if means else math.nan
        claims.append(
            Claim(
                f"{opt}: spread of final accuracy across schedules {spread * 100:.1f} pp",
                None,
                "; ".join(f"{s}: {_fmt(v)}" for s, v in f.items()),
            )
        )
    return claims, "digits MLP, 1500 steps (36 epochs), 3 seeds: an interpolating regime; descriptive only."


# ------------------------------------------------------------------------------ registry
_BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in (
        Builtin(
            "quick",
            "digits: 2 optimizers x 4 schedules x 2 seeds (the demo)",
            _quick([])["expectation"],
            1.0,
            (_quick,),
            _check_quick,
        ),
        Builtin(
            "e1",
            "char-LM: decaying schedules vs constant, WSD vs cosine",
            _e1([])["expectation"],
            10.0,
            (_e1,),
            _check_e1,
        ),
        Builtin("e2", "char-LM: post-LN needs warmup, pre-LN does not", _e2([])["expectation"], 6.0, (_e2,), _check_e2),
        Builtin(
            "e3",
            "digits: LR range test, then one-cycle vs naive constant at 100 steps",
            "One-cycle at the range-test LR >= naive constant LR at 100 steps.",
            0.5,
            (_e3_range, _e3_main),
            _check_e3,
        ),
        Builtin(
            "e4", "digits: 4 optimizers x 7 schedules (descriptive)", _e4([])["expectation"], 3.0, (_e4,), _check_e4
        ),
    )
}


def builtins() -> dict[str, Builtin]:
    """The built-in studies by name."""
    return dict(_BUILTINS)


def get_builtin(name: str) -> Builtin:
    try:
        return _BUILTINS[name]
    except KeyError:
        raise LabError(f"unknown built-in study {name!r}; built-in studies: {', '.join(_BUILTINS)}.") from None


def first_stage(name: str) -> Study:
    """The (first) study of a built-in, validated."""
    return study_from_dict(get_builtin(name).stages[0]([]), source=f"<built-in {name}>")


def run_builtin(
    name: str, out: str | os.PathLike[str], *, overrides: dict[str, Any] | None = None, **options: Any
) -> list[Study]:
    """Run every stage of the built-in ``name`` into ``out``.

    ``overrides`` replace top-level study keys in every stage (e.g. ``{"steps": 200, "seeds": 1}`` for
    a quick look; the claims then hold only for that smaller regime); ``options`` go to
    :func:`~lrplan.lab.runner.run_study`.
    """
    from .runner import run_study

    builtin = get_builtin(name)
    store = Store(out)
    keys: list[str] = []
    done: list[Study] = []
    for stage in builtin.stages:
        records = [r for r in (store.read(k) for k in keys) if r is not None]
        study = study_from_dict({**stage(records), **(overrides or {})}, source=f"<built-in {name}>")
        run_study(
            study, out, manifest={"builtin": name, "prior_keys": keys, "stages": [s.to_dict() for s in done]}, **options
        )
        keys = keys + [r.key() for r in study.runs()]
        done.append(study)
    return done
