"""How many training steps pruning saves in a peak-LR search, and whether it finds the same best LR.

The built-in search ``digits-lr``: Adam on an MLP on digits, cosine schedule, 400 updates, evaluated every
25; the peak LR on a grid of 24 log-spaced values from 1e-4 to 1 (Optuna's grid sampler). Run once without
pruning, then with each pruner given, once per trial order (the grid sampler's seed: a pruner's decisions
depend on the order in which trials come; training does not, so the search without pruning runs once).
One worker, the same training seeds everywhere. Printed per search: the updates trained in total, the
fraction saved against the search without pruning, the best LR and its accuracy, and how many grid steps
the best LRs lie apart.

    python benchmarks/search_pruning.py [--pruner hyperband] [--pruner asha] [--orders 5] [--seeds 1]
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from lrplan.lab.search import run_search
from lrplan.lab.search_examples import EXAMPLES
from lrplan.lab.study import study_from_dict


def measure(pruner: str, seeds: int, order: int, root: Path) -> dict[str, Any]:
    data = json.loads(json.dumps(EXAMPLES["digits-lr"]))
    data["search"]["pruner"] = pruner
    data["seeds"] = seeds
    study = study_from_dict(data)
    out = root / f"{pruner}-{order}"
    start = time.perf_counter()
    summary = run_search(study, out, seed=order)
    seconds = time.perf_counter() - start
    trials = [json.loads(p.read_text()) for p in sorted((out / "trials").glob("*.json"))]
    grid = list(study.search.space["lr"].values)  # type: ignore[union-attr]
    return {
        "steps": sum(t["steps"] for t in trials),
        "pruned": summary.pruned,
        "best_lr": summary.best_params["lr"] if summary.best_params else math.nan,
        "best_value": summary.best_value,
        "grid": grid,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pruner", action="append", choices=["asha", "median", "hyperband"])
    parser.add_argument("--orders", type=int, default=5, help="trial orders (grid sampler seeds 0..n-1)")
    parser.add_argument("--seeds", type=int, default=1, help="training seeds per trial")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = measure("none", args.seeds, 0, Path(tmp))
        print(
            f"no pruning      : {base['steps']:6d} updates, best lr {base['best_lr']:.4g} "
            f"(accuracy {base['best_value']:.4f}), {base['seconds']:.1f} s"
        )
        for pruner in args.pruner or ["hyperband", "asha", "median"]:
            within, saved_all = 0, []
            for order in range(args.orders):
                got = measure(pruner, args.seeds, order, Path(tmp))
                saved = 1 - got["steps"] / base["steps"]
                grid = got["grid"]
                apart = abs(grid.index(got["best_lr"]) - grid.index(base["best_lr"]))
                within += apart <= 1
                saved_all.append(saved)
                print(
                    f"{pruner:9s} order {order}: {got['steps']:6d} updates ({got['pruned']:2d} of 24 pruned), "
                    f"saved {saved:.1%}, best lr {got['best_lr']:.4g} (accuracy {got['best_value']:.4f}), "
                    f"{apart} grid step(s) from the unpruned best, {got['seconds']:.1f} s"
                )
            print(
                f"{pruner:9s} overall: saved {min(saved_all):.1%} to {max(saved_all):.1%} of the updates; "
                f"best LR within one grid step in {within} of {args.orders} orders"
            )


if __name__ == "__main__":
    main()
