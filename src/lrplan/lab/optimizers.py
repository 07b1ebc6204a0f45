"""Optimizers a lab run can use, by name, with their options.

Every entry builds a ``torch.optim`` optimizer, or one from an optional package, from the model
parameters, a peak learning rate and options. The lab then drives the learning rate with
:class:`lrplan.torch.Scheduler` (see :mod:`lrplan.lab.run`), so the optimizer's own ``lr`` is only
the starting value.

========================  ===============================================  ===========
name                      optimizer                                        default lr
========================  ===============================================  ===========
``sgd``                   ``torch.optim.SGD`` (momentum 0)                 0.1
``sgd-momentum``          ``torch.optim.SGD`` (momentum 0.9)               0.1
``adagrad``               ``torch.optim.Adagrad``                          0.05
``rmsprop``               ``torch.optim.RMSprop``                          1e-3
``adam``                  ``torch.optim.Adam``                             3e-3
``adamw``                 ``torch.optim.AdamW`` (weight decay 0.01)        3e-3
``schedulefree-adamw``    ``schedulefree.AdamWScheduleFree``               1e-2
``prodigy``               ``prodigyopt.Prodigy``                           1.0
``dadapt-adam``           ``pytorch_optimizer.DAdaptAdam``                 1.0
``dadapt-sgd``            ``pytorch_optimizer.DAdaptSGD`` (momentum 0.9)   1.0
``dog``                   ``dog.DoG`` (package ``dog-optimizer``)          1.0
``ldog``                  ``dog.LDoG`` (layer-wise DoG)                    1.0
========================  ===============================================  ===========

The last six come from optional packages (``pip install 'lrplan[lrfree]'`` installs them all); an
optimizer whose package is missing is refused when the study is loaded, before any run starts, with
the ``pip install`` line that fixes it (:func:`missing`).

Schedule-free AdamW keeps two sequences and is evaluated at its averaged iterate: the lab calls
``optimizer.eval()`` before every evaluation and ``optimizer.train()`` after it (the package's
usage contract). Give it a constant schedule; it has its own ``warmup_steps`` option.

**LR-free optimizers and the schedule.** Prodigy, D-Adaptation and DoG estimate the step size
themselves; their ``lr`` is a dimensionless multiplier (default 1.0), and the lab still drives it as
``lr * schedule(k)``, as their authors use them (Prodigy and D-Adaptation with cosine annealing on
top, DoG with a constant schedule). The learning rate a record keeps is the parameter group's
``lr``, i.e. that multiplier, not the step size taken:

* ``prodigy``: the step is ``d * lr`` (times Adam's bias correction when ``use_bias_correction``),
  with ``d`` the distance estimate, which grows from ``d0`` and never shrinks; ``lr`` also weights
  the estimate's update. Use ``safeguard_warmup`` with a warmup schedule.
* ``dadapt-adam`` / ``dadapt-sgd``: the step is ``d * lr`` the same way (D-Adaptation's ``d``).
* ``dog`` / ``ldog``: the step is ``lr * rbar / sqrt(G)``: the largest distance travelled from the
  start (at least ``reps_rel * (1 + |x0|)``) over the root of the summed squared gradient norms,
  for the whole model (DoG) or per tensor (LDoG). A small ``reps_rel`` means a slow start.

``growth_rate`` (Prodigy, D-Adaptation) bounds how fast ``d`` may grow per step; 0 means no limit.

Example:
    >>> from lrplan.lab import optimizers
    >>> sorted(optimizers.optimizers())  # doctest: +NORMALIZE_WHITESPACE
    ['adagrad', 'adam', 'adamw', 'dadapt-adam', 'dadapt-sgd', 'dog', 'ldog', 'prodigy', 'rmsprop',
     'schedulefree-adamw', 'sgd', 'sgd-momentum']
    >>> optimizers.resolve_options(optimizers.get_optimizer("adamw"), {"betas": [0.9, 0.95]})
    {'betas': [0.9, 0.95], 'weight_decay': 0.01, 'eps': 1e-08}

References:
    Duchi et al. 2011 (AdaGrad); Tieleman & Hinton 2012 (RMSProp); Kingma & Ba 2014, arXiv:1412.6980
    (Adam); Loshchilov & Hutter 2017, arXiv:1711.05101 (AdamW); Defazio et al. 2024,
    arXiv:2405.15682 (schedule-free), https://github.com/facebookresearch/schedule_free;
    Mishchenko & Defazio 2023, arXiv:2306.06101 (Prodigy); Defazio & Mishchenko 2023,
    arXiv:2301.07733 (D-Adaptation); Ivgi, Hinder & Carmon 2023, arXiv:2302.12022 (DoG).
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import importlib.util
import io
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

from .checks import Bound, short
from .errors import LabError

if TYPE_CHECKING:
    import torch

__all__ = [
    "OptimizerKind",
    "register_optimizer",
    "get_optimizer",
    "optimizers",
    "resolve_options",
    "build",
    "missing",
    "package_version",
]


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
        module: the optional module the factory imports (``None``: torch only); when it cannot be
            found, :func:`resolve_options` (so loading a study) refuses the optimizer.
        package: the distribution that provides ``module`` (``pip install <package>``); a run
            records its version (:func:`package_version`).
        extra: the lrplan extra that installs ``package`` (``pip install 'lrplan[<extra>]'``).
    """

    name: str
    factory: Callable[[Iterable[torch.nn.Parameter], float, dict[str, Any]], torch.optim.Optimizer]
    lr: float
    defaults: Mapping[str, Any]
    description: str
    mode_switch: bool = False
    bounds: Mapping[str, Bound] = field(default_factory=dict)
    check: Callable[[dict[str, Any]], str | None] | None = None
    module: str | None = None
    package: str | None = None
    extra: str | None = None


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
    problem = missing(kind)
    if problem is not None:
        raise LabError(problem)
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


def missing(kind: OptimizerKind) -> str | None:
    """Why ``kind`` cannot be built here (its optional package is not installed), or None.

    Example:
        >>> missing(get_optimizer("adam")) is None
        True
    """
    if kind.module is None or importlib.util.find_spec(kind.module) is not None:
        return None
    return _install_hint(kind)


def _install_hint(kind: OptimizerKind) -> str:
    extra = f" (or pip install 'lrplan[{kind.extra}]')" if kind.extra else ""
    return f"optimizer {kind.name!r} needs the {kind.package} package: pip install {kind.package}{extra}"


def _import(name: str) -> Any:
    """The optional module of the optimizer ``name``; LabError with the install hint if absent."""
    kind = get_optimizer(name)
    try:
        return importlib.import_module(str(kind.module))
    except ImportError:
        raise LabError(_install_hint(kind)) from None


def package_version(kind: OptimizerKind) -> dict[str, str]:
    """``{package: version}`` of the optional package ``kind`` uses (empty for torch's own optimizers).

    Example:
        >>> package_version(get_optimizer("adam"))
        {}
    """
    if kind.package is None:
        return {}
    try:
        return {kind.package: metadata.version(kind.package)}
    except metadata.PackageNotFoundError:
        return {}


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
    schedulefree = _import("schedulefree-adamw")
    return schedulefree.AdamWScheduleFree(
        params, lr=lr, betas=tuple(o["betas"]), weight_decay=o["weight_decay"], warmup_steps=int(o["warmup_steps"])
    )


_FRACTION = Bound(0.0, 1.0, high_open=True)  # momentum and betas: 1 or more never forgets, or grows


def _at(optimizer: Any, lr: float) -> Any:
    """``optimizer`` with ``lr`` written into every parameter group.

    The LR-free optimizers are built with their default multiplier 1.0 (DoG refuses 0 and warns
    about any other value) and then given ``lr``, as the lab's scheduler does before every update.
    """
    for group in optimizer.param_groups:
        group["lr"] = lr
    return optimizer


def _growth(o: dict[str, Any]) -> float:
    return o["growth_rate"] or math.inf  # 0: no limit (the packages' default, inf, is not JSON)


def _prodigy(params: Any, lr: float, o: dict[str, Any]) -> Any:
    prodigyopt = _import("prodigy")
    with contextlib.redirect_stdout(io.StringIO()):  # it prints "Using decoupled weight decay" when built
        built = prodigyopt.Prodigy(
            params,
            lr=1.0,
            betas=tuple(o["betas"]),
            eps=o["eps"],
            weight_decay=o["weight_decay"],
            decouple=o["decouple"],
            use_bias_correction=o["use_bias_correction"],
            safeguard_warmup=o["safeguard_warmup"],
            d0=o["d0"],
            d_coef=o["d_coef"],
            growth_rate=_growth(o),
        )
    return _at(built, lr)


def _dadapt_adam(params: Any, lr: float, o: dict[str, Any]) -> Any:
    pytorch_optimizer = _import("dadapt-adam")
    return _at(
        pytorch_optimizer.DAdaptAdam(
            params,
            lr=1.0,
            betas=tuple(o["betas"]),
            eps=o["eps"],
            weight_decay=o["weight_decay"],
            weight_decouple=o["weight_decouple"],
            bias_correction=o["bias_correction"],
            d0=o["d0"],
            growth_rate=_growth(o),
        ),
        lr,
    )


def _dadapt_sgd(params: Any, lr: float, o: dict[str, Any]) -> Any:
    pytorch_optimizer = _import("dadapt-sgd")
    return _at(
        pytorch_optimizer.DAdaptSGD(
            params,
            lr=1.0,
            momentum=o["momentum"],
            weight_decay=o["weight_decay"],
            weight_decouple=o["weight_decouple"],
            d0=o["d0"],
            growth_rate=_growth(o),
        ),
        lr,
    )


def _dog(params: Any, lr: float, o: dict[str, Any]) -> Any:
    dog = _import("dog")
    return _at(dog.DoG(params, reps_rel=o["reps_rel"], lr=1.0, weight_decay=o["weight_decay"], eps=o["eps"]), lr)


def _ldog(params: Any, lr: float, o: dict[str, Any]) -> Any:
    dog = _import("ldog")
    return _at(dog.LDoG(params, reps_rel=o["reps_rel"], lr=1.0, weight_decay=o["weight_decay"], eps=o["eps"]), lr)


def _check_growth(o: dict[str, Any]) -> str | None:
    if 0 < o["growth_rate"] < 1:
        return f"`growth_rate` must be 0 (no limit) or >= 1. Received: growth_rate={o['growth_rate']!r}."
    return None


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
        module="schedulefree",
        package="schedulefree",
        extra="lrfree",
    )
)

_POSITIVE = Bound(0.0, low_open=True)
_D_BOUNDS = {"d0": _POSITIVE, "d_coef": _POSITIVE}
register_optimizer(
    OptimizerKind(
        "prodigy",
        _prodigy,
        1.0,
        {
            "betas": [0.9, 0.999],
            "eps": 1e-8,
            "weight_decay": 0.0,
            "decouple": True,
            "use_bias_correction": False,
            "safeguard_warmup": False,
            "d0": 1e-6,
            "d_coef": 1.0,
            "growth_rate": 0.0,
        },
        "Prodigy (optional package prodigyopt); lr is a multiplier of its estimate d",
        bounds={**_ADAM_BOUNDS, **_D_BOUNDS},
        check=_check_growth,
        module="prodigyopt",
        package="prodigyopt",
        extra="lrfree",
    )
)
register_optimizer(
    OptimizerKind(
        "dadapt-adam",
        _dadapt_adam,
        1.0,
        {
            "betas": [0.9, 0.999],
            "eps": 1e-8,
            "weight_decay": 0.0,
            "weight_decouple": False,
            "bias_correction": False,
            "d0": 1e-6,
            "growth_rate": 0.0,
        },
        "D-Adaptation Adam (optional package pytorch-optimizer); lr is a multiplier of its estimate d",
        bounds={**_ADAM_BOUNDS, **_D_BOUNDS},
        check=_check_growth,
        module="pytorch_optimizer",
        package="pytorch-optimizer",
        extra="lrfree",
    )
)
register_optimizer(
    OptimizerKind(
        "dadapt-sgd",
        _dadapt_sgd,
        1.0,
        {"momentum": 0.9, "weight_decay": 0.0, "weight_decouple": False, "d0": 1e-6, "growth_rate": 0.0},
        "D-Adaptation SGD (optional package pytorch-optimizer); lr is a multiplier of its estimate d",
        bounds={"momentum": _FRACTION, **_D_BOUNDS},
        check=_check_growth,
        module="pytorch_optimizer",
        package="pytorch-optimizer",
        extra="lrfree",
    )
)
for _name, _factory, _about in (("dog", _dog, "DoG"), ("ldog", _ldog, "layer-wise DoG")):
    register_optimizer(
        OptimizerKind(
            _name,
            _factory,
            1.0,
            {"reps_rel": 1e-6, "weight_decay": 0.0, "eps": 1e-8},
            f"{_about} (optional package dog-optimizer); lr is a multiplier of its distance-over-gradients step",
            bounds={"reps_rel": _POSITIVE},
            module="dog",
            package="dog-optimizer",
            extra="lrfree",
        )
    )
