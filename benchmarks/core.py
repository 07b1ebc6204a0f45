"""Core speed, measured in one run against hand-written floors and the PyTorch way of building a curve.

(a) per-call time of cooldown(warmup(inverse_sqrt(...))) on a Python int vs a plain-Python closed form (goal <= 5x);
(b) a 1,000,000-step curve from a NumPy array vs a hand-written NumPy expression (goal <= 1.5x);
(c) the same curve built by stepping an optimizer and LambdaLR in a loop (goal >= 500x faster);
(d) piecewise_constant with 10^5 boundaries over 10^4 steps: the NumPy path (a binary search per step)
    vs the branch-free formula the traced frameworks use (one ``where`` per boundary).

Each side is timed several times, the two sides alternating so that a busy moment of a shared machine
hits both alike, and the best run of each is kept.
"""

from __future__ import annotations

import math
import sys
import timeit

import numpy as np

import lrplan as L
from lrplan._ops import NUMPY

PEAK, WARMUP, TIMESCALE, START, COOL = 1e-3, 1000, 5000.0, 800_000, 200_000
SCHEDULE = L.cooldown(
    L.warmup(L.inverse_sqrt(peak_value=PEAK, warmup_steps=0, timescale=TIMESCALE), steps=WARMUP),
    start=START,
    steps=COOL,
)
N = 1_000_000


def closed_form(step: int) -> float:
    """The same curve written by hand in plain Python."""
    s = float(step)
    if s < WARMUP:
        return PEAK * s / WARMUP
    base = PEAK * math.sqrt(TIMESCALE / (s - WARMUP + TIMESCALE))
    if s < START:
        return base
    if s >= START + COOL:
        return 0.0
    return base * (1.0 - (s - START) / COOL)


def numpy_form(steps: np.ndarray) -> np.ndarray:
    """The same curve written by hand in NumPy."""
    s = steps.astype(np.float64)
    base = PEAK * np.sqrt(TIMESCALE / (np.maximum(s - WARMUP, 0.0) + TIMESCALE))
    v = np.where(s < WARMUP, PEAK * s / WARMUP, base)
    q = np.clip((s - START) / COOL, 0.0, 1.0)
    return np.where(s < START, v, np.where(s >= START + COOL, 0.0, v * (1.0 - q)))


def best(fn, number: int, repeat: int = 7) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def best_pair(ours, theirs, number: int, repeat: int) -> tuple[float, float]:
    """The best time per call of each function, timed alternately ``repeat`` times."""
    a, b = float("inf"), float("inf")
    for _ in range(repeat):
        a = min(a, timeit.timeit(ours, number=number))
        b = min(b, timeit.timeit(theirs, number=number))
    return a / number, b / number


def main() -> None:
    steps = np.arange(N)
    np.testing.assert_allclose(SCHEDULE(steps), numpy_form(steps), rtol=1e-12, atol=1e-18)
    probe = [0, 500, 1000, 123_456, START + 1234, N - 1]
    assert all(abs(SCHEDULE(k) - closed_form(k)) <= 1e-12 * PEAK for k in probe)

    ks = list(range(0, N, 997))
    t_ours, t_floor = best_pair(lambda: [SCHEDULE(k) for k in ks], lambda: [closed_form(k) for k in ks], 3, 9)
    t_ours, t_floor = t_ours / len(ks), t_floor / len(ks)
    print(
        f"(a) Python int, per call: lrplan {t_ours * 1e9:7.0f} ns   hand-written {t_floor * 1e9:7.0f} ns   "
        f"ratio {t_ours / t_floor:.2f}x (goal <= 5x)"
    )

    t_vec, t_np = best_pair(lambda: SCHEDULE(steps), lambda: numpy_form(steps), 1, 25)
    print(
        f"(b) 1,000,000 steps, NumPy: lrplan {t_vec * 1e3:7.1f} ms   hand-written {t_np * 1e3:7.1f} ms   "
        f"ratio {t_vec / t_np:.2f}x (goal <= 1.5x)"
    )

    boundaries = [10 * (i + 1) for i in range(100_000)]
    stairs = L.piecewise_constant(boundaries=boundaries, values=[1.0 / (i + 1) for i in range(100_001)])
    random_steps = np.random.default_rng(0).uniform(0, 1.1e6, 10_000)
    branch_free = NUMPY._replace(name="branch-free")  # not NUMPY itself, so the where-chain runs
    np.testing.assert_array_equal(stairs(random_steps), stairs.evaluate(random_steps, branch_free))
    t_search = best(lambda: stairs(random_steps), number=1, repeat=5)
    t_where = best(lambda: stairs.evaluate(random_steps, branch_free), number=1, repeat=2)
    print(
        f"(d) 10^4 steps over 10^5 boundaries: lrplan (searchsorted) {t_search * 1e3:7.1f} ms   "
        f"one where per boundary {t_where * 1e3:7.0f} ms   {t_where / t_search:,.0f}x faster"
    )

    try:
        import torch
    except ImportError:
        print("(c) skipped: torch is not installed (pip install 'lrplan[torch]')")
        return
    import warnings

    torch.set_num_threads(1)
    loop_steps = 100_000

    def torch_curve() -> list[float]:
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, closed_form)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(loop_steps):
                out.append(opt.param_groups[0]["lr"])
                opt.step()
                sched.step()
        return out

    curve = torch_curve()
    np.testing.assert_allclose(curve, SCHEDULE(np.arange(loop_steps)), rtol=1e-12, atol=1e-18)
    t_torch = best(torch_curve, number=1, repeat=3) / loop_steps
    per_step_ours = t_vec / N
    print(
        f"(c) curve, per step: lrplan (vectorised) {per_step_ours * 1e9:7.1f} ns   "
        f"optimizer + LambdaLR loop {t_torch * 1e9:9.0f} ns   lrplan is {t_torch / per_step_ours:,.0f}x faster "
        "(goal >= 500x)"
    )
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, torch {torch.__version__}")


if __name__ == "__main__":
    main()
