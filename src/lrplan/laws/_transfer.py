"""Transferring a tuned learning rate between schedules with the convex-optimization bound (NumPy only)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import Schedule
from ._checks import fail, lr_values, require_schedule

__all__ = ["convex_bound", "optimal_scale", "transfer_lr"]

Array = NDArray[np.float64]


def _horizon(owner: str, name: str, schedule: Schedule, steps: Any) -> int:
    if steps is None:
        h = schedule.horizon
        if h is None or not math.isfinite(h) or h < 2:
            raise fail(owner, name, "given: the schedule has no finite horizon to read the length from", steps)
        return math.ceil(h)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise fail(owner, name, "an integer >= 2", steps)
    return int(steps)


def _terms(lrs: Array, D: float, G: float) -> tuple[float, float, float]:
    """The three terms of the bound for learning rates ``lrs`` (one per update)."""
    total = float(lrs.sum())
    if not total > 0:
        raise fail("convex_bound", "schedule", "positive somewhere in the steps", "all zero")
    sq = G * G * lrs * lrs
    # suffix sums added from the end: no cancellation in the small tails of a decayed schedule
    from_k = np.cumsum(lrs[::-1])[::-1]  # sum over t >= k
    after = np.r_[from_k[1:], 0.0]  # sum over t > k
    sq_from_k = np.cumsum(sq[::-1])[::-1]
    k = slice(0, len(lrs) - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(after[k] > 0, lrs[k] / after[k] * sq_from_k[k] / from_k[k], 0.0)
    return D * D / (2.0 * total), float(sq.sum()) / (2.0 * total), 0.5 * float(ratio.sum())


def convex_bound(schedule: Schedule, steps: int | None = None, *, D: float = 1.0, G: float = 1.0) -> float:
    r"""The bound on :math:`\mathbb{E} f(x_T) - f_\star` for SGD with this schedule on a convex,
    G-Lipschitz problem with :math:`\|x_1 - x_\star\| \le D`, after ``steps`` updates.

    .. math::
        \Omega_T = \frac{D^2}{2\sum_{t=1}^T \eta_t} + \frac{G^2 \sum_{t=1}^T \eta_t^2}{2\sum_{t=1}^T \eta_t}
          + \frac{1}{2}\sum_{k=1}^{T-1} \frac{\eta_k}{\sum_{t=k+1}^{T}\eta_t}\,
            \frac{G^2 \sum_{t=k}^{T}\eta_t^2}{\sum_{t=k}^{T}\eta_t}

    with :math:`\eta_t` = ``schedule(t - 1)`` (the update ``t - 1`` counted from 0). ``steps`` defaults
    to the schedule's horizon (the step where it reaches its end value, which is not used).

    Example:
        >>> import lrplan, lrplan.laws
        >>> round(lrplan.laws.convex_bound(lrplan.constant(0.1), 100), 6)
        0.358869

    References:
        Schaipp et al. 2025, *The Surprising Agreement Between Convex Optimization Theory and
        Learning-Rate Scheduling for Large Model Training*, https://arxiv.org/abs/2501.18965 (Thm. 1;
        code: fabian-sp/lr-scheduling); Defazio et al. 2023, https://arxiv.org/abs/2310.07831.
    """
    owner = "convex_bound"
    require_schedule(owner, "schedule", schedule)
    n = _horizon(owner, "steps", schedule, steps)
    for name, x in (("D", D), ("G", G)):
        if not (isinstance(x, (int, float)) and math.isfinite(x) and x > 0):
            raise fail(owner, name, "a number > 0", x)
    return sum(_terms(lr_values(owner, schedule, n), float(D), float(G)))


def optimal_scale(schedule: Schedule, steps: int | None = None) -> float:
    r"""The factor :math:`c^\star` minimizing the bound of ``c * schedule`` (with :math:`D = G = 1`).

    The bound of :math:`c\,\eta` is :math:`a/c + b\,c` (:math:`a` the first term, :math:`b` the other two
    at :math:`c = 1`), so :math:`c^\star = \sqrt{a/b}`; for other :math:`D, G` it is :math:`(D/G)\,c^\star`.

    Example:
        >>> import lrplan, lrplan.laws
        >>> round(lrplan.laws.optimal_scale(lrplan.constant(1.0), 100), 6)
        0.040234
    """
    owner = "optimal_scale"
    require_schedule(owner, "schedule", schedule)
    a, b, c = _terms(lr_values(owner, schedule, _horizon(owner, "steps", schedule, steps)), 1.0, 1.0)
    return math.sqrt(a / (b + c))


def transfer_lr(
    lr: float,
    from_schedule: Schedule,
    to_schedule: Schedule,
    *,
    from_steps: int | None = None,
    to_steps: int | None = None,
) -> float:
    r"""The peak learning rate for ``to_schedule`` that matches ``lr``, the peak tuned for ``from_schedule``.

    Under the convex bound the best multiple of a schedule shape is :math:`(D/G)\,c^\star(\eta)`
    (:func:`optimal_scale`), and the unknown :math:`D/G` cancels between two schedules:

    .. math::
        \text{lr}_{to} = \text{lr} \cdot \frac{c^\star(\eta_{to})\,\max \eta_{to}}{c^\star(\eta_{from})\,\max \eta_{from}}

    Only the shapes and lengths of the two schedules matter, not their own peak values. Horizons default
    to each schedule's ``horizon``.

    Example:
        >>> import lrplan, lrplan.laws
        >>> short = lrplan.wsd(peak_value=1.0, warmup_steps=0, stable_steps=800, decay_steps=200, decay_shape="linear")
        >>> long = lrplan.wsd(peak_value=1.0, warmup_steps=0, stable_steps=3_200, decay_steps=800, decay_shape="linear")
        >>> round(lrplan.laws.transfer_lr(3e-4, short, long), 8)  # 4x the steps: lower the peak
        0.00015069

    References:
        Schaipp et al. 2025, https://arxiv.org/abs/2501.18965 (Sections 4-5: horizon and LR transfer).
    """
    owner = "transfer_lr"
    if not (isinstance(lr, (int, float)) and not isinstance(lr, bool) and math.isfinite(lr) and lr > 0):
        raise fail(owner, "lr", "a number > 0", lr)
    require_schedule(owner, "from_schedule", from_schedule)
    require_schedule(owner, "to_schedule", to_schedule)
    factors = []
    for name, s, steps in (("from_steps", from_schedule, from_steps), ("to_steps", to_schedule, to_steps)):
        lrs = lr_values(owner, s, _horizon(owner, name, s, steps))
        a, b, c = _terms(lrs, 1.0, 1.0)
        factors.append(math.sqrt(a / (b + c)) * float(lrs.max()))
    return float(lr) * factors[1] / factors[0]
