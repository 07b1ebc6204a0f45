"""Start-up time of the ``lrplan`` command, measured in one run against the interpreter's own floors.

Goal: ``lrplan show SPEC`` and ``lrplan sample SPEC`` start and finish in at most 0.25 s of wall time
on 2 cores. Each command runs in a fresh interpreter several times and the best run is kept (the
machine may be shared); ``python -c pass`` and ``python -c "import lrplan"`` are the references, so
the figures that matter are the margins over them (what the command adds to the library's import).
"""

from __future__ import annotations

import os
import resource
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


def best_of(argv: list[str], runs: int = RUNS) -> tuple[float, float]:
    """The fastest of ``runs`` runs of ``argv``: (wall seconds, CPU seconds); the command must succeed.

    CPU time (user + system, of the child) does not count waiting for a busy core, so it stays
    meaningful on a loaded machine where wall time does not.
    """
    env = {**os.environ, "COLUMNS": "100"}
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return min(walls), min(cpus)


def main() -> None:
    script = shutil.which("lrplan")
    cases = dict(CASES)
    if script is not None:  # the console script, as a user types it
        cases["lrplan show SPEC (console script)"] = [script, "show", SPEC]
    results = {name: best_of(argv) for name, argv in cases.items()}
    library, library_cpu = results["import lrplan"]
    print(f"best of {RUNS} runs, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"{'command':<36} {'wall s':>7} {'- import lrplan':>16} {'CPU s':>7} {'- import lrplan':>16}")
    for name, (wall, cpu) in results.items():
        print(f"{name:<36} {wall:7.3f} {wall - library:16.3f} {cpu:7.3f} {cpu - library_cpu:16.3f}")
    for name in ("lrplan show SPEC", "lrplan sample SPEC"):
        wall, cpu = results[name]
        verdict = "meets" if wall <= GOAL else "misses"
        print(f"{name}: {wall:.3f} s wall ({cpu:.3f} s CPU) {verdict} the {GOAL} s goal")


if __name__ == "__main__":
    main()
