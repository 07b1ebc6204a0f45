"""The training loop of one run: a run spec in, a record out.

The learning rate is applied as a user would apply it: by the PyTorch adapter
:class:`lrplan.torch.Scheduler`, driving the absolute schedule ``lrplan.scale(schedule, factor=lr)``.
Before update ``k`` (k from 0) every parameter group holds ``lr * schedule(k)`` (see
:mod:`lrplan.lab.study`); the recorded learning-rate curve is read back from the optimizer just
before each ``optimizer.step()``, so it is the rate that was really used.

Example:
    >>> from lrplan.lab.study import study_from_dict
    >>> from lrplan.lab.run import train
    >>> st = study_from_dict({"name": "doc", "steps": 60, "eval_every": 30, "tasks": ["digits-logreg"],
    ...                       "optimizers": [{"name": "sgd-momentum", "lr": 0.1}],
    ...                       "schedules": ["linear(init_value=1.0, end_value=0.0, decay_steps={steps})"]})
    >>> record = train(st.runs()[0].to_dict())
    >>> record["status"], record["curves"]["eval"]["step"], [round(lr, 6) for lr in record["curves"]["lr"][:3]]
    ('ok', [0, 30, 60], [0.1, 0.098333, 0.096667])
    >>> record["final"]["accuracy"] > 0.8
    True
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from importlib import metadata as _metadata
from typing import Any

import numpy

import lrplan

from . import optimizers as _opt
from . import tasks as _tasks
from .store import RECORD_FORMAT
from .study import RunSpec

__all__ = ["train", "VOLATILE_FIELDS", "Progress"]

VOLATILE_FIELDS = ("wall_s", "steps_per_s", "finished_at", "host")
"""Record fields that change from one execution to the next (timings, machine); the rest is deterministic."""

Progress = Callable[[int, int], None]


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _versions(optimizer: str) -> dict[str, str]:
    import torch

    out = {
        "python": platform.python_version(),
        "lrplan": lrplan.__version__,
        "torch": torch.__version__,
        "numpy": numpy.__version__,
    }
    if "sklearn" in sys.modules:
        out["scikit-learn"] = sys.modules["sklearn"].__version__
    if optimizer.startswith("schedulefree"):
        out["schedulefree"] = _metadata.version("schedulefree")
    return out


def _update(optimizer: Any) -> bool:
    """``optimizer.step()``; False when the update overflows the parameters' float type.

    With a learning rate near the float32 limit, torch raises while scaling the update ("value cannot
    be converted to type float without overflow"): the run has diverged, like a run whose loss
    becomes infinite. Every other error propagates.
    """
    try:
        optimizer.step()
    except (RuntimeError, OverflowError) as exc:
        if "overflow" not in str(exc):
            raise
        return False
    return True


def train(spec: dict[str, Any], *, threads: int = 1, progress: Progress | None = None) -> dict[str, Any]:
    """Train one run (``RunSpec.to_dict()``) and return its record (see docs/lab.md for the fields).

    A non-finite training or validation loss, a learning rate that overflows, or an update that
    overflows the parameters stops the run early with ``status: "diverged"``.
    """
    import torch

    from lrplan.torch import Scheduler, current_lr

    run = RunSpec(**spec)
    torch.set_num_threads(threads)
    schedule = lrplan.scale(lrplan.parse(run.schedule), factor=run.lr)
    task = _tasks.get_task(run.task)
    kind = _opt.get_optimizer(run.optimizer)
    problem = task.build(_tasks.resolve_options(task, run.task_options), run.seed)
    model = problem.model
    optimizer = _opt.build(kind, model.parameters(), schedule(0), run.optimizer_options)
    scheduler = Scheduler(optimizer, schedule)  # writes lr * schedule(0) into every param group

    def evaluate() -> dict[str, float]:
        model.eval()
        if kind.mode_switch:
            optimizer.eval()  # type: ignore[attr-defined]
        values = problem.evaluate()
        if kind.mode_switch:
            optimizer.train()  # type: ignore[attr-defined]
        model.train()
        return values

    evals: dict[str, list[Any]] = {"step": []}

    def log_eval(step: int) -> bool:
        values = evaluate()
        evals["step"].append(step)
        for name, v in values.items():
            evals.setdefault(name, []).append(_finite(v))
        return math.isfinite(values.get("val_loss", 0.0))

    lrs: list[float] = []
    losses: list[float | None] = []
    status = "ok"
    if kind.mode_switch:
        optimizer.train()  # type: ignore[attr-defined]
    model.train()
    log_eval(0)
    start = time.perf_counter()
    for k in range(run.steps):
        lr = current_lr(optimizer)[0]  # lr * schedule(k), written by the scheduler
        if not math.isfinite(lr):  # lr * schedule(k) overflowed: no update can use it
            status = "diverged"
            break
        loss = problem.loss(k)
        value = float(loss.detach())
        lrs.append(lr)
        losses.append(_finite(value))
        if not math.isfinite(value):
            status = "diverged"
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        if run.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), run.grad_clip)
        if not _update(optimizer):
            status = "diverged"
            break
        scheduler.step()
        done = k + 1
        if (done % run.eval_every == 0 or done == run.steps) and not log_eval(done):
            status = "diverged"
            break
        if progress is not None:
            progress(done, run.steps)
    wall = time.perf_counter() - start
    final = {name: values[-1] for name, values in evals.items() if name != "step"}
    if status == "diverged":
        final = dict.fromkeys(final)
    return {
        "format": RECORD_FORMAT,
        "key": run.key(),
        "config": run.config(),
        "lr_schedule": lrplan.to_config(schedule),
        "run": run.to_dict(),
        "labels": run.labels(),
        "status": status,
        "metric": task.metric,
        "mode": task.mode,
        "final": final,
        "curves": {"lr": lrs, "train_loss": losses, "eval": evals},
        "task_info": problem.info,
        "versions": _versions(run.optimizer),
        "threads": threads,
        "wall_s": round(wall, 4),
        "steps_per_s": round(len(lrs) / wall, 2) if wall > 0 else None,
        "finished_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "host": {"node": platform.node(), "pid": os.getpid()},
    }
