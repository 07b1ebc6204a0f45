"""The lab: train small real models under many schedules and optimizers, and see which wins.

``lrplan lab demo`` (or ``python -m lrplan.lab demo``) runs the quick built-in study on the
digits data set and writes an HTML report. Everything runs offline on a CPU; sweeps run in local
worker processes or on a Ray cluster, are deterministic per seed, and resume where they stopped.

Modules: :mod:`~lrplan.lab.tasks` (what is trained, and the task registry),
:mod:`~lrplan.lab.optimizers`, :mod:`~lrplan.lab.study` (study files and run specs),
:mod:`~lrplan.lab.run` (the training loop of one run), :mod:`~lrplan.lab.backends` (where runs
execute: this process, local processes, Ray), :mod:`~lrplan.lab.sweep` (a study into a results
folder), :mod:`~lrplan.lab.store` (one JSON record per run, written atomically),
:mod:`~lrplan.lab.studies` (built-in studies and the claims they check, one module each),
:mod:`~lrplan.lab.report` (HTML report) and :mod:`~lrplan.lab.cli` (the ``lrplan lab`` commands).
Searches: :mod:`~lrplan.lab.params` (the ``search:`` section of a study), :mod:`~lrplan.lab.space`
(the trials of a search, for any engine), :mod:`~lrplan.lab.search` (``lrplan lab search`` on Optuna),
:mod:`~lrplan.lab.search_examples` (built-in searches) and :mod:`~lrplan.lab.search_report`.
Imports go one way: ``study`` <- ``run`` <- ``backends`` <- ``sweep`` <- ``studies`` <- ``report``
<- ``cli``.

Importing this package does not import torch; building a task does.
"""

from .errors import IdxError as IdxError
from .errors import LabError as LabError
from .errors import StudyError as StudyError

__all__ = ["LabError", "StudyError", "IdxError"]
