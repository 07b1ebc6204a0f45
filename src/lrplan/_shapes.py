"""Interpolation shapes shared by anneal, warmup, cooldown and wsd.

``interp(ops, a, b, p, r, shape)`` goes from ``a`` at ``p = 0`` to ``b`` at ``p = 1`` (a decay when
``b < a``); ``rise(ops, a, b, p, r, shape)`` is the warmup form, the time reverse of a decay of the same
shape (so a "1-sqrt" warmup rises slowly first, as Hugging Face's WSD warmup does). Linear and cosine
give the same curve either way. ``p`` (the progress) and ``r`` (the remaining fraction, ``1 - p``)
must already be clipped to [0, 1], and each computed directly from the step (``r = (end - s) / D``,
never ``1 - p``): the value is written ``a m + b (1 - m)`` with the multiplier ``m`` and its
complement each computed from whichever of ``p`` or ``r`` keeps its digits, so no term cancels and a
decay to 0 keeps float32's relative precision to its last step.
"""

from __future__ import annotations

import math
from typing import Any

from ._ops import Ops

DECAY_SHAPES = ("linear", "cosine", "1-sqrt", "square", "exponential")
WARMUP_SHAPES = ("linear", "cosine", "1-sqrt", "square", "exponential")

_PI = math.pi


def cos_half(ops: Ops, x: Any, y: Any) -> Any:
    """``(1 + cos(pi x)) / 2`` given ``x`` and ``y = 1 - x`` (both computed directly, in [0, 1]).

    ``(1 + cos(pi x)) / 2`` for ``x <= 1/2``, the half-angle form ``sin(pi y / 2)**2`` beyond, where
    ``1 + cos`` would cancel.
    """
    half = ops.sin((0.5 * _PI) * y)
    return ops.where(x <= 0.5, 0.5 * (1.0 + ops.cos(_PI * x)), half * half)


def cos_half_py(x: float, y: float) -> float:
    """:func:`cos_half` on Python floats, evaluating only the branch it returns (the same arithmetic)."""
    if x <= 0.5:
        return 0.5 * (1.0 + math.cos(_PI * x))
    half = math.sin((0.5 * _PI) * y)
    return half * half


def interp(ops: Ops, a: Any, b: Any, p: Any, r: Any, shape: str) -> Any:
    """Value at progress ``p`` (remaining ``r``) of a ``shape`` transition from ``a`` to ``b`` (decay convention).

    linear ``a r + b p``; cosine ``a c + b (1 - c)``, ``c = (1 + cos(pi p))/2``; 1-sqrt ``a (1 - sqrt(p)) +
    b sqrt(p)``; square ``a (1 - p^2) + b p^2``; exponential ``a (b/a)^p`` (geometric; needs ``a, b > 0``).
    ``1 - sqrt(p)`` is computed as ``r / (1 + sqrt(p))`` and ``1 - p^2`` as ``r (1 + p)``.
    """
    if shape == "linear":
        return a * r + b * p
    if shape == "cosine":
        return a * cos_half(ops, p, r) + b * cos_half(ops, r, p)
    if shape == "1-sqrt":
        root = ops.sqrt(p)
        return a * (r / (1.0 + root)) + b * root
    if shape == "square":
        return a * (r * (1.0 + p)) + b * (p * p)
    if shape == "exponential":
        return a * ops.exp(p * ops.log(b / a))
    raise ValueError(shape)  # unreachable: shapes are checked at construction


def rise(ops: Ops, a: Any, b: Any, p: Any, r: Any, shape: str) -> Any:
    """Value at progress ``p`` (remaining ``r``) of a ``shape`` warmup from ``a`` to ``b``: the decay from ``b`` to ``a`` run backwards.

    linear ``a + (b - a) p``; cosine ``a + (b - a)(1 - cos(pi p))/2``; 1-sqrt ``a + (b - a)(1 - sqrt(1 - p))``;
    square ``a + (b - a)(1 - (1 - p)^2)``; exponential ``a (b/a)^p``.
    """
    if shape == "exponential":
        return a * ops.exp(p * ops.log(b / a))
    return interp(ops, b, a, r, p, shape)
