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
from collections.abc import Callable, Sequence
from typing import Any

import numpy

import lrplan

from . import optimizers as _opt
from . import tasks as _tasks
from .errors import LabError
from .store import RECORD_FORMAT
from .study import RunSpec

__all__ = ["train", "Trainer", "VOLATILE_FIELDS", "Progress", "schedule_from_segments"]

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
    out.update(_opt.package_version(_opt.get_optimizer(optimizer)))
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


def schedule_from_segments(segments: Sequence[tuple[int, lrplan.Schedule]]) -> lrplan.Schedule:
    r"""One schedule that follows ``segments[i][1]`` from update ``segments[i][0]`` on.

    A run whose absolute schedule was changed mid-run (:meth:`Trainer.set_schedule`, e.g. by
    population-based training) trained with :math:`\eta_k = f_i(k)` for :math:`b_i \le k < b_{i+1}`,
    where :math:`(b_i, f_i)` are its segments (:math:`b_0 = 0`; a segment starting where the previous
    one starts replaces it). This is that schedule, built from lrplan's own combinators:

    .. math:: \text{join}([f_0, \text{shift}(f_1, -b_1), \dots], \text{boundaries}=[b_1, \dots])

    ``join`` hands piece :math:`i` the step :math:`k - b_i`, which ``shift`` turns back into
    :math:`k` (exact: integers below :math:`2^{53}`), so each piece computes :math:`f_i(k)` with the
    same floating-point operations as during training, and the values are equal, not just close.

    Example:
        >>> import lrplan
        >>> shape = lrplan.cosine(init_value=1.0, decay_steps=10)
        >>> s = schedule_from_segments([(0, lrplan.scale(shape, factor=0.1)), (4, lrplan.scale(shape, factor=0.12))])
        >>> s
        join([scale(cosine(init_value=1.0, decay_steps=10), factor=0.1), shift(scale(cosine(init_value=1.0, decay_steps=10), factor=0.12), steps=-4)], boundaries=[4])
        >>> s(3) == 0.1 * shape(3), s(4) == 0.12 * shape(4)
        (True, True)
    """
    kept: list[tuple[int, lrplan.Schedule]] = []
    for i, (start, schedule) in enumerate(segments):
        if isinstance(start, bool) or not isinstance(start, int) or start < (kept[-1][0] if kept else 0):
            raise LabError(
                f"schedule segments: segment {i} must start at an integer update >= the previous segment's "
                f"start (the first at 0). Received: start={start!r}."
            )
        if not isinstance(schedule, lrplan.Schedule):
            raise LabError(f"schedule segments: segment {i} must hold a Schedule. Received: {type(schedule).__name__}.")
        if kept and kept[-1][0] == start:
            kept.pop()
        kept.append((start, schedule))
    if not kept or kept[0][0] != 0:
        raise LabError(f"schedule segments: the first segment must start at update 0. Received: {list(segments)!r}.")
    if len(kept) == 1:
        return kept[0][1]
    pieces = [kept[0][1], *(lrplan.shift(schedule, steps=-start) for start, schedule in kept[1:])]
    return lrplan.join(pieces, boundaries=[start for start, _ in kept[1:]])


class Trainer:
    """One run in pieces: :func:`train` is ``Trainer(spec).advance(spec["steps"])`` then ``.record()``.

    Search engines drive a trainer: they read each evaluation (``on_eval`` may stop the run, which
    then ends with ``status: "pruned"``), save and restore it between pieces (:meth:`state_dict`,
    :meth:`load_state_dict`: model, optimizer, data stream, update counter and curves, so a restored
    trainer goes on bit for bit as if it had never stopped), and may change the learning rate from
    the current update on (:meth:`set_schedule`, population-based training). The trainer keeps the
    list of ``(first update, absolute schedule)`` it trained with (``segments``, also in its state
    and in its record as ``schedule_segments``); :func:`schedule_from_segments` makes one schedule of it.

    Example:
        >>> from lrplan.lab.study import study_from_dict
        >>> st = study_from_dict({"name": "doc", "steps": 40, "eval_every": 20, "tasks": ["digits-logreg"],
        ...                       "optimizers": [{"name": "sgd", "lr": 0.1}], "schedules": ["constant(1.0)"]})
        >>> spec = st.runs()[0].to_dict()
        >>> whole = train(spec)
        >>> first = Trainer(spec)
        >>> first.advance(20)
        >>> saved = first.state_dict()
        >>> second = Trainer(spec)
        >>> second.load_state_dict(saved)
        >>> second.advance(40)
        >>> second.record()["curves"]["train_loss"] == whole["curves"]["train_loss"]
        True
    """

    def __init__(self, spec: dict[str, Any], *, threads: int = 1) -> None:
        import torch

        from lrplan.torch import Scheduler

        self.run = RunSpec(**spec)
        self.threads = threads
        torch.set_num_threads(threads)
        self.schedule: lrplan.Schedule = lrplan.scale(lrplan.parse(self.run.schedule), factor=self.run.lr)
        self.task = _tasks.get_task(self.run.task)
        self.kind = _opt.get_optimizer(self.run.optimizer)
        self.problem = self.task.build(_tasks.resolve_options(self.task, self.run.task_options), self.run.seed)
        self.model = self.problem.model
        self.optimizer = _opt.build(self.kind, self.model.parameters(), self.schedule(0), self.run.optimizer_options)
        self.scheduler = Scheduler(self.optimizer, self.schedule)  # writes lr * schedule(0) into every group
        self.segments: list[tuple[int, lrplan.Schedule]] = [(0, self.schedule)]
        self.step = 0
        self.status = "ok"
        self.evals: dict[str, list[Any]] = {"step": []}
        self.lrs: list[float] = []
        self.losses: list[float | None] = []
        self.wall = 0.0
        self._mode("train")

    def _mode(self, mode: str) -> None:
        if self.kind.mode_switch:
            getattr(self.optimizer, mode)()
        self.model.train(mode == "train")

    def _evaluate(self) -> dict[str, float]:
        self._mode("eval")
        values = self.problem.evaluate()
        self._mode("train")
        self.evals["step"].append(self.step)
        for name, v in values.items():
            self.evals.setdefault(name, []).append(_finite(v))
        return values

    @property
    def finished(self) -> bool:
        """True once the run has made all its updates, diverged or been pruned."""
        return self.status != "ok" or self.step >= self.run.steps

    def set_schedule(self, schedule: lrplan.Schedule) -> None:
        """Train with the absolute schedule ``schedule`` from the current update on."""
        from lrplan.torch import Scheduler

        self.schedule = schedule
        self.scheduler = Scheduler(self.optimizer, schedule, start_step=self.step)
        if self.segments[-1][0] == self.step:
            self.segments.pop()
        self.segments.append((self.step, schedule))

    def advance(
        self,
        until: int,
        *,
        progress: Progress | None = None,
        on_eval: Callable[[int, dict[str, float]], bool] | None = None,
    ) -> None:
        """Make updates until ``until`` updates are done (at most the run's ``steps``), or the run ends.

        The run evaluates before its first update and after every ``eval_every``-th and its last;
        ``on_eval(updates_done, values)`` returning True stops it with ``status: "pruned"``. A
        non-finite loss, a learning rate that overflows, or an update that overflows the parameters
        stops it with ``status: "diverged"``.
        """
        import torch

        from lrplan.torch import current_lr

        run = self.run
        if self.step == 0 and not self.evals["step"] and not self._checked_eval(on_eval):
            return
        start = time.perf_counter()
        try:
            while not self.finished and self.step < until:
                k = self.step
                lr = current_lr(self.optimizer)[0]  # lr * schedule(k), written by the scheduler
                if not math.isfinite(lr):  # lr * schedule(k) overflowed: no update can use it
                    self.status = "diverged"
                    break
                loss = self.problem.loss(k)
                value = float(loss.detach())
                self.lrs.append(lr)
                self.losses.append(_finite(value))
                if not math.isfinite(value):
                    self.status = "diverged"
                    break
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                if run.grad_clip is not None:
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), run.grad_clip)
                if not _update(self.optimizer):
                    self.status = "diverged"
                    break
                self.scheduler.step()
                self.step = done = k + 1
                if (done % run.eval_every == 0 or done == run.steps) and not self._checked_eval(on_eval):
                    break
                if progress is not None:
                    progress(done, run.steps)
        finally:
            self.wall += time.perf_counter() - start

    def _checked_eval(self, on_eval: Callable[[int, dict[str, float]], bool] | None) -> bool:
        """Evaluate; False (and the status set) when the run must stop here."""
        values = self._evaluate()
        if not math.isfinite(values.get("val_loss", 0.0)):
            self.status = "diverged"
            return False
        if on_eval is not None and on_eval(self.step, values):
            self.status = "pruned"
            return False
        return True

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to go on exactly from here (torch tensors inside: save with ``torch.save``)."""
        return {
            "spec": self.run.to_dict(),
            "step": self.step,
            "status": self.status,
            "schedule": lrplan.to_config(self.schedule),
            "segments": self._segment_configs(),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "data": self._data_state(),
            "curves": {
                "lr": list(self.lrs),
                "train_loss": list(self.losses),
                "eval": {k: list(v) for k, v in self.evals.items()},
            },
            "wall_s": self.wall,
        }

    def _segment_configs(self) -> list[dict[str, Any]]:
        return [{"start": start, "schedule": lrplan.to_config(schedule)} for start, schedule in self.segments]

    def _data_state(self) -> dict[str, Any]:
        if self.problem.data_state is None or self.problem.load_data_state is None:
            raise LabError(f"task {self.run.task!r} cannot save its data stream (its Problem has no data_state).")
        return self.problem.data_state()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` (of a run of the same task, model and optimizer)."""
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.problem.load_data_state is not None:
            self.problem.load_data_state(state["data"])
        self.step = int(state["step"])
        self.status = str(state["status"])
        self.set_schedule(lrplan.from_config(state["schedule"]))
        segments = state.get("segments", [{"start": 0, "schedule": state["schedule"]}])
        self.segments = [(int(seg["start"]), lrplan.from_config(seg["schedule"])) for seg in segments]
        curves = state["curves"]
        self.lrs, self.losses = list(curves["lr"]), list(curves["train_loss"])
        self.evals = {k: list(v) for k, v in curves["eval"].items()}
        self.wall = float(state.get("wall_s", 0.0))

    def record(self) -> dict[str, Any]:
        """The lab record of the run so far (see docs/lab.md for the fields)."""
        run, wall = self.run, self.wall
        final = {name: values[-1] for name, values in self.evals.items() if name != "step"}
        if self.status == "diverged":
            final = dict.fromkeys(final)
        return {
            "format": RECORD_FORMAT,
            "key": run.key(),
            "config": run.config(),
            "lr_schedule": lrplan.to_config(schedule_from_segments(self.segments)),
            "schedule_segments": self._segment_configs(),
            "run": run.to_dict(),
            "labels": run.labels(),
            "status": self.status,
            "metric": self.task.metric,
            "mode": self.task.mode,
            "final": final,
            "curves": {"lr": self.lrs, "train_loss": self.losses, "eval": self.evals},
            "task_info": self.problem.info,
            "versions": _versions(run.optimizer),
            "threads": self.threads,
            "wall_s": round(wall, 4),
            "steps_per_s": round(len(self.lrs) / wall, 2) if wall > 0 else None,
            "finished_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "host": {"node": platform.node(), "pid": os.getpid()},
        }


def train(
    spec: dict[str, Any],
    *,
    threads: int = 1,
    progress: Progress | None = None,
    on_eval: Callable[[int, dict[str, float]], bool] | None = None,
) -> dict[str, Any]:
    """Train one run (``RunSpec.to_dict()``) and return its record (see docs/lab.md for the fields).

    A non-finite training or validation loss, a learning rate that overflows, or an update that
    overflows the parameters stops the run early with ``status: "diverged"``; ``on_eval(updates_done,
    values)`` returning True after an evaluation stops it with ``status: "pruned"`` (early stopping by
    a search engine).
    """
    trainer = Trainer(spec, threads=threads)
    trainer.advance(trainer.run.steps, progress=progress, on_eval=on_eval)
    return trainer.record()
