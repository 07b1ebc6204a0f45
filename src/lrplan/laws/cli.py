"""Command-line commands of the laws: ``fit``, ``predict``, ``optimize``, ``transfer``.

They are plain functions registered on a typer app by :func:`add_commands`, so the main ``lrplan``
command can mount them at its top level (``add_commands(lrplan_app)``); :data:`app` holds them on their
own (``python -m lrplan.laws``). typer is imported only here, matplotlib only for ``--plot``.

Inputs:

* RUN (``fit``): a CSV file ``step,lr,loss`` (``--schedule SPEC`` when it does not hold an lr at every
  step), a JSON file of runs, a manifest (``manifest.json``; ``--set fit|test|all|NAME``), or lab
  records (a record file or a results folder; ``--metric``);
* LAW: a law file written by ``fit -o`` or a law spec such as ``"momentum(L0=3.0, A=0.5, alpha=0.5, C=0.4)"``;
* SCHEDULE: spec text or a JSON config file (the main command passes its own resolver, which also takes
  YAML files and presets).

Example:
    >>> from lrplan.laws.cli import main
    >>> main(["transfer", "3e-4", "cosine(init_value=1.0, decay_steps=1000)", "cosine(init_value=1.0, decay_steps=4000)"])
    0.00015027632
    0
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from .. import LrplanError, Schedule, from_config, parse
from ._fit import fit
from ._optimize import FAMILIES, optimize
from ._runs import Run, example_manifest, load_csv, load_json, load_lab, load_manifest
from ._transfer import transfer_lr
from ._values import Law, law_from_config, parse_law

__all__ = ["app", "add_commands", "main", "load_runs", "load_law", "default_resolve"]


def default_resolve(text: str) -> Schedule:
    """A SCHEDULE argument: a JSON config file (an existing ``.json`` path) or spec text."""
    path = Path(text)
    if text.endswith(".json") and path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        return parse(data) if isinstance(data, str) else from_config(data)
    return parse(text)


def load_law(text: str) -> Law:
    """A LAW argument: a law file (JSON, as written by ``fit -o``) or a law spec."""
    path = Path(text)
    if path.is_file():
        return law_from_config(json.loads(path.read_text(encoding="utf-8")))
    return parse_law(text)


def load_runs(
    paths: Sequence[str],
    *,
    schedule: Schedule | None = None,
    which: str = "fit",
    metric: str = "val_loss",
) -> list[Run]:
    """The runs in RUN arguments (see the module docstring for what each may be)."""
    runs: list[Run] = []
    for text in paths:
        path = Path(text)
        if text in ("example:25M", "example:100M"):  # the curves shipped with lrplan
            runs += load_manifest(example_manifest(text.split(":", 1)[1]), which)
        elif path.is_dir():
            manifest = path / "manifest.json"
            runs += load_manifest(manifest, which) if manifest.is_file() else load_lab(path, metric)
        elif path.suffix.lower() == ".csv":
            runs.append(load_csv(path, schedule))
        elif path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and "curves" in data and "fit_set" in data:
                runs += load_manifest(path, which)
            elif isinstance(data, dict) and "key" in data and "curves" in data:
                runs += load_lab(path, metric)
            else:
                runs += load_json(path)
        else:
            raise LrplanError(f"{text}: not a run file (a .csv or .json file, or a folder).")
    return runs


def _fmt_pct(x: float) -> str:
    return f"{100 * x:.3f}%"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    return "\n".join(lines)


def _fit(
    runs: Annotated[
        list[str],
        typer.Argument(
            metavar="RUN...",
            help="Runs: CSV, JSON, manifest, lab records, or example:25M / example:100M (the shipped curves).",
        ),
    ],
    output: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE", help="Write the law as JSON.")] = None,
    law: Annotated[str, typer.Option(metavar="NAME", help="multi_power or momentum.")] = "multi_power",
    schedule: Annotated[
        str | None, typer.Option(metavar="SCHEDULE", help="The schedule of CSV runs without an lr at every step.")
    ] = None,
    which: Annotated[
        str, typer.Option("--set", metavar="SET", help="Manifest curves: fit, test, all or a name.")
    ] = "fit",
    metric: Annotated[
        str, typer.Option(metavar="NAME", help="Lab records: the eval metric, or train_loss.")
    ] = "val_loss",
    uncertainty: Annotated[str, typer.Option(metavar="KIND", help="auto, jackknife, bootstrap or none.")] = "auto",
) -> None:
    """Fit a loss-curve law to runs; print the per-run errors; write the law with -o."""
    resolve: Callable[[str], Schedule] = _RESOLVE[0]
    found = load_runs(runs, schedule=resolve(schedule) if schedule else None, which=which, metric=metric)
    fitted = fit(found, law=law, uncertainty=uncertainty)
    report = fitted.report
    rows = [
        [d.name, str(d.points), _fmt_pct(d.mean_error), _fmt_pct(d.max_error), _fmt_pct(d.final_error), f"{d.r2:.5f}"]
        for d in (report.runs if report else ())
    ]
    typer.echo(str(fitted))
    typer.echo(_table(["run", "points", "mean err", "max err", "final err", "R^2"], rows))
    if report is not None and report.ensemble:
        typer.echo(f"uncertainty: {report.uncertainty} ({len(report.ensemble)} refits)")
    if output:
        Path(output).write_text(json.dumps(fitted.to_config(), indent=1) + "\n", encoding="utf-8")
        typer.echo(f"wrote {output}")


def _predict(
    law: Annotated[str, typer.Argument(metavar="LAW", help="A law file (fit -o) or a law spec.")],
    schedules: Annotated[list[str], typer.Argument(metavar="SCHEDULE...", help="Schedules to predict.")],
    steps: Annotated[
        int | None, typer.Option("--steps", "-n", metavar="N", help="Predict steps 0 .. N-1 (default: the horizon).")
    ] = None,
    plot: Annotated[
        str | None, typer.Option(metavar="FILE", help="Plot the curves with their bands (.png/.svg).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="table|json", help="Output format.")] = "table",
    level: Annotated[float, typer.Option(metavar="P", help="Band level.", min=0.0, max=0.999)] = 0.9,
    rows: Annotated[int, typer.Option(metavar="K", help="Table rows per schedule.", min=2)] = 6,
) -> None:
    """Predict the loss curve of each schedule under a law, with the fit's band."""
    fitted = load_law(law)
    resolve = _RESOLVE[0]
    results = []
    for text in schedules:
        s = resolve(text)
        n = steps if steps is not None else _length(s, text)
        p = fitted.predict_band(s, np.arange(n), level=level)
        results.append((text, s, p))
    if fmt == "json":
        out = [
            {
                "schedule": str(s),
                "steps": p.steps.tolist(),
                "loss": p.loss.tolist(),
                "low": p.low.tolist(),
                "high": p.high.tolist(),
                "level": level,
            }
            for _, s, p in results
        ]
        typer.echo(json.dumps(out, allow_nan=True))
    elif fmt == "table":
        for _, s, p in results:
            typer.echo(f"{s}")
            first = int(np.argmax(np.isfinite(p.loss)))
            picks = np.unique(np.linspace(first, len(p.steps) - 1, rows).round().astype(int))
            body = [[f"{int(p.steps[i]):,}", f"{p.loss[i]:.4f}", f"{p.low[i]:.4f}", f"{p.high[i]:.4f}"] for i in picks]
            typer.echo(_table(["step", "loss", f"low ({level:g})", "high"], body))
    else:
        raise LrplanError(f"predict: `--format` must be table or json. Received: --format={fmt!r}.")
    if plot:
        _plot(results, plot, fitted)
        typer.echo(f"wrote {plot}")


def _length(s: Schedule, text: str) -> int:
    h = s.horizon
    if h is None or not math.isfinite(h) or h < 1:
        raise LrplanError(f"predict: {text!r} has no horizon; give --steps N.")
    return math.ceil(h)


def _plot(results: list[tuple[str, Schedule, Any]], path: str, law: Law) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise LrplanError("--plot needs matplotlib: pip install 'lrplan[plot]'") from None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    top = 0.0
    for _, s, p in results:
        first = int(np.argmax(np.isfinite(p.loss)))
        skip = max(first, len(p.steps) // 20)
        x, y = p.steps[skip:], p.loss[skip:]
        (line,) = ax.plot(x, y, lw=1.6, label=str(s) if len(str(s)) < 70 else str(s)[:67] + "...")
        ax.fill_between(x, p.low[skip:], p.high[skip:], color=line.get_color(), alpha=0.2, lw=0)
        top = max(top, float(np.nanmax(p.high[skip:])))
    ax.set_xlabel("step")
    ax.set_ylabel("predicted loss")
    ax.set_title(f"{law.name} law", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _optimize(
    law: Annotated[str, typer.Argument(metavar="LAW", help="A law file (fit -o) or a law spec.")],
    steps: Annotated[int, typer.Option("--steps", "-n", metavar="N", help="Total steps.", min=2)],
    peak: Annotated[float, typer.Option(metavar="LR", help="Peak learning rate.")],
    warmup: Annotated[int, typer.Option(metavar="W", help="Linear warmup steps.", min=0)] = 0,
    floor: Annotated[float, typer.Option(metavar="LR", help="Lowest learning rate allowed.", min=0.0)] = 0.0,
    family: Annotated[str, typer.Option(metavar="NAME", help="free, wsd, cosine, linear or all.")] = "free",
    knots: Annotated[int, typer.Option(metavar="K", help="Knots of the free-form family.", min=2)] = 12,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="text|json", help="Output format.")] = "text",
) -> None:
    """Find the schedule with the lowest predicted final loss; compare it with cosine and WSD."""
    if family not in FAMILIES:
        raise LrplanError(f"optimize: `--family` must be one of {', '.join(FAMILIES)}. Received: --family={family!r}.")
    result = optimize(
        load_law(law), steps, peak_value=peak, warmup_steps=warmup, floor=floor, family=family, knots=knots
    )
    if fmt == "json":
        typer.echo(
            json.dumps(
                {
                    "schedule": str(result.schedule),
                    "family": result.family,
                    "final_loss": result.final_loss,
                    "final_loss_se": result.final_loss_se,
                    "baselines": [
                        {
                            "name": b.name,
                            "schedule": str(b.schedule),
                            "final_loss": b.final_loss,
                            "gain": b.gain,
                            "gain_se": b.gain_se,
                        }
                        for b in result.baselines
                    ],
                }
            )
        )
        return
    typer.echo(str(result.schedule))
    body = [["optimized (" + result.family + ")", f"{result.final_loss:.4f}", "", f"{result.final_loss_se:.4f}"]]
    body += [[b.name, f"{b.final_loss:.4f}", f"{b.gain:+.4f}", f"{b.gain_se:.4f}"] for b in result.baselines]
    typer.echo(_table(["schedule", "final loss", "gain", "se"], body))


def _transfer(
    lr: Annotated[float, typer.Argument(metavar="LR", help="The peak LR tuned for FROM.")],
    source: Annotated[str, typer.Argument(metavar="FROM", help="The schedule LR was tuned for.")],
    target: Annotated[str, typer.Argument(metavar="TO", help="The new schedule (other shape or length).")],
    from_steps: Annotated[int | None, typer.Option(metavar="N", help="Length of FROM (default: its horizon).")] = None,
    to_steps: Annotated[int | None, typer.Option(metavar="N", help="Length of TO (default: its horizon).")] = None,
) -> None:
    """The peak LR for TO that matches LR tuned for FROM, from the convex-optimization bound."""
    resolve = _RESOLVE[0]
    value = transfer_lr(lr, resolve(source), resolve(target), from_steps=from_steps, to_steps=to_steps)
    typer.echo(f"{value:.8g}")


_RESOLVE: list[Callable[[str], Schedule]] = [default_resolve]
COMMANDS: dict[str, Callable[..., None]] = {
    "fit": _fit,
    "predict": _predict,
    "optimize": _optimize,
    "transfer": _transfer,
}


def add_commands(target: typer.Typer, resolve: Callable[[str], Schedule] | None = None) -> None:
    """Register ``fit``, ``predict``, ``optimize`` and ``transfer`` on ``target``.

    ``resolve`` reads SCHEDULE arguments (default :func:`default_resolve`); the main command passes its
    own, which also reads YAML files and presets.
    """
    if resolve is not None:
        _RESOLVE[0] = resolve
    for name, command in COMMANDS.items():
        target.command(name)(command)


app = typer.Typer(
    help="Loss-curve laws: fit runs, predict schedules, optimize a schedule, transfer a tuned LR.",
    no_args_is_help=True,
    add_completion=False,
)
add_commands(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the laws commands with ``argv``; bad input prints one line on stderr and returns 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rv = app(args=args, prog_name="lrplan", standalone_mode=False)
    except LrplanError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 2
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 2
    except Exception as exc:
        code = getattr(exc, "exit_code", None)
        if isinstance(code, int):
            show = getattr(exc, "show", None)
            if callable(show):
                show()
            return code
        raise
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
