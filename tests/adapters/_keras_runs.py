"""Run tests/adapters/keras_backend_checks.py once per Keras backend (concurrently) and share the results.

The Keras backend is fixed per process, so each backend runs in its own subprocess. Under
pytest-xdist the results are cached in a temporary file keyed by the test run, so the subprocesses
run once per session however the tests are distributed.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BACKENDS = ("jax", "torch", "tensorflow")
ROOT = Path(__file__).resolve().parents[2]


def _run() -> dict[str, Any]:
    paths = [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]
    procs = {}
    for backend in BACKENDS:
        env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=os.pathsep.join(p for p in paths if p))
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
        procs[backend] = subprocess.Popen(
            [sys.executable, "-m", "tests.adapters.keras_backend_checks"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    results: dict[str, Any] = {}
    for backend, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            results[backend] = {"error": f"exit {proc.returncode}\n{err[-4000:]}"}
        else:
            results[backend] = json.loads(out.strip().splitlines()[-1])
    return results


@functools.cache
def keras_results() -> dict[str, Any]:
    """``{backend: results}``; a backend whose subprocess failed maps to ``{"error": stderr tail}``."""
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run_id is None:
        return _run()
    import fcntl

    cache = Path(tempfile.gettempdir()) / f"lrplan-keras-checks-{run_id}.json"
    with open(cache.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if cache.exists():
            results: dict[str, Any] = json.loads(cache.read_text())
            return results
        results = _run()
        cache.write_text(json.dumps(results))
        return results


def backend_results(backend: str) -> dict[str, Any]:
    """The results for one backend; fails the calling test with the subprocess's stderr if it crashed."""
    result: dict[str, Any] = keras_results()[backend]
    if "error" in result:
        raise AssertionError(f"KERAS_BACKEND={backend} checks crashed:\n{result['error']}")
    return result
