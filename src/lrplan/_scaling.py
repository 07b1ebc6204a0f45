r"""Scaling rules as explicit, cited transforms: nothing here is applied unless you call it.

* :func:`linear_scaling`: SGD's linear rule with gradual warmup (Goyal et al. 2017);
* :func:`sqrt_scaling`: the square-root rule for Adam and RMSprop, with the betas and epsilon it also
  changes (Malladi et al. 2022);
* :func:`adamw_timescale` and :func:`weight_decay_for_timescale`: AdamW's timescale
  :math:`\tau = 1/(\eta\lambda)` held fixed in epochs as batch and data change (Wang & Aitchison 2024);
* :func:`independent_weight_decay`: a decay per update that does not scale with the peak learning rate,
  written as PyTorch's AdamW ``weight_decay`` (Wortsman et al. 2023);
* :func:`mup_lr_multipliers`: muP's per-group learning-rate multipliers by width for Adam (Yang et al. 2022),
  ready for ``lrplan.torch.Scheduler(..., multipliers=...)``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from ._base import Schedule
from ._compose import Product, Scale
from ._validate import fail, require_choice, require_in_range, require_int, require_positive
from .schedules.basic import Linear

__all__ = [
    "linear_scaling",
    "sqrt_scaling",
    "AdamScaling",
    "adamw_timescale",
    "weight_decay_for_timescale",
    "independent_weight_decay",
    "mup_lr_multipliers",
]


def _ratio(owner: str, batch_size: Any, base_batch_size: Any) -> float:
    b = require_int(owner, "batch_size", batch_size, minimum=1)
    b0 = require_int(owner, "base_batch_size", base_batch_size, minimum=1)
    return b / b0


def _lr(owner: str, lr: Any) -> float | Schedule:
    if isinstance(lr, Schedule):
        return lr
    return float(require_positive(owner, "lr", lr))


def linear_scaling(
    lr: float | Schedule, *, batch_size: int, base_batch_size: int = 256, warmup_steps: float = 0
) -> float | Schedule:
    r"""The linear scaling rule with gradual warmup (Goyal et al. 2017): multiply the learning rate by :math:`k = B/B_0`.

    .. math::
        \eta_B(s) = k\,\eta(s)\,\Big(\tfrac{1}{k} + \big(1 - \tfrac{1}{k}\big)\min(1, s/W)\Big), \qquad k = B/B_0

    so over the first :math:`W` updates the value rises linearly from :math:`\eta(s)` to :math:`k\eta(s)`
    ("start from a learning rate of :math:`\eta` and increment it by a constant amount at each
    iteration such that it reaches :math:`\hat\eta = k\eta` after 5 epochs"), on the schedule's own
    clock (nothing is shifted). A number gives a number (:math:`k\eta`, no warmup); a schedule gives a
    ``scale`` (times a ``linear`` ramp when ``warmup_steps > 0``), serializable like any schedule.

    The paper's recipe (ResNet-50 on ImageNet, SGD with momentum 0.9): :math:`\eta = 0.1 \cdot kn/256`,
    5 warmup epochs, divided by 10 at epochs 30, 60 and 80; at :math:`kn = 8192` the peak is 3.2.

    Args:
        lr: a learning rate or a schedule, tuned at ``base_batch_size``.
        batch_size: :math:`B`, the new global batch.
        base_batch_size: :math:`B_0` (256 in the paper).
        warmup_steps: :math:`W`, updates of gradual warmup (5 epochs in the paper; 0: none).

    Example:
        >>> import lrplan
        >>> lrplan.linear_scaling(0.1, batch_size=8192)
        3.2
        >>> epoch = 10  # updates per epoch in this small example
        >>> base = lrplan.piecewise_constant(boundaries=[30 * epoch, 60 * epoch, 80 * epoch], values=[0.1, 0.01, 0.001, 1e-4])
        >>> s = lrplan.linear_scaling(base, batch_size=8192, warmup_steps=5 * epoch)
        >>> s(0), round(s(25), 6), s(50), s(299), round(s(300), 6)
        (0.1, 1.65, 3.2, 3.2, 0.32)

    References:
        Goyal et al. 2017, "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour",
        https://arxiv.org/abs/1706.02677 (§2.1 linear scaling rule, §2.2 gradual warmup, §5.1 recipe).
    """
    owner = "linear_scaling"
    k = _ratio(owner, batch_size, base_batch_size)
    w = require_in_range(owner, "warmup_steps", warmup_steps, 0.0, math.inf)
    base = _lr(owner, lr)
    if not isinstance(base, Schedule):
        if w:
            raise fail(owner, "warmup_steps", "0 for a number (pass a schedule to get a warmup)", warmup_steps)
        return base * k
    scaled = Scale(base, factor=k)
    if not w or k == 1:
        return scaled
    return Product(schedules=(scaled, Linear(init_value=1 / k, end_value=1.0, decay_steps=w)))


@dataclasses.dataclass(frozen=True)
class AdamScaling:
    """Adam's hyperparameters after :func:`sqrt_scaling`: ``lr`` (a number or a schedule), ``betas`` and ``eps``.

    Example:
        >>> import lrplan
        >>> r = lrplan.sqrt_scaling(3e-4, batch_size=64, base_batch_size=256, betas=(0.9, 0.95))  # kappa = 1/4
        >>> r.lr, [round(b, 6) for b in r.betas], r.eps
        (0.00015, [0.975, 0.9875], 2e-08)
    """

    lr: float | Schedule
    betas: tuple[float, float]
    eps: float


def sqrt_scaling(
    lr: float | Schedule,
    *,
    batch_size: int,
    base_batch_size: int,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> AdamScaling:
    r"""The square-root scaling rule for Adam and RMSprop (Malladi et al. 2022), with everything else it changes.

    With :math:`\kappa = B/B_0`, the rule changes four hyperparameters, not only the learning rate:

    .. math::
        \eta' = \sqrt{\kappa}\,\eta, \qquad 1 - \beta_1' = \kappa(1 - \beta_1), \qquad
        1 - \beta_2' = \kappa(1 - \beta_2), \qquad \epsilon' = \epsilon / \sqrt{\kappa}

    (the rule follows from the SDE approximation of Adam; the paper validates it in vision and
    language settings and reports where it breaks down, at large :math:`\kappa`). A batch so large
    that :math:`\kappa(1-\beta) \ge 1` has no valid beta and is refused.

    Args:
        lr: the learning rate (a number or a schedule) tuned at ``base_batch_size``.
        batch_size: :math:`B`.
        base_batch_size: :math:`B_0`.
        betas: :math:`(\beta_1, \beta_2)` tuned at :math:`B_0` (PyTorch's defaults).
        eps: :math:`\epsilon` tuned at :math:`B_0`.

    Example:
        >>> import lrplan
        >>> r = lrplan.sqrt_scaling(1e-3, batch_size=1024, base_batch_size=256)  # kappa = 4
        >>> r.lr, [round(b, 6) for b in r.betas], r.eps
        (0.002, [0.6, 0.996], 5e-09)

    References:
        Malladi, Lyu, Panigrahi & Arora 2022, "On the SDEs and Scaling Rules for Adaptive Gradient
        Algorithms", https://arxiv.org/abs/2205.10287 (the square-root scaling rule for Adam).
    """
    owner = "sqrt_scaling"
    kappa = _ratio(owner, batch_size, base_batch_size)
    base = _lr(owner, lr)
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
        raise fail(owner, "betas", "a pair (beta1, beta2)", betas)
    b1, b2 = (float(require_in_range(owner, "betas", b, 0.0, 1.0, high_open=True)) for b in betas)
    e = float(require_positive(owner, "eps", eps))
    new = tuple(1.0 - kappa * (1.0 - b) for b in (b1, b2))
    if min(new) <= 0:
        limit = base_batch_size / (1.0 - min(b1, b2))
        raise fail(
            owner, "batch_size", f"< base_batch_size / (1 - beta) = {limit:g} (kappa (1 - beta) < 1)", batch_size
        )
    root = math.sqrt(kappa)
    scaled_lr = Scale(base, factor=root) if isinstance(base, Schedule) else base * root
    return AdamScaling(lr=scaled_lr, betas=(new[0], new[1]), eps=e / root)


def adamw_timescale(lr: float, weight_decay: float, *, batch_size: int, dataset_size: int) -> tuple[float, float]:
    r"""AdamW's timescale: ``(tau_iter, tau_epoch)``, the memory of its weight average in updates and in epochs.

    AdamW's update :math:`w \leftarrow (1 - \eta\lambda) w - \eta\,\hat u` makes the weights an exponential
    moving average of recent updates with timescale

    .. math:: \tau_{iter} = \frac{1}{\eta\lambda}, \qquad \tau_{epoch} = \tau_{iter}\,\frac{B}{N}

    (:math:`N` samples per epoch, :math:`B` per update). Wang & Aitchison 2024 find the best
    :math:`\tau_{epoch}` roughly constant as model and data size change: hold it fixed with
    :func:`weight_decay_for_timescale`.

    Example:
        >>> import lrplan
        >>> lrplan.adamw_timescale(1e-3, 0.1, batch_size=512, dataset_size=100_000_000)
        (10000.0, 0.0512)

    References:
        Wang & Aitchison 2024, "How to set AdamW's weight decay as you scale model and dataset size",
        https://arxiv.org/abs/2405.13698.
    """
    owner = "adamw_timescale"
    eta = float(require_positive(owner, "lr", lr))
    lam = float(require_positive(owner, "weight_decay", weight_decay))
    b = require_int(owner, "batch_size", batch_size, minimum=1)
    n = require_int(owner, "dataset_size", dataset_size, minimum=1)
    tau = 1.0 / (eta * lam)
    return tau, tau * b / n


def weight_decay_for_timescale(lr: float, *, tau_epoch: float, batch_size: int, dataset_size: int) -> float:
    r"""The AdamW ``weight_decay`` that gives timescale ``tau_epoch`` (in epochs): :math:`\lambda = B / (\eta N \tau_{epoch})`.

    The inverse of :func:`adamw_timescale`: keep :math:`\tau_{epoch}` when the batch, the learning rate
    or the data change.

    Example:
        >>> import lrplan
        >>> lam = lrplan.weight_decay_for_timescale(1e-3, tau_epoch=0.0512, batch_size=512, dataset_size=100_000_000)
        >>> round(lam, 12)
        0.1
        >>> # twice the batch with the square-root rule (lr x sqrt(2)): the same timescale needs lambda x sqrt(2)
        >>> round(lrplan.weight_decay_for_timescale(1e-3 * 2**0.5, tau_epoch=0.0512, batch_size=1024,
        ...                                         dataset_size=100_000_000), 6)
        0.141421

    References:
        Wang & Aitchison 2024, https://arxiv.org/abs/2405.13698.
    """
    owner = "weight_decay_for_timescale"
    eta = float(require_positive(owner, "lr", lr))
    tau = float(require_positive(owner, "tau_epoch", tau_epoch))
    b = require_int(owner, "batch_size", batch_size, minimum=1)
    n = require_int(owner, "dataset_size", dataset_size, minimum=1)
    return b / (eta * n * tau)


def independent_weight_decay(decay: float, *, peak_lr: float) -> float:
    r"""PyTorch AdamW's ``weight_decay`` for a decay independent of the learning rate's size: ``decay / peak_lr``.

    PyTorch's (and optax's) AdamW multiply the decay by the current learning rate:
    :math:`w \leftarrow w - \eta_t \lambda_{torch} w`. "Independent" weight decay removes the peak's size
    and keeps only the schedule's shape: :math:`w \leftarrow w - (\eta_t/\eta_{peak})\,\lambda\,w`, so tuning the
    peak no longer changes the decay. The two agree when :math:`\lambda_{torch} = \lambda / \eta_{peak}`.

    Example:
        >>> import lrplan
        >>> lrplan.independent_weight_decay(1e-4, peak_lr=1e-3)  # AdamW(weight_decay=0.1) at peak lr 1e-3
        0.1

    References:
        Wortsman et al. 2023, "Small-scale proxies for large-scale Transformer training instabilities",
        https://arxiv.org/abs/2309.14322 (independent weight decay); Loshchilov & Hutter 2019,
        https://arxiv.org/abs/1711.05101 (decoupled weight decay, with a schedule multiplier).
    """
    owner = "independent_weight_decay"
    lam = float(require_in_range(owner, "decay", decay, 0.0, 1.0))
    return lam / float(require_positive(owner, "peak_lr", peak_lr))


_MUP_ROLES = ("input", "bias", "hidden", "output")


def mup_lr_multipliers(roles: Mapping[str, str], *, width: int, base_width: int) -> dict[str, float]:
    r"""muP's learning-rate multipliers for Adam, per parameter group, relative to the width hyperparameters were tuned at.

    muP (Table 3 of Yang et al. 2022, Adam column) sets the learning rate of hidden and output weights
    as :math:`\eta/\text{fan\_in}` and keeps input weights and all biases at :math:`\eta`; relative
    to a base width :math:`d_0` at which :math:`\eta` was tuned, for a model of width :math:`d`:

    .. math:: m_{input} = m_{bias} = 1, \qquad m_{hidden} = m_{output} = d_0 / d

    muP also changes initialisations (output weights at variance :math:`1/\text{fan\_in}^2`): this
    gives the learning rates only. The result is what ``lrplan.torch.Scheduler(..., multipliers=...)``
    takes, keyed by group name.

    Args:
        roles: group name -> ``"input"``, ``"bias"``, ``"hidden"`` or ``"output"``.
        width: :math:`d`, the model's width (``d_model``).
        base_width: :math:`d_0`, the width at which the learning rate was tuned.

    Example:
        >>> import lrplan
        >>> lrplan.mup_lr_multipliers({"embed": "input", "blocks": "hidden", "norms": "bias", "head": "output"},
        ...                           width=1024, base_width=256)
        {'embed': 1.0, 'blocks': 0.25, 'norms': 1.0, 'head': 0.25}

    References:
        Yang et al. 2022, "Tensor Programs V: Tuning Large Neural Networks via Zero-Shot Hyperparameter
        Transfer", https://arxiv.org/abs/2203.03466 (Table 3; the ``mup`` package's ``MuAdam``).
    """
    owner = "mup_lr_multipliers"
    d = require_int(owner, "width", width, minimum=1)
    d0 = require_int(owner, "base_width", base_width, minimum=1)
    if not isinstance(roles, Mapping) or not roles:
        raise fail(owner, "roles", "a non-empty mapping of group name to role", roles)
    out = {}
    for name, role in roles.items():
        require_choice(owner, f"roles[{name!r}]", role, _MUP_ROLES)
        out[str(name)] = d0 / d if role in ("hidden", "output") else 1.0
    return out
