"""The search section of a lab report: best trials, parameter importance, pruned trials, metric against LR.

A results folder written by ``lrplan lab search`` holds ``search.json`` and one file per finished trial,
``trials/<number>.json`` (see :mod:`lrplan.lab.search`; any engine writes the same files). The section
lists the best complete trials (rank, parameters, metric, updates trained, status), the importance
of each parameter sampled in every complete trial (Optuna's ``get_param_importances``, when there are
at least two complete trials and Optuna is installed), how many trials were pruned and how many updates that saved against
training every trial to the end, and a figure of the metric against the peak LR (or against the trial
number when the LR is not searched), pruned trials marked at their last reported value.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> search_section(Path(tempfile.mkdtemp())) is None  # not a search folder
    True
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

from .params import Param
from .store import MAX_RECORD_BYTES, Store

__all__ = ["search_section", "read_trials", "BEST_ROWS"]

BEST_ROWS = 10
"""How many of the best trials the table lists."""

_TEMPLATE = """
<h2>Search</h2>
<p>{{ n }} trials{% if engine %} ({{ engine }}{% if sampler %}, sampler {{ sampler }}{% endif %}{% if pruner %}, pruner {{ pruner }}{% endif %}){% endif %}:
{{ complete }} complete, {{ pruned }} pruned{% if diverged %} ({{ diverged }} of them diverged){% endif %};
{{ metric }}, {{ "higher" if maximize else "lower" }} is better, the mean over the seeds of each trial.</p>
<table>
<tr><th>rank</th><th>parameters</th><th>{{ metric }}</th><th>updates trained</th><th>status</th></tr>
{% for row in best %}<tr{% if loop.first %} class="best"{% endif %}><td class="num">{{ row.rank }}</td><td><code>{{ row.params }}</code></td>
<td class="num">{{ row.value }}</td><td class="num">{{ row.steps }}</td><td>{{ row.status }}</td></tr>
{% endfor %}</table>
<p><b>Parameter importance.</b> {% if importance %}{% for name, value in importance %}<code>{{ name }}</code> {{ value }}{% if not loop.last %}, {% endif %}{% endfor %}
<span class="muted">(Optuna's <code>get_param_importances</code> over the complete trials, for the parameters sampled in all of them; shares summing to 1)</span>{% else %}{{ importance_note }}{% endif %}</p>
<p><b>Pruned.</b> {{ pruned }} of {{ n }} trials stopped early: they trained {{ pruned_steps }} of their {{ pruned_budget }} updates;
the search trained {{ steps }} updates where training every trial to the end takes {{ budget }} ({{ saved }} saved).</p>
{% if image %}<img data-figure="search" src="data:image/png;base64,{{ image }}" alt="{{ metric }} of each trial against {{ xlabel }}">{% endif %}
"""


def read_trials(root: Path) -> list[dict[str, Any]]:
    """The trial files of a search folder (unreadable ones skipped), sorted by trial number.

    A trial retried after its worker was lost may have left a file that a later trial with the same
    runs repeats; only the last trial of each set of runs is kept.
    """
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    for path in sorted((root / "trials").glob("*.json")):
        try:
            if path.stat().st_size > MAX_RECORD_BYTES:
                continue
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("keys"), list) and isinstance(doc.get("number"), int):
            out[tuple(map(str, doc["keys"]))] = doc
    return sorted(out.values(), key=lambda d: d["number"])


def _space(root: Path) -> dict[str, Param]:
    manifest = Store(root).read_study() or {}
    space = ((manifest.get("study") or {}).get("search") or {}).get("space") or {}
    out = {}
    for name, p in space.items():
        try:
            out[name] = Param(**{**p, "values": None if p.get("values") is None else tuple(p["values"])})
        except TypeError:
            continue
    return out


def _importance(trials: list[dict[str, Any]], space: dict[str, Param], maximize: bool) -> tuple[list[Any], str]:
    complete = [t for t in trials if t["state"] == "complete" and t.get("value") is not None]
    if len(complete) < 2:
        return [], f"needs at least 2 complete trials ({len(complete)} so far)."
    try:
        import optuna
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
    except ImportError:
        return [], "needs Optuna: pip install 'lrplan[search]'."

    def dist(p: Param) -> Any:
        if p.kind == "choice":
            return CategoricalDistribution(list(p.values or ()))
        if p.kind == "int":
            return IntDistribution(int(p.low or 0), int(p.high or 0), log=p.log)
        return FloatDistribution(float(p.low or 0.0), float(p.high or 0.0), log=p.log)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize" if maximize else "minimize")
    for t in complete:
        params = {k: v for k, v in t["params"].items() if k in space}
        study.add_trial(
            optuna.trial.create_trial(
                params=params, distributions={k: dist(space[k]) for k in params}, value=float(t["value"])
            )
        )
    common = sorted(set.intersection(*(set(t["params"]) for t in complete)) & set(space))
    if not common:
        return [], "no parameter was sampled in every complete trial."
    try:  # a conditional parameter (sampled only with one schedule) is left out: it has no value elsewhere
        got = optuna.importance.get_param_importances(study, params=common)
    except (ValueError, RuntimeError) as exc:
        return [], f"could not be computed ({exc})."
    return [(name, f"{value:.2f}") for name, value in got.items()], ""


def _figure(trials: list[dict[str, Any]], metric: str) -> tuple[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_lr = all(isinstance(t["params"].get("lr"), (int, float)) for t in trials)
    xlabel = "peak learning rate" if by_lr else "trial number"
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for state, marker, color in (("complete", "o", "C0"), ("pruned", "x", "C3")):
        chosen = [t for t in trials if t["state"] == state]
        xs = [t["params"]["lr"] if by_lr else t["number"] for t in chosen]
        ys = [t["value"] if state == "complete" else (t["reported"][-1][1] if t["reported"] else None) for t in chosen]
        pts = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
        label = state if state == "complete" else "pruned (last reported value)"
        if pts:
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], marker=marker, color=color, label=label)
    if by_lr:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, dpi=90, format="png")
    plt.close(fig)
    return base64.b64encode(png.getvalue()).decode("ascii"), xlabel


def search_section(root: Path) -> str | None:
    """The HTML of the search section for the results folder ``root``, or None if it holds no search."""
    if not (root / "search.json").is_file() and not (root / "trials").is_dir():
        return None
    trials = read_trials(root)
    if not trials:
        return None
    import jinja2

    try:
        info = json.loads((root / "search.json").read_text(encoding="utf-8"))
        info = info if isinstance(info, dict) else {}
    except (OSError, ValueError):
        info = {}
    metric = str(info.get("metric") or trials[0].get("metric") or "metric")
    maximize = info.get("direction", "maximize") == "maximize"
    complete = [t for t in trials if t["state"] == "complete" and t.get("value") is not None]
    complete.sort(key=lambda t: t["value"], reverse=maximize)
    pruned = [t for t in trials if t["state"] != "complete"]
    best = [
        {
            "rank": i + 1,
            "params": ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in t["params"].items()),
            "value": f"{t['value']:.4f}",
            "steps": t["steps"],
            "status": t["status"],
        }
        for i, t in enumerate(complete[:BEST_ROWS])
    ]
    steps = sum(int(t["steps"]) for t in trials)
    budget = sum(int(t.get("max_steps", t["steps"])) for t in trials)
    importance, note = _importance(trials, _space(root), maximize)
    image, xlabel = _figure(trials, metric)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_TEMPLATE).render(
        n=len(trials),
        engine=info.get("engine", ""),
        sampler=info.get("sampler", ""),
        pruner=info.get("pruner", ""),
        complete=len(complete),
        pruned=len(pruned),
        diverged=sum(t["status"] == "diverged" for t in pruned),
        metric=metric,
        maximize=maximize,
        best=best,
        importance=importance,
        importance_note=note,
        pruned_steps=sum(int(t["steps"]) for t in pruned),
        pruned_budget=sum(int(t.get("max_steps", t["steps"])) for t in pruned),
        steps=steps,
        budget=budget,
        saved=f"{1 - steps / budget:.0%}" if budget else "0%",
        image=image,
        xlabel=xlabel,
    )
