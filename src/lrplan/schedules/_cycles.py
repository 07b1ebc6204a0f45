"""SGDR cycle bookkeeping shared by the restart schedules: cycles of length K, K m, K m^2, ..."""

from __future__ import annotations

import math
from typing import Any

from .._ops import Ops

__all__ = ["cycle_start", "sgdr_cycle"]


def cycle_start(i: Any, k: float, m: float) -> Any:
    """First step of cycle ``i``: :math:`S_i = K(m^i - 1)/(m - 1)`, or :math:`iK` when :math:`m = 1`."""
    if m == 1.0:
        return i * k
    return k * (m**i - 1.0) / (m - 1.0)


def sgdr_cycle(ops: Ops, s: Any, k: float, m: float, max_cycles: int | None = None) -> tuple[Any, Any, Any]:
    """Cycle index ``i`` (a float), step ``t`` within the cycle and the cycle's length, at step ``s``.

    The closed form of ``i`` is corrected so that :math:`S_i \\le s < S_{i+1}` on every path, with a
    relative slack of 1e-12 so that a step landing on a restart is the restart whatever the last bit
    of the framework's ``pow`` or ``log``. With ``max_cycles``, ``i`` is capped at that count.
    """
    if m == 1.0:
        i = ops.floor(s / k)
    else:
        i = ops.floor(ops.log(1.0 + s * (m - 1.0) / k) / math.log(m))
    if max_cycles is not None:
        i = ops.minimum(i, float(max_cycles))
    i = ops.where(s < cycle_start(i, k, m) * (1.0 - 1e-12), i - 1.0, i)
    i = ops.where(s >= cycle_start(i + 1.0, k, m) * (1.0 - 1e-12), i + 1.0, i)
    length = k * m**i
    t = ops.minimum(ops.maximum(s - cycle_start(i, k, m), 0.0), length)
    return i, t, length
