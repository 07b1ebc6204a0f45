"""PyTorch adapter: one lrplan schedule drives any ``torch.optim`` optimizer, exactly and resumably.

:class:`Scheduler` is a :class:`torch.optim.lr_scheduler.LRScheduler`, so trainers that check
``isinstance`` (PyTorch Lightning, the Hugging Face ``Trainer``) accept it. It writes the closed form
``schedule(step)`` into the param groups and never reads a learning rate back from the optimizer, so
chaining, load order and a missing ``initial_lr`` cannot change the curve. Its whole state is
``{"schedule": config, "step": int}``.

Step convention: construction writes the values for step 0 (the first update); each ``step()``, called
after ``optimizer.step()``, moves to the next update. Past its horizon a schedule holds its end value.

The package: ``_scheduler`` (the scheduler's lifecycle), ``_state`` (its state dict's checks),
``_groups`` (param-group plumbing: the plan of slots and targets, and the one function that writes
into param groups), ``_range_test`` (the LR range test on a model).

Example:
    >>> import torch, lrplan
    >>> import lrplan.torch
    >>> model = torch.nn.Linear(2, 1)
    >>> opt = torch.optim.SGD(model.parameters(), lr=1.0)
    >>> s = lrplan.warmup(lrplan.cosine(init_value=0.1, decay_steps=4), steps=2)
    >>> sched = lrplan.torch.Scheduler(opt, s)
    >>> lrs = []
    >>> for _ in range(7):
    ...     lrs.append(opt.param_groups[0]["lr"])
    ...     opt.step()
    ...     sched.step()
    >>> [round(v, 6) for v in lrs]
    [0.0, 0.05, 0.1, 0.085355, 0.05, 0.014645, 0.0]
    >>> sched.state_dict()["step"]
    7
"""

from __future__ import annotations

try:
    import torch as _torch  # noqa: F401 - the import guard
except ImportError as _exc:  # pragma: no cover - exercised without torch (tests/adapters/test_import_guards.py)
    raise ImportError("lrplan.torch needs PyTorch: pip install 'lrplan[torch]'") from _exc

from ._groups import NotAScheduleError as NotAScheduleError
from ._groups import current_lr as current_lr
from ._range_test import range_test as range_test
from ._scheduler import Count as Count
from ._scheduler import OnMismatch as OnMismatch
from ._scheduler import Scheduler as Scheduler
from ._scheduler import updates_per_epoch as updates_per_epoch
from ._state import STATE_FORMAT as STATE_FORMAT

__all__ = ["Scheduler", "NotAScheduleError", "current_lr", "updates_per_epoch", "range_test"]
