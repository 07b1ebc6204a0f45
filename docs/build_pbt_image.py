"""Make docs/images/lab_pbt.png: the LR of the winning population-based-training trial, and its export.

Runs a small PBT search with Ray Tune (digits, logistic regression, 8 trials of 300 updates, 2 CPUs,
about half a minute), exports the winner's schedule with :func:`lrplan.lab.tune.export_pbt`, checks
that it equals the recorded learning rate at every update, and draws both: the recorded LR of every
trial (thin), the winner's (thick) and the exported schedule over it (dashed), with the updates where
the winner's LR changed (its own mutations and those it inherited from the trials it cloned).

    python docs/build_pbt_image.py            # or: make images
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # use this tree's lrplan
os.environ["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")  # and Ray's workers

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from lrplan.lab.store import Store  # noqa: E402
from lrplan.lab.study import study_from_dict  # noqa: E402
from lrplan.lab.tune import export_pbt, search  # noqa: E402

OUT = ROOT / "docs" / "images" / "lab_pbt.png"
STEPS = 300
STUDY = {
    "name": "pbt-picture",
    "steps": STEPS,
    "eval_every": 25,
    "tasks": ["digits-logreg"],
    "optimizers": ["sgd"],
    "schedules": ["cosine(init_value=1.0, decay_steps={steps})"],
    "search": {
        "trials": 8,
        "metric": "accuracy",
        "direction": "maximize",
        "space": {"lr": {"low": 1e-3, "high": 1.0, "log": True}},
    },
}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        search(study_from_dict(STUDY), folder, workers=2, scheduler="pbt", seed=0)
        schedule, (winner,) = export_pbt(folder)
        records = list(Store(folder).records())
    lrs = winner["curves"]["lr"]
    exported = [schedule(k) for k in range(len(lrs))]
    if exported != lrs:
        raise SystemExit("the exported schedule differs from the recorded learning rate")
    fig, ax = plt.subplots(figsize=(7.5, 3.4), dpi=100)
    for r in records:
        if r is not winner and r["key"] != winner["key"]:
            ax.plot(r["curves"]["lr"], color="0.75", linewidth=0.9)
    ax.plot(
        lrs,
        color="tab:blue",
        linewidth=3.0,
        label=f"winning trial: recorded LR (accuracy {winner['final']['accuracy']:.3f})",
    )
    ax.plot(exported, color="tab:orange", linestyle="--", linewidth=1.4, label="export-pbt schedule(k)")
    for seg in winner["schedule_segments"][1:]:
        ax.axvline(seg["start"], color="tab:blue", linestyle=":", linewidth=0.8)
    ax.plot([], [], color="0.75", label="the other trials")
    ax.set_xlabel("optimizer update k")
    ax.set_ylabel("learning rate")
    ax.set_title("Population-based training on digits: the winner's LR, exported as one lrplan schedule", fontsize=9)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT)
    plt.close(fig)
    Image.open(OUT).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(OUT, optimize=True)
    print(f"{OUT.relative_to(ROOT)}: {OUT.stat().st_size / 1024:.0f} KB; {len(winner['schedule_segments'])} segments")
    print(schedule)


if __name__ == "__main__":
    main()
