"""Presets: other libraries' schedules reproduced exactly, as plain lrplan schedules.

One module per source library (``lrplan.presets.torch``, ``.keras``, ``.optax``, ``.hf``, ``.timm``,
``.fairseq``, ``.t5``, ``.big_vision``, ``.megatron``). Each function keeps the source's own name and
argument names and returns a schedule built from core primitives, so ``str()`` shows what it is.
Modules are imported on first use; none imports its source library.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from .. import UnknownScheduleError

__all__ = ["SOURCES", "source", "get", "names"]

SOURCES = ("torch", "keras", "optax", "hf", "timm", "fairseq", "t5", "big_vision", "megatron")


def source(name: str) -> ModuleType:
    """The preset module for a source library, e.g. ``source("torch")``.

    Example:
        >>> from lrplan import presets
        >>> presets.source("torch").StepLR(base_lr=0.1, step_size=30)(30)
        0.010000000000000002
    """
    if name not in SOURCES:
        close = difflib.get_close_matches(str(name), SOURCES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else f" Sources: {', '.join(SOURCES)}."
        raise UnknownScheduleError(f"Unknown preset source {name!r}.{hint}")
    return importlib.import_module(f"{__name__}.{name}")


def names() -> list[str]:
    """Every preset as ``"source.Name"`` (the functions; a module's tables of names are not presets).

    Example:
        >>> from lrplan import presets
        >>> "torch.OneCycleLR" in presets.names() and "optax.warmup_cosine_decay_schedule" in presets.names()
        True
    """
    out = []
    for src in SOURCES:
        try:
            mod = source(src)
        except ImportError:
            continue
        out += [f"{src}.{n}" for n in getattr(mod, "__all__", ()) if callable(getattr(mod, n, None))]
    return out


def get(name: str) -> Callable[..., Any]:
    """The preset function ``"source.Name"`` (e.g. ``"torch.OneCycleLR"``).

    Example:
        >>> from lrplan import presets
        >>> presets.get("hf.get_constant_schedule")(lr=0.001)
        constant(0.001)
    """
    src, _, fn = str(name).partition(".")
    mod = source(src)
    if fn not in getattr(mod, "__all__", ()):
        close = difflib.get_close_matches(fn, list(getattr(mod, "__all__", ())), n=3)
        hint = f" Did you mean {', '.join(repr(f'{src}.{c}') for c in close)}?" if close else ""
        raise UnknownScheduleError(f"Unknown preset {name!r}.{hint}")
    return getattr(mod, fn)  # type: ignore[no-any-return]
