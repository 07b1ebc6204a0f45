"""Interpolation shapes shared by anneal, warmup, cooldown and wsd.

``interp(ops, a, b, p, shape)`` goes from ``a`` at ``p = 0`` to ``b`` at ``p = 1`` (a decay when
``b < a``); ``rise(ops, a, b, p, shape)`` is the warmup form, the time reverse of a decay of the same
shape (so a "1-sqrt" warmup rises slowly first, as Hugging Face's WSD warmup does). Linear and cosine
give the same curve either way. ``p`` must already be clipped to [0, 1].
"""

from __future__ import annotations

import math
from typing import Any

from ._ops import Ops

DECAY_SHAPES = ("linear", "cosine", "1-sqrt", "square", "exponential")
WARMUP_SHAPES = ("linear", "cosine", "1-sqrt", "square", "exponential")

_PI = math.pi


def interp(ops: Ops, a: Any, b: Any, p: Any, shape: str) -> Any:
    """Value at progress ``p`` of a ``shape`` transition from ``a`` to ``b`` (decay convention).

    linear ``a + (b - a) p``; cosine ``b + (a - b)(1 + cos(pi p))/2``; 1-sqrt ``b + (a - b)(1 - sqrt(p))``;
    square ``b + (a - b)(1 - p^2)``; exponential ``a (b/a)^p`` (geometric; needs ``a, b > 0``).
    """
    if shape == "linear":
        return a + (b - a) * p
    if shape == "cosine":
        return b + (a - b) * (0.5 * (1.0 + ops.cos(_PI * p)))
    if shape == "1-sqrt":
        return b + (a - b) * (1.0 - ops.sqrt(p))
    if shape == "square":
        return b + (a - b) * (1.0 - p * p)
    if shape == "exponential":
        return a * ops.exp(p * ops.log(b / a))
    raise ValueError(shape)  # unreachable: shapes are checked at construction


def rise(ops: Ops, a: Any, b: Any, p: Any, shape: str) -> Any:
    """Value at progress ``p`` of a ``shape`` warmup from ``a`` to ``b`` (the time reverse of a decay).

    linear ``a + (b - a) p``; cosine ``a + (b - a)(1 - cos(pi p))/2``; 1-sqrt ``a + (b - a)(1 - sqrt(1 - p))``;
    square ``a + (b - a)(1 - (1 - p)^2)``; exponential ``a (b/a)^p``.
    """
    if shape == "linear":
        return a + (b - a) * p
    if shape == "cosine":
        return a + (b - a) * (0.5 * (1.0 - ops.cos(_PI * p)))
    if shape == "1-sqrt":
        return a + (b - a) * (1.0 - ops.sqrt(1.0 - p))
    if shape == "square":
        q = 1.0 - p
        return a + (b - a) * (1.0 - q * q)
    if shape == "exponential":
        return a * ops.exp(p * ops.log(b / a))
    raise ValueError(shape)
