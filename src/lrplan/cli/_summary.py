"""Evaluating a schedule over a step range in chunks, and what matters about it in one streaming pass."""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Iterator

import numpy as np

from .. import Schedule

__all__ = ["CHUNK", "PROGRESS_ABOVE", "chunks", "Summary", "summarize", "Comparison", "compare"]

CHUNK = 1 << 20
"""Steps evaluated at once."""
PROGRESS_ABOVE = 2_000_000
"""Evaluations of more steps than this show a progress bar on stderr, when it is a terminal."""


def chunks(schedule: Schedule, steps: range, label: str = "evaluating") -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(steps, values)`` in chunks of about a million; a progress bar on a terminal's stderr for long ranges.

    Example:
        >>> import lrplan
        >>> [(k.tolist(), v.tolist()) for k, v in chunks(lrplan.constant(0.5), range(0, 6, 2))]
        [([0, 2, 4], [0.5, 0.5, 0.5])]
    """
    count = len(steps)
    chunk = CHUNK
    progress = task = None
    if count > PROGRESS_ABOVE and sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        progress.start()
        task = progress.add_task(label, total=count)
    try:
        for lo in range(0, count, chunk):
            idx = np.arange(lo, min(lo + chunk, count), dtype=np.int64)
            k = steps.start + steps.step * idx
            yield k, np.asarray(schedule(k), dtype=np.float64)
            if progress is not None and task is not None:
                progress.advance(task, len(k))
    finally:
        if progress is not None:
            progress.stop()


@dataclasses.dataclass
class Summary:
    """What matters about a schedule over steps ``0 .. steps - 1``, computed in one streaming pass."""

    steps: int
    first: float
    last: float
    peak: float
    peak_step: int
    low: float
    low_step: int
    area: float
    settled_step: int
    """The first step from which the value stays equal to the last value."""
    lows: np.ndarray
    highs: np.ndarray
    """Per chart column (``bins`` of them): the lowest and highest value of the steps in it."""


def summarize(schedule: Schedule, steps: int, bins: int = 144) -> Summary:
    """One pass over ``schedule(0 .. steps - 1)``: start, peak, end, where it settles, the area, chart bins.

    The area is the sum of the learning rates over the steps, which tracks how far training moves.

    Example:
        >>> import lrplan
        >>> s = summarize(lrplan.linear(init_value=1.0, end_value=0.5, decay_steps=5), 10, bins=4)
        >>> s.first, s.peak, s.peak_step, s.last, s.settled_step, s.area
        (1.0, 1.0, 0, 0.5, 5, 6.5)
    """
    bins = max(1, bins)
    lows = np.full(bins, np.nan)
    highs = np.full(bins, np.nan)
    lasts = np.full(bins, np.nan)
    first = last = peak = low = math.nan
    peak_step = low_step = settled = 0
    area = 0.0
    prev: float | None = None
    for k, v in chunks(schedule, range(steps), "summarizing"):
        if prev is None:
            first = peak = low = float(v[0])
        i = int(np.argmax(v))
        if v[i] > peak:
            peak, peak_step = float(v[i]), int(k[i])
        i = int(np.argmin(v))
        if v[i] < low:
            low, low_step = float(v[i]), int(k[i])
        area += float(np.sum(v))
        changed = np.flatnonzero(v[1:] != v[:-1])
        if changed.size:
            settled = int(k[changed[-1] + 1])
        elif prev is not None and v[0] != prev:
            settled = int(k[0])
        prev = last = float(v[-1])
        cols = (k * bins) // steps
        starts = np.concatenate(([0], np.flatnonzero(np.diff(cols)) + 1))
        c = cols[starts]
        seg_lo = np.minimum.reduceat(v, starts)
        seg_hi = np.maximum.reduceat(v, starts)
        lows[c] = np.fmin(lows[c], seg_lo)
        highs[c] = np.fmax(highs[c], seg_hi)
        ends = np.concatenate((starts[1:], [len(v)])) - 1
        lasts[c] = v[ends]
    for j in range(1, bins):  # fewer steps than columns: hold each value until the next step
        if np.isnan(lows[j]):
            lows[j] = highs[j] = lasts[j] = lasts[j - 1]
    return Summary(steps, first, last, peak, peak_step, low, low_step, area, settled, lows, highs)


@dataclasses.dataclass
class Comparison:
    """Where two schedules differ over a step range, computed in one streaming pass."""

    steps: range
    outside: int
    """How many steps are outside the tolerance, ``|a - b| > atol + rtol |b|``."""
    first: int | None
    last: int | None
    """The first and the last of them (``None`` when there are none)."""
    largest_abs: float
    abs_step: int
    largest_rel: float
    rel_step: int
    """The largest ``|a - b|`` and ``|a - b| / |b|`` over the range, and the first step where each is reached."""


def compare(a: Schedule, b: Schedule, steps: range, rtol: float, atol: float) -> Comparison:
    """Compare ``a`` with the reference ``b`` at every step of ``steps``.

    Example:
        >>> import lrplan
        >>> c = compare(lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=4), lrplan.constant(1.0),
        ...             range(6), rtol=0.0, atol=0.3)
        >>> c.outside, c.first, c.last, c.largest_abs, c.abs_step
        (4, 2, 5, 1.0, 4)
    """
    worst_abs = worst_rel = -1.0
    at_abs = at_rel = steps.start
    outside = 0
    first: int | None = None
    last: int | None = None
    for k, va in chunks(a, steps, "comparing"):
        vb = np.asarray(b(k), dtype=np.float64)
        diff = np.abs(va - vb)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(diff == 0, 0.0, diff / np.abs(vb))
        i = int(np.argmax(diff))
        if diff[i] > worst_abs:
            worst_abs, at_abs = float(diff[i]), int(k[i])
        j = int(np.argmax(rel))
        if rel[j] > worst_rel:
            worst_rel, at_rel = float(rel[j]), int(k[j])
        bad = np.flatnonzero(~(diff <= atol + rtol * np.abs(vb)))
        if bad.size:
            outside += int(bad.size)
            first = int(k[bad[0]]) if first is None else first
            last = int(k[bad[-1]])
    return Comparison(steps, outside, first, last, max(worst_abs, 0.0), at_abs, max(worst_rel, 0.0), at_rel)
