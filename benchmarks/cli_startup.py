"""Start-up time of the ``lrplan`` command, measured in one run against the interpreter's own floors.

Goal: ``lrplan show SPEC`` and ``lrplan sample SPEC`` start and finish in at most 0.25 s of wall time
on 2 cores. Each command runs in a fresh interpreter several times and the best run is kept (the
machine may be shared); ``python -c pass`` and ``python -c "import lrplan"`` are the references, so
the figures that matter are the margins over them (what the command adds to the library's import).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

SPEC = "warmup(cosine(init_value=3e-4, decay_steps=10_000), steps=500)"
GOAL = 0.25
RUNS = 9

CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import numpy": [sys.executable, "-c", "import numpy"],
    "import lrplan": [sys.executable, "-c", "import lrplan"],
    "lrplan --version": [sys.executable, "-m", "lrplan", "--version"],
    "lrplan show SPEC": [sys.executable, "-m", "lrplan", "show", SPEC],
    "lrplan sample SPEC": [sys.executable, "-m", "lrplan", "sample", SPEC],
    "lrplan sample SPEC --format json": [sys.executable, "-m", "lrplan", "sample", SPEC, "--format", "json"],
    "lrplan list": [sys.executable, "-m", "lrplan", "list"],
}


def best_of(argv: list[str], runs: int = RUNS) -> float:
    """The fastest of ``runs`` wall times of ``argv``, output discarded; the command must succeed."""
    env = {**os.environ, "COLUMNS": "100"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return min(times)


def main() -> None:
    script = shutil.which("lrplan")
    cases = dict(CASES)
    if script is not None:  # the console script, as a user types it
        cases["lrplan show SPEC (console script)"] = [script, "show", SPEC]
    results = {name: best_of(argv) for name, argv in cases.items()}
    floor, library = results["python -c pass"], results["import lrplan"]
    print(f"best of {RUNS} runs, wall time, {os.cpu_count()} cores")
    print(f"{'command':<36} {'seconds':>8} {'- pass':>8} {'- import lrplan':>16}")
    for name, seconds in results.items():
        print(f"{name:<36} {seconds:8.3f} {seconds - floor:8.3f} {seconds - library:16.3f}")
    for name in ("lrplan show SPEC", "lrplan sample SPEC"):
        verdict = "meets" if results[name] <= GOAL else "misses"
        print(f"{name}: {results[name]:.3f} s {verdict} the {GOAL} s goal")


if __name__ == "__main__":
    main()
