"""The terminal display of a sweep: what it is doing, a bar over all its steps with an ETA, one bar per run.

While the workers start (importing torch and loading data take seconds before the first update), a
line says so. The main bar counts optimizer updates over every run left to train, those of runs in
flight included, so its time remaining (rich's estimate from the recent rate) moves with each
reported step rather than once per finished run; its label counts finished runs.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["ProgressView"]


class ProgressView:
    """Rich progress bars: a start-up line, one bar over the sweep's steps (with ETA), one per run in flight.

    Args:
        enabled: draw the bars (else only notices are printed, to standard error).
        total: runs in the study; ``done``: runs already finished before the sweep.
        title: the study's name.
        steps: optimizer updates of the runs left to train (the main bar's length).
        console: the rich console to draw on (default: standard output).
    """

    def __init__(
        self, *, enabled: bool, total: int, done: int, title: str, steps: int = 0, console: Any = None
    ) -> None:
        self.enabled = enabled
        self.total, self.done, self.title, self.steps = total, done, title, steps
        self.console = console
        self.bars: dict[str, Any] = {}
        self.at: dict[str, int] = {}  # the step each run in flight has reported
        self.phase: Any = None

    def __enter__(self) -> ProgressView:
        if self.enabled:  # rich is imported only when the bars are shown
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[count]}"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[eta]}"),
                TimeRemainingColumn(),
                transient=False,
                console=self.console,
                speed_estimate_period=60.0,
            )
            self.progress.start()
            self.main = self.progress.add_task(
                f"[bold]{self.title}", total=max(self.steps, 1), count=self._count(), eta="ETA"
            )
            self.phase = self.progress.add_task("  preparing the runs", total=None, count="", eta="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.progress.stop()

    def _count(self) -> str:
        return f"runs {self.done}/{self.total}"

    @staticmethod
    def _name(spec: dict[str, Any]) -> str:
        labels = (
            spec["task_label"],
            spec["optimizer_label"],
            spec["schedule_label"],
            f"lr={spec['lr']:g}",
            f"seed {spec['seed']}",
        )
        return "  " + " · ".join(labels)

    def _end_phase(self) -> None:
        if self.phase is not None:
            self.progress.remove_task(self.phase)
            self.phase = None

    def update(self, spec: dict[str, Any], step: int, steps: int) -> None:
        if not self.enabled:
            return
        name = self._name(spec)
        if name not in self.bars:
            self.bars[name] = self.progress.add_task(name[:90], total=steps, count=f"0/{steps}", eta="ETA")
        if step > 0:
            self._end_phase()  # training is under way
        self.progress.update(self.bars[name], completed=step, count=f"{step}/{steps}")
        self.progress.advance(self.main, step - self.at.get(name, 0))
        self.at[name] = step

    def status(self, text: str, *, notice: bool = False) -> None:
        """What the sweep does besides training: shown on the start-up line while there is one (else a
        dim line); a notice gets a line of its own, printed to standard error without bars."""
        if not self.enabled:
            if notice:
                print(f"lab: {text}", file=sys.stderr)
            return
        if self.phase is not None and not notice:
            self.progress.update(self.phase, description=f"  {text}")
        else:
            self.progress.console.print(text, style=None if notice else "dim", highlight=False, markup=False)

    def finished(self, spec: dict[str, Any]) -> None:
        """``spec`` is done (here or by another process): its bar goes, the main bar counts all its steps."""
        self.done += 1
        if not self.enabled:
            return
        name = self._name(spec)
        bar = self.bars.pop(name, None)
        if bar is not None:
            self.progress.remove_task(bar)
        self.progress.advance(self.main, spec["steps"] - self.at.pop(name, 0))
        self.progress.update(self.main, count=self._count())
