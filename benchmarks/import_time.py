"""What ``import lrplan`` costs, measured against ``import numpy`` in the same run (goal: at most NumPy + 15 ms).

Each import runs in a fresh interpreter (``python -c "import X"``), many times, alternating the two so
that a busy moment of a shared machine hits both sides alike; the best run of each is kept. The goal
is on wall time; the CPU time of the child (user + system) is printed beside it, as it stays
meaningful on a machine other jobs keep busy. The bare interpreter start (``python -c pass``) is
shown for reference. ``--top N`` also prints the N modules
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


def run(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``python -c code`` run."""
    t0 = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code], env=env)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, code)
    return seconds, usage.ru_utime + usage.ru_stime


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
            run(code, env)  # writes the byte-code caches
        best = {label: float("inf") for label in sides}
        cpu = {label: float("inf") for label in sides}
        for _ in range(args.runs):
            for label, code in sides.items():
                seconds, used = run(code, env)
                best[label], cpu[label] = min(best[label], seconds), min(cpu[label], used)
        top = top_modules(args.top, env) if args.top else []
    for label, seconds in best.items():
        print(f"{label:15s} {seconds * 1e3:7.1f} ms wall, {cpu[label] * 1e3:7.1f} ms CPU (best of {args.runs})")
    extra = (best["import lrplan"] - best["import numpy"]) * 1e3
    extra_cpu = (cpu["import lrplan"] - cpu["import numpy"]) * 1e3
    verdict = "within" if extra <= GOAL_MS else "OVER"
    print(
        f"lrplan costs NumPy + {extra:.1f} ms of wall time (CPU: NumPy + {extra_cpu:.1f} ms): "
        f"{verdict} the goal of NumPy + {GOAL_MS:.0f} ms"
    )
    if top:
        print("\nlargest own import times (one run of python -X importtime -c 'import lrplan'):")
        for own, name in top:
            print(f"  {own / 1e3:6.1f} ms  {name.strip()}")


if __name__ == "__main__":
    main()
