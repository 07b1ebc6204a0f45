"""lrplan: learning-rate schedules you can trust, in every framework.

A schedule is a value: ``lr = schedule(step)``, where ``schedule(k)`` is the value used for the
k-th optimizer update, k counted from 0. Schedules are immutable, composable, comparable and
serializable (JSON configs and a spec language), and the same schedule runs in NumPy, PyTorch,
JAX/optax and Keras 3.

Example:
    >>> import lrplan
    >>> s = lrplan.warmup(lrplan.cosine(init_value=3e-4, decay_steps=10_000), steps=500)
    >>> s(0), s(500), s(10_500)
    (0.0, 0.0003, 0.0)
    >>> lrplan.parse(str(s)) == s
    True
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from . import fields as fields
from ._base import Derived as Derived
from ._base import Schedule as Schedule
from ._compose import Clip as Clip
from ._compose import Cooldown as Cooldown
from ._compose import Join as Join
from ._compose import Product as Product
from ._compose import Quantize as Quantize
from ._compose import Scale as Scale
from ._compose import Shift as Shift
from ._compose import Warmup as Warmup
from ._compose import sequence as sequence
from ._errors import ConfigError as ConfigError
from ._errors import LrplanError as LrplanError
from ._errors import SpecError as SpecError
from ._errors import StepError as StepError
from ._errors import UnknownScheduleError as UnknownScheduleError
from ._ops import Ops as Ops
from ._registry import register as register
from ._registry import registered as registered
from ._serialize import from_config as from_config
from ._serialize import to_config as to_config
from ._version import __version__ as __version__
from .schedules.basic import Anneal as Anneal
from .schedules.basic import Constant as Constant
from .schedules.basic import Exponential as Exponential
from .schedules.basic import InverseTime as InverseTime
from .schedules.basic import Linear as Linear
from .schedules.basic import PiecewiseConstant as PiecewiseConstant
from .schedules.basic import Polynomial as Polynomial
from .schedules.basic import PowerLaw as PowerLaw
from .schedules.basic import StepDecay as StepDecay
from .schedules.cosine import Cosine as Cosine
from .schedules.cosine import OneCycle as OneCycle
from .schedules.rsqrt import InverseSqrt as InverseSqrt
from .schedules.wsd import Wsd as Wsd

# The public spelling: lower-case constructors, the same names as the spec language.
constant = Constant
linear = Linear
polynomial = Polynomial
anneal = Anneal
power_law = PowerLaw
exponential = Exponential
step_decay = StepDecay
inverse_time = InverseTime
piecewise_constant = PiecewiseConstant
inverse_sqrt = InverseSqrt
cosine = Cosine
one_cycle = OneCycle
wsd = Wsd
warmup = Warmup
join = Join
scale = Scale
product = Product
clip = Clip
shift = Shift
cooldown = Cooldown
quantize = Quantize


# Loaded on first use, so that `import lrplan` stays cheap (benchmarks/import_time.py): the restart,
# periodic, batch-size, clock and continued families, reduce-on-plateau, the range test and the scaling
# rules. parse() and from_config() find their schedules through the registry, which loads them the same way.
def _classes(module: str, *classes: tuple[str, str]) -> dict[str, tuple[str, str]]:
    """Each class of ``module`` under its name and its lower-case alias: ``("Cyclic", "cyclic")``."""
    return {name: (module, cls) for cls, alias in classes for name in (cls, alias)}


def _names(module: str, *names: str) -> dict[str, tuple[str, str]]:
    return {name: (module, name) for name in names}


_DEFERRED: dict[str, tuple[str, str]] = {
    **_classes(
        "schedules.restarts",
        ("CosineRestarts", "cosine_restarts"),
        ("CosineRestartsFixedFloor", "cosine_restarts_fixed_floor"),
        ("CosineHardRestarts", "cosine_hard_restarts"),
        ("CycleAnneal", "cycle_anneal"),
    ),
    **_classes(
        "schedules.cyclic", ("Cyclic", "cyclic"), ("CosineWave", "cosine_wave"), ("PolynomialCycle", "polynomial_cycle")
    ),
    **_classes(
        "schedules.batch",
        ("BatchConstant", "batch_constant"),
        ("BatchRampup", "batch_rampup"),
        ("BatchSteps", "batch_steps"),
        ("BatchSwitch", "batch_switch"),
    ),
    **_names("schedules.batch", "BatchSchedule", "BatchSplit"),
    **_classes("schedules.clocks", ("PerUpdate", "per_update")),
    **_classes("schedules.continued", ("Infinite", "infinite"), ("WsdS", "wsd_s")),
    **_names("schedules.continued", "rewarm", "cooldown_branches"),
    **_classes("_plateau", ("Plateau", "plateau")),
    **_classes("_finder", ("RangeTestSchedule", "range_test_schedule")),
    **_names("_finder", "Suggestion", "suggest_lr", "plot_range_test"),
    **_names("_spec", "parse"),  # the spec reader (and its ast) load with the first parse
    **_names(
        "_scaling",
        "AdamScaling",
        "adamw_timescale",
        "independent_weight_decay",
        "linear_scaling",
        "mup_lr_multipliers",
        "sqrt_scaling",
        "weight_decay_for_timescale",
    ),
}

if _TYPE_CHECKING:
    from ._finder import RangeTestSchedule as RangeTestSchedule
    from ._finder import Suggestion as Suggestion
    from ._finder import plot_range_test as plot_range_test
    from ._finder import suggest_lr as suggest_lr
    from ._plateau import Plateau as Plateau
    from ._scaling import AdamScaling as AdamScaling
    from ._scaling import adamw_timescale as adamw_timescale
    from ._scaling import independent_weight_decay as independent_weight_decay
    from ._scaling import linear_scaling as linear_scaling
    from ._scaling import mup_lr_multipliers as mup_lr_multipliers
    from ._scaling import sqrt_scaling as sqrt_scaling
    from ._scaling import weight_decay_for_timescale as weight_decay_for_timescale
    from ._spec import parse as parse
    from .schedules.batch import BatchConstant as BatchConstant
    from .schedules.batch import BatchRampup as BatchRampup
    from .schedules.batch import BatchSchedule as BatchSchedule
    from .schedules.batch import BatchSplit as BatchSplit
    from .schedules.batch import BatchSteps as BatchSteps
    from .schedules.batch import BatchSwitch as BatchSwitch
    from .schedules.clocks import PerUpdate as PerUpdate
    from .schedules.continued import Infinite as Infinite
    from .schedules.continued import WsdS as WsdS
    from .schedules.continued import cooldown_branches as cooldown_branches
    from .schedules.continued import rewarm as rewarm
    from .schedules.cyclic import CosineWave as CosineWave
    from .schedules.cyclic import Cyclic as Cyclic
    from .schedules.cyclic import PolynomialCycle as PolynomialCycle
    from .schedules.restarts import CosineHardRestarts as CosineHardRestarts
    from .schedules.restarts import CosineRestarts as CosineRestarts
    from .schedules.restarts import CosineRestartsFixedFloor as CosineRestartsFixedFloor
    from .schedules.restarts import CycleAnneal as CycleAnneal

    cosine_restarts = CosineRestarts
    cosine_restarts_fixed_floor = CosineRestartsFixedFloor
    cosine_hard_restarts = CosineHardRestarts
    cycle_anneal = CycleAnneal
    cyclic = Cyclic
    cosine_wave = CosineWave
    polynomial_cycle = PolynomialCycle
    batch_constant = BatchConstant
    batch_rampup = BatchRampup
    batch_steps = BatchSteps
    batch_switch = BatchSwitch
    per_update = PerUpdate
    infinite = Infinite
    wsd_s = WsdS
    plateau = Plateau
    range_test_schedule = RangeTestSchedule


def __getattr__(name: str) -> _Any:
    try:
        module, attribute = _DEFERRED[name]
    except KeyError:
        raise AttributeError(f"module 'lrplan' has no attribute {name!r}") from None
    value = getattr(_importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_DEFERRED))


__all__ = [
    "Schedule",
    "Derived",
    "Ops",
    "fields",
    "LrplanError",
    "ConfigError",
    "SpecError",
    "StepError",
    "UnknownScheduleError",
    "parse",
    "to_config",
    "from_config",
    "register",
    "registered",
    "Constant",
    "Linear",
    "Polynomial",
    "Anneal",
    "PowerLaw",
    "Exponential",
    "StepDecay",
    "InverseTime",
    "PiecewiseConstant",
    "InverseSqrt",
    "Cosine",
    "CosineRestarts",
    "OneCycle",
    "Cyclic",
    "CosineRestartsFixedFloor",
    "PolynomialCycle",
    "Wsd",
    "Warmup",
    "Join",
    "Scale",
    "Product",
    "Clip",
    "Shift",
    "Cooldown",
    "Plateau",
    "RangeTestSchedule",
    "Suggestion",
    "constant",
    "linear",
    "polynomial",
    "anneal",
    "power_law",
    "exponential",
    "step_decay",
    "inverse_time",
    "piecewise_constant",
    "inverse_sqrt",
    "cosine",
    "cosine_restarts",
    "one_cycle",
    "cyclic",
    "cosine_restarts_fixed_floor",
    "polynomial_cycle",
    "wsd",
    "warmup",
    "join",
    "scale",
    "product",
    "clip",
    "shift",
    "cooldown",
    "CosineWave",
    "CosineHardRestarts",
    "CycleAnneal",
    "Quantize",
    "cosine_wave",
    "cosine_hard_restarts",
    "cycle_anneal",
    "quantize",
    "range_test_schedule",
    "plateau",
    "suggest_lr",
    "plot_range_test",
    "__version__",
    "BatchSchedule",
    "BatchConstant",
    "BatchRampup",
    "BatchSteps",
    "BatchSwitch",
    "BatchSplit",
    "PerUpdate",
    "batch_constant",
    "batch_rampup",
    "batch_steps",
    "batch_switch",
    "per_update",
    "AdamScaling",
    "linear_scaling",
    "sqrt_scaling",
    "adamw_timescale",
    "weight_decay_for_timescale",
    "independent_weight_decay",
    "mup_lr_multipliers",
    "Infinite",
    "WsdS",
    "infinite",
    "wsd_s",
    "rewarm",
    "cooldown_branches",
]
