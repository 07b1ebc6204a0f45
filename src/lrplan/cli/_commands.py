"""What each command does, given its parsed arguments: plain functions that print to a :class:`Terminal`.

The typer application (``_app``) and the quick path for ``show`` and ``sample`` (``_fast``) both call
these, so a command behaves the same whichever parsed its command line.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import lrplan

from .. import Schedule, UnknownScheduleError, presets, registered
from ..plot import check_writable, image_format, save_plot
from . import _docs
from ._chart import fmt, fmt_step, print_show
from ._demo import DEMO_SCHEDULES, DEMO_STEPS
from ._errors import CliError
from ._resolve import PRESET_PREFIX, preset_function, preset_name, resolve
from ._steps import MAX_EVAL, MAX_STEP, parse_count, parse_range, steps_option, used_steps
from ._summary import CHUNK, chunks
from ._summary import compare as compare_values
from ._term import Column, Terminal

__all__ = ["FORMATS", "show", "plot", "sample", "compare", "list_schedules", "explain", "demo"]

FORMATS = ("csv", "json")
"""The formats of ``lrplan sample``."""


def show(schedule: str, steps: str | None, log: bool, height: int) -> int:
    """``lrplan show``: the chart and the table of what matters."""
    s = resolve(schedule)
    print_show(Terminal(), s, steps_option(steps, [s]), height=height, log=log)
    return 0


def sample(schedule: str, steps: str | None, kind: str, output: str | None) -> int:
    """``lrplan sample``: the values as CSV or JSON, on stdout or in a file."""
    kind = kind.lower()
    if kind not in FORMATS:
        raise CliError(f"--format must be csv or json. Received: --format={kind[:20]}.")
    s = resolve(schedule)
    rng = parse_range(steps, s)
    if output is None:
        write_samples(sys.stdout, s, rng, kind)
        return 0
    try:
        with open(output, "w", encoding="utf-8", newline="") as out:
            write_samples(out, s, rng, kind)
    except OSError as exc:
        raise CliError(f"Cannot write {output}: {exc.strerror or exc}.") from None
    return 0


def write_samples(out: TextIO, schedule: Schedule, steps: range, kind: str) -> None:
    """Write the samples chunk by chunk: memory stays bounded however many steps are asked for."""
    if kind == "csv":
        out.write("step,lr\n")
        for k, v in chunks(schedule, steps, "sampling"):
            out.write("".join(f"{a},{b!r}\n" for a, b in zip(k.tolist(), v.tolist(), strict=True)))
        return
    out.write('{"schedule": ' + json.dumps(str(schedule)) + ', "step": [')
    for lo in range(0, len(steps), CHUNK):  # the steps need no evaluation: write them first
        out.write((", " if lo else "") + ", ".join(map(str, steps[lo : lo + CHUNK])))
    out.write('], "lr": [')
    for i, (_, v) in enumerate(chunks(schedule, steps, "sampling")):
        out.write((", " if i else "") + ", ".join(map(repr, v.tolist())))
    out.write("]}\n")


def plot(
    schedules: Sequence[str],
    output: str,
    steps: str | None,
    log: bool,
    marks: Sequence[str],
    size: str,
    labels: Sequence[str],
    title: str | None,
) -> int:
    """``lrplan plot``: the curves in an image file."""
    image_format(output)
    check_writable(output)
    wh = _parse_size(size)
    at = [float(parse_count(part, "--mark", 0)) for v in marks for part in str(v).split(",") if part.strip()]
    resolved = [resolve(t) for t in schedules]
    if labels and len(labels) != len(resolved):
        raise CliError(f"Give one --label per SCHEDULE: {len(labels)} labels for {len(resolved)} schedules.")
    n = steps_option(steps, resolved, MAX_STEP)
    path = save_plot(resolved, n, output, labels=list(labels) or None, log=log, marks=at, size=wh, title=title)
    Terminal().print(f"wrote {path} ({wh[0]}x{wh[1]}, steps 0-{n - 1:,})")
    return 0


def _parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{1,6})\s*[xX\u00d7]\s*(\d{1,6})\s*", text)
    if not m:
        raise CliError(f"--size is WIDTHxHEIGHT in pixels, e.g. 800x400. Received: --size={text[:40]}.")
    w, h = int(m.group(1)), int(m.group(2))
    if not (50 <= w <= 20_000 and 50 <= h <= 20_000):
        raise CliError(f"--size must be between 50x50 and 20000x20000 pixels. Received: --size={text}.")
    return w, h


def compare(a: str, b: str, steps: str | None, rtol: float, atol: float) -> int:
    """``lrplan compare``: where A and B differ; 1 if they differ beyond the tolerance anywhere."""
    sa, sb = resolve(a), resolve(b)
    if steps is None:
        n, why = used_steps(sa, sb)
    else:
        n, why = parse_count(steps, "--steps", 1, MAX_EVAL), "--steps"
    c = compare_values(sa, sb, range(n), rtol, atol)
    term = Terminal()
    term.print(f"A: {sa}")
    term.print(f"B: {sb}")
    term.print(f"compared over steps 0-{n - 1:,} ({why})", "dim")
    rows = [
        (label, fmt_step(k), fmt(sa(k)), fmt(sb(k)), f"{d:.3g}")
        for label, k, d in (
            ("largest |A - B|", c.abs_step, c.largest_abs),
            ("largest |A - B| / |B|", c.rel_step, c.largest_rel),
        )
    ]
    right = [Column(h, "right") for h in ("step", "A", "B", "difference")]
    term.table(rows, [Column(), *right])
    tol = f"rtol={rtol:g}, atol={atol:g}"
    if c.outside:
        one = c.first == c.last
        where = (
            f"step {fmt_step(c.first or 0)}" if one else f"steps {fmt_step(c.first or 0)} to {fmt_step(c.last or 0)}"
        )
        term.print(
            f"DIFFERENT: {c.outside:,} of {n:,} steps are outside {tol}, at {where}; "
            f"the largest relative difference is {c.largest_rel:.3g}, at step {fmt_step(c.rel_step)}.",
            "bold red",
        )
        return 1
    term.print(f"same within {tol} over steps 0-{n - 1:,}.", "bold green")
    return 0


def list_schedules(with_presets: bool) -> int:
    """``lrplan list``: every schedule (and preset) with its summary line."""
    term = Terminal()
    rows = [
        (name, "combinator" if _docs.is_combinator(cls) else "schedule", _docs.summary_line(cls))
        for name, cls in registered().items()
    ]
    term.table(rows, [Column("name", style="cyan"), Column("kind", style="dim"), Column("summary", wrap=True)])
    if with_presets:
        names = presets.names()
        term.print()
        if not names:
            term.print("No presets are installed.")
        preset_rows = [(name, _docs.summary_line(presets.get(name))) for name in names]
        term.table(preset_rows, [Column("preset", style="cyan"), Column("summary", wrap=True)])
    return 0


def _lookup(name: str) -> type:
    """The registered schedule class ``name``; :class:`~lrplan.UnknownScheduleError` with close matches."""
    known = registered()
    if name in known:
        return known[name]
    close = difflib.get_close_matches(name, list(known), n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownScheduleError(f"Unknown schedule {name[:80]!r}.{hint}")


def _public_name(cls: type) -> str:
    """``lrplan.Cosine`` for a class the package exports, else its module path."""
    if getattr(lrplan, cls.__name__, None) is cls:
        return f"lrplan.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def explain(name: str) -> int:
    """``lrplan explain``: a schedule's formula, its arguments and defaults, and its example."""
    term = Terminal()
    name = name.strip()
    name = name[len(PRESET_PREFIX) :] if name.startswith(PRESET_PREFIX) else name
    try:
        cls: Any = _lookup(name)
    except UnknownScheduleError:
        if preset_name(name) is None:
            raise
        fn = preset_function(name)
        term.print(term.wrap(f"{name}({_arguments(fn)})", hanging="    "), "bold cyan")
        term.print(_docs.render(inspect.getdoc(fn) or "", term.width))
        return 0
    head, sections = _docs.sections(inspect.getdoc(cls) or "")
    term.print(f"{name}  ({_public_name(cls)})", "bold cyan")
    term.print(_docs.render(head, term.width))
    meaning = _docs.arg_docs(sections.get("Args", sections.get("Arguments", "")))
    rows = []
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
        rows.append((shown, str(f.type), default, meaning.get(f.name, "")))
    term.print()
    columns = [Column("argument", style="cyan"), Column("type", style="dim"), Column("default", "right")]
    term.table(rows, [*columns, Column("meaning", wrap=True)])
    for key in ("Example", "Examples", "Raises", "Notes", "Note", "References"):
        if key in sections and sections[key].strip():
            term.print()
            term.print(f"{key}:", "bold")
            term.print(_docs.render(_indent(sections[key]), term.width))
    return 0


def _arguments(fn: Any) -> str:
    """``*, max_lr, total_steps=None, ...``: a preset's arguments and defaults, without annotations."""
    parts, star = [], False
    for p in inspect.signature(fn).parameters.values():
        if p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        if p.kind is p.VAR_POSITIONAL:
            parts.append(f"*{p.name}")
            star = True
        elif p.kind is p.VAR_KEYWORD:
            parts.append(f"**{p.name}")
        else:
            parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return ", ".join(parts)


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else line for line in text.split("\n"))


def demo(out: str, steps: str | None, height: int) -> int:
    """``lrplan demo``: seven classic schedules in the terminal, and their comparison plot."""
    n = DEMO_STEPS if steps is None else parse_count(steps, "--steps", 1, MAX_EVAL)
    path = os.path.join(out, "schedules.png")
    check_writable(path)
    term = Terminal()
    for number, (title, s) in enumerate(DEMO_SCHEDULES.items(), 1):
        print_show(term, s, n, title=f"{number}. {title}", height=height)
        term.print()
    save_plot(DEMO_SCHEDULES, n, path, size=(1000, 500), title="Seven classic learning-rate schedules from 0.01")
    term.print(f"wrote {path}: the {len(DEMO_SCHEDULES)} schedules overlaid over steps 0-{n - 1:,}")
    return 0
