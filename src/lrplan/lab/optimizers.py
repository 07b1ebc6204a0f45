"""Optimizers a lab run can use, by name, with their options.

Every entry builds a ``torch.optim`` optimizer (or the ``schedulefree`` package's
``AdamWScheduleFree``) from the model parameters, a peak learning rate and options. The lab then
drives the learning rate with :class:`lrplan.torch.Scheduler` (see :mod:`lrplan.lab.run`), so
the optimizer's own ``lr`` is only the starting value.

========================  =========================================  ===========
name                      optimizer                                  default lr
========================  =========================================  ===========
``sgd``                   ``torch.optim.SGD`` (momentum 0)           0.1
``sgd-momentum``          ``torch.optim.SGD`` (momentum 0.9)         0.1
``adagrad``               ``torch.optim.Adagrad``                    0.05
``rmsprop``               ``torch.optim.RMSprop``                    1e-3
``adam``                  ``torch.optim.Adam``                       3e-3
``adamw``                 ``torch.optim.AdamW`` (weight decay 0.01)  3e-3
``schedulefree-adamw``    ``schedulefree.AdamWScheduleFree``         1e-2
========================  =========================================  ===========

Schedule-free AdamW keeps two sequences and is evaluated at its averaged iterate: the lab calls
``optimizer.eval()`` before every evaluation and ``optimizer.train()`` after it (the package's
usage contract). Give it a constant schedule; it has its own ``warmup_steps`` option.

Example:
    >>> from lrplan.lab import optimizers
    >>> sorted(optimizers.optimizers())
    ['adagrad', 'adam', 'adamw', 'rmsprop', 'schedulefree-adamw', 'sgd', 'sgd-momentum']
    >>> optimizers.resolve_options(optimizers.get_optimizer("adamw"), {"betas": [0.9, 0.95]})
    {'betas': [0.9, 0.95], 'weight_decay': 0.01, 'eps': 1e-08}

References:
    Duchi et al. 2011 (AdaGrad); Tieleman & Hinton 2012 (RMSProp); Kingma & Ba 2014, arXiv:1412.6980
    (Adam); Loshchilov & Hutter 2017, arXiv:1711.05101 (AdamW); Defazio et al. 2024,
    arXiv:2405.15682 (schedule-free), https://github.com/facebookresearch/schedule_free
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .checks import Bound, short
from .errors import LabError

if TYPE_CHECKING:
    import torch

__all__ = ["OptimizerKind", "register_optimizer", "get_optimizer", "optimizers", "resolve_options", "build"]


@dataclass(frozen=True)
class OptimizerKind:
    """A registered optimizer.

    Attributes:
        name: registry name.
        factory: ``factory(params, lr, options) -> torch.optim.Optimizer``.
        lr: the default peak learning rate when a study gives none.
        defaults: every option with its default value (lists for tuples such as ``betas``).
        description: one line for ``lrplan lab list``.
        mode_switch: the optimizer needs ``.train()``/``.eval()`` around evaluation (schedule-free).
        bounds: the range of each numeric option (of each element for lists such as ``betas``);
            numeric options without one must be finite and >= 0.
        check: ``check(options) -> reason or None`` for rules between options (e.g. Nesterov needs
            momentum), run on complete options.
    """

    name: str
    factory: Callable[[Iterable[torch.nn.Parameter], float, dict[str, Any]], torch.optim.Optimizer]
    lr: float
    defaults: Mapping[str, Any]
    description: str
    mode_switch: bool = False
    bounds: Mapping[str, Bound] = field(default_factory=dict)
    check: Callable[[dict[str, Any]], str | None] | None = None


_OPTIMIZERS: dict[str, OptimizerKind] = {}


def register_optimizer(kind: OptimizerKind, *, replace: bool = False) -> OptimizerKind:
    """Add ``kind`` to the registry (``replace=True`` to overwrite a name); returns it."""
    if kind.name in _OPTIMIZERS and not replace:
        raise LabError(f"register_optimizer: the name {kind.name!r} is taken; pass replace=True to overwrite it.")
    _OPTIMIZERS[kind.name] = kind
    return kind


def get_optimizer(name: str) -> OptimizerKind:
    """The optimizer registered as ``name``; LabError with a suggestion if none."""
    try:
        return _OPTIMIZERS[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), list(_OPTIMIZERS), n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else f" Known: {', '.join(sorted(_OPTIMIZERS))}."
        raise LabError(f"unknown optimizer {name!r}.{hint}") from None


def optimizers() -> dict[str, OptimizerKind]:
    """A copy of the optimizer registry, sorted by name."""
    return dict(sorted(_OPTIMIZERS.items()))


def resolve_options(kind: OptimizerKind, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``kind.defaults`` updated with ``options``; unknown keys, wrong types and values out of range raise
    LabError."""
    if options is not None and not isinstance(options, Mapping):
        raise LabError(f"optimizer {kind.name!r}: `options` must be a mapping. Received: {short(options)}.")
    given = dict(options or {})
    unknown = sorted(map(str, set(given) - set(kind.defaults)))
    if unknown:
        raise LabError(
            f"optimizer {kind.name!r}: unknown option(s) {short(unknown)}. Options: {sorted(kind.defaults)}."
        )
    out = dict(kind.defaults)
    for key, value in given.items():
        default = kind.defaults[key]
        bound = kind.bounds.get(key) or Bound(0, integer=False)
        if isinstance(default, bool):
            ok = isinstance(value, bool)
            like = repr(default)
        elif isinstance(default, list):
            ok = isinstance(value, (list, tuple)) and len(value) == len(default) and all(map(bound.check, value))
            value = [float(v) for v in value] if ok else value
            like = f"a list of {len(default)} numbers {bound.span()}, like {default!r}"
        else:
            ok = bound.check(value)
            value = float(value) if ok else value
            like = f"{bound.describe()}, like {default!r}"
        if not ok:
            raise LabError(f"optimizer {kind.name!r}: option `{key}` must be {like}. Received: {key}={short(value)}.")
        out[key] = value
    problem = kind.check(out) if kind.check is not None else None
    if problem:
        raise LabError(f"optimizer {kind.name!r}: {problem}")
    return out


def build(
    kind: OptimizerKind, params: Iterable[torch.nn.Parameter], lr: float, options: dict[str, Any]
) -> torch.optim.Optimizer:
    """Build the optimizer ``kind`` over ``params`` with starting learning rate ``lr``."""
    return kind.factory(params, lr, resolve_options(kind, options))


def _sgd(params: Any, lr: float, o: dict[str, Any]) -> Any:
    import torch

    return torch.optim.SGD(
        params, lr=lr, momentum=o["momentum"], nesterov=o["nesterov"], weight_decay=o["weight_decay"]
    )


def _adagrad(params: Any, lr: float, o: dict[str, Any]) -> Any:
    import torch

    return torch.optim.Adagrad(params, lr=lr, eps=o["eps"], weight_decay=o["weight_decay"])


def _rmsprop(params: Any, lr: float, o: dict[str, Any]) -> Any:
    import torch

    return torch.optim.RMSprop(
        params, lr=lr, alpha=o["alpha"], eps=o["eps"], momentum=o["momentum"], weight_decay=o["weight_decay"]
    )


def _adam(params: Any, lr: float, o: dict[str, Any]) -> Any:
    import torch

    return torch.optim.Adam(params, lr=lr, betas=tuple(o["betas"]), eps=o["eps"], weight_decay=o["weight_decay"])


def _adamw(params: Any, lr: float, o: dict[str, Any]) -> Any:
    import torch

    return torch.optim.AdamW(params, lr=lr, betas=tuple(o["betas"]), eps=o["eps"], weight_decay=o["weight_decay"])


def _schedulefree(params: Any, lr: float, o: dict[str, Any]) -> Any:
    try:
        import schedulefree  # type: ignore[import-untyped]
    except ImportError:
        raise LabError(
            "optimizer 'schedulefree-adamw' needs the schedulefree package: pip install schedulefree"
        ) from None
    return schedulefree.AdamWScheduleFree(
        params, lr=lr, betas=tuple(o["betas"]), weight_decay=o["weight_decay"], warmup_steps=int(o["warmup_steps"])
    )


_FRACTION = Bound(0.0, 1.0, high_open=True)  # momentum and betas: 1 or more never forgets, or grows


def _check_nesterov(o: dict[str, Any]) -> str | None:
    if o["nesterov"] and o["momentum"] <= 0:
        return f"`nesterov` needs a momentum > 0. Received: nesterov=True, momentum={o['momentum']!r}."
    return None


_ADAM_BOUNDS = {"betas": _FRACTION}
for _name, _momentum, _about in (("sgd", 0.0, "SGD without momentum"), ("sgd-momentum", 0.9, "SGD with momentum 0.9")):
    register_optimizer(
        OptimizerKind(
            _name,
            _sgd,
            0.1,
            {"momentum": _momentum, "nesterov": False, "weight_decay": 0.0},
            _about,
            bounds={"momentum": _FRACTION},
            check=_check_nesterov,
        )
    )
register_optimizer(OptimizerKind("adagrad", _adagrad, 0.05, {"eps": 1e-10, "weight_decay": 0.0}, "AdaGrad"))
register_optimizer(
    OptimizerKind(
        "rmsprop",
        _rmsprop,
        1e-3,
        {"alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "weight_decay": 0.0},
        "RMSProp",
        bounds={"alpha": Bound(0.0, 1.0), "momentum": _FRACTION},
    )
)
register_optimizer(
    OptimizerKind(
        "adam", _adam, 3e-3, {"betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}, "Adam", bounds=_ADAM_BOUNDS
    )
)
register_optimizer(
    OptimizerKind(
        "adamw",
        _adamw,
        3e-3,
        {"betas": [0.9, 0.999], "weight_decay": 0.01, "eps": 1e-8},
        "AdamW (decoupled weight decay)",
        bounds=_ADAM_BOUNDS,
    )
)
register_optimizer(
    OptimizerKind(
        "schedulefree-adamw",
        _schedulefree,
        1e-2,
        {"betas": [0.9, 0.999], "weight_decay": 0.0, "warmup_steps": 0.0},
        "schedule-free AdamW (optional package schedulefree); use with a constant schedule",
        mode_switch=True,
        bounds={**_ADAM_BOUNDS, "warmup_steps": Bound(0, 10**9, integer=False)},
    )
)
