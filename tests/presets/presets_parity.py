"""Helpers shared by the preset parity tests: comparing an lrplan preset with its source's values."""

from __future__ import annotations

import numpy as np

import lrplan as L


def preset_values(schedule: L.Schedule, n: int) -> np.ndarray:
    """The preset at steps 0..n-1, through the NumPy path, checked against the scalar path."""
    steps = np.arange(n)
    vec = schedule(steps)
    scalar = np.array([schedule(int(k)) for k in steps])
    # NumPy's vectorised pow/cos may differ from libm's by an ulp; near a cosine trough that is ~1e-13 relative
    scale = float(np.max(np.abs(scalar))) if n else 0.0
    np.testing.assert_allclose(vec, scalar, rtol=1e-12, atol=1e-15 * scale, err_msg=f"{schedule}: scalar vs NumPy path")
    return np.asarray(vec, dtype=np.float64)


def assert_match(ours: np.ndarray, theirs: np.ndarray, *, rtol: float, atol: float, what: str) -> None:
    """``|ours - theirs| <= atol + rtol |theirs|`` at every step; the message names the first bad step."""
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, f"{what}: {ours.shape} vs {theirs.shape}"
    bad = ~(np.abs(ours - theirs) <= atol + rtol * np.abs(theirs))
    if bad.any():
        k = int(np.argmax(bad))
        raise AssertionError(
            f"{what}: {int(bad.sum())} step(s) differ, first at step {k}: "
            f"lrplan {ours[k]!r} vs source {theirs[k]!r} (rtol={rtol}, atol={atol})"
        )


# ------------------------------------------------------------------- Keras and optax in a subprocess
class Call:
    """An optax schedule call inside the arguments of another (``join_schedules``), for the worker."""

    def __init__(self, name: str, *args: object, **kwargs: object) -> None:
        self.name, self.args, self.kwargs = name, args, kwargs


def _encode(x: object) -> object:
    if isinstance(x, Call):
        return {"__optax__": x.name, "args": _encode(list(x.args)), "kwargs": _encode(x.kwargs)}
    if isinstance(x, dict):
        if all(isinstance(k, str) for k in x):
            return {k: _encode(v) for k, v in x.items()}
        return {"__dict__": [[k, _encode(v)] for k, v in x.items()]}
    if isinstance(x, (list, tuple)):
        return [_encode(v) for v in x]
    return x


class SourceWorker:
    """Evaluates Keras (JAX backend) and optax schedules in ``tests/presets/source_worker.py``; see its docstring."""

    def __init__(self) -> None:
        import subprocess
        import sys
        import tempfile
        from pathlib import Path

        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("source_worker.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )

    def values(self, lib: str, name: str, *args: object, n: int, x64: bool = False, **kwargs: object) -> np.ndarray:
        """The source schedule ``name(*args, **kwargs)`` at steps 0..n-1; raises RuntimeError if it raised."""
        import json

        assert self._proc.stdin is not None and self._proc.stdout is not None
        req = {"lib": lib, "name": name, "args": _encode(list(args)), "kwargs": _encode(kwargs), "n": n, "x64": x64}
        self._proc.stdin.write(json.dumps(req) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            self._stderr.seek(0)
            raise RuntimeError("source worker died:\n" + self._stderr.read().decode(errors="replace")[-3000:])
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"{lib}.{name} raised {reply['error']}")
        if x64:
            assert reply["dtype"] == "float64", reply["dtype"]
        return np.array(reply["values"], dtype=np.float64)

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(timeout=30)
        self._stderr.close()
