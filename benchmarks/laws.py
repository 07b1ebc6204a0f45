"""Loss-curve laws, timed in one run.

(a) fitting the multi-power law to the 3-curve fit set (25M curves), without and with the jackknife
    ensemble, and the momentum law (goal <= 30 s on 2 cores);
(b) predicting a 100,000-step curve (warmup + cosine) at every step with the O(n) sum of exponentials
    (goal <= 0.5 s), against the direct O(n^2) sum measured on a subset of steps and scaled (the direct
    cost of a step is proportional to the step), and the largest difference seen on that subset with
    its stated bound;
(c) optimizing a 24,000-step schedule under the fitted law, free-form and all families (goal <= 60 s).

Times are CPU seconds of this process (the machine may be shared); each prediction is the best of 3.
"""

from __future__ import annotations

import time

import numpy as np

import lrplan
import lrplan.laws as L

N = 100_000
COSINE = lrplan.warmup(lrplan.cosine(init_value=3e-4, decay_steps=N - 2_160, end_value=3e-5), steps=2_160)


def timed(f, repeat: int = 1):  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        out = f()
        best = min(best, time.process_time() - start)
    return best, out


def main() -> None:
    runs = L.load_manifest(L.example_manifest("25M"))
    print("(a) fit on 3 curves (25M fit set)")
    t_mp, law = timed(lambda: L.fit(runs, law="multi_power", uncertainty="none"))
    print(f"    multi_power, no ensemble      {t_mp:6.2f} s   (goal <= 30 s)")
    t_jk, law_jk = timed(lambda: L.fit(runs, law="multi_power"))
    print(f"    multi_power, jackknife (x3)   {t_jk:6.2f} s   (goal <= 30 s)")
    t_mo, _ = timed(lambda: L.fit(runs, law="momentum"))
    print(f"    momentum, jackknife           {t_mo:6.2f} s")

    print(f"(b) predict {N:,} steps ({COSINE})")
    steps = np.arange(N)
    t_fast, fast = timed(lambda: law.predict(COSINE, steps, method="fast"), repeat=3)
    sample = np.linspace(1, N - 1, 400).astype(np.int64)
    t_direct, direct = timed(lambda: law.predict(COSINE, sample, method="direct"))
    t_naive = t_direct * N / len(sample)  # the direct sum costs O(t) at step t: the sample's mean is the curve's
    bound = law.B * 1e-10 * float(np.abs(np.diff(COSINE(steps))).sum())
    print(f"    sum of exponentials           {t_fast:6.3f} s   (goal <= 0.5 s)")
    print(f"    direct O(n^2) sum (estimated) {t_naive:6.1f} s   ({t_direct:.2f} s for {len(sample)} steps)")
    print(f"    ratio                         {t_naive / t_fast:6.0f}x faster")
    print(f"    largest difference            {np.max(np.abs(fast[sample] - direct)):.1e}   (bound {bound:.1e})")

    print("(c) optimize a 24,000-step schedule under the fitted multi-power law (jackknife ensemble)")
    for family in ("free", "all"):
        t_opt, res = timed(
            lambda family=family: L.optimize(law_jk, 24_000, peak_value=3e-4, warmup_steps=2_160, family=family)
        )
        gains = ", ".join(f"{b.name} {b.gain:+.4f} (se {b.gain_se:.4f})" for b in res.baselines)
        print(f"    {family:<5} {t_opt:6.2f} s   (goal <= 60 s)   final {res.final_loss:.4f}; gains: {gains}")


if __name__ == "__main__":
    main()
