"""Make docs/images/lab_<study>.png from the report of a finished built-in study.

The report's figures of the study's last stage (one per task, side by side; the report embeds them
as ``data:`` URIs named by ``data-figure="<task>-<steps>"``) are joined, scaled down and stored with
a 64-colour palette, so each picture stays well under 80 KB. The searches draw their own figure from
the records instead: ``e2`` the final loss against the peak LR with the stable band, ``lrfree`` the
tuning sweep and every arm's validation loss.

    lrplan lab run e1 --out /tmp/lab-e1
    python docs/build_lab_images.py /tmp/lab-e1 [/tmp/lab-e2 ...]
"""

from __future__ import annotations

import base64
import io
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # use this tree's lrplan

from PIL import Image, ImageDraw  # noqa: E402

from lrplan.lab.report import write_report  # noqa: E402

IMAGES = ROOT / "docs" / "images"
HEIGHT = 640  # pixels


def _records(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((folder / "runs").glob("*.json"))]


def _final(r: dict) -> float:
    v = r["final"].get(r["metric"])
    return float("nan") if v is None else v


def _save(fig) -> Image.Image:  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, dpi=90, format="png")
    plt.close(fig)
    return Image.open(buf).convert("RGB")


def _lr_axis(ax, grid: tuple[float, ...], label: str) -> None:  # type: ignore[no-untyped-def]
    ax.set_xscale("log")
    ax.set_xticks(list(grid), [f"{lr:g}" for lr in grid], rotation=30, fontsize=8)
    ax.minorticks_off()
    ax.set_xlabel(label)


def e2_figure(records: list[dict]) -> Image.Image:
    """Final validation loss against the peak LR, per model; the stable band (best + margin) shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lrplan.lab.studies.e2 import GRID, MARGIN, MODELS, SETTINGS

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, model in zip(axes, MODELS, strict=True):
        rs = [r for r in records if r["labels"]["task"] == model]
        best = min((_final(r) for r in rs if r["status"] == "ok"), default=float("nan"))
        ax.axhspan(best, best + MARGIN, color="tab:green", alpha=0.15, label=f"stable: within {MARGIN} of best")
        for setting, style in zip(SETTINGS, ("o--", "s-"), strict=True):
            pts = sorted((r["run"]["lr"], _final(r)) for r in rs if r["labels"]["schedule"] == setting)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=setting)
        _lr_axis(ax, GRID, "peak learning rate")
        ax.set_title(f"{model}, 4 layers, 400 steps")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("final validation loss (nats/byte)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return _save(fig)


def lrfree_figure(records: list[dict]) -> Image.Image:
    """Left: the tuning sweep (seed 0); right: validation loss of every arm, mean over seeds 1-3."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lrplan.lab.studies.lrfree import GRID, TUNING

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.4))
    for s, style in (("cosine", "o-"), ("WSD", "s-")):
        pts = sorted(
            (r["run"]["lr"], _final(r))
            for r in records
            if r["labels"]["optimizer"] == TUNING and r["labels"]["schedule"] == s
        )
        left.plot([p[0] for p in pts], [p[1] for p in pts], style, label=f"AdamW + {s}")
    _lr_axis(left, GRID, "peak learning rate (seed 0)")
    left.set_ylabel("final validation loss (nats/byte)")
    left.set_title("tuning")
    left.grid(alpha=0.3)
    left.legend(fontsize=8)
    arms: dict[str, list[dict]] = {}
    for r in records:
        if r["labels"]["optimizer"] != TUNING:
            arms.setdefault(r["labels"]["optimizer"], []).append(r)
    for label, rs in arms.items():
        steps = rs[0]["curves"]["eval"]["step"]
        curves = [r["curves"]["eval"]["val_loss"] for r in rs if len(r["curves"]["eval"]["step"]) == len(steps)]
        mean = [sum(c[i] for c in curves) / len(curves) for i in range(len(steps))]
        right.plot(steps[1:], mean[1:], label=label)
    right.set_xlabel("step")
    right.set_ylabel("validation loss, mean of 3 seeds")
    right.set_title("every arm, seeds 1-3")
    right.grid(alpha=0.3)
    right.legend(fontsize=8)
    lows = [min(v for v in r["curves"]["eval"]["val_loss"] if v is not None) for rs in arms.values() for r in rs]
    if lows:
        right.set_ylim(min(lows) - 0.05, min(lows) + 1.0)
    fig.tight_layout()
    return _save(fig)


FIGURES = {"e2": e2_figure, "lrfree": lrfree_figure}


def build(folder: Path) -> Path:
    report = write_report(folder)
    manifest = json.loads((folder / "study.json").read_text())
    name = manifest.get("builtin") or manifest["study"]["name"]
    if name in FIGURES:
        return _store(FIGURES[name](_records(folder)), name)
    steps = manifest["study"]["steps"]
    embedded = dict(re.findall(r'<img data-figure="([^"]+)" src="data:image/png;base64,([^"]+)"', report.read_text()))
    figures = sorted((name for name in embedded if name.endswith(f"-{steps}")), reverse=True)  # e2: pre-LN left
    if not figures:
        raise SystemExit(f"{folder}: the report has no figure for {steps} steps")
    parts = [Image.open(io.BytesIO(base64.b64decode(embedded[f]))).convert("RGB") for f in figures]
    parts = [p.resize((round(p.width * HEIGHT / p.height), HEIGHT), Image.LANCZOS) for p in parts]
    joined = Image.new("RGB", (sum(p.width for p in parts), HEIGHT), "white")
    x = 0
    draw = ImageDraw.Draw(joined)
    for p, f in zip(parts, figures, strict=True):
        joined.paste(p, (x, 0))
        if len(parts) > 1:  # name each panel by its task (the report's file name without the steps)
            draw.text((x + 8, 6), f.rsplit("-", 1)[0], fill="black", font_size=16)
        x += p.width
    return _store(joined, name, f" from {', '.join(figures)}")


def _store(image: Image.Image, name: str, source: str = "") -> Path:
    out = IMAGES / f"lab_{name}.png"
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    print(f"{out.relative_to(ROOT)}: {out.stat().st_size / 1024:.0f} KB{source}")
    return out


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        build(Path(arg))
