"""Helpers shared by the preset parity tests: comparing an lrsched preset with its source's values."""

from __future__ import annotations

import numpy as np

import lrsched as L


def preset_values(schedule: L.Schedule, n: int) -> np.ndarray:
    """The preset at steps 0..n-1, through the NumPy path, checked against the scalar path."""
    steps = np.arange(n)
    vec = schedule(steps)
    scalar = np.array([schedule(int(k)) for k in steps])
    np.testing.assert_allclose(vec, scalar, rtol=1e-13, atol=1e-300, err_msg=f"{schedule}: scalar vs NumPy path")
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
            f"lrsched {ours[k]!r} vs source {theirs[k]!r} (rtol={rtol}, atol={atol})"
        )
