"""The terminal display of a sweep: a bar over runs and one bar per run in flight over its steps."""

from __future__ import annotations

from typing import Any

__all__ = ["ProgressView"]


class ProgressView:
    """Rich progress bars: one over runs, one per run in flight over its steps."""

    def __init__(self, *, enabled: bool, total: int, done: int, title: str) -> None:
        self.enabled = enabled
        self.total, self.done, self.title = total, done, title
        self.bars: dict[str, Any] = {}

    def __enter__(self) -> ProgressView:
        if self.enabled:  # rich is imported only when the bars are shown
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=False,
            )
            self.progress.start()
            self.main = self.progress.add_task(f"[bold]{self.title}: runs", total=self.total, completed=self.done)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.progress.stop()

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

    def update(self, spec: dict[str, Any], step: int, steps: int) -> None:
        if not self.enabled:
            return
        name = self._name(spec)
        if name not in self.bars:
            self.bars[name] = self.progress.add_task(name[:90], total=steps)
        self.progress.update(self.bars[name], completed=step)

    def finished(self, spec: dict[str, Any]) -> None:
        if not self.enabled:
            return
        bar = self.bars.pop(self._name(spec), None)
        if bar is not None:
            self.progress.remove_task(bar)
        self.progress.advance(self.main)
