"""The typer application: the commands of ``lrplan`` and the mapping of errors to exit statuses."""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import inspect
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import Annotated, Any, TextIO

import typer

from .. import LrplanError, Schedule, UnknownScheduleError, __version__, presets, registered
from ..plot import check_writable, image_format, save_plot
from . import _docs
from ._chart import fmt, fmt_step, print_show
from ._demo import SEED_STEPS, SEEDS
from ._errors import CliError
from ._resolve import PRESET_PREFIX, preset_function, preset_name, resolve
from ._steps import MAX_EVAL, MAX_STEP, parse_count, parse_range, steps_option, used_steps
from ._summary import CHUNK, chunks
from ._summary import compare as compare_values
from ._term import PIPE_CLOSED, PipeClosed, PipeGuard, console, error, silence_stdout

__all__ = ["app", "run"]

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


# ------------------------------------------------------------------------------------- show, plot
@app.command()
def show(
    schedule: ScheduleArg,
    steps: StepsOpt = None,
    log: LogOpt = False,
    height: Annotated[int, typer.Option(metavar="ROWS", help="Chart height in text rows.", min=2, max=60)] = 8,
) -> None:
    """Draw SCHEDULE in the terminal with a table of what matters: start, peak, end, phases, area."""
    s = resolve(schedule)
    n = steps_option(steps, [s])
    print_show(console(), s, n, height=height, log=log)


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
                out.append(float(parse_count(part, "--mark", 0)))
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
    image_format(output)
    check_writable(output)
    wh = _parse_size(size)
    marks = _parse_marks(mark or [])
    resolved = [resolve(t) for t in schedules]
    if label and len(label) != len(resolved):
        raise CliError(f"Give one --label per SCHEDULE: {len(label)} labels for {len(resolved)} schedules.")
    labels = list(label) if label else [_short(t) for t in schedules]
    n = steps_option(steps, resolved, MAX_STEP)
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


# ------------------------------------------------------------------------------------- sample, compare
@app.command()
def sample(
    schedule: ScheduleArg,
    steps: Annotated[
        str | None,
        typer.Option(
            "--steps", "-n", metavar="START:STOP[:STRIDE]", help="Steps to sample, STOP excluded; N means 0:N."
        ),
    ] = None,
    fmt_: Annotated[str, typer.Option("--format", "-f", metavar="csv|json", help="Output format.")] = "csv",
    output: Annotated[
        str | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print SCHEDULE's values as CSV (step,lr) or JSON ({"schedule", "step", "lr"}), exactly as computed."""
    kind = fmt_.lower()
    if kind not in ("csv", "json"):
        raise CliError(f"--format must be csv or json. Received: --format={kind}.")
    s = resolve(schedule)
    rng = parse_range(steps, s)
    if output is None:
        _write_samples(sys.stdout, s, rng, kind)
        return
    try:
        with open(output, "w", encoding="utf-8", newline="") as out:
            _write_samples(out, s, rng, kind)
    except OSError as exc:
        raise CliError(f"Cannot write {output}: {exc.strerror or exc}.") from None


def _write_samples(out: TextIO, schedule: Schedule, steps: range, kind: str) -> None:
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


@app.command()
def compare(
    a: Annotated[str, typer.Argument(metavar="A", help="The schedule to check.", show_default=False)],
    b: Annotated[str, typer.Argument(metavar="B", help="The reference schedule.", show_default=False)],
    steps: StepsOpt = None,
    rtol: Annotated[float, typer.Option(metavar="R", help="Relative tolerance, against |B|.", min=0.0)] = 1e-9,
    atol: Annotated[float, typer.Option(metavar="A", help="Absolute tolerance.", min=0.0)] = 1e-12,
) -> None:
    """Where A and B differ, over the steps where they are used; exit 1 if |A - B| > atol + rtol*|B| anywhere.

    Without --steps the range is 0 up to the longer of the two horizons (past it both hold their end
    values), or the automatic range when neither has one.
    """
    from rich.table import Table

    sa, sb = resolve(a), resolve(b)
    if steps is None:
        n, why = used_steps(sa, sb)
    else:
        n, why = parse_count(steps, "--steps", 1, MAX_EVAL), "--steps"
    c = compare_values(sa, sb, range(n), rtol, atol)
    out = console()
    out.print(f"A: {sa}", markup=False)
    out.print(f"B: {sb}", markup=False)
    out.print(f"compared over steps 0-{n - 1:,} ({why})", markup=False, style="dim")
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col, just in (("", "left"), ("step", "right"), ("A", "right"), ("B", "right"), ("difference", "right")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for label, k, d in (
        ("largest |A - B|", c.abs_step, c.largest_abs),
        ("largest |A - B| / |B|", c.rel_step, c.largest_rel),
    ):
        table.add_row(label, fmt_step(k), fmt(sa(k)), fmt(sb(k)), f"{d:.3g}")
    out.print(table)
    tol = f"rtol={rtol:g}, atol={atol:g}"
    if c.outside:
        where = (
            f"step {fmt_step(c.first or 0)}"
            if c.first == c.last
            else f"steps {fmt_step(c.first or 0)} to {fmt_step(c.last or 0)}"
        )
        out.print(
            f"DIFFERENT: {c.outside:,} of {n:,} steps are outside {tol}, at {where}; "
            f"the largest relative difference is {c.largest_rel:.3g}, at step {fmt_step(c.rel_step)}.",
            markup=False,
            style="bold red",
        )
        raise typer.Exit(1)
    out.print(f"same within {tol} over steps 0-{n - 1:,}.", markup=False, style="bold green")


# ------------------------------------------------------------------------------------- list, explain
@app.command("list")
def list_schedules(
    with_presets: Annotated[bool, typer.Option("--presets", help="List the presets of other libraries too.")] = False,
) -> None:
    """Every registered schedule with a one-line summary."""
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("name", style="cyan", no_wrap=True)
    table.add_column("kind", style="dim")
    table.add_column("summary")
    for name, cls in registered().items():
        table.add_row(name, "combinator" if _docs.is_combinator(cls) else "schedule", _docs.summary_line(cls))
    out = console()
    out.print(table)
    if with_presets:
        names = presets.names()
        ptable = Table(box=None, pad_edge=False, header_style="bold")
        ptable.add_column("preset", style="cyan", no_wrap=True)
        ptable.add_column("summary")
        for name in names:
            ptable.add_row(name, _docs.summary_line(presets.get(name)))
        out.print()
        out.print(ptable if names else "No presets are installed.")


def _lookup(name: str) -> type:
    """The registered schedule class ``name``; :class:`~lrplan.UnknownScheduleError` with close matches."""
    known = registered()
    if name in known:
        return known[name]
    close = difflib.get_close_matches(name, list(known), n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownScheduleError(f"Unknown schedule {name!r}.{hint}")


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

    out = console()
    name = name.strip()
    name = name[len(PRESET_PREFIX) :] if name.startswith(PRESET_PREFIX) else name
    try:
        cls: Any = _lookup(name)
    except UnknownScheduleError:
        if preset_name(name) is None:
            raise
        fn = preset_function(name)
        out.print(Text(f"{name}{inspect.signature(fn)}", style="bold cyan"))
        out.print(inspect.getdoc(fn) or "", markup=False)
        return
    doc = inspect.getdoc(cls) or ""
    head, sections = _docs.sections(doc)
    out.print(Text(f"{name}  ({cls.__module__}.{cls.__qualname__})", style="bold cyan"))
    out.print(head, markup=False)
    docs = _docs.arg_docs(sections.get("Args", sections.get("Arguments", "")))
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
        table.add_row(shown, str(f.type), default, _docs.plain(docs.get(f.name, "")))
    out.print()
    out.print(table)
    for key in ("Example", "Examples", "Raises", "Notes", "Note", "References"):
        if key in sections and sections[key].strip():
            out.print()
            out.print(Text(f"{key}:", style="bold"))
            out.print(_docs.indent(sections[key]), markup=False)


# ------------------------------------------------------------------------------------- demo
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
    n = SEED_STEPS if steps is None else parse_count(steps, "--steps", 1, MAX_EVAL)
    path = os.path.join(out, "seeds.png")
    check_writable(path)
    term = console()
    for number, (title, s) in enumerate(SEEDS.items(), 1):
        print_show(term, s, n, title=f"{number}. {title}", height=height)
        term.print()
    save_plot(SEEDS, n, path, size=(1000, 500), title="The seeds' schedules")
    term.print(f"wrote {path}: the {len(SEEDS)} schedules overlaid over steps 0-{n - 1:,}", markup=False)


# ------------------------------------------------------------------------------------- lab, running
_LAB_MOUNTED = False


def _lab_requested(args: Sequence[str]) -> bool:
    if not args:
        return True
    head = args[0]
    return head == "lab" or head in ("-h", "--help")


def _mount_lab() -> BaseException | None:
    """``app.add_typer(lrplan.lab.cli.app, name="lab")`` when the lab is installed; the import error if not."""
    global _LAB_MOUNTED
    if _LAB_MOUNTED:
        return None
    try:
        lab_app = importlib.import_module("lrplan.lab.cli").app
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


def run(args: list[str]) -> int:
    """Run the typer application on ``args``; map every error to one line on stderr and an exit status."""
    if _lab_requested(args):
        problem = _mount_lab()
        if problem is not None and args and args[0] == "lab":
            error(f"`lrplan lab` is not available here ({problem}).")
            return 2
    usage_errors, aborts = _click_exceptions()
    stdout = sys.stdout
    sys.stdout = PipeGuard(stdout)  # type: ignore[assignment]
    try:
        rv = app(args=args, prog_name="lrplan", standalone_mode=False)
    except usage_errors as exc:  # bad options or arguments: click's usage message
        show_usage = getattr(exc, "show", None)
        if callable(show_usage):
            show_usage()
        else:  # pragma: no cover - depends on the typer version
            error(str(exc))
        code = getattr(exc, "exit_code", 2)
        return code if isinstance(code, int) else 2
    except aborts:
        error("aborted.")
        return 130
    except CliError as exc:
        error(str(exc))
        return exc.code
    except LrplanError as exc:
        error(str(exc))
        return 2
    except (PipeClosed, BrokenPipeError):
        silence_stdout()
        return PIPE_CLOSED
    except OSError as exc:
        error(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}.")
        return 2
    except (ArithmeticError, RecursionError, MemoryError) as exc:  # input beyond what can be computed
        error(f"the input is too large to handle ({type(exc).__name__}: {exc}).")
        return 2
    finally:
        sys.stdout = stdout
    return rv if isinstance(rv, int) else 0
