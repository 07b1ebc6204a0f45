"""Plots of schedules with matplotlib, drawn by the same function that drives training.

matplotlib is imported inside the functions, so ``import lrplan.plot`` costs nothing until a plot is
drawn (``pip install 'lrplan[plot]'``). Figures are built with :class:`matplotlib.figure.Figure`
directly, never through ``pyplot``, so no GUI backend and no global state are involved.

Example:
    >>> import lrplan
    >>> from lrplan.plot import plot_schedules
    >>> fig, ax = plot_schedules([lrplan.cosine(init_value=1.0, decay_steps=100)], steps=120)
    >>> len(ax.get_lines()), ax.get_xlabel()
    (1, 'step')
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from . import LrplanError, Schedule

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_schedules",
    "save_plot",
    "plot_grid",
    "short_label",
    "image_format",
    "check_writable",
    "PlotError",
    "IMAGE_FORMATS",
    "MAX_POINTS",
]

IMAGE_FORMATS = ("png", "svg", "pdf")
"""The file formats :func:`save_plot` writes, chosen by the file's suffix."""

MAX_POINTS = 20_000
"""At most this many steps (plus each phase boundary and its neighbours) are drawn per curve."""


class PlotError(LrplanError, ValueError):
    """An output path or image format that cannot be written.

    Example:
        >>> import lrplan.plot
        >>> try:
        ...     lrplan.plot.check_writable("/")
        ... except lrplan.plot.PlotError as err:
        ...     print(err)
        Cannot write '/': it is a folder.
    """


def _need_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError("Plotting needs matplotlib: pip install 'lrplan[plot]'") from None


def short_label(schedule: Schedule, width: int = 70) -> str:
    """The spec text of ``schedule``, cut to ``width`` characters with an ellipsis.

    Example:
        >>> import lrplan
        >>> short_label(lrplan.cosine(init_value=1.0, decay_steps=10))
        'cosine(init_value=1.0, decay_steps=10)'
        >>> short_label(lrplan.cosine(init_value=1.0, decay_steps=10), width=12)
        'cosine(init…'
    """
    text = str(schedule)
    return text if len(text) <= width else text[: width - 1] + "…"


def plot_grid(schedule: Schedule, steps: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """The integer steps drawn for ``schedule`` over ``0 .. steps - 1``.

    Every step when there are at most ``max_points``; otherwise ``max_points`` evenly spaced steps plus
    each phase boundary and its two neighbours, so jumps stay sharp.

    Example:
        >>> import lrplan
        >>> s = lrplan.piecewise_constant(boundaries=[333], values=[1.0, 0.5])
        >>> g = plot_grid(s, 1_000_000, max_points=100)
        >>> len(g) < 120, 332 in g, 333 in g, int(g[-1])
        (True, True, True, 999999)
    """
    if steps <= max_points:
        return np.arange(int(steps), dtype=np.int64)
    grid = np.unique(np.linspace(0, steps - 1, max_points).round().astype(np.int64))
    extra = [int(p) + d for p in schedule.breakpoints() for d in (-1, 0, 1) if 0 <= int(p) + d < steps]
    return np.union1d(grid, np.asarray(extra, dtype=np.int64))


def _as_items(
    schedules: Schedule | Sequence[Schedule] | Mapping[str, Schedule], labels: Sequence[str] | None
) -> list[tuple[str, Schedule]]:
    if isinstance(schedules, Schedule):
        schedules = [schedules]
    if isinstance(schedules, Mapping):
        items = [(str(k), v) for k, v in schedules.items()]
    else:
        items = [(short_label(s), s) for s in schedules]
    if labels is not None:
        labels = list(labels)
        if len(labels) != len(items):
            raise PlotError(f"plot_schedules: {len(labels)} labels for {len(items)} schedules.")
        items = [(lab, s) for lab, (_, s) in zip(labels, items, strict=True)]
    for _, s in items:
        if not isinstance(s, Schedule):
            raise PlotError(f"plot_schedules: expected lrplan schedules. Received: {s!r}.")
    return items


def plot_schedules(
    schedules: Schedule | Sequence[Schedule] | Mapping[str, Schedule],
    steps: int,
    ax: Axes | None = None,
    labels: Sequence[str] | None = None,
    log: bool = False,
    marks: Iterable[float] = (),
    title: str | None = None,
) -> tuple[Figure, Axes]:
    """Overlay the curves of ``schedules`` over steps ``0 .. steps - 1`` with a legend.

    Args:
        schedules: a schedule, a sequence of schedules, or a mapping label -> schedule.
        steps: how many steps to draw (>= 1).
        ax: the axes to draw into; a new figure (800x400 px) is created if ``None``.
        labels: legend labels, one per schedule (default: the spec text, shortened).
        log: logarithmic learning-rate axis (zero values are left out).
        marks: steps to mark with a dashed vertical line.
        title: an optional axes title.

    Returns:
        ``(figure, axes)``.

    Example:
        >>> import lrplan
        >>> fig, ax = plot_schedules(
        ...     {"cosine": lrplan.cosine(init_value=1.0, decay_steps=100),
        ...      "linear": lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=100)},
        ...     steps=150, marks=[100], log=True)
        >>> [line.get_label() for line in ax.get_lines()][:2], ax.get_yscale()
        (['cosine', 'linear'], 'log')
    """
    _need_matplotlib()
    from matplotlib.figure import Figure

    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise PlotError(f"plot_schedules: `steps` must be an integer >= 1. Received: steps={steps!r}.")
    items = _as_items(schedules, labels)
    lowest = 0.0
    if ax is None:
        fig = Figure(figsize=(8, 4), dpi=100, layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = cast("Figure", ax.figure)
    for label, schedule in items:
        x = plot_grid(schedule, int(steps))
        y = np.asarray(schedule(x), dtype=np.float64)
        if log:
            y = np.where(y > 0, y, np.nan)
        elif y.size:
            lowest = min(lowest, float(np.nanmin(y)))
        ax.plot(x, y, label=label, linewidth=1.6)
    for k in marks:
        ax.axvline(float(k), color="0.45", linestyle="--", linewidth=0.9)
        ax.annotate(
            f"{k:g}",
            xy=(float(k), 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -10),
            textcoords="offset points",
            fontsize=8,
            color="0.35",
        )
    if log:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=lowest if lowest < 0 else 0.0)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4))
    ax.set_xlim(0, max(int(steps) - 1, 1))
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.grid(True, alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)
    if len(items) > 1 or (labels is not None):
        ax.legend(fontsize=8, loc="best", framealpha=0.85)
    return fig, ax


def image_format(path: str | os.PathLike[str]) -> str:
    """The image format named by ``path``'s suffix; :class:`PlotError` for anything else.

    Example:
        >>> image_format("out/curve.PNG")
        'png'
    """
    suffix = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if suffix not in IMAGE_FORMATS:
        shown = f"'.{suffix}'" if suffix else "no suffix"
        raise PlotError(f"Unknown image format {shown} for {os.fspath(path)!r}: use .png, .svg or .pdf.")
    return suffix


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise :class:`PlotError` unless ``path``'s folder exists (or can be made) and is writable.

    Example:
        >>> import tempfile, os, lrplan.plot
        >>> lrplan.plot.check_writable(os.path.join(tempfile.gettempdir(), "new-folder", "curve.png"))
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise PlotError(f"Cannot write {path!r}: it is a folder.")
    probe = folder
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe) or not os.access(probe, os.W_OK | os.X_OK):
        raise PlotError(f"Cannot write {path!r}: {probe!r} is not a writable folder.")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise PlotError(f"Cannot write {path!r}: permission denied.")


def save_plot(
    schedules: Schedule | Sequence[Schedule] | Mapping[str, Schedule],
    steps: int,
    path: str | os.PathLike[str],
    *,
    labels: Sequence[str] | None = None,
    log: bool = False,
    marks: Iterable[float] = (),
    size: tuple[int, int] = (800, 400),
    dpi: int = 100,
    title: str | None = None,
    **savefig_kwargs: Any,
) -> str:
    """Draw :func:`plot_schedules` into a ``size`` = (width, height) pixel image at ``path`` and return the path.

    The format comes from the suffix (``.png``, ``.svg``, ``.pdf``); missing folders are created.
    Raises :class:`PlotError` (a ``ValueError``) for an unknown format or a path that cannot be written.

    Example:
        >>> import os, tempfile, lrplan
        >>> out = save_plot(lrplan.constant(0.1), 10, os.path.join(tempfile.mkdtemp(), "c.png"), size=(300, 200))
        >>> from PIL import Image; Image.open(out).size
        (300, 200)
    """
    image_format(path)
    check_writable(path)
    width, height = size
    if width < 50 or height < 50 or width > 20_000 or height > 20_000:
        raise PlotError(f"save_plot: `size` must be between 50x50 and 20000x20000 pixels. Received: size={size!r}.")
    _need_matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    plot_schedules(schedules, steps, ax=ax, labels=labels, log=log, marks=marks, title=title)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        fig.savefig(path, dpi=dpi, **savefig_kwargs)
    except OSError as exc:
        raise PlotError(f"Cannot write {path!r}: {exc.strerror or exc}.") from None
    return path
