"""Built-in search studies: ``lrplan lab search NAME`` runs one without a study file.

* ``tiny``: six peak LRs of a logistic regression on digits, 40 updates each, ASHA pruning (seconds).
* ``digits-lr``: the peak LR of an MLP on digits trained with Adam under a cosine schedule: 24
  log-spaced values from 1e-4 to 1 (a grid), 400 updates each, evaluated every 25, Hyperband pruning
  (``benchmarks/search_pruning.py`` runs it with and without pruning).
* ``digits-shape``: peak LR, schedule family (cosine or WSD), WSD cooldown fraction and shape,
  cosine floor, warmup and weight decay, 24 trials of TPE with median pruning.

Example:
    >>> from lrplan.lab.search_examples import example
    >>> st = example("digits-lr")
    >>> st.search.trials, st.search.pruner, st.search.space["lr"].values[:3]
    (24, 'hyperband', (0.0001, 0.00014925, 0.000222754))
"""

from __future__ import annotations

from typing import Any

from .errors import LabError
from .study import Study, study_from_dict

__all__ = ["EXAMPLES", "example"]

COSINE = "cosine(init_value=1.0, decay_steps={steps})"

EXAMPLES: dict[str, dict[str, Any]] = {
    "tiny": {
        "name": "tiny-search",
        "description": "Six peak LRs of a logistic regression on digits (a search that takes seconds).",
        "steps": 40,
        "eval_every": 10,
        "tasks": ["digits-logreg"],
        "optimizers": ["sgd"],
        "schedules": [{"spec": COSINE, "label": "cosine"}],
        "search": {
            "sampler": "grid",
            "pruner": "asha",
            "space": {"lr": {"low": 0.01, "high": 3.0, "log": True, "num": 6}},
        },
    },
    "digits-lr": {
        "name": "digits-lr",
        "description": "The peak LR of Adam on an MLP on digits under a cosine schedule: 24 log-spaced values.",
        "steps": 400,
        "eval_every": 25,
        "tasks": ["digits-mlp"],
        "optimizers": ["adam"],
        "schedules": [{"spec": COSINE, "label": "cosine"}],
        "search": {
            "sampler": "grid",
            "pruner": "hyperband",
            "space": {"lr": {"low": 1.0e-4, "high": 1.0, "log": True, "num": 24}},
        },
    },
    "digits-shape": {
        "name": "digits-shape",
        "description": "Peak LR, schedule family and shape, warmup and weight decay of AdamW on digits.",
        "steps": 300,
        "eval_every": 25,
        "tasks": ["digits-mlp"],
        "optimizers": ["adamw"],
        "schedules": [
            {
                "spec": "warmup(cosine(init_value=1.0, decay_steps={steps-warmup*steps}, end_value={floor}), "
                "steps={warmup*steps})",
                "label": "cosine",
            },
            {
                "spec": "wsd(peak_value=1.0, warmup_steps={warmup*steps}, "
                "stable_steps={steps*(1-cooldown)-warmup*steps}, decay_steps={steps*cooldown}, decay_shape={shape})",
                "label": "wsd",
            },
        ],
        "search": {
            "trials": 24,
            "sampler": "tpe",
            "pruner": "median",
            "space": {
                "lr": {"low": 1.0e-4, "high": 0.1, "log": True},
                "schedule": {"values": ["cosine", "wsd"]},
                "cooldown": {"low": 0.1, "high": 0.5},
                "shape": {"values": ["linear", "1-sqrt"]},
                "floor": {"low": 0.0, "high": 0.1},
                "warmup": {"values": [0, 0.02, 0.05]},
                "opt.weight_decay": {"low": 1.0e-4, "high": 0.3, "log": True},
            },
        },
    },
}
"""The built-in search studies, as study-file mappings."""


def example(name: str) -> Study:
    """The built-in search study ``name`` (see :data:`EXAMPLES`)."""
    if name not in EXAMPLES:
        raise LabError(f"no built-in search study {name!r}; built-in: {', '.join(EXAMPLES)}.")
    return study_from_dict(EXAMPLES[name], source=f"<built-in {name}>")
