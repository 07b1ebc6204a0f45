"""Samples consumed before update k, in closed form, against the loop and the cumulative sum it replaces.

Megatron's ramp-up (32 -> 512 in steps of 32 over 2M samples). Measured in one run:

(a) ``b.samples_before(k)`` on a Python int, for k = 10**3 .. 10**9 (microseconds, independent of k);
(b) the reference a trainer without a closed form runs: a loop over the updates, adding each update's batch
    (Megatron's own bookkeeping), up to k = 10**6;
(c) a NumPy cumulative sum of the batches of updates 0 .. k-1, up to k = 10**7 (memory grows with k);
(d) ``b.samples_before`` on an array of 10**6 updates against (c) over the same updates.

Ratios are printed at equal k; each side is timed several times and the best run is kept.
"""

from __future__ import annotations

import sys
import timeit

import numpy as np

import lrplan as L

B = L.batch_rampup(start=32, increment=32, ramp_samples=2_000_000, batch_size=512)


def loop(k: int) -> int:
    """Megatron's bookkeeping: consumed += batch of the current update, k times."""
    consumed = 0
    for _ in range(k):
        consumed += B.megatron_batch(consumed)
    return consumed


def cumsum(k: int) -> int:
    return int(np.cumsum(B(np.arange(k)).astype(np.int64))[-1]) if k else 0


def best(fn: object, number: int, repeat: int = 5) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number  # type: ignore[arg-type]


def main() -> int:
    print("samples_before(k), closed form (Python int):")
    closed = {}
    for k in (10**3, 10**6, 10**9):
        closed[k] = best(lambda k=k: B.samples_before(k), number=20_000)
        print(f"  k = {k:>13,}: {closed[k] * 1e6:7.2f} us   -> {B.samples_before(k):,} samples")
    ok = True
    for k, number in ((10**3, 20), (10**6, 1)):
        assert loop(k) == B.samples_before(k)
        t = best(lambda k=k: loop(k), number=number, repeat=3)
        print(f"  loop over {k:>9,} updates: {t * 1e6:12.1f} us   closed form {t / closed[min(k, 10**6)]:,.0f}x faster")
        ok &= t > closed[min(k, 10**6)]
    for k in (10**6, 10**7):
        assert cumsum(k) == B.samples_before(k)
        t = best(lambda k=k: cumsum(k), number=1, repeat=3)
        print(f"  cumsum of {k:>10,} batches: {t * 1e6:12.1f} us   closed form {t / closed[10**6]:,.0f}x faster")
    ks = np.arange(10**6)
    assert np.array_equal(B.samples_before(ks), np.concatenate([[0], np.cumsum(B(ks).astype(np.int64))[:-1]]))
    vec = best(lambda: B.samples_before(ks), number=3)
    ref = best(lambda: np.cumsum(B(ks).astype(np.int64)), number=3)
    print(f"  array of 10**6 updates: {vec * 1e3:.2f} ms vs cumsum {ref * 1e3:.2f} ms (ratio {ref / vec:.2f})")
    print(f"  closed form at k = 10**9 vs 10**3: {closed[10**9] / closed[10**3]:.2f}x (independent of k)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
