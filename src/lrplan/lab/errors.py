"""The exceptions the lab raises: all are :class:`lrplan.LrplanError` and :class:`ValueError`."""

from __future__ import annotations

from lrplan import LrplanError

__all__ = ["LabError", "StudyError", "IdxError"]


class LabError(LrplanError, ValueError):
    """Something the lab was asked to do cannot be done (bad option, missing data, corrupt record)."""


class StudyError(LabError):
    """A study file or study flags are invalid.

    The message names the file (or ``<flags>``), the key and the reason, e.g.
    ``study.yaml: tasks[0].name: unknown task 'digit-mlp'. Did you mean 'digits-mlp'?``
    """


class IdxError(LabError):
    """An IDX file (the MNIST format) is missing, truncated or malformed; the message names the file."""
