"""The small set of math operations a schedule formula may use.

A formula is written once, as ``_f(s, ops)`` on a float step ``s >= 0``, with no Python branch on
``s``: only ``ops.where``, ``ops.minimum``, ``ops.maximum`` and the elementwise functions below. The
same formula then runs on Python floats, NumPy arrays, and (through adapters) on jax, torch and
keras tensors, including inside ``jax.jit`` and compiled graphs.

Framework namespaces are built lazily by :func:`ops_for` so that ``import lrplan`` imports NumPy
only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Ops", "PY", "NUMPY", "ops_for", "jax_ops", "torch_ops", "keras_ops"]


class Ops(NamedTuple):
    """One framework's implementations of the operations formulas use (an immutable record).

    ``asfloat(step)`` converts a step (int or float, scalar or tensor) to the framework's float type.
    ``where(c, a, b)`` selects elementwise and must accept Python floats for ``a`` and ``b``.

    Example:
        >>> import numpy as np, lrplan
        >>> from lrplan._ops import NUMPY
        >>> lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=4).evaluate(np.arange(6), NUMPY)
        array([1.  , 0.75, 0.5 , 0.25, 0.  , 0.  ])
    """

    name: str
    asfloat: Callable[[Any], Any]
    where: Callable[[Any, Any, Any], Any]
    minimum: Callable[[Any, Any], Any]
    maximum: Callable[[Any, Any], Any]
    sqrt: Callable[[Any], Any]
    cos: Callable[[Any], Any]
    exp: Callable[[Any], Any]
    log: Callable[[Any], Any]
    floor: Callable[[Any], Any]
    tanh: Callable[[Any], Any]
    mod: Callable[[Any, Any], Any]
    """``mod(x, y)``: the remainder of ``x / y`` for ``x >= 0, y > 0``, computed exactly (IEEE fmod)."""
    sin: Callable[[Any], Any] = math.sin
    """``sin(x)``; half-angle forms such as ``sin(pi r / 2)**2`` keep the tail of a cosine accurate."""


def _py_where(c: Any, a: Any, b: Any) -> Any:
    return a if c else b


def _py_floor(x: float) -> float:
    return float(math.floor(x))


PY = Ops(
    name="python",
    asfloat=float,
    where=_py_where,
    minimum=min,
    maximum=max,
    sqrt=math.sqrt,
    cos=math.cos,
    exp=math.exp,
    log=math.log,
    floor=_py_floor,
    tanh=math.tanh,
    mod=math.fmod,
    sin=math.sin,
)
"""Python floats: the fast path of ``schedule(step)`` for an int or float step."""


def _np_asfloat(x: Any) -> Any:
    return np.asarray(x, dtype=np.float64)


NUMPY = Ops(
    name="numpy",
    asfloat=_np_asfloat,
    where=np.where,
    minimum=np.minimum,
    maximum=np.maximum,
    sqrt=np.sqrt,
    cos=np.cos,
    exp=np.exp,
    log=np.log,
    floor=np.floor,
    tanh=np.tanh,
    mod=np.fmod,
    sin=np.sin,
)
"""NumPy, in float64."""

_CACHE: dict[str, Ops] = {}


def jax_ops() -> Ops:
    """``jax.numpy`` operations; steps become the default float dtype (float32 unless x64 is on)."""
    if "jax" not in _CACHE:
        import jax.numpy as jnp

        def asfloat(x: Any) -> Any:
            return jnp.asarray(x).astype(jnp.result_type(float))

        _CACHE["jax"] = Ops(
            name="jax",
            asfloat=asfloat,
            where=jnp.where,
            minimum=jnp.minimum,
            maximum=jnp.maximum,
            sqrt=jnp.sqrt,
            cos=jnp.cos,
            exp=jnp.exp,
            log=jnp.log,
            floor=jnp.floor,
            tanh=jnp.tanh,
            mod=jnp.fmod,
            sin=jnp.sin,
        )
    return _CACHE["jax"]


def torch_ops() -> Ops:
    """``torch`` operations; float64 tensors stay float64, anything else becomes the default dtype."""
    if "torch" not in _CACHE:
        import torch

        def asfloat(x: Any) -> Any:
            t = torch.as_tensor(x)
            if t.dtype in (torch.float64, torch.float32, torch.float16, torch.bfloat16):
                return t.to(torch.float64) if t.dtype == torch.float64 else t.to(torch.get_default_dtype())
            return t.to(torch.get_default_dtype())

        def _t(a: Any, like: Any) -> Any:
            return a if isinstance(a, torch.Tensor) else torch.as_tensor(a, dtype=like.dtype, device=like.device)

        def where(c: Any, a: Any, b: Any) -> Any:
            like = a if isinstance(a, torch.Tensor) else b if isinstance(b, torch.Tensor) else c
            dtype = like.dtype if like.dtype.is_floating_point else torch.get_default_dtype()
            return torch.where(c, _t(a, like).to(dtype), _t(b, like).to(dtype))

        def minimum(a: Any, b: Any) -> Any:
            if not isinstance(a, torch.Tensor):
                a, b = b, a
            if not isinstance(b, torch.Tensor):
                return torch.clamp(a, max=b) if isinstance(a, torch.Tensor) else min(a, b)
            return torch.minimum(a, b)

        def maximum(a: Any, b: Any) -> Any:
            if not isinstance(a, torch.Tensor):
                a, b = b, a
            if not isinstance(b, torch.Tensor):
                return torch.clamp(a, min=b) if isinstance(a, torch.Tensor) else max(a, b)
            return torch.maximum(a, b)

        def unary(fn: Callable[[Any], Any], py: Callable[[float], float]) -> Callable[[Any], Any]:
            def op(x: Any) -> Any:
                return fn(x) if isinstance(x, torch.Tensor) else py(x)

            return op

        _CACHE["torch"] = Ops(
            name="torch",
            asfloat=asfloat,
            where=where,
            minimum=minimum,
            maximum=maximum,
            sqrt=unary(torch.sqrt, math.sqrt),
            cos=unary(torch.cos, math.cos),
            exp=unary(torch.exp, math.exp),
            log=unary(torch.log, math.log),
            floor=unary(torch.floor, _py_floor),
            tanh=unary(torch.tanh, math.tanh),
            sin=unary(torch.sin, math.sin),
            mod=lambda x, y: torch.fmod(x, y) if isinstance(x, torch.Tensor) else math.fmod(x, y),
        )
    return _CACHE["torch"]


def keras_ops() -> Ops:
    """``keras.ops`` operations, so one formula runs on every Keras 3 backend and inside graphs."""
    if "keras" not in _CACHE:
        import keras

        kops = keras.ops

        def asfloat(x: Any) -> Any:
            return kops.cast(x, keras.config.floatx())

        _CACHE["keras"] = Ops(
            name="keras",
            asfloat=asfloat,
            where=kops.where,
            minimum=kops.minimum,
            maximum=kops.maximum,
            sqrt=kops.sqrt,
            cos=kops.cos,
            exp=kops.exp,
            log=kops.log,
            floor=kops.floor,
            tanh=kops.tanh,
            mod=kops.mod,
            sin=kops.sin,
        )
    return _CACHE["keras"]


def ops_for(step: Any) -> Ops:
    """The operations matching the type of ``step`` (NumPy for arrays, lists and NumPy scalars)."""
    module = type(step).__module__.split(".", 1)[0]
    if module == "torch":
        return torch_ops()
    if module in ("jax", "jaxlib"):
        return jax_ops()
    if module in ("tensorflow", "keras"):
        return keras_ops()
    return NUMPY
