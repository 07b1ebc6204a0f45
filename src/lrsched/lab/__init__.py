"""The lab: train small real models under many schedules and optimizers, and see which wins.

``lrsched lab demo`` (or ``python -m lrsched.lab demo``) runs the quick built-in study on the
digits data set and writes an HTML report. Everything runs offline on a CPU; sweeps run in local
worker processes or on a Ray cluster, are deterministic per seed, and resume where they stopped.

Modules: :mod:`~lrsched.lab.tasks` (what is trained, and the task registry),
:mod:`~lrsched.lab.optimizers`, :mod:`~lrsched.lab.study` (study files and run specs),
:mod:`~lrsched.lab.studies` (built-in studies and the claims they check),
:mod:`~lrsched.lab.runner` (the training loop and sweeps), :mod:`~lrsched.lab.store` (one JSON
record per run, written atomically), :mod:`~lrsched.lab.backends` (local processes, Ray),
:mod:`~lrsched.lab.report` (HTML report) and :mod:`~lrsched.lab.cli` (the ``lrsched lab`` commands).

Importing this package does not import torch; building a task does.
"""

from .errors import IdxError as IdxError
from .errors import LabError as LabError
from .errors import StudyError as StudyError

__all__ = ["LabError", "StudyError", "IdxError"]
