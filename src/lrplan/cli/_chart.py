"""The terminal chart of ``lrplan show``: a braille curve, its axes and the table of what matters."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import Schedule
from ._summary import Summary, summarize
from ._term import Column, Terminal

__all__ = ["braille_chart", "fmt", "fmt_step", "print_show"]

_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


def braille_chart(
    lows: Sequence[float] | np.ndarray,
    highs: Sequence[float] | np.ndarray,
    height: int = 8,
    log: bool = False,
) -> tuple[list[str], float, float]:
    """Rows of braille characters drawing the ranges ``[lows[i], highs[i]]``, two columns per character.

    Consecutive columns are joined, so jumps show as vertical strokes. Returns ``(rows, bottom, top)``,
    the value range drawn (zero at the bottom unless values are negative, or ``log``).

    Example:
        >>> rows, bottom, top = braille_chart([1, 1, 0.5, 0.5, 0, 0], [1, 1, 0.5, 0.5, 0, 0], height=2)
        >>> rows, bottom, top
        (['⠉⣆⠀', '⠀⠀⣇'], 0.0, 1.0)
    """
    lo = np.asarray(lows, dtype=np.float64)
    hi = np.asarray(highs, dtype=np.float64)
    if log:
        positive = np.concatenate((lo[lo > 0], hi[hi > 0]))
        if positive.size == 0:
            log = False
    if log:
        floor = float(positive.min())
        lo = np.log10(np.where(lo > 0, lo, floor))
        hi = np.log10(np.where(hi > 0, hi, floor))
    finite = np.concatenate((lo[np.isfinite(lo)], hi[np.isfinite(hi)]))
    top = float(finite.max()) if finite.size else 1.0
    bottom = float(finite.min()) if finite.size else 0.0
    if not log:
        bottom = min(bottom, 0.0)
    if top <= bottom:
        top = bottom + (abs(bottom) or 1.0)
    pixels = height * 4
    width = (len(lo) + 1) // 2
    grid = np.zeros((height, width), dtype=np.int64)

    def ypix(x: float) -> int:
        return int(min(max(round((x - bottom) / (top - bottom) * (pixels - 1)), 0), pixels - 1))

    prev: tuple[int, int] | None = None
    for x in range(len(lo)):
        if not (math.isfinite(lo[x]) and math.isfinite(hi[x])):
            prev = None
            continue
        a, b = ypix(lo[x]), ypix(hi[x])
        if prev is not None:
            if a > prev[1]:
                a = prev[1] + 1 if prev[1] + 1 <= b else a
            if b < prev[0]:
                b = prev[0] - 1 if prev[0] - 1 >= a else b
        for py in range(a, b + 1):
            grid[height - 1 - py // 4, x // 2] |= _DOTS[x % 2][3 - py % 4]
        prev = (ypix(lo[x]), ypix(hi[x]))
    rows = ["".join(chr(0x2800 + int(c)) for c in row) for row in grid]
    if log:
        return rows, 10.0**bottom, 10.0**top
    return rows, bottom, top


def fmt(v: float) -> str:
    """A learning rate with 6 significant digits (``0`` for zero).

    Example:
        >>> fmt(0.0), fmt(3e-4), fmt(1 / 3)
        ('0', '0.0003', '0.333333')
    """
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    return f"{v:.6g}"


def fmt_step(k: float) -> str:
    """A step with thousands separators (two decimals for a fractional one).

    Example:
        >>> fmt_step(12000), fmt_step(2.5)
        ('12,000', '2.50')
    """
    if float(k).is_integer():
        return f"{int(k):,}"
    return f"{k:,.2f}"


def print_show(
    term: Terminal, schedule: Schedule, steps: int, *, title: str | None = None, height: int = 8, log: bool = False
) -> Summary:
    """Print the chart and the table of ``lrplan show``; return the summary drawn."""
    margin = 10
    width = max(16, min(72, term.width - margin - 4))
    summary = summarize(schedule, steps, bins=2 * width)
    if title:
        term.print(title, "bold")
    term.print(str(schedule), "cyan" if title else "bold cyan")

    rows, bottom, top = braille_chart(summary.lows, summary.highs, height=height, log=log)
    mid = 10 ** ((math.log10(bottom) + math.log10(top)) / 2) if log else (bottom + top) / 2
    labels = {0: f"{top:.3g}", height // 2: f"{mid:.3g}", height - 1: f"{bottom:.3g}"}
    for r, row in enumerate(rows):
        axis = labels.get(r, "").rjust(margin - 2) + (" ┤" if r in labels else " │")
        term.stream.write(term.style(axis, "dim") + term.style(row, "green") + "\n")
    used = len(rows[0]) if rows else 0
    ticks = ["─"] * used
    for b in schedule.breakpoints():
        if 0 < b < steps:
            col = int((int(b) * len(summary.lows)) // steps) // 2
            if col < used:
                ticks[col] = "┴"
    term.print(" " * (margin - 1) + "└" + "".join(ticks), "dim")
    left, right = "0", fmt_step(steps - 1)
    term.print(" " * margin + left + right.rjust(max(used - len(left), len(right) + 1)), "dim")

    table = [("start", "0", fmt(summary.first), "")]
    table.append(("peak", fmt_step(summary.peak_step), fmt(summary.peak), ""))
    if summary.low not in (summary.first, summary.last):
        table.append(("lowest", fmt_step(summary.low_step), fmt(summary.low), ""))
    if summary.settled_step < steps - 1 or summary.steps == 1:
        note = f"constant from step {fmt_step(summary.settled_step)}"
    else:
        note = "still changing at the last step"
    table.append(("end", fmt_step(steps - 1), fmt(summary.last), note))
    points = list(schedule.breakpoints())
    for b in points[:12]:
        table.append(("phase boundary", fmt_step(b), fmt(schedule(float(b))), "" if b < steps else "past --steps"))
    if len(points) > 12:
        table.append(("", "", "", f"... and {len(points) - 12} more phase boundaries"))
    for pct in (10, 25, 50, 75, 90):
        k = (steps - 1) * pct // 100
        table.append((f"{pct}% of steps", fmt_step(k), fmt(schedule(k)), ""))
    horizon = schedule.horizon
    if horizon is not None:
        note = "constant from here on" if horizon < steps else "constant from here on (past the steps shown)"
        table.append(("horizon", fmt_step(horizon), fmt(schedule(float(horizon))), note))
    table.append(
        ("area Σ lr", f"0-{fmt_step(steps - 1)}", f"{summary.area:.6g}", f"mean lr {fmt(summary.area / steps)}")
    )
    term.table(table, [Column(), Column("step", "right"), Column("lr", "right"), Column("", style="dim", wrap=True)])
    return summary
