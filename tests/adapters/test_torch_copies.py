"""Copies and pickles of lrplan.torch.Scheduler behave exactly like the original (checkpoint tools copy them)."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch

import lrplan as L
from lrplan.torch import Scheduler

LINEAR = L.linear(init_value=1.0, end_value=0.0, decay_steps=10)


def duplicate(how: str, obj: object) -> object:
    if how == "deepcopy":
        return copy.deepcopy(obj)
    return pickle.loads(pickle.dumps(obj))


def lr(opt: torch.optim.Optimizer) -> float:
    return opt.param_groups[0]["lr"]


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_copy_of_a_plateau_scheduler_writes_from_its_own_state(how):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    original = Scheduler(opt, L.Plateau(L.constant(0.1), patience=0, factor=0.5))
    twin = duplicate(how, original)
    for metric in (1.0, 2.0, 3.0):  # a best, then two worse metrics: two reductions, scale 0.5 * 0.5
        twin.step(metric)
    assert twin.state_dict()["plateau_state"]["scale"] == 0.25
    assert lr(twin.optimizer) == 0.025 and twin.get_last_lr() == [0.025]
    # the original is untouched
    assert original.state_dict()["plateau_state"]["scale"] == 1.0 and lr(opt) == 0.1
    original.step(5.0)
    assert lr(opt) == 0.1 and lr(twin.optimizer) == 0.025


def _applied_updates(sched: Scheduler, pattern: list[bool]) -> list[float]:
    """Run ``sched``'s own optimizer; True applies an update before ``step()``, False skips it."""
    param = sched.optimizer.param_groups[0]["params"][0]
    used = []
    for applied in pattern:
        used.append(lr(sched.optimizer))
        if applied:
            param.grad = torch.ones_like(param)
            sched.optimizer.step()
        sched.step()
    return used


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_copy_of_an_applied_count_scheduler_keeps_advancing(how):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    original = Scheduler(opt, LINEAR, count="applied")
    assert _applied_updates(original, [True, False, True]) == [1.0, 0.9, 0.9]
    twin = duplicate(how, original)
    pattern = [True, True, False, True]
    assert _applied_updates(twin, pattern) == [0.8, 0.7, 0.6, 0.6]
    assert twin.last_epoch == 5 and lr(twin.optimizer) == 0.5
    # the original is untouched by the twin's updates, and goes on exactly as the twin did
    assert original.last_epoch == 2 and lr(opt) == 0.8
    assert _applied_updates(original, pattern) == [0.8, 0.7, 0.6, 0.6]
    assert original.state_dict() == twin.state_dict()


def test_copy_of_model_optimizer_and_scheduler_together_resumes_after_an_optimizer_load():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9)
    sched = Scheduler(opt, LINEAR, count="applied", hyperparams={"momentum": L.constant(0.5)})
    bundle = copy.deepcopy({"model": model, "opt": opt, "sched": sched})
    assert bundle["sched"].optimizer is bundle["opt"]
    state = bundle["opt"].state_dict()
    state["param_groups"][0]["lr"] = 99.0
    bundle["opt"].load_state_dict(state)  # the copy's load hook rewrites the scheduled values
    assert lr(bundle["opt"]) == 1.0 and bundle["opt"].param_groups[0]["momentum"] == 0.5
    assert _applied_updates(bundle["sched"], [True, True]) == [1.0, 0.9]
    assert lr(opt) == 1.0 and sched.last_epoch == 0


def test_shallow_copy_counts_the_shared_optimizer_updates():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    original = Scheduler(opt, LINEAR, count="applied")
    twin = copy.copy(original)
    _applied_updates(original, [True, True])
    twin.step()  # the shared optimizer applied updates since the twin's last step: it advances once
    assert original.last_epoch == 2 and twin.last_epoch == 1
