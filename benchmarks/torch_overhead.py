"""Per-``step()`` cost of lrplan.torch.Scheduler against torch's own schedulers, measured in one run.

The curve is a linear warmup (from 1% of the peak) followed by a cosine decay, driven three ways:

* ``lrplan``: ``lrplan.torch.Scheduler(opt, warmup(cosine(...), steps=W, init_value=0.01 * peak))``
* ``LambdaLR``: a hand-written Python lambda computing the same factor
* ``SequentialLR``: ``SequentialLR([LinearLR, CosineAnnealingLR], milestones=[W])``

for 1 and 10 param groups, with float and with tensor learning rates. Each side is timed over the
same steps several times, interleaved; the best round is kept. Run: ``python benchmarks/torch_overhead.py``.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import torch

import lrplan as L
import lrplan.torch

PEAK, W, D = 3e-4, 200, 1800
STEPS, ROUNDS = 2000, 7
SCHEDULE = L.warmup(L.cosine(init_value=PEAK, decay_steps=D), steps=W, init_value=0.01 * PEAK)


def factor(t: int) -> float:
    if t < W:
        return 0.01 + 0.99 * t / W
    return 0.5 * (1.0 + math.cos(math.pi * min(t - W, D) / D))


def make_optimizer(groups: int, tensor: bool) -> torch.optim.Optimizer:
    ps = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    lr: float | torch.Tensor = torch.tensor(PEAK, dtype=torch.float64) if tensor else PEAK
    opt = torch.optim.SGD([{"params": [p]} for p in ps], lr=lr)
    opt.step()  # no gradients: a no-op that keeps torch's call-order warning quiet
    return opt


def build(kind: str, opt: torch.optim.Optimizer) -> torch.optim.lr_scheduler.LRScheduler:
    if kind == "lrplan":
        return lrplan.torch.Scheduler(opt, SCHEDULE)
    if kind == "LambdaLR":
        return torch.optim.lr_scheduler.LambdaLR(opt, factor)
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.01, end_factor=1.0, total_iters=W)
    decay = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=D)
    return torch.optim.lr_scheduler.SequentialLR(opt, [warm, decay], milestones=[W])


def time_steps(kind: str, groups: int, tensor: bool) -> float:
    """Seconds per step() over STEPS steps of a freshly built scheduler."""
    opt = make_optimizer(groups, tensor)
    sched = build(kind, opt)
    step: Callable[[], None] = sched.step
    start = time.perf_counter()
    for _ in range(STEPS):
        step()
    return (time.perf_counter() - start) / STEPS


def check_same_curve(groups: int, tensor: bool) -> None:
    curves = []
    for kind in ("lrplan", "LambdaLR", "SequentialLR"):
        opt = make_optimizer(groups, tensor)
        sched = build(kind, opt)
        out = []
        for _ in range(STEPS):
            out.append(float(opt.param_groups[-1]["lr"]))
            sched.step()
        curves.append(out)
    for other in curves[1:]:
        worst = max(abs(a - b) for a, b in zip(curves[0], other, strict=True))
        if worst > 1e-9 * PEAK:
            raise SystemExit(f"the curves differ by {worst:.3g}: not a fair comparison")


def main() -> None:
    warnings.simplefilter("ignore")
    print(f"torch {torch.__version__}; {STEPS} steps x {ROUNDS} rounds, best round; microseconds per step()")
    print(f"{'groups':>6} {'lr':>6} {'lrplan':>9} {'LambdaLR':>9} {'Sequential':>11} {'vs Lambda':>10} {'vs Seq':>8}")
    worst = 0.0
    for groups in (1, 10):
        for tensor in (False, True):
            check_same_curve(groups, tensor)
            best = {"lrplan": math.inf, "LambdaLR": math.inf, "SequentialLR": math.inf}
            for _ in range(ROUNDS):
                for kind in best:
                    best[kind] = min(best[kind], time_steps(kind, groups, tensor))
            ratio = best["lrplan"] / best["LambdaLR"]
            worst = max(worst, ratio)
            print(
                f"{groups:>6} {'tensor' if tensor else 'float':>6} {best['lrplan'] * 1e6:>9.2f} "
                f"{best['LambdaLR'] * 1e6:>9.2f} {best['SequentialLR'] * 1e6:>11.2f} "
                f"{ratio:>9.2f}x {best['lrplan'] / best['SequentialLR']:>7.2f}x"
            )
    print(f"worst lrplan / LambdaLR ratio: {worst:.2f}x (goal <= 0.5x)")


if __name__ == "__main__":
    main()
