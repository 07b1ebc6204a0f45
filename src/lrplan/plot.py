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
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from . import LrplanError, Schedule, to_config

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_schedules",
    "save_plot",
    "plot_grid",
    "short_label",
    "distinct_labels",
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


def distinct_labels(schedules: Sequence[Schedule], width: int = 70) -> list[str]:
    """Legend labels that tell ``schedules`` apart, never dropping an argument in which they differ.

    Each spec when all fit in ``width`` characters; otherwise what differs between them: the name of a
    schedule where the curves use different ones, and ``arg=value`` for every argument whose value
    differs between schedules of the same kind at the same place (defaults included, so an argument
    given to one curve only is shown too). :func:`plot_schedules` prints the full specs in a caption.

    Example:
        >>> import lrplan
        >>> a = lrplan.wsd(peak_value=1e-3, warmup_steps=100, stable_steps=600, decay_steps=300)
        >>> b = lrplan.wsd(peak_value=1e-3, warmup_steps=100, stable_steps=600, decay_steps=300, decay_shape="linear")
        >>> distinct_labels([a, b])
        ["decay_shape='1-sqrt'", "decay_shape='linear'"]
        >>> distinct_labels([a, b, lrplan.warmup(lrplan.cosine(init_value=1e-3, decay_steps=900), steps=100)])
        ["wsd, decay_shape='1-sqrt'", "wsd, decay_shape='linear'", 'warmup']
    """
    specs = [str(s) for s in schedules]
    if all(len(t) <= width for t in specs) or len(schedules) < 2:
        return [_cut(t, width) for t in specs]
    leaves = [dict(_leaves(to_config(s))) for s in schedules]
    order = list(dict.fromkeys(key for flat in leaves for key in flat))
    groups: dict[tuple[Any, ...], set[str]] = {}  # the values of a name or argument among like schedules
    for flat in leaves:
        for key, value in flat.items():
            groups.setdefault((key, _enclosing(flat, key)), set()).add(value)
    out = []
    for flat, spec in zip(leaves, specs, strict=True):
        parts = []
        for key in order:
            if key in flat and len(groups[(key, _enclosing(flat, key))]) > 1:
                parts.append(flat[key] if key[-1] == "" else f"{_owner(flat, key)}{key[-1]}={flat[key]}")
        out.append(_cut(", ".join(parts) if parts else spec, width))
    return out


def _owner(flat: dict[tuple[str, ...], str], key: tuple[str, ...]) -> str:
    """``"cosine."`` for an argument of a nested schedule, nothing for one of the outermost."""
    return f"{flat.get((*key[:-1], ''), '')}." if len(key) > 1 else ""


def _enclosing(flat: dict[tuple[str, ...], str], key: tuple[str, ...]) -> tuple[str | None, ...]:
    """The names of the schedules around ``key``: its values are compared among schedules built alike."""
    depth = len(key) - 1 if key[-1] == "" else len(key)
    return tuple(flat.get((*key[:j], "")) for j in range(depth))


def _leaves(config: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """``(path, text)`` for every name and argument value in a :func:`lrplan.to_config` dict."""
    if isinstance(config, dict) and "name" in config and "args" in config:
        yield (*path, ""), str(config["name"])
        for key, value in config["args"].items():
            yield from _leaves(value, (*path, key))
    elif isinstance(config, list) and config and all(isinstance(x, dict) and "name" in x for x in config):
        for i, item in enumerate(config):
            yield from _leaves(item, (*path, str(i)))
    else:
        yield path, repr(tuple(config) if isinstance(config, list) else config).replace("(", "[").replace(")", "]")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _wrap(text: str, width: int) -> str:
    """Spec text over lines of at most ``width`` characters, broken after commas where it can."""
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False, subsequent_indent="    ")) or text


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
        items = [(str(s), s) for s in schedules]
    if labels is not None:
        labels = list(labels)
        if len(labels) != len(items):
            raise PlotError(f"plot_schedules: {len(labels)} labels for {len(items)} schedules.")
        items = [(lab, s) for lab, (_, s) in zip(labels, items, strict=True)]
    for _, s in items:
        if not isinstance(s, Schedule):
            raise PlotError(f"plot_schedules: expected lrplan schedules. Received: {type(s).__name__}.")
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
        labels: legend labels, one per schedule. By default each curve's spec; where specs are long,
            the arguments that tell the curves apart (:func:`distinct_labels`), numbered, with the
            full specs in a caption under the axes.
        log: logarithmic learning-rate axis (zero values are left out).
        marks: steps to mark with a dashed vertical line.
        title: the axes title; for a single curve, its spec (or label) by default.

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
    columns = max(20, int(ax.get_position().width * fig.get_figwidth() * 72 / 8 / 0.6))  # characters at 8 pt
    caption = ""
    if labels is None and not isinstance(schedules, Mapping) and len(items) > 1:
        short = distinct_labels([s for _, s in items])
        if short != [label for label, _ in items]:  # some argument is left out of a label: the caption has all
            caption = "\n".join(_wrap(f"({i}) {label}", columns) for i, (label, _) in enumerate(items, 1))
            short = [f"({i}) {label}" for i, label in enumerate(short, 1)]
        items = [(label, s) for label, (_, s) in zip(short, items, strict=True)]
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
    if title is None and len(items) == 1:  # one curve: its spec (or label) is the title
        title = _wrap(items[0][0], int(columns * 0.8))
    if title:
        ax.set_title(title, fontsize=10)
    if len(items) > 1:
        ax.legend(fontsize=8, loc="best", framealpha=0.85)
    if caption:
        ax.annotate(
            caption,
            xy=(0.0, 0.0),
            xycoords="axes fraction",
            xytext=(0, -30),
            textcoords="offset points",
            va="top",
            ha="left",
            fontsize=8,
            color="0.25",
            family="monospace",
            annotation_clip=False,
        )
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
