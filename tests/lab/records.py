"""Synthetic char-LM run records for checking the built-in studies' claims without training."""

from __future__ import annotations

from typing import Any


def charlm_record(
    task: str, optimizer: str, schedule: str, lr: float, seed: int, value: float | None, *, steps: int, layers: int
) -> dict[str, Any]:
    """A record with the fields the studies' checks read; ``value`` None: a diverged run."""
    return {
        "status": "ok" if value is not None else "diverged",
        "labels": {"task": task, "optimizer": optimizer, "schedule": schedule},
        "run": {
            "seed": seed,
            "lr": lr,
            "steps": steps,
            "task_options": {"layers": layers, "d_model": 64, "batch_size": 32, "context": 64},
        },
        "task_info": {"parameters": {2: 137_216, 4: 237_184}[layers], "train_bytes": 2_700_000},
        "metric": "val_loss",
        "final": {"val_loss": value},
    }
