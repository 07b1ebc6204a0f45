"""Make docs/images/laws_*.png for docs/laws.md from the curves shipped with lrplan.laws.

    python docs/build_laws_images.py

Fits the multi-power law to the 25M fit set (with its jackknife ensemble), then draws
(1) the fitted curves against the measured ones, (2) the six held-out curves predicted with their 90 %
bands, (3) the schedule optimized for 24,000 steps against cosine and WSD, with predicted losses.
Prints the figures the page quotes. Public API only.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # use this tree's lrplan

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import lrplan.laws as L  # noqa: E402

IMAGES = ROOT / "docs" / "images"


def save(fig: plt.Figure, name: str) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    image = Image.open(buf).convert("RGB").quantize(colors=64)
    path = IMAGES / name
    image.save(path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size // 1024} KB)")


def main() -> None:
    manifest = L.example_manifest("25M")
    fit_set = L.load_manifest(manifest, "fit")
    test_set = L.load_manifest(manifest, "test")
    law = L.fit(fit_set, law="multi_power")
    print(law)

    fig, ax = plt.subplots(figsize=(7.5, 4))
    for run in fit_set:
        steps, loss = run.arrays()
        (line,) = ax.plot(steps, loss, ".", ms=3, alpha=0.6)
        grid = np.arange(steps[0], steps[-1] + 1, 16)
        ax.plot(grid, law.predict(run.schedule, grid), color=line.get_color(), lw=1.4, label=run.name)
    ax.set(
        xlabel="step",
        ylabel="training loss",
        ylim=(3.2, 4.2),
        title="Fitted multi-power law (lines) and the 3 fitted runs (dots)",
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save(fig, "laws_fit.png")

    fig, axes = plt.subplots(2, 3, figsize=(10, 5.6), sharey=False)
    for ax, run in zip(axes.ravel(), test_set, strict=True):
        steps, loss = run.arrays()
        grid = np.arange(steps[0], steps[-1] + 1, 32)
        p = law.predict_band(run.schedule, grid, level=0.9)
        ax.plot(steps, loss, ".", ms=2, color="0.35", label="measured")
        ax.plot(grid, p.loss, color="C1", lw=1.3, label="predicted")
        ax.fill_between(grid, p.low, p.high, color="C1", alpha=0.25, lw=0, label="90 % band")
        err = np.mean(np.abs(law.predict(run.schedule, steps) - loss) / loss)
        ax.set_title(f"{run.name}: {100 * err:.2f} %", fontsize=9)
        ax.set_ylim(loss[-1] - 0.1, loss[len(loss) // 8] + 0.05)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Held-out curves predicted from the fit set (mean relative error in the titles)", fontsize=10)
    fig.tight_layout()
    save(fig, "laws_heldout.png")

    result = L.optimize(law, 24_000, peak_value=3e-4, warmup_steps=2_160)
    print(result)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    steps = np.arange(24_000)
    shown = [("optimized", result.schedule)] + [(b.name, b.schedule) for b in result.baselines]
    for (name, s), color in zip(shown, ("C3", "C0", "C2"), strict=True):
        left.plot(steps, s(steps), lw=1.4, label=name, color=color)
        p = law.predict_band(s, steps[12_000:], level=0.9)
        right.plot(p.steps, p.loss, lw=1.4, label=f"{name}: {p.loss[-1]:.4f}", color=color)
        right.fill_between(p.steps, p.low, p.high, color=color, alpha=0.2, lw=0)
    left.set(xlabel="step", ylabel="learning rate", title="Schedules (24,000 steps)")
    right.set(xlabel="step", ylabel="predicted loss", title="Predicted loss, 90 % bands")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, "laws_optimized.png")

    for size in ("25M", "100M"):
        fits = L.load_manifest(L.example_manifest(size), "fit")
        tests = L.load_manifest(L.example_manifest(size), "test")
        for name in ("multi_power", "momentum"):
            fitted = L.fit(fits, law=name, uncertainty="none")
            d = L.diagnose(fitted, tests)
            mean = 100 * np.mean([x.mean_error for x in d])
            final = 100 * max(x.final_error for x in d)
            print(f"{size} {name}: test mean {mean:.3f} %, worst final step {final:.3f} %")


if __name__ == "__main__":
    main()
