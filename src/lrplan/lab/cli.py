"""``lrplan lab ...``: run studies, write reports, list what the lab offers.

The main CLI mounts :data:`app` as its ``lab`` sub-command; ``python -m lrplan.lab`` runs it alone.
Importing this module imports typer, rich and the lab's own modules, never torch, matplotlib or jinja2.

Every command that trains or reports first checks that the ``lab`` extra is installed (torch,
scikit-learn, pyyaml, matplotlib, jinja2, as the command needs) and otherwise says, in one line,
``pip install 'lrplan[lab]'`` and exits with status 2 before starting anything.

Commands:
    run STUDY_OR_FLAGS   run a built-in study (``quick``, ``e1``...) or a study file, or a sweep built from flags
    search STUDY         search a study's space (peak LR, schedule shape...) with Optuna or Ray Tune, with pruning
    report DIR           write DIR/report.html from the records in DIR
    list                 tasks, optimizers and built-in studies
    demo                 the quick study and its report, in lab-results/quick/
    export-pbt DIR       the LR schedule of the winning population-based-training trial in DIR
"""

import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from .checks import require_extra
from .errors import LabError
from .optimizers import optimizers
from .report import write_report
from .search import ENGINES, run_search
from .search_examples import EXAMPLES, example
from .studies import builtins, run_builtin
from .study import load_study, study_from_dict
from .sweep import run_study
from .tasks import tasks
from .tune import EXPORT_FORMATS, SCHEDULERS, TuneSummary, export_pbt, schedule_text

__all__ = ["app", "main"]

app = typer.Typer(
    name="lab",
    help="Train small real models under many schedules and optimizers, offline, and see which wins.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(exc: Exception) -> "typer.Exit":
    """One line on standard error, exit status 2 (a file system error names its file)."""
    if isinstance(exc, OSError) and exc.strerror:
        exc = LabError(f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror)
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    return typer.Exit(2)


def _default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


@app.command()
def run(
    study: Annotated[
        str | None,
        typer.Argument(
            help=f"A built-in study ({', '.join(builtins())}) or a .yaml/.toml study file. "
            "Omit to build a sweep from the flags."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Results folder (default: lab-results/<study name>).")
    ] = None,
    task: Annotated[
        list[str] | None, typer.Option("--task", help="Task name (repeat for several). Flags mode.")
    ] = None,
    optimizer: Annotated[
        list[str] | None, typer.Option("--optimizer", help="Optimizer name (repeat). Flags mode.")
    ] = None,
    schedule: Annotated[
        list[str] | None,
        typer.Option(
            "--schedule",
            help="Schedule spec with peak 1.0, e.g. 'cosine(init_value=1.0, decay_steps={steps})' (repeat). Flags mode.",
        ),
    ] = None,
    lr: Annotated[
        list[float] | None, typer.Option("--lr", help="Peak learning rate (repeat); default: each optimizer's own.")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Study name in flags mode.")] = "sweep",
    steps: Annotated[
        int | None, typer.Option("--steps", help="Optimizer updates per run (overrides the study).")
    ] = None,
    seeds: Annotated[int | None, typer.Option("--seeds", help="Number of seeds 0..n-1 (overrides the study).")] = None,
    eval_every: Annotated[
        int | None, typer.Option("--eval-every", help="Evaluate every N updates (overrides the study).")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", "-w", help="Parallel runs (local processes or Ray CPUs).")
    ] = _default_workers(),
    backend: Annotated[str, typer.Option("--backend", help="local, ray or inline.")] = "local",
    address: Annotated[
        str | None, typer.Option("--address", help="Ray cluster address (ray backend); default: a local instance.")
    ] = None,
    threads: Annotated[
        int | None, typer.Option("--threads", help="torch threads per run (default: the study's, 1).")
    ] = None,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Write report.html when done.")] = True,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show progress bars.")] = True,
) -> None:
    """Run a study; finished runs already in the results folder are skipped."""
    overrides: dict[str, Any] = {
        k: v for k, v in (("steps", steps), ("seeds", seeds), ("eval_every", eval_every)) if v is not None
    }
    options: dict[str, Any] = {
        "backend": backend,
        "workers": workers,
        "address": address,
        "threads": threads,
        "progress": progress,
    }
    try:
        require_extra("torch", "sklearn", "yaml", *(("matplotlib", "jinja2") if report else ()))
        if study is not None and study in builtins():
            folder = out or Path("lab-results") / study
            run_builtin(study, folder, overrides=overrides, **options)
        else:
            if study is not None:
                if task or optimizer or schedule:
                    raise LabError(
                        "give either a study (name or file) or --task/--optimizer/--schedule flags, not both."
                    )
                if not Path(study).exists():
                    raise LabError(
                        f"{study!r} is neither a built-in study ({', '.join(builtins())}) nor an existing file."
                    )
                loaded = load_study(study)
                if loaded.search is not None:
                    raise LabError(
                        f"{study}: the study has a `search:` section; run it with `lrplan lab search {study}`."
                    )
                data = {**{k: v for k, v in loaded.to_dict().items() if k != "source"}, **overrides}
                st = study_from_dict(data, source=study)
            else:
                if not (task and optimizer and schedule):
                    raise LabError(
                        "flags mode needs at least one --task, --optimizer and --schedule (or give a study)."
                    )
                data = {"name": name, "tasks": task, "optimizers": optimizer, "schedules": schedule, **overrides}
                if lr:
                    data["lrs"] = lr
                st = study_from_dict(data, source="<flags>")
            folder = out or Path("lab-results") / st.name
            summary = run_study(st, folder, **options)
            typer.echo(
                f"{summary.trained} runs trained, {summary.skipped} already finished"
                + (f", {summary.elsewhere} finished by another process" if summary.elsewhere else "")
                + f", in {summary.seconds:.1f} s -> {folder}"
            )
        if report:
            typer.echo(f"report: {write_report(folder)}")
    except (LabError, OSError) as exc:
        raise _fail(exc) from None


@app.command()
def search(
    study: Annotated[
        str,
        typer.Argument(
            help=f"A .yaml/.toml study file with a `search:` section, or a built-in search ({', '.join(EXAMPLES)})."
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Results folder (default: lab-results/<study name>).")
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-w",
            help="Worker processes running trials of the same search (ray-tune: trials at once, the local Ray's CPUs).",
        ),
    ] = 1,
    storage: Annotated[
        str | None,
        typer.Option(
            "--storage",
            help="Database URL shared by several machines (postgresql://..., sqlite:///search.db); "
            "default: the journal file DIR/search.journal.",
        ),
    ] = None,
    trials: Annotated[
        int | None, typer.Option("--trials", help="Finished trials to reach (overrides the study).")
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help=f"Search engine: {' or '.join(ENGINES)}.")] = "optuna",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help=f"Ray Tune's scheduler (--engine ray-tune): {' or '.join(SCHEDULERS)} (population-based training).",
        ),
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(
            "--address", help="Ray cluster address (--engine ray-tune); default: a local Ray, --workers CPUs."
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the sampler (worker i uses seed + i).")] = None,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Write report.html when done.")] = True,
) -> None:
    """Search a study's space with pruning; running it again on the same folder continues the search."""
    try:
        require_extra("torch", "sklearn", "yaml", *(("matplotlib", "jinja2") if report else ()))
        if engine == "optuna":
            require_extra("optuna", extra="search")
        ray_only = [flag for flag, value in (("--scheduler", scheduler), ("--address", address)) if value is not None]
        if engine != "ray-tune" and ray_only:
            raise LabError(f"{' and '.join(ray_only)} go with --engine ray-tune.")
        if engine == "ray-tune" and storage is not None:
            raise LabError("--storage goes with --engine optuna (Ray Tune keeps its state in DIR/ray-tune).")
        if study in EXAMPLES:
            st = example(study)
        elif Path(study).exists():
            st = load_study(study)
        else:
            raise LabError(f"{study!r} is neither a built-in search ({', '.join(EXAMPLES)}) nor an existing file.")
        folder = out or Path("lab-results") / st.name
        summary = run_search(
            st,
            folder,
            workers=workers,
            trials=trials,
            storage=storage,
            seed=seed,
            engine=engine,
            echo=typer.echo,
            scheduler=scheduler or "asha",
            address=address,
        )
        best = "" if summary.best_params is None else f"; best {summary.best_value:.4g} at {summary.best_params}"
        if isinstance(summary, TuneSummary):
            complete = summary.trials - summary.pruned - len(summary.failed)
            typer.echo(
                f"{complete} trials complete, {summary.pruned} pruned, {len(summary.failed)} failed ({summary.scheduler})"
                f"{best}, in {summary.seconds:.1f} s -> {folder}"
            )
        else:
            typer.echo(
                f"trials: {summary.complete} complete, {summary.pruned} pruned, {summary.failed} failed"
                f"{best}, in {summary.seconds:.1f} s -> {folder}"
            )
        if report:
            typer.echo(f"report: {write_report(folder)}")
    except (LabError, OSError) as exc:
        raise _fail(exc) from None


@app.command("report")
def report_cmd(
    directory: Annotated[Path, typer.Argument(help="A results folder written by `lrplan lab run`.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="HTML file to write (default: DIR/report.html).")
    ] = None,
) -> None:
    """Write an HTML report (curves, results table, claims, configuration) for a results folder."""
    try:
        require_extra("matplotlib", "jinja2")
        typer.echo(str(write_report(directory, out)))
    except (LabError, OSError) as exc:
        raise _fail(exc) from None


@app.command("list")
def list_cmd() -> None:
    """List the tasks, optimizers and built-in studies."""
    console = Console()
    t = Table(title="tasks", title_justify="left")
    for col in ("name", "metric", "options (defaults)", "description"):
        t.add_column(col)
    for task in tasks().values():
        t.add_row(
            task.name,
            f"{task.metric} ({task.mode})",
            ", ".join(f"{k}={v}" for k, v in task.defaults.items()),
            task.description,
        )
    console.print(t)
    o = Table(title="optimizers", title_justify="left")
    for col in ("name", "default lr", "options (defaults)", "description"):
        o.add_column(col)
    for kind in optimizers().values():
        o.add_row(kind.name, f"{kind.lr:g}", ", ".join(f"{k}={v}" for k, v in kind.defaults.items()), kind.description)
    console.print(o)
    s = Table(title="built-in studies (lrplan lab run NAME)", title_justify="left")
    for col in ("name", "about", "minutes (2 cores)"):
        s.add_column(col)
    for b in builtins().values():
        s.add_row(b.name, b.summary, f"~{b.minutes:g}")
    console.print(s)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Results folder.")] = Path("lab-results") / "quick",
    workers: Annotated[int, typer.Option("--workers", "-w", help="Parallel worker processes.")] = _default_workers(),
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show progress bars.")] = True,
) -> None:
    """Run the quick study (digits, 2 optimizers x 4 schedules x 2 seeds) and write its report."""
    start = time.perf_counter()
    try:
        require_extra("torch", "sklearn", "matplotlib", "jinja2")
        run_builtin("quick", out, workers=workers, progress=progress)
        path = write_report(out)
    except (LabError, OSError) as exc:
        raise _fail(exc) from None
    typer.echo(f"quick study done in {time.perf_counter() - start:.1f} s; report: {path}")


@app.command("export-pbt")
def export_pbt_cmd(
    directory: Annotated[
        Path, typer.Argument(help="A results folder of `lrplan lab search --engine ray-tune --scheduler pbt`.")
    ],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default: standard output).")] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="spec (the schedule's text) or json (lrplan.to_config).")
    ] = "spec",
) -> None:
    """Write the LR schedule the winning PBT trial trained with, update for update (inherited history included).

    Train with it again: `lrplan lab run --schedule "$(cat FILE)" --lr 1 ...` (the schedule is absolute).
    """
    try:
        if fmt not in EXPORT_FORMATS:
            raise LabError(f"--format must be one of {', '.join(EXPORT_FORMATS)}. Received: {fmt!r}.")
        schedule, records = export_pbt(directory)
        text = schedule_text(schedule, fmt)
        facts = records[0]["search"]
        note = (
            f"trial {facts['trial']}: {facts['metric']} {records[0]['final'].get(facts['metric'])}, "
            f"{len(records[0]['schedule_segments'])} segment(s), {len(records[0]['curves']['lr'])} updates"
        )
        if out is None:
            typer.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
            note += f" -> {out}"
        typer.echo(note, err=True)
    except (LabError, OSError) as exc:
        raise _fail(exc) from None


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m lrplan.lab``."""
    app(args=argv if argv is not None else sys.argv[1:], prog_name="python -m lrplan.lab")
