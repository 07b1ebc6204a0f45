"""Built-in studies: ``quick`` (the demo) and CPU-sized reproductions of published claims.

One module per experiment (:mod:`~lrplan.lab.studies.quick`, ``e1`` ... ``e5``), what they share in
:mod:`~lrplan.lab.studies.base`, and here the registry of built-ins.

Each built-in states its expectation, checks it on the records, and reports the regime it ran in
(model size, steps, seeds, seed noise) instead of claiming beyond it. Pass criteria follow the
project's quality anchors (§5-§6):

* ``quick``: digits MLP, SGD-momentum and Adam, constant / inverse-sqrt / linear-to-floor /
  exponential, 2 seeds, 200 steps (about a minute). Descriptive.
* ``e1``: char-LM, AdamW peak 1e-2: every decaying schedule ends >= 0.03 nats below constant, and WSD
  with a 20 % cooldown ends within 0.02 nats of the better cosine or below it (Hägele et al. 2024,
  arXiv:2405.18392; Hu et al. 2024 (MiniCPM), arXiv:2404.06395). 18 runs of 1000 steps.
* ``e2``: char-LM with 4 layers, post-LN and pre-LN, with and without 100 warmup steps: the width of the
  stable peak-LR range (not diverged, within 0.1 nats/byte of the model's best) over 8 peak LRs a factor 2
  apart; warmup widens post-LN's by at least one grid step and pre-LN's by at most one (Xiong et al. 2020,
  arXiv:2002.04745). 32 runs of 400 steps, 1 seed.
* ``e3``: digits MLP, SGD-momentum: an LR range test (``lrplan.range_test_schedule``, 1e-4 -> 10
  over 300 steps, analysed by ``lrplan.suggest_lr``), then one-cycle with the LR of the lowest
  smoothed loss as peak reaches at least the accuracy of a naive constant LR (0.01) at a 100-step
  budget (Smith 2017, arXiv:1506.01186; Smith & Topin, arXiv:1708.07120). Two stages, 5 seeds.
* ``e4``: digits MLP, SGD-momentum / Adam / AdaGrad / RMSProp x 7 schedules, 1500 steps. Descriptive:
  digits saturates, so accuracy differences are about seed noise.
* ``e5``: digits MLP, Adam at 4x the batch (same epochs): the square-root rule (``lrplan.sqrt_scaling``)
  vs the unchanged and a re-tuned learning rate, paired over 3 seeds (Malladi et al. 2022,
  arXiv:2205.10287). Two stages. Descriptive.
* ``laws``: char-LM as E1, 400 steps: both loss-curve laws (``lrplan.laws``) fitted on constant + cosine
  predict WSD and the schedule the multi-power law optimizes, which are then trained (3 seeds, paired):
  prediction errors, and whether the optimized schedule beat cosine. Two stages.
* ``lrfree``: char-LM, 800 steps: AdamW with cosine and with WSD, peak LR tuned on one seed over 6 values,
  vs Prodigy, D-Adapt Adam, DoG and schedule-free AdamW untuned, 3 other seeds: the best LR-free optimizer
  ends within 0.05 nats/byte of the better tuned schedule. Four stages (tune, then one per schedule).

Example:
    >>> from lrplan.lab import studies
    >>> sorted(studies.builtins())
    ['e1', 'e2', 'e3', 'e4', 'e5', 'laws', 'lrfree', 'quick']
    >>> st = studies.first_stage("quick")
    >>> len(st.runs()), st.steps
    (16, 200)
    >>> print(studies.RANGE_TEST)
    range_test_schedule(min_value=0.0001, max_value=10.0, steps=300)
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import LabError
from ..store import Store
from ..study import Study, study_from_dict
from ..sweep import run_study
from . import e1, e2, e3, e4, e5, laws, lrfree, quick
from .base import Builtin, Claim
from .e3 import RANGE_TEST, analyse_range_test

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

_BUILTINS: dict[str, Builtin] = {m.BUILTIN.name: m.BUILTIN for m in (quick, e1, e2, e3, e4, e5, laws, lrfree)}


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
    :func:`~lrplan.lab.sweep.run_study`.
    """
    builtin = get_builtin(name)
    store = Store(out)
    keys: list[str] = []
    done: list[Study] = []
    for stage in builtin.stages:
        records = [r for r in (store.load(k, check=True)[0] for k in keys) if r is not None]
        study = study_from_dict({**stage(records), **(overrides or {})}, source=f"<built-in {name}>")
        run_study(
            study, out, manifest={"builtin": name, "prior_keys": keys, "stages": [s.to_dict() for s in done]}, **options
        )
        keys = keys + [r.key() for r in study.runs()]
        done.append(study)
    return done
