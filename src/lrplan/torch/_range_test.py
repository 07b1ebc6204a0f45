"""The LR range test for PyTorch: run the ramp on a model, analyse it, and put everything back as it was."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch

from .. import ConfigError, RangeTestSchedule, Suggestion, suggest_lr
from ._groups import write

__all__ = ["range_test"]


def _cycle(data: Iterable[Any]) -> Iterator[Any]:
    """Yield batches from ``data`` forever, starting it again when it runs out; refuses empty data."""
    while True:
        empty = True
        for batch in data:
            empty = False
            yield batch
        if empty:
            raise ConfigError("range_test: `data` yielded no batches.")


def range_test(
    model: torch.nn.Module,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    data: Iterable[Any],
    optimizer_factory: torch.optim.Optimizer | Callable[[Any], torch.optim.Optimizer],
    *,
    min_value: float = 1e-7,
    max_value: float = 10.0,
    steps: int = 100,
    shape: str = "exponential",
    diverge: float = 4.0,
    restore: bool = True,
    **suggest_kwargs: Any,
) -> Suggestion:
    """Run an LR range test on ``model`` and return :func:`~lrplan.suggest_lr`'s :class:`~lrplan.Suggestion`.

    The k-th update uses ``range_test_schedule(min_value, max_value, steps, shape)(k)`` for every
    parameter group; ``losses[k]`` is the loss on the *next* batch, i.e. measured after the update that
    used ``lrs[k]``. The run stops early once the (EMA-smoothed) loss exceeds ``diverge`` times its
    best or becomes non-finite. Afterwards (``restore=True``) the model's parameters and buffers, the
    parameters' ``.grad``, the optimizer's state (learning rates included), the model's train/eval
    mode and torch's CPU random state are put back exactly as they were, from deep copies taken
    before the test.

    Args:
        model: the model; it is trained for up to ``steps`` updates, then restored.
        loss_fn: ``loss_fn(model(inputs), targets) -> scalar tensor``.
        data: an iterable of ``(inputs, targets)`` batches (a ``DataLoader``, or ``[(x, y)]`` for full
            batch); iterated again from the start if it runs out.
        optimizer_factory: the optimizer to use (its state is restored afterwards), or a callable
            ``params -> Optimizer`` called with ``model.parameters()`` (a fresh optimizer).
        min_value, max_value, steps, shape: the ramp (see :class:`~lrplan.RangeTestSchedule`).
        diverge: stop when the smoothed loss exceeds this multiple of its best (passed on to ``suggest_lr``).
        restore: put the model and optimizer back afterwards (default True).
        **suggest_kwargs: further options of :func:`~lrplan.suggest_lr` (``beta``, ``skip_start``, ...).

    Returns:
        The :class:`~lrplan.Suggestion`; ``.plot()`` draws loss against learning rate.

    Example:
        >>> import torch, lrplan
        >>> from lrplan.torch import range_test
        >>> _ = torch.manual_seed(0)
        >>> x = torch.randn(256, 4); y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
        >>> model = torch.nn.Linear(4, 1)
        >>> before = {k: v.clone() for k, v in model.state_dict().items()}
        >>> result = range_test(model, torch.nn.functional.mse_loss, [(x, y)],
        ...                     lambda p: torch.optim.SGD(p, lr=0.1), min_value=1e-4, max_value=10, steps=60)
        >>> result.verdict, 1e-3 < result.lr < 1.0
        ('ok', True)
        >>> all(torch.equal(before[k], v) for k, v in model.state_dict().items())
        True
    """
    if not isinstance(model, torch.nn.Module):
        raise ConfigError(f"range_test: `model` must be a torch.nn.Module. Received: model={model!r}.")
    ramp = RangeTestSchedule(min_value=min_value, max_value=max_value, steps=steps, shape=shape)
    if isinstance(optimizer_factory, torch.optim.Optimizer):
        optimizer, owned = optimizer_factory, False
    elif callable(optimizer_factory):
        optimizer, owned = optimizer_factory(model.parameters()), True
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise ConfigError(
                f"range_test: `optimizer_factory` must return a torch.optim.Optimizer. Received: {optimizer!r}."
            )
    else:
        raise ConfigError(
            "range_test: `optimizer_factory` must be a torch.optim.Optimizer or a callable params -> Optimizer. "
            f"Received: optimizer_factory={optimizer_factory!r}."
        )
    beta = float(suggest_kwargs.get("beta", 0.8))

    saved_model = copy.deepcopy(model.state_dict())
    saved_grads = [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()]
    saved_opt = None if owned else copy.deepcopy(optimizer.state_dict())
    saved_rng = torch.get_rng_state()
    was_training = model.training

    lrs: list[float] = []
    losses: list[float] = []
    try:
        model.train()
        batches = _cycle(data)
        avg, best = 0.0, math.inf
        skip = max(1, steps // 20)
        for k in range(steps + 1):
            inputs, targets = next(batches)
            loss = loss_fn(model(inputs), targets)
            value = float(loss.detach())
            if k > 0:  # the loss after the update that used lrs[-1]
                losses.append(value)
                if not math.isfinite(value):
                    break
                avg = beta * avg + (1.0 - beta) * value
                smooth = avg / (1.0 - beta ** len(losses))
                if len(losses) > skip:
                    best = min(best, smooth)
                    if best > 0 and smooth > diverge * best:
                        break
            if k == steps:
                break
            lr = ramp(k)
            write(optimizer.param_groups, "lr", None, [lr] * len(optimizer.param_groups))
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            lrs.append(lr)
    finally:
        if restore:
            model.load_state_dict(saved_model)
            for p, g in zip(model.parameters(), saved_grads, strict=True):
                p.grad = g
            if saved_opt is not None:
                optimizer.load_state_dict(saved_opt)
            torch.set_rng_state(saved_rng)
            model.train(was_training)
    return suggest_lr(lrs[: len(losses)], losses, diverge=diverge, **suggest_kwargs)
