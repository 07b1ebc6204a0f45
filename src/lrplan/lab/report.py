"""The HTML report of a results folder: curves, a results table, the claims and the configuration.

``write_report(DIR)`` reads ``DIR/study.json`` and ``DIR/runs/*.json`` and writes ``DIR/report.html``,
a single self-contained file (figures embedded as ``data:`` URIs, no external links), with one PNG
figure per task (matplotlib, Agg backend), each ``<img>`` named by a ``data-figure`` attribute
(``<task>-<steps>``): learning rate, training loss (smoothed), validation
loss and the task's metric against the step, as the mean over seeds with a band of one standard
deviation, one column per optimizer. The table gives the final metric, validation and training loss
(mean ± std over seeds) and the steps needed to reach the task's target (mean over the seeds that
reached it). For built-in studies it lists each claim, whether the run met it, and the regime; for a
search, the search section of :mod:`lrplan.lab.search_report`.
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
import json
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import tasks as _tasks
from ._template import REPORT_TEMPLATE
from .errors import LabError
from .search_report import search_section
from .store import Store
from .studies import Claim, get_builtin
from .summary import GroupKey, group, mean_std, steps_to_target

__all__ = ["write_report", "load_records"]


Warn = Callable[[str], None]


def _warn_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _manifest_problem(manifest: dict[str, Any]) -> str | None:
    keys, study, stages = manifest.get("keys"), manifest.get("study", {}), manifest.get("stages", [])
    if not isinstance(keys, list) or not all(isinstance(k, str) and Store.valid_key(k) for k in keys):
        return "'keys' is not a list of run keys"
    if not isinstance(stages, list) or not all(isinstance(st, dict) for st in [study, *stages]):
        return "'study' or 'stages' is not an object"
    for st in [study, *stages]:
        targets = st.get("targets", {})
        if not isinstance(targets, dict) or not all(isinstance(v, (int, float)) for v in targets.values()):
            return "a study's 'targets' is not a mapping of numbers"
        if not all(isinstance(st.get(k, ""), str) for k in ("name", "description", "expectation")):
            return "a study's 'name', 'description' or 'expectation' is not a string"
    if not isinstance(manifest.get("builtin", ""), str):
        return "'builtin' is not a string"
    return None


def load_records(
    root: str | os.PathLike[str], *, warn: Warn = _warn_stderr
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The manifest (``study.json``) and the records of the study it lists (all records if none).

    A record that cannot be used (unreadable, not JSON, nested too deeply, or JSON of another shape,
    see :func:`lrplan.lab.store.record_problem`) is skipped with one line to ``warn`` naming its
    file, and so is an unusable ``study.json``; runs the manifest lists that have no record yet are
    counted in one line.
    """
    store = Store(root)
    manifest, why = store.load_study()
    if manifest is not None:
        why = _manifest_problem(manifest)
        if why is not None:
            manifest = None
    if manifest is None and why != "missing":
        warn(f"{store.root / 'study.json'}: ignored ({why}); reporting every record in {store.runs}")
    search = manifest is not None and manifest.get("search") is True  # a search: its trials' records
    keys = list(dict.fromkeys(manifest["keys"])) if manifest is not None and not search else store.keys()
    records, missing = [], 0
    for key in keys:
        record, problem = store.load(key, check=True)
        if record is not None:
            records.append(record)
        elif problem == "missing":
            missing += 1
        else:
            warn(f"{store.path(key)}: skipped ({problem})")
    if missing:
        warn(f"{missing} of the {len(keys)} runs in {store.root / 'study.json'} have no record yet")
    return manifest, records


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "task"


def _smooth(values: Sequence[float | None], window: int) -> list[float]:
    out, acc, buf = [], 0.0, []
    for v in values:
        x = math.nan if v is None else float(v)
        buf.append(x)
        acc += x
        if len(buf) > window:
            acc -= buf.pop(0)
        out.append(acc / len(buf))
    return out


def _band(curves: list[list[float]]) -> tuple[list[float], list[float], list[float]]:
    n = min(len(c) for c in curves)
    mean, lo, hi = [], [], []
    for i in range(n):
        xs = [c[i] for c in curves if c[i] is not None and math.isfinite(c[i])]
        m, sd, _ = mean_std(xs)
        if m is None or sd is None:
            m, sd = math.nan, math.nan
        mean.append(m)
        lo.append(m - sd)
        hi.append(m + sd)
    return mean, lo, hi


def _figure(groups: dict[GroupKey, list[dict[str, Any]]], metric: str) -> str:
    """The curves of one section as a PNG, base64-encoded for a ``data:`` URI."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = list(dict.fromkeys(k[1] for k in groups))
    multi_lr = len({(k[1], k[3]) for k in groups}) > len(columns)
    rows = ["learning rate", "training loss (smoothed)", "validation loss", metric]
    fig, axes = plt.subplots(
        len(rows), len(columns), figsize=(4.6 * len(columns) + 1.5, 10.5), squeeze=False, sharex="col"
    )
    range_test = all(k[2] == "LR range test" for k in groups)
    for c, opt in enumerate(columns):
        for i, (key, rs) in enumerate((k, v) for k, v in groups.items() if k[1] == opt):
            color = f"C{i % 10}"
            label = key[2] + (f" · lr {key[3]:.3g}" if multi_lr else "")
            steps = list(range(len(rs[0]["curves"]["lr"])))
            axes[0][c].plot(steps, rs[0]["curves"]["lr"], color=color, label=label)
            window = max(1, len(steps) // 40)
            train = [_smooth(r["curves"]["train_loss"], window) for r in rs]
            series = [(1, steps, train)]
            ev = rs[0]["curves"]["eval"]["step"]
            for row, name in ((2, "val_loss"), (3, metric)):
                curves = [[math.nan if v is None else v for v in r["curves"]["eval"].get(name, [])] for r in rs]
                if all(len(cv) for cv in curves):
                    series.append((row, ev, curves))
            for row, xs, curves in series:
                mean, lo, hi = _band(curves)
                ax = axes[row][c]
                ax.plot(xs[: len(mean)], mean, color=color, label=label)
                ax.fill_between(xs[: len(mean)], lo, hi, color=color, alpha=0.18, linewidth=0)
        axes[0][c].set_title(opt)
        axes[-1][c].set_xlabel("step (optimizer update)")
    for r, name in enumerate(rows):
        axes[r][0].set_ylabel(name)
    for ax in axes.flat:
        ax.grid(alpha=0.3)
    if range_test:
        for ax in axes[0]:
            ax.set_yscale("log")
        for ax in axes[1]:
            ax.set_ylim(top=min(ax.get_ylim()[1], 5.0))
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=min(len(labels), 3 * len(columns), 4), frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    png = io.BytesIO()
    fig.savefig(png, dpi=90, format="png")
    plt.close(fig)
    return base64.b64encode(png.getvalue()).decode("ascii")


def _fmt(values: Sequence[float | None], scale: float = 1.0, digits: int = 3) -> str:
    m, sd, _ = mean_std(values)
    if m is None or sd is None:
        return "diverged"
    return f"{m * scale:.{digits}f} ± {sd * scale:.{digits}f}"


def _final_train(record: dict[str, Any]) -> float | None:
    if record["status"] != "ok":
        return None
    xs = [
        x for x in record["curves"]["train_loss"][-max(1, len(record["curves"]["train_loss"]) // 10) :] if x is not None
    ]
    return sum(xs) / len(xs) if xs else None


def write_report(
    root: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, *, warn: Warn = _warn_stderr
) -> Path:
    """Write ``report.html`` (figures embedded) for the results folder ``root``; returns the HTML path.

    Records that cannot be used are skipped with one line each to ``warn`` (standard error by
    default), and the page says how many were skipped.

    Raises:
        LabError: the folder holds no usable records.
    """
    import jinja2
    from markupsafe import Markup

    base = Path(root)
    notes: list[str] = []

    def note(message: str) -> None:
        notes.append(message)
        warn(message)

    manifest, records = load_records(base, warn=note)
    if not records:
        raise LabError(f"{base}: no run records found (expected {base / 'runs'}/*.json); run a study first.")
    target_path = Path(out) if out is not None else base / "report.html"
    target_path.parent.mkdir(parents=True, exist_ok=True)
    study = (manifest or {}).get("study", {})
    stages = [*(manifest or {}).get("stages", []), study] if study else []
    targets: dict[str, float] = {}
    for st in stages:
        targets.update(st.get("targets", {}))

    by_section: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in records:
        by_section.setdefault((r["labels"]["task"], r["run"]["steps"]), []).append(r)
    sections = []
    for (task_label, steps), rs in by_section.items():
        task_name = rs[0]["run"]["task"]
        metric, mode = rs[0]["metric"], rs[0]["mode"]
        try:
            default_target = _tasks.get_task(task_name).target
        except LabError:
            default_target = None
        target = targets.get(task_name, default_target)
        groups = group(rs)
        figure = f"{_slug(task_label)}-{steps}"
        image = _figure(groups, metric)
        rows = []
        best_value = None
        for key, grs in groups.items():
            finals = [r["final"].get(metric) for r in grs]
            m = mean_std(finals)[0]
            if m is not None and (best_value is None or (m > best_value if mode == "max" else m < best_value)):
                best_value = m
            to_target = "-"
            if target is not None:
                hits = [steps_to_target(r, target) for r in grs]
                reached = [h for h in hits if h is not None]
                to_target = (
                    f"{sum(reached) / len(reached):.0f} ({len(reached)}/{len(hits)} seeds)"
                    if reached
                    else f"never (0/{len(hits)})"
                )
            rows.append(
                {
                    "optimizer": key[1],
                    "schedule": key[2],
                    "lr": f"{key[3]:.3g}",
                    "seeds": len(grs),
                    "metric": _fmt(finals, 100.0, 2) + " %" if metric == "accuracy" else _fmt(finals),
                    "val_loss": _fmt([r["final"].get("val_loss") for r in grs]),
                    "train_loss": _fmt([_final_train(r) for r in grs]),
                    "to_target": to_target,
                    "mean": m,
                }
            )
        for row in rows:
            row["best"] = row["mean"] is not None and row["mean"] == best_value
        sections.append(
            {
                "title": f"{task_label} · {steps} steps",
                "figure": figure,
                "image": image,
                "metric": metric,
                "mode": mode,
                "target_text": "" if target is None else (f"≥ {target:g}" if mode == "max" else f"≤ {target:g}"),
                "rows": rows,
            }
        )

    claims: list[Claim] = []
    regime = ""
    builtin = (manifest or {}).get("builtin")
    if builtin:
        try:
            claims, regime = get_builtin(builtin).check(records)
        except (LabError, LookupError, TypeError, ValueError, ArithmeticError) as exc:
            note(f"{base / 'study.json'}: the claims of the built-in study {builtin!r} were not checked ({exc})")
    schedules = list(dict.fromkeys((r["labels"]["schedule"], r["run"]["schedule"]) for r in records))
    v = records[0]["versions"]
    infos = {json.dumps(r["task_info"], sort_keys=True) for r in records}
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    page = env.from_string(REPORT_TEMPLATE).render(
        title=study.get("name", base.name),
        description=" ".join(st.get("description", "") for st in stages).strip(),
        expectation=study.get("expectation", ""),
        n_runs=len(records),
        diverged=sum(r["status"] != "ok" for r in records),
        generated=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        versions=", ".join(f"{k} {val}" for k, val in v.items()),
        claims=claims,
        regime=regime,
        sections=sections,
        schedules=schedules,
        task_info=" | ".join(sorted(infos)),
        study_json=json.dumps(manifest or {}, indent=1)[:20000],
        notes=notes,
        search=Markup(search_section(base) or ""),  # HTML rendered (autoescaped) by search_report
    )
    target_path.write_text(page, encoding="utf-8")
    return target_path
