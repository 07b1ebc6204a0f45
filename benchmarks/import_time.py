"""What ``import lrplan`` costs, measured against ``import numpy`` in the same run (goal: at most NumPy + 15 ms).

Each import runs in a fresh interpreter (``python -c "import X"``), many times, alternating the two so
that a busy moment of a shared machine hits both sides alike; the best run of each is kept. The bare
interpreter start (``python -c pass``) is shown for reference. ``--top N`` also prints the N modules
with the largest own import time under ``python -X importtime`` (one run; indicative only).

Byte-code caches are written to a temporary folder (``PYTHONPYCACHEPREFIX``) by a first, uncounted
run of each side, so both imports are timed as an installed package runs: from cached byte code,
even where the environment sets ``PYTHONDONTWRITEBYTECODE``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

GOAL_MS = 15.0


def wall(code: str, env: dict[str, str]) -> float:
    """Seconds of one ``python -c code`` run."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - t0


def top_modules(n: int, env: dict[str, str]) -> list[tuple[int, str]]:
    """The ``n`` modules with the largest own import time (microseconds) in one ``-X importtime`` run."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import lrplan"], capture_output=True, text=True, check=True, env=env
    ).stderr
    rows = []
    for line in out.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, _, name = line[len("import time:") :].split("|", 2)
        rows.append((int(own), name.rstrip()))
    return sorted(rows, reverse=True)[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=30, help="runs of each import (default 30)")
    parser.add_argument("--top", type=int, default=0, help="also list the N slowest modules under -X importtime")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, PYTHONPYCACHEPREFIX=cache)
        for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME"):
            env.pop(name, None)
        sides = {"python -c pass": "pass", "import numpy": "import numpy", "import lrplan": "import lrplan"}
        for code in sides.values():
            wall(code, env)  # writes the byte-code caches
        best = {label: float("inf") for label in sides}
        for _ in range(args.runs):
            for label, code in sides.items():
                best[label] = min(best[label], wall(code, env))
        top = top_modules(args.top, env) if args.top else []
    for label, seconds in best.items():
        print(f"{label:15s} {seconds * 1e3:7.1f} ms (best of {args.runs})")
    extra = (best["import lrplan"] - best["import numpy"]) * 1e3
    verdict = "within" if extra <= GOAL_MS else "OVER"
    print(f"lrplan costs NumPy + {extra:.1f} ms: {verdict} the goal of NumPy + {GOAL_MS:.0f} ms")
    if top:
        print("\nlargest own import times (one run of python -X importtime -c 'import lrplan'):")
        for own, name in top:
            print(f"  {own / 1e3:6.1f} ms  {name.strip()}")


if __name__ == "__main__":
    main()
