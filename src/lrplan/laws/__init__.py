"""Loss-curve laws: predict the loss of any schedule from a few runs, optimize the schedule, transfer a tuned LR.

Import it explicitly (``import lrplan.laws``); ``import lrplan`` does not. Predicting needs NumPy only;
fitting and optimizing import SciPy when called (``pip install 'lrplan[laws]'``).
"""

from ._fit import HUBER_DELTA as HUBER_DELTA
from ._fit import diagnose as diagnose
from ._fit import fit as fit
from ._optimize import FAMILIES as FAMILIES
from ._optimize import Baseline as Baseline
from ._optimize import Optimized as Optimized
from ._optimize import baselines as baselines
from ._optimize import optimize as optimize
from ._runs import MIN_POINTS as MIN_POINTS
from ._runs import Run as Run
from ._runs import example_manifest as example_manifest
from ._runs import load_csv as load_csv
from ._runs import load_json as load_json
from ._runs import load_lab as load_lab
from ._runs import load_manifest as load_manifest
from ._runs import schedule_from_lrs as schedule_from_lrs
from ._transfer import convex_bound as convex_bound
from ._transfer import optimal_scale as optimal_scale
from ._transfer import transfer_lr as transfer_lr
from ._values import FitReport as FitReport
from ._values import Law as Law
from ._values import MomentumLaw as MomentumLaw
from ._values import MultiPowerLaw as MultiPowerLaw
from ._values import Prediction as Prediction
from ._values import RunFit as RunFit
from ._values import law_from_config as law_from_config
from ._values import parse_law as parse_law

__all__ = [
    "Law",
    "MultiPowerLaw",
    "MomentumLaw",
    "Prediction",
    "RunFit",
    "FitReport",
    "law_from_config",
    "parse_law",
    "Run",
    "fit",
    "diagnose",
    "HUBER_DELTA",
    "optimize",
    "Optimized",
    "Baseline",
    "baselines",
    "FAMILIES",
    "transfer_lr",
    "convex_bound",
    "optimal_scale",
    "MIN_POINTS",
    "load_csv",
    "load_json",
    "load_manifest",
    "load_lab",
    "example_manifest",
    "schedule_from_lrs",
]
