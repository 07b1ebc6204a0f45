"""The typer application: the commands' options and help, the lab, and the mapping of errors to exit statuses.

Each command here only declares its command line and calls its implementation in ``_commands``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from typing import Annotated

import typer

from .. import __version__
from . import _commands
from ._term import error, guarded

__all__ = ["app", "run"]

SPEC = "'warmup(cosine(init_value=3e-4, decay_steps=10_000), steps=500)'"

app = typer.Typer(
    name="lrplan",
    help="See, sample and compare learning-rate schedules before spending compute.\n\n"
    "SCHEDULE is spec text such as 'warmup(cosine(init_value=3e-4, decay_steps=10_000), steps=500)', "
    "a JSON/YAML config file (lrplan.to_config), or a preset call such as "
    "'torch.CosineAnnealingLR(base_lr=0.1, T_max=100)'.\n\n"
    f"Example: lrplan show {SPEC}",
    no_args_is_help=True,
    add_completion=True,
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
HeightOpt = Annotated[int, typer.Option(metavar="ROWS", help="Chart height in text rows.", min=2, max=60)]


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


def _exit(code: int) -> None:
    if code:
        raise typer.Exit(code)


@app.command(epilog="Example: lrplan show 'inverse_sqrt(peak_value=0.01, warmup_steps=4000)' --log")
def show(schedule: ScheduleArg, steps: StepsOpt = None, log: LogOpt = False, height: HeightOpt = 8) -> None:
    """Draw SCHEDULE in the terminal with a table of what matters: start, peak, end, phases, area."""
    _exit(_commands.show(schedule, steps, log, height))


@app.command(
    epilog="Example: lrplan plot 'cosine(init_value=1.0, decay_steps=100)' "
    "'linear(init_value=1.0, end_value=0.0, decay_steps=100)' -o lr.png"
)
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
    """Overlay SCHEDULEs in one image (matplotlib).

    One curve gets its spec as the title; several get a legend whose labels keep every argument that tells them apart (with the full specs in a caption when they are long).
    """
    _exit(_commands.plot(schedules, output, steps, log, mark or [], size, label or [], title))


@app.command(epilog="Example: lrplan sample 'cosine(init_value=0.1, decay_steps=1000)' --steps 0:1200:100")
def sample(
    schedule: ScheduleArg,
    steps: Annotated[
        str | None,
        typer.Option(
            "--steps", "-n", metavar="START:STOP[:STRIDE]", help="Steps to sample, STOP excluded; N means 0:N."
        ),
    ] = None,
    kind: Annotated[str, typer.Option("--format", "-f", metavar="csv|json", help="Output format.")] = "csv",
    output: Annotated[
        str | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print SCHEDULE's values as CSV (step,lr) or JSON ({"schedule", "step", "lr"}), exactly as computed."""
    _exit(_commands.sample(schedule, steps, kind, output))


@app.command(
    epilog="Example: lrplan compare 'hf.get_cosine_schedule_with_warmup(1e-3, 100, 1000)' "
    "'optax.warmup_cosine_decay_schedule(0.0, 1e-3, 100, 1000)'"
)
def compare(
    a: Annotated[str, typer.Argument(metavar="A", help="The schedule to check.", show_default=False)],
    b: Annotated[str, typer.Argument(metavar="B", help="The reference schedule.", show_default=False)],
    steps: StepsOpt = None,
    rtol: Annotated[float, typer.Option(metavar="R", help="Relative tolerance, against |B|.", min=0.0)] = 1e-9,
    atol: Annotated[float, typer.Option(metavar="A", help="Absolute tolerance.", min=0.0)] = 1e-12,
) -> None:
    """Where A and B differ, over the steps where they are used; exit 1 if |A - B| > atol + rtol*|B| anywhere.

    Without --steps the range is 0 up to the longer of the two horizons (past it both hold their end values), or the automatic range when neither has one.
    """
    _exit(_commands.compare(a, b, steps, rtol, atol))


@app.command("list", epilog="Example: lrplan list --presets")
def list_schedules(
    with_presets: Annotated[bool, typer.Option("--presets", help="List the presets of other libraries too.")] = False,
) -> None:
    """Every registered schedule with a one-line summary."""
    _exit(_commands.list_schedules(with_presets))


@app.command(epilog="Example: lrplan explain cosine; lrplan explain torch.OneCycleLR")
def explain(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME", help="A registered schedule name (or a preset, source.Name).", show_default=False
        ),
    ],
) -> None:
    """A schedule's formula (from its docstring), its arguments and their defaults."""
    _exit(_commands.explain(name))


@app.command(epilog="Example: lrplan demo --out out")
def demo(
    out: Annotated[
        str, typer.Option("--out", metavar="DIR", help="Folder for the comparison plot (schedules.png).")
    ] = "out",
    steps: StepsOpt = None,
    height: HeightOpt = 6,
) -> None:
    """Show seven classic schedules and write a comparison plot of them.

    Inverse square root with a constant phase (T5) or after a warmup (Transformer), linear to a floor, power law, exponential, step decay and inverse time, all from 0.01.
    """
    _exit(_commands.demo(out, steps, height))


# ------------------------------------------------------------------------------------- lab, running
_LAB_MOUNTED = False


def _lab_requested(args: Sequence[str]) -> bool:
    if not args or "_LRPLAN_COMPLETE" in os.environ:
        return True
    return args[0] in ("lab", "-h", "--help")


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
    """Run the typer application on ``args``, with click's usage errors shown as click shows them."""
    if _lab_requested(args):
        problem = _mount_lab()
        if problem is not None and args and args[0] == "lab":
            error(f"`lrplan lab` is not available here ({problem}).")
            return 2
    usage_errors, aborts = _click_exceptions()

    def invoke() -> int:
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
        return rv if isinstance(rv, int) else 0

    return guarded(invoke)
