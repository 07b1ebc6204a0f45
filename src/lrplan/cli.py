"""The ``lrplan`` command: see, sample and compare schedules before spending compute.

Every SCHEDULE argument accepts, tried in this order:

1. spec text, the call syntax of the Python API: ``"warmup(cosine(init_value=3e-4, decay_steps=10_000), steps=500)"``;
2. a JSON or YAML file holding a config as written by :func:`lrplan.to_config` (or a spec string, or an
   adapter state ``{"schedule": config, ...}``);
3. a preset call, ``"torch.CosineAnnealingLR(base_lr=0.1, T_max=100)"`` (``"preset:"`` in front skips
   steps 1 and 2): literal arguments only, each read with :func:`ast.literal_eval`.

What is shown, sampled or plotted is computed by the same function that drives training.
Subcommands: ``show``, ``plot``, ``sample``, ``compare``, ``list``, ``explain``, ``demo`` (and ``lab``
where the training lab is installed). Bad input gets one clear message on stderr and exit status 2,
never a traceback; ``compare`` exits with 1 when the schedules differ.

typer, rich and (for plots) matplotlib are imported only by this module, so ``import lrplan`` stays light.

Example:
    >>> from lrplan.cli import resolve
    >>> resolve("cosine(init_value=1.0, decay_steps=10)")(5)
    0.5
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import importlib
import inspect
import json
import math
import os
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Annotated, Any, TextIO

import numpy as np
import typer

from . import __version__
from ._base import Schedule
from ._errors import LrplanError, SpecError, UnknownScheduleError
from ._registry import lookup, registered
from ._serialize import from_config
from ._spec import parse

__all__ = [
    "main",
    "app",
    "resolve",
    "auto_steps",
    "summarize",
    "braille_chart",
    "Summary",
    "CliError",
    "SEEDS",
    "PRESET_PREFIX",
    "PROGRESS_ABOVE",
]

PRESET_PREFIX = "preset:"
"""Put in front of a SCHEDULE argument to read it as a preset call only."""

FILE_SUFFIXES = (".json", ".yaml", ".yml")
CHUNK = 1 << 20
PROGRESS_ABOVE = 2_000_000
"""Evaluations of more steps than this show a progress bar on stderr."""
MAX_AUTO_STEPS = 10_000_000


class CliError(LrplanError, ValueError):
    """Bad command-line input; ``code`` is the exit status (2 unless said otherwise)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------------------------- resolution
def resolve(text: str) -> Schedule:
    """The schedule named by a SCHEDULE argument: spec text, a config file, or a preset call.

    A plain spec is tried first; then a file (an existing path, or a name ending in .json, .yaml or
    .yml); then a preset call ``source.Name(arg=literal, ...)``. If all fail, the spec's own error is
    raised (a :class:`~lrplan.SpecError` pointing at the column).

    Example:
        >>> resolve("step_decay(init_value=0.1, decay_rate=0.5, decay_steps=10)")(25)
        0.025
        >>> resolve("cosin(init_value=1.0, decay_steps=10)")
        Traceback (most recent call last):
        ...
        lrplan._errors.SpecError: Unknown schedule 'cosin'. Did you mean 'cosine'? (column 1)
          cosin(init_value=1.0, decay_steps=10)
          ^
    """
    if not isinstance(text, str):
        raise CliError(f"A schedule must be given as text. Received: {text!r}.")
    if text.strip().startswith(PRESET_PREFIX):
        return _preset(text.strip()[len(PRESET_PREFIX) :])
    try:
        return parse(text)
    except SpecError as exc:
        spec_error = exc
    stripped = text.strip()
    looks_like_path = ("/" in stripped or os.sep in stripped) and "(" not in stripped
    if os.path.exists(stripped) or stripped.lower().endswith(FILE_SUFFIXES) or looks_like_path:
        return load_file(stripped)
    if _preset_name(stripped) is not None:
        return _preset(stripped)
    raise spec_error


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _preset_name(text: str) -> str | None:
    """``"torch.OneCycleLR"`` when ``text`` looks like a call (or name) of a preset, else ``None``."""
    try:
        body = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    name = _dotted(body.func if isinstance(body, ast.Call) else body)
    if name is None or "." not in name:
        return None
    from .presets import SOURCES

    root = name.split(".", 1)[0]
    if root in SOURCES or difflib.get_close_matches(root, SOURCES, n=1, cutoff=0.75):
        return name
    return None


def _preset(text: str) -> Schedule:
    text = text.strip()
    try:
        body = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        raise SpecError(f"Invalid syntax: {exc.msg}", text, max((exc.offset or 1) - 1, 0)) from None
    except (ValueError, RecursionError) as exc:
        raise SpecError(f"Invalid preset call: {exc}") from None
    call = body if isinstance(body, ast.Call) else None
    name = _dotted(call.func if call is not None else body)
    if name is None or "." not in name:
        raise SpecError("A preset is called as source.Name(arg=value, ...), e.g. torch.StepLR(...)", text, 0)

    def value(node: ast.AST) -> Any:
        if isinstance(node, ast.Call):  # a nested schedule: spec text or another preset
            segment = ast.get_source_segment(text, node)
            return resolve(segment or "")
        try:
            return ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise SpecError(
                "Preset arguments must be literal values (numbers, strings, lists, True/False/None)",
                text,
                getattr(node, "col_offset", 0),
            ) from None

    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    if call is not None:
        for arg in call.args:
            if isinstance(arg, ast.Starred):
                raise SpecError("Unsupported syntax (*) in a preset call", text, arg.col_offset)
            args.append(value(arg))
        for kw in call.keywords:
            if kw.arg is None:
                raise SpecError("Unsupported syntax (**) in a preset call", text, kw.value.col_offset)
            kwargs[kw.arg] = value(kw.value)
    from . import presets

    try:
        fn = presets.get(name)
    except ImportError as exc:
        raise CliError(f"Presets for {name.split('.', 1)[0]!r} are not available here ({exc}).") from None
    try:
        result = fn(*args, **kwargs)
    except TypeError as exc:
        raise CliError(f"Preset {name}: {exc}.") from None
    if not isinstance(result, Schedule):
        raise CliError(f"Preset {name} returned {type(result).__name__}, not an lrplan schedule.")
    return result


def load_file(path: str) -> Schedule:
    """The schedule in a JSON or YAML file: a :func:`lrplan.to_config` dict, a spec string, or ``{"schedule": ...}``.

    Raises :class:`CliError` with one line for a missing, unreadable or malformed file.

    Example:
        >>> import json, os, tempfile, lrplan
        >>> path = os.path.join(tempfile.mkdtemp(), "s.json")
        >>> s = lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=4)
        >>> with open(path, "w") as f:
        ...     json.dump(lrplan.to_config(s), f)
        >>> load_file(path) == s
        True
    """
    if not os.path.exists(path):
        raise CliError(f"File not found: {path}")
    if os.path.isdir(path):
        raise CliError(f"{path} is a folder, not a schedule file.")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"Cannot read {path}: {getattr(exc, 'strerror', None) or exc}.") from None
    suffix = os.path.splitext(path)[1].lower()
    if not text.strip():
        raise CliError(f"{path} is empty; expected a schedule config (lrplan.to_config) or a spec.")
    if suffix == ".json" or (suffix not in (".yaml", ".yml") and text.lstrip().startswith(("{", '"'))):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CliError(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from None
    else:
        try:
            import yaml
        except ImportError:  # pragma: no cover - depends on the installation
            raise CliError(f"Reading {path} needs pyyaml: pip install 'lrplan[cli]'.") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise CliError(f"{path} is not valid YAML: {problem}{where}.") from None
    return _from_data(data, path)


def _from_data(data: Any, path: str) -> Schedule:
    if isinstance(data, str):
        return parse(data)
    if isinstance(data, dict):
        if "name" not in data and "schedule" in data:
            return _from_data(data["schedule"], path)
        try:
            return from_config(data)
        except (LrplanError, TypeError, ValueError) as exc:
            raise CliError(f"{path}: {exc}") from None
    raise CliError(
        f"{path}: expected a schedule config (a mapping with 'name' and 'args', as written by lrplan.to_config) "
        f"or a spec string. Received a {type(data).__name__}."
    )


# ------------------------------------------------------------------------------------- steps
def _nice_ceil(x: float) -> int:
    """``x`` rounded up to two significant digits."""
    if x <= 10:
        return max(math.ceil(x), 1)
    mag = 10 ** (math.floor(math.log10(x)) - 1)
    return int(math.ceil(x / mag) * mag)


def auto_steps(*schedules: Schedule) -> int:
    """A step count that shows every phase of ``schedules``: 10% past the last boundary or horizon.

    Schedules without either (power law, plain exponential) get ten times their longest step-valued
    argument, or 1,000.

    Example:
        >>> import lrplan
        >>> auto_steps(lrplan.warmup(lrplan.cosine(init_value=1.0, decay_steps=10_000), steps=500))
        12000
        >>> auto_steps(lrplan.power_law(init_value=1.0, scale_steps=100, exponent=-0.5))
        1000
    """
    best = 0
    for s in schedules:
        points = [p for p in s.breakpoints() if math.isfinite(p)]
        if s.horizon is not None and math.isfinite(s.horizon):
            points.append(s.horizon)
        if points and max(points) > 0:
            n = _nice_ceil(max(points) * 1.1 + 1)
        else:
            scales = [v for name, v in _step_fields(s) if v and v > 0]
            n = _nice_ceil(max(scales) * 10) if scales else 1000
        best = max(best, n)
    return max(1, min(best or 1000, MAX_AUTO_STEPS))


def _step_fields(s: Schedule) -> Iterator[tuple[str, float]]:
    for f in dataclasses.fields(s):
        val = getattr(s, f.name)
        if isinstance(val, Schedule):
            yield from _step_fields(val)
        elif isinstance(val, tuple) and val and all(isinstance(v, Schedule) for v in val):
            for v in val:
                yield from _step_fields(v)
        elif (f.name.endswith("steps") or f.name == "timescale") and isinstance(val, (int, float)):
            yield f.name, float(val)


_NUMBER = re.compile(r"^[+-]?(\d[\d_,]*)(\.\d*)?([eE][+-]?\d+)?$")


def _parse_count(text: str, option: str, minimum: int) -> int:
    raw = str(text).strip()
    if not _NUMBER.match(raw):
        raise CliError(f"{option} must be a whole number. Received: {option}={text}.")
    value = float(raw.replace("_", "").replace(",", ""))
    if not math.isfinite(value) or value != int(value):
        raise CliError(f"{option} must be a whole number. Received: {option}={text}.")
    if value < minimum:
        raise CliError(f"{option} must be >= {minimum}. Received: {option}={text}.")
    if value > 10**12:
        raise CliError(f"{option} must be at most 10**12. Received: {option}={text}.")
    return int(value)


def _steps_option(text: str | None, schedules: Sequence[Schedule]) -> int:
    if text is None:
        return auto_steps(*schedules)
    return _parse_count(text, "--steps", 1)


def _parse_range(text: str | None, schedule: Schedule) -> range:
    """``N`` (0..N-1) or ``START:STOP[:STRIDE]`` (STOP excluded), as in Python's ``range``."""
    if text is None:
        return range(auto_steps(schedule))
    parts = str(text).split(":")
    if len(parts) == 1:
        return range(_parse_count(parts[0], "--steps", 1))
    if len(parts) > 3:
        raise CliError(f"--steps is N or START:STOP[:STRIDE]. Received: --steps={text}.")
    start = _parse_count(parts[0], "--steps START", 0) if parts[0].strip() else 0
    if not parts[1].strip():
        raise CliError(f"--steps START:STOP needs a STOP. Received: --steps={text}.")
    stop = _parse_count(parts[1], "--steps STOP", 0)
    stride = _parse_count(parts[2], "--steps STRIDE", 1) if len(parts) == 3 and parts[2].strip() else 1
    if stop <= start:
        raise CliError(f"--steps STOP must be greater than START (STOP is excluded). Received: --steps={text}.")
    return range(start, stop, stride)


# ------------------------------------------------------------------------------------- evaluation
def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _chunks(schedule: Schedule, steps: range, label: str = "evaluating") -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(steps, values)`` in chunks of about a million; a progress bar on stderr for long ranges."""
    count = len(steps)
    progress = task = None
    if count > PROGRESS_ABOVE:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=_console(stderr=True),
            transient=True,
        )
        progress.start()
        task = progress.add_task(label, total=count)
    try:
        for lo in range(0, count, CHUNK):
            idx = np.arange(lo, min(lo + CHUNK, count), dtype=np.int64)
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
    for k, v in _chunks(schedule, range(steps), "summarizing"):
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


# ------------------------------------------------------------------------------------- formatting
def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    return f"{v:.6g}"


def _fmt_step(k: float) -> str:
    if float(k).is_integer():
        return f"{int(k):,}"
    return f"{k:,.2f}"


def _show(
    console: Any, schedule: Schedule, steps: int, *, title: str | None = None, height: int = 8, log: bool = False
) -> Summary:
    from rich.table import Table
    from rich.text import Text

    margin = 10
    width = max(16, min(72, int(console.width) - margin - 4))
    summary = summarize(schedule, steps, bins=2 * width)
    spec = str(schedule)
    header = Text()
    if title:
        header.append(title, style="bold")
        header.append("\n")
    header.append(spec, style="cyan" if title else "bold cyan")
    console.print(header)

    rows, bottom, top = braille_chart(summary.lows, summary.highs, height=height, log=log)
    mid = 10 ** ((math.log10(bottom) + math.log10(top)) / 2) if log else (bottom + top) / 2
    labels = {0: f"{top:.3g}", height // 2: f"{mid:.3g}", height - 1: f"{bottom:.3g}"}
    for r, row in enumerate(rows):
        line = Text(labels.get(r, "").rjust(margin - 2) + (" ┤" if r in labels else " │"), style="dim")
        line.append(row, style="green")
        console.print(line)
    used = len(rows[0]) if rows else 0
    axis = ["─"] * used
    for b in schedule.breakpoints():
        if 0 < b < steps:
            col = int((int(b) * len(summary.lows)) // steps) // 2
            if col < used:
                axis[col] = "┴"
    console.print(Text(" " * (margin - 1) + "└" + "".join(axis), style="dim"))
    left, right = "0", _fmt_step(steps - 1)
    console.print(Text(" " * margin + left + right.rjust(max(used - len(left), len(right) + 1)), style="dim"))

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("")
    table.add_column("step", justify="right")
    table.add_column("lr", justify="right")
    table.add_column("", style="dim")
    table.add_row("start", "0", _fmt(summary.first), "")
    table.add_row("peak", _fmt_step(summary.peak_step), _fmt(summary.peak), "")
    if summary.low not in (summary.first, summary.last):
        table.add_row("lowest", _fmt_step(summary.low_step), _fmt(summary.low), "")
    if summary.settled_step < steps - 1 or summary.steps == 1:
        note = f"constant from step {_fmt_step(summary.settled_step)}"
    else:
        note = "still changing at the last step"
    table.add_row("end", _fmt_step(steps - 1), _fmt(summary.last), note)
    points = list(schedule.breakpoints())
    for b in points[:12]:
        table.add_row("phase boundary", _fmt_step(b), _fmt(schedule(float(b))), "" if b < steps else "past --steps")
    if len(points) > 12:
        table.add_row("", "", "", f"... and {len(points) - 12} more phase boundaries")
    for pct in (10, 25, 50, 75, 90):
        k = (steps - 1) * pct // 100
        table.add_row(f"{pct}% of steps", _fmt_step(k), _fmt(schedule(k)), "")
    horizon = schedule.horizon
    if horizon is not None:
        note = "constant from here on" if horizon < steps else "constant from here on (past the steps shown)"
        table.add_row("horizon", _fmt_step(horizon), _fmt(schedule(float(horizon))), note)
    table.add_row(
        "area Σ lr",
        f"0-{_fmt_step(steps - 1)}",
        f"{summary.area:.6g}",
        f"mean lr {_fmt(summary.area / steps)}",
    )
    console.print(table)
    return summary


def _error(message: str) -> None:
    sys.stderr.write(f"Error: {message}\n")
    sys.stderr.flush()


# ------------------------------------------------------------------------------------- the app
app = typer.Typer(
    name="lrplan",
    help="See, sample and compare learning-rate schedules before spending compute.\n\n"
    "SCHEDULE is spec text such as 'warmup(cosine(init_value=3e-4, decay_steps=10_000), steps=500)', "
    "a JSON/YAML config file (lrplan.to_config), or a preset call such as "
    "'torch.CosineAnnealingLR(base_lr=0.1, T_max=100)'.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ScheduleArg = Annotated[
    str, typer.Argument(metavar="SCHEDULE", help="Spec text, a JSON/YAML config file, or a preset.", show_default=False)
]
StepsOpt = Annotated[
    str | None,
    typer.Option("--steps", "-n", metavar="N", help="Number of steps, 0 .. N-1 (default: past the last phase)."),
]
LogOpt = Annotated[bool, typer.Option("--log", help="Logarithmic learning-rate axis.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lrplan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """See, sample and compare learning-rate schedules before spending compute."""


@app.command()
def show(
    schedule: ScheduleArg,
    steps: StepsOpt = None,
    log: LogOpt = False,
    height: Annotated[int, typer.Option(metavar="ROWS", help="Chart height in text rows.", min=2, max=60)] = 8,
) -> None:
    """Draw SCHEDULE in the terminal with a table of what matters: start, peak, end, phases, area."""
    s = resolve(schedule)
    n = _steps_option(steps, [s])
    _show(_console(), s, n, height=height, log=log)


def _parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX\u00d7]\s*(\d+)\s*", text)
    if not m:
        raise CliError(f"--size is WIDTHxHEIGHT in pixels, e.g. 800x400. Received: --size={text}.")
    w, h = int(m.group(1)), int(m.group(2))
    if not (50 <= w <= 20_000 and 50 <= h <= 20_000):
        raise CliError(f"--size must be between 50x50 and 20000x20000 pixels. Received: --size={text}.")
    return w, h


def _parse_marks(values: Sequence[str]) -> list[float]:
    out = []
    for v in values:
        for part in str(v).split(","):
            if part.strip():
                out.append(float(_parse_count(part, "--mark", 0)))
    return out


@app.command()
def plot(
    schedules: Annotated[
        list[str], typer.Argument(metavar="SCHEDULE...", help="One or more schedules to overlay.", show_default=False)
    ],
    output: Annotated[str, typer.Option("--output", "-o", metavar="FILE", help="Image file: .png, .svg or .pdf.")],
    steps: StepsOpt = None,
    log: LogOpt = False,
    mark: Annotated[
        list[str] | None, typer.Option(metavar="STEP", help="Mark a step with a dashed line (repeatable).")
    ] = None,
    size: Annotated[str, typer.Option(metavar="WxH", help="Image size WIDTHxHEIGHT in pixels.")] = "800x400",
    label: Annotated[
        list[str] | None, typer.Option(metavar="TEXT", help="Legend label, one per SCHEDULE (repeatable).")
    ] = None,
    title: Annotated[str | None, typer.Option(metavar="TEXT", help="Plot title.")] = None,
) -> None:
    """Overlay SCHEDULEs in one image (matplotlib), with a legend."""
    from .plot import check_writable, image_format, save_plot

    image_format(output)
    check_writable(output)
    wh = _parse_size(size)
    marks = _parse_marks(mark or [])
    resolved = [resolve(t) for t in schedules]
    if label and len(label) != len(resolved):
        raise CliError(f"Give one --label per SCHEDULE: {len(label)} labels for {len(resolved)} schedules.")
    labels = list(label) if label else [_short(t) for t in schedules]
    n = _steps_option(steps, resolved)
    path = save_plot(
        dict(zip(_unique(labels), resolved, strict=True)), n, output, log=log, marks=marks, size=wh, title=title
    )
    typer.echo(f"wrote {path} ({wh[0]}x{wh[1]}, steps 0-{n - 1:,})")


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    if os.path.exists(text):
        text = os.path.basename(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _unique(labels: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for lab in labels:
        seen[lab] = seen.get(lab, 0) + 1
        out.append(lab if seen[lab] == 1 else f"{lab} ({seen[lab]})")
    return out


@app.command()
def sample(
    schedule: ScheduleArg,
    steps: Annotated[
        str | None,
        typer.Option(
            "--steps", "-n", metavar="START:STOP[:STRIDE]", help="Steps to sample, STOP excluded; N means 0:N."
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="csv|json", help="Output format.")] = "csv",
    output: Annotated[
        str | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print SCHEDULE's values as CSV (step,lr) or JSON ({"schedule", "step", "lr"}), exactly as computed."""
    fmt = fmt.lower()
    if fmt not in ("csv", "json"):
        raise CliError(f"--format must be csv or json. Received: --format={fmt}.")
    s = resolve(schedule)
    rng = _parse_range(steps, s)
    if output is None:
        _write_samples(sys.stdout, s, rng, fmt)
        return
    try:
        with open(output, "w", encoding="utf-8", newline="") as out:
            _write_samples(out, s, rng, fmt)
    except OSError as exc:
        raise CliError(f"Cannot write {output}: {exc.strerror or exc}.") from None


def _write_samples(out: TextIO, schedule: Schedule, steps: range, fmt: str) -> None:
    if fmt == "csv":
        out.write("step,lr\n")
        for k, v in _chunks(schedule, steps, "sampling"):
            out.write("".join(f"{a},{b!r}\n" for a, b in zip(k.tolist(), v.tolist(), strict=True)))
        return
    out.write('{"schedule": ' + json.dumps(str(schedule)) + ', "step": [')
    values: list[str] = []
    first = True
    for k, v in _chunks(schedule, steps, "sampling"):
        out.write(("" if first else ", ") + ", ".join(map(str, k.tolist())))
        values.append(", ".join(repr(x) for x in v.tolist()))
        first = False
    out.write('], "lr": [' + ", ".join(values) + "]}\n")


@app.command()
def compare(
    a: Annotated[str, typer.Argument(metavar="A", help="The schedule to check.", show_default=False)],
    b: Annotated[str, typer.Argument(metavar="B", help="The reference schedule.", show_default=False)],
    steps: StepsOpt = None,
    rtol: Annotated[float, typer.Option(metavar="R", help="Relative tolerance, against |B|.", min=0.0)] = 1e-9,
    atol: Annotated[float, typer.Option(metavar="A", help="Absolute tolerance.", min=0.0)] = 1e-12,
) -> None:
    """Largest absolute and relative difference between A and B; exit 1 if |A - B| > atol + rtol*|B| anywhere."""
    from rich.table import Table

    sa, sb = resolve(a), resolve(b)
    n = _steps_option(steps, [sa, sb])
    worst_abs = worst_rel = -1.0
    at_abs = at_rel = 0
    bad = 0
    first_bad: int | None = None
    for k, va in _chunks(sa, range(n), "comparing"):
        vb = np.asarray(sb(k), dtype=np.float64)
        diff = np.abs(va - vb)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(diff == 0, 0.0, diff / np.abs(vb))
        i = int(np.argmax(diff))
        if diff[i] > worst_abs:
            worst_abs, at_abs = float(diff[i]), int(k[i])
        j = int(np.argmax(rel))
        if rel[j] > worst_rel:
            worst_rel, at_rel = float(rel[j]), int(k[j])
        outside = np.flatnonzero(~(diff <= atol + rtol * np.abs(vb)))
        if outside.size:
            bad += int(outside.size)
            if first_bad is None:
                first_bad = int(k[outside[0]])
    console = _console()
    console.print(f"A: {sa}", markup=False)
    console.print(f"B: {sb}", markup=False)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col, just in (("", "left"), ("step", "right"), ("A", "right"), ("B", "right"), ("difference", "right")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    table.add_row("largest |A - B|", _fmt_step(at_abs), _fmt(sa(at_abs)), _fmt(sb(at_abs)), f"{worst_abs:.3g}")
    table.add_row("largest |A - B| / |B|", _fmt_step(at_rel), _fmt(sa(at_rel)), _fmt(sb(at_rel)), f"{worst_rel:.3g}")
    console.print(table)
    tol = f"rtol={rtol:g}, atol={atol:g}"
    if bad:
        console.print(
            f"DIFFERENT: {bad:,} of {n:,} steps are outside {tol}; the first is step {_fmt_step(first_bad or 0)}.",
            markup=False,
            style="bold red",
        )
        raise typer.Exit(1)
    console.print(f"same within {tol} over steps 0-{n - 1:,}.", markup=False, style="bold green")


def _plain(text: str) -> str:
    """Docstring text without reST roles and literal quotes: ``:math:`W` (>= 0)`` -> ``W (>= 0)``."""
    return re.sub(r":\w+:`([^`]*)`", r"\1", text).replace("``", "")


def _summary_line(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return _plain(doc.strip().split("\n", 1)[0])


def _is_combinator(cls: type) -> bool:
    return any("Schedule" in str(f.type) for f in dataclasses.fields(cls) if f.init)


@app.command("list")
def list_schedules(
    presets: Annotated[bool, typer.Option("--presets", help="List the presets of other libraries too.")] = False,
) -> None:
    """Every registered schedule with a one-line summary."""
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("name", style="cyan", no_wrap=True)
    table.add_column("kind", style="dim")
    table.add_column("summary")
    for name, cls in registered().items():
        table.add_row(name, "combinator" if _is_combinator(cls) else "schedule", _summary_line(cls))
    console = _console()
    console.print(table)
    if presets:
        from . import presets as presets_pkg

        names = presets_pkg.names()
        ptable = Table(box=None, pad_edge=False, header_style="bold")
        ptable.add_column("preset", style="cyan", no_wrap=True)
        ptable.add_column("summary")
        for name in names:
            fn = presets_pkg.get(name)
            ptable.add_row(name, _summary_line(fn))
        console.print()
        console.print(ptable if names else "No presets are installed.")


_SECTION = re.compile(r"^(Args|Arguments|Returns|Raises|Example|Examples|References|Notes?|See Also):\s*$")


def _sections(doc: str) -> tuple[str, dict[str, str]]:
    head: list[str] = []
    sections: dict[str, list[str]] = {}
    current: list[str] = head
    for line in doc.split("\n"):
        m = _SECTION.match(line)
        if m:
            current = sections.setdefault(m.group(1), [])
        else:
            current.append(line)
    return "\n".join(head).strip(), {k: inspect.cleandoc("\n".join(v)) for k, v in sections.items()}


def _arg_docs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    name = None
    for line in text.split("\n"):
        m = re.match(r"^(\w+)(?: \([^)]*\))?:\s*(.*)$", line)
        if m:
            name = m.group(1)
            out[name] = m.group(2)
        elif name and line.strip():
            out[name] += " " + line.strip()
    return out


@app.command()
def explain(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME", help="A registered schedule name (or a preset, source.Name).", show_default=False
        ),
    ],
) -> None:
    """A schedule's formula (from its docstring), its arguments and their defaults."""
    from rich.table import Table
    from rich.text import Text

    console = _console()
    name = name.strip()
    name = name[len(PRESET_PREFIX) :] if name.startswith(PRESET_PREFIX) else name
    try:
        cls: Any = lookup(name)
    except UnknownScheduleError:
        if _preset_name(name) is None:
            raise
        from . import presets

        try:
            fn = presets.get(name)
        except ImportError as exc:
            raise CliError(f"Presets for {name.split('.', 1)[0]!r} are not available here ({exc}).") from None
        console.print(Text(f"{name}{inspect.signature(fn)}", style="bold cyan"))
        console.print(inspect.getdoc(fn) or "", markup=False)
        return
    doc = inspect.getdoc(cls) or ""
    head, sections = _sections(doc)
    console.print(Text(f"{name}  ({cls.__module__}.{cls.__qualname__})", style="bold cyan"))
    console.print(head, markup=False)
    docs = _arg_docs(sections.get("Args", sections.get("Arguments", "")))
    table = Table(title=None, box=None, pad_edge=False, header_style="bold")
    table.add_column("argument", style="cyan", no_wrap=True)
    table.add_column("type", style="dim")
    table.add_column("default", justify="right")
    table.add_column("meaning")
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = repr(f.default_factory())
        else:
            default = "required"
        shown = f.name if f.kw_only else f"{f.name} (positional)"
        table.add_row(shown, str(f.type), default, _plain(docs.get(f.name, "")))
    console.print()
    console.print(table)
    for key in ("Example", "Examples", "Raises", "Notes", "Note", "References"):
        if key in sections and sections[key].strip():
            console.print()
            console.print(Text(f"{key}:", style="bold"))
            console.print(_indent(sections[key]), markup=False)


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else line for line in text.split("\n"))


SEEDS: dict[str, Schedule] = {
    title: parse(spec)
    for title, spec in {
        "1/sqrt(max(n, k)), k = 10,000": "inverse_sqrt(peak_value=0.01, warmup_steps=10_000, warmup_shape='constant')",
        "warmup + inverse sqrt": "inverse_sqrt(peak_value=0.01, warmup_steps=4_000)",
        "linear to a floor": "linear(init_value=0.01, end_value=0.001, decay_steps=60_000)",
        "power law": "power_law(init_value=0.01, scale_steps=5_000, exponent=-0.7)",
        "exponential": "exponential(init_value=0.01, decay_rate=0.5, decay_steps=20_000)",
        "step decay": "step_decay(init_value=0.01, decay_rate=0.5, decay_steps=25_000)",
        "1/t decay": "inverse_time(init_value=0.01, decay_rate=1.0, decay_steps=10_000)",
    }.items()
}
"""The seeds' schedules, all starting from (or peaking at) 0.01, shown by ``lrplan demo``.

Inverse square root with a constant phase (T5: :math:`1/\\sqrt{\\max(n, k)}`), warmup + inverse
square root (Transformer, fairseq), linear decay to a floor, a power law, exponential decay, step decay and
1/t decay.
"""
SEED_STEPS = 100_000


@app.command()
def demo(
    out: Annotated[
        str, typer.Option("--out", metavar="DIR", help="Folder for the comparison plot (seeds.png).")
    ] = "out",
    steps: StepsOpt = None,
    height: Annotated[int, typer.Option(metavar="ROWS", help="Chart height in text rows.", min=2, max=60)] = 6,
) -> None:
    """Show the seeds' schedules (inverse sqrt, warmup + inverse sqrt, linear, power law, exponential, step, 1/t)
    and write a comparison plot of them."""
    from .plot import check_writable, save_plot

    n = SEED_STEPS if steps is None else _parse_count(steps, "--steps", 1)
    path = os.path.join(out, "seeds.png")
    check_writable(path)
    console = _console()
    for number, (title, s) in enumerate(SEEDS.items(), 1):
        _show(console, s, n, title=f"{number}. {title}", height=height)
        console.print()
    save_plot(SEEDS, n, path, size=(1000, 500), title="The seeds' schedules")
    console.print(f"wrote {path}: the {len(SEEDS)} schedules overlaid over steps 0-{n - 1:,}", markup=False)


# ------------------------------------------------------------------------------------- entry point
def _lab_requested(args: Sequence[str]) -> bool:
    if not args:
        return True
    head = args[0]
    return head == "lab" or head in ("-h", "--help")


_LAB_MOUNTED = False


def _mount_lab() -> BaseException | None:
    """``app.add_typer(lrplan.lab.cli.app, name="lab")`` when the lab is installed; the import error if not."""
    global _LAB_MOUNTED
    if _LAB_MOUNTED:
        return None
    try:
        lab_app = importlib.import_module(f"{__package__}.lab.cli").app
    except (ImportError, AttributeError) as exc:
        return exc
    app.add_typer(lab_app, name="lab", help="The training lab: run schedules on small tasks.")
    _LAB_MOUNTED = True
    return None


def _click_exceptions() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(usage errors, aborts): typer's own (typer >= 0.2x vendors click) and click's, where installed."""
    usage: list[type[BaseException]] = []
    aborts: list[type[BaseException]] = [typer.Abort]
    base = getattr(typer, "TyperException", None)
    if isinstance(base, type):
        usage.append(base)
    try:
        import click
    except ImportError:  # pragma: no cover - depends on the typer version
        pass
    else:
        usage.append(click.ClickException)
        aborts.append(click.exceptions.Abort)
    return tuple(usage), tuple(aborts)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lrplan`` command with ``argv`` (default ``sys.argv[1:]``); return the exit status.

    Example:
        >>> main(["sample", "linear(init_value=1.0, end_value=0.0, decay_steps=4)", "--steps", "0:5:2"])
        step,lr
        0,1.0
        2,0.5
        4,0.0
        0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if _lab_requested(args):
        problem = _mount_lab()
        if problem is not None and args and args[0] == "lab":
            _error(f"`lrplan lab` is not available here ({problem}).")
            return 2
    usage_errors, aborts = _click_exceptions()
    try:
        rv = app(args=args, prog_name="lrplan", standalone_mode=False)
    except usage_errors as exc:  # bad options or arguments: click's usage message
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:  # pragma: no cover - depends on the typer version
            _error(str(exc))
        code = getattr(exc, "exit_code", 2)
        return code if isinstance(code, int) else 2
    except aborts:
        _error("aborted.")
        return 130
    except CliError as exc:
        _error(str(exc))
        return exc.code
    except LrplanError as exc:
        _error(str(exc))
        return 2
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:
        _error(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}.")
        return 2
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
