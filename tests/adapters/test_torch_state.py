"""lrplan.torch.Scheduler.load_state_dict checks everything it loads, and a refused state changes nothing."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan as L
from lrplan.torch import Scheduler

WHERE = "lrplan.torch.Scheduler.load_state_dict"
PLATEAU = L.Plateau(L.constant(0.1), patience=2, factor=0.5, cooldown=1)


def sgd(groups: int = 1) -> torch.optim.SGD:
    ps = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    return torch.optim.SGD([{"params": [p]} for p in ps], lr=1.0)


def plateau_scheduler(on_mismatch: str = "error") -> Scheduler:
    sched = Scheduler(sgd(), PLATEAU, on_mismatch=on_mismatch)  # type: ignore[arg-type]
    for metric in (1.0, 2.0, 2.0, 2.0, 0.5):  # one reduction (scale 0.5), then a new best
        sched.step(metric)
    return sched


def snapshot(sched: Scheduler) -> tuple:
    return sched.state_dict(), sched.last_epoch, [g["lr"] for g in sched.optimizer.param_groups]


def assert_refused(sched: Scheduler, state: dict, message: str, **kwargs: object) -> None:
    before = snapshot(sched)
    with pytest.raises(L.ConfigError) as info:
        sched.load_state_dict(state, **kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message
    assert snapshot(sched) == before  # nothing changed
    sched.step()  # and the scheduler goes on
    assert sched.last_epoch == before[1] + 1


def tampered(**plateau_state: object) -> dict:
    state = plateau_scheduler().state_dict()
    assert state["plateau_state"] == {
        "best": 0.5,
        "bad_reports": 0,
        "cooldown_left": 0,
        "scale": 0.5,
        "reductions": 1,
        "reports": 5,
    }
    state["plateau_state"].update(plateau_state)
    return state


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"scale": 1e6},
            "`plateau_state['scale']` must be in [0, 1] (a product of factors < 1). "
            "Received: plateau_state['scale']=1000000.0.",
        ),
        (
            {"scale": -0.5},
            "`plateau_state['scale']` must be in [0, 1] (a product of factors < 1). "
            "Received: plateau_state['scale']=-0.5.",
        ),
        (
            {"scale": "0.5"},
            "`plateau_state['scale']` must be a finite real number. Received: plateau_state['scale']='0.5'.",
        ),
        (
            {"scale": math.inf},
            "`plateau_state['scale']` must be a finite real number. Received: plateau_state['scale']=inf.",
        ),
        (
            {"best": math.nan},
            "`plateau_state['best']` must be a finite real number. Received: plateau_state['best']=nan.",
        ),
        ({"best": True}, "`plateau_state['best']` must be a finite real number. Received: plateau_state['best']=True."),
        (
            {"bad_reports": 1.5},
            "`plateau_state['bad_reports']` must be an integer. Received: plateau_state['bad_reports']=1.5.",
        ),
        (
            {"reports": -1},
            "`plateau_state['reports']` must be an integer >= 0. Received: plateau_state['reports']=-1.",
        ),
        (
            {"reductions": 6},
            "`plateau_state['reductions']` must be <= reports (5). Received: plateau_state['reductions']=6.",
        ),
        (
            {"bad_reports": 3},
            "`plateau_state['bad_reports']` must be <= 2, the plateau's patience. "
            "Received: plateau_state['bad_reports']=3.",
        ),
        (
            {"cooldown_left": 10**9},
            "`plateau_state['cooldown_left']` must be <= 1, the plateau's cooldown. "
            "Received: plateau_state['cooldown_left']=1000000000.",
        ),
        (
            {"extra": 0},
            "`plateau_state` must be a plateau state with the keys ['best', 'bad_reports', 'cooldown_left', "
            "'scale', 'reductions', 'reports']. Received: plateau_state={'bad_reports': 0, 'best': 0.5, "
            "'cooldown_left': 0, 'extra': 0, 'reductions': 1, 'reports': 5, 'scale': 0.5}.",
        ),
    ],
)
def test_tampered_plateau_state_is_refused_and_nothing_changes(change, message):
    assert_refused(plateau_scheduler(), tampered(**change), f"{WHERE}: {message}")


def test_valid_plateau_state_is_taken_whole():
    state = tampered(bad_reports=2, cooldown_left=1, scale=0.25, reductions=2)
    sched = Scheduler(sgd(), PLATEAU)
    sched.load_state_dict(state)
    assert sched.state_dict() == state and sched.get_last_lr() == [0.025] and sched.last_epoch == 5


def test_refused_adoption_keeps_the_live_schedule():
    # on_mismatch="checkpoint" with a valid, different schedule but a tampered plateau state: the old
    # scheduler adopted the schedule before it looked at the plateau state
    state = tampered(scale=2.0)
    state["schedule"]["args"]["patience"] = 3
    live = Scheduler(sgd(), PLATEAU, on_mismatch="checkpoint")
    assert_refused(
        live,
        state,
        f"{WHERE}: `plateau_state['scale']` must be in [0, 1] (a product of factors < 1). "
        "Received: plateau_state['scale']=2.0.",
    )
    assert live.schedule == PLATEAU


def test_plateau_state_of_another_configuration_is_checked_for_its_kind_only():
    # on_mismatch="live": the live plateau has patience 0; a saved bad_reports of 2 is kept (the next bad
    # report reduces), but a saved scale outside [0, 1] is still refused
    live_plateau = L.Plateau(L.constant(0.1), patience=0, factor=0.5)
    state = tampered(bad_reports=2)
    state["schedule"]["args"]["patience"] = 5
    sched = Scheduler(sgd(), live_plateau, on_mismatch="live")
    sched.load_state_dict(state)
    assert sched.state_dict()["plateau_state"]["bad_reports"] == 2 and sched.get_last_lr() == [0.05]
    sched.report(9.0)
    assert sched.get_last_lr() == [0.025]
    state["plateau_state"]["scale"] = 1e6
    assert_refused(
        Scheduler(sgd(), live_plateau, on_mismatch="live"),
        state,
        f"{WHERE}: `plateau_state['scale']` must be in [0, 1] (a product of factors < 1). "
        "Received: plateau_state['scale']=1000000.0.",
    )


class Halving:
    """A minimal plateau object (the duck-typed protocol): halves its value at every report."""

    def initial_state(self) -> dict:
        return {"scale": 1.0}

    def update(self, state: dict, metric: float) -> dict:
        return {"scale": state["scale"] * 0.5}

    def value(self, step: int, state: dict) -> float:
        return 0.1 * state["scale"]

    def to_config(self) -> dict:
        return {"name": "halving", "args": {}}


@pytest.mark.parametrize(
    ("plateau_state", "message"),
    [
        (
            {"scale": -1.0},
            "`plateau_state` gives the learning rate -0.1; a plateau state must give a finite value >= 0.",
        ),
        (
            {"factor": 1.0},
            "`plateau_state` must be a plateau state with the keys ['scale']. Received: plateau_state={'factor': 1.0}.",
        ),
        (
            {"scale": "x"},
            "`plateau_state` is not a state of the plateau in use: can't multiply sequence by non-int of type 'float'",
        ),
    ],
)
def test_plateau_objects_of_the_protocol_get_states_they_can_use(plateau_state, message):
    sched = Scheduler(sgd(), Halving())
    sched.report(1.0)
    state = sched.state_dict()
    state["plateau_state"] = plateau_state
    assert_refused(sched, state, f"{WHERE}: {message}")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"epoch": 3},
            "unknown key(s) ['epoch'] in the state; an lrplan.torch.Scheduler state holds "
            "['format', 'schedule', 'step', 'multipliers', 'hyperparams', 'plateau_state', 'consumed_samples'].",
        ),
        ({"format": True}, "unsupported state format True; this lrplan reads 1."),
        ({"format": 2}, "unsupported state format 2; this lrplan reads 1."),
        ({"step": 2.5}, "`step` must be an integer. Received: step=2.5."),
        ({"step": "7"}, "`step` must be an integer. Received: step='7'."),
        (
            {"multipliers": [torch.tensor(0.5)]},
            "`multipliers[0]` must be JSON data (objects, lists, strings, numbers, "
            "booleans, null). Received: multipliers[0]=tensor(0.5000).",
        ),
        (
            {"schedule": {1: "constant"}},
            "`schedule` must be JSON data (an object with string keys). Received: schedule={1: 'constant'}.",
        ),
        ({"plateau_state": {"best": None}}, "'plateau_state' does not match the plateau schedules in use."),
    ],
)
def test_foreign_or_tampered_layout_is_refused(change, message):
    sched = Scheduler(sgd(), L.linear(init_value=1.0, end_value=0.0, decay_steps=10))
    sched.step()
    state = {**sched.state_dict(), **change}
    assert_refused(sched, state, f"{WHERE}: {message}")
    assert sched.optimizer.param_groups[0]["lr"] == 0.8


def test_a_refused_load_leaves_a_copy_identical_to_the_original():
    sched = plateau_scheduler()
    twin = copy.deepcopy(sched)
    with pytest.raises(L.ConfigError):
        twin.load_state_dict(tampered(best=math.nan))
    for metric in (3.0, 3.0, 3.0):
        sched.step(metric)
        twin.step(metric)
    assert twin.state_dict() == sched.state_dict() and twin.get_last_lr() == sched.get_last_lr() == [0.025]


# ---------------------------------------------------------------------------- huge numbers (one clear error)
@pytest.mark.parametrize(
    ("start_step", "shown"),
    [(10**400, "<an integer of 401 digits>"), (2**53 + 1, "9007199254740993"), (1e300, "1e+300"), (-1, "-1")],
)
def test_start_step_out_of_range_is_one_clear_error(start_step, shown):
    opt = sgd()
    with pytest.raises(L.ConfigError) as info:
        Scheduler(opt, L.constant(0.1), start_step=start_step)
    assert str(info.value) == (
        f"lrplan.torch.Scheduler: `start_step` must be an integer in [0, 2**53]. Received: start_step={shown}."
    )
    assert opt.param_groups[0]["lr"] == 1.0


def test_largest_start_step_holds_the_end_value():
    opt = sgd()
    Scheduler(opt, L.linear(init_value=1.0, end_value=0.25, decay_steps=10), start_step=2**53)
    assert opt.param_groups[0]["lr"] == 0.25


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("step",), 10**400, "`step` must be an integer in [0, 2**53]. Received: step=<an integer of 401 digits>."),
        (
            ("multipliers", 0),
            -(10**400),
            "`multipliers[0]` must be a number within the float range. "
            "Received: multipliers[0]=<an integer of 401 digits>.",
        ),
        (
            ("schedule", "args", "schedule", "args", "value"),
            10**400,
            "`schedule['args']['schedule']['args']['value']` must be a number within the float range. "
            "Received: schedule['args']['schedule']['args']['value']=<an integer of 401 digits>.",
        ),
        (
            ("plateau_state", "best"),
            10**400,
            "`plateau_state['best']` must be a number within the float range. "
            "Received: plateau_state['best']=<an integer of 401 digits>.",
        ),
        (
            ("plateau_state", "reports"),
            10**400,
            "`plateau_state['reports']` must be a number within the float range. "
            "Received: plateau_state['reports']=<an integer of 401 digits>.",
        ),
    ],
)
@pytest.mark.parametrize("on_mismatch", ["error", "checkpoint", "live"])
def test_huge_numbers_in_a_state_dict_are_one_clear_error(path, value, message, on_mismatch):
    sched = Scheduler(sgd(), PLATEAU, multipliers=[1.0], on_mismatch=on_mismatch)  # type: ignore[arg-type]
    sched.step(1.0)
    state = sched.state_dict()
    node = state
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert_refused(sched, state, f"{WHERE}: {message}")


def test_huge_metric_is_one_clear_error():
    sched = Scheduler(sgd(), PLATEAU)
    with pytest.raises(L.ConfigError) as info:
        sched.step(10**400)
    assert str(info.value) == (
        "lrplan.torch.Scheduler: `metric` must be a real number within the float range. "
        "Received: metric=<an integer of 401 digits>."
    )
    assert sched.last_epoch == 0 and sched.state_dict()["plateau_state"] == PLATEAU.initial_state()


# ---------------------------------------------------------------------------- deep nesting (one clear error)
def nested_warmups(depth: int) -> dict:
    config = L.to_config(L.constant(0.1))
    for _ in range(depth):
        config = {"format": 1, "name": "warmup", "args": {"schedule": config, "steps": 1}}
    return config


WARMUP = "{'args': {'schedule': {...}, 'steps': 1}, 'format': 1, 'name': 'warmup'}"
DEEP = "must be JSON data nested at most 200 levels deep. Received:"


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("schedule", f"`schedule` {DEEP} schedule={WARMUP}."),
        ("plateau_state", f"`plateau_state` {DEEP} plateau_state={WARMUP}."),
        (
            "hyperparams",
            f"`hyperparams` {DEEP} hyperparams={{'momentum': {{'args': {{...}}, 'format': 1, 'name': 'warmup'}}}}.",
        ),
    ],
)
@pytest.mark.parametrize("on_mismatch", ["error", "checkpoint", "live"])
def test_400_nested_configs_in_a_state_dict_are_one_clear_error(where, message, on_mismatch):
    sched = Scheduler(sgd(), PLATEAU, on_mismatch=on_mismatch)  # type: ignore[arg-type]
    sched.step(1.0)
    state = sched.state_dict()
    state[where] = {"momentum": nested_warmups(400)} if where == "hyperparams" else nested_warmups(400)
    assert_refused(sched, state, f"{WHERE}: {message}")


def test_schedules_nested_as_deep_as_a_spec_allows_resume_in_every_mode():
    deep = L.constant(0.1)
    for _ in range(64):
        deep = L.warmup(deep, steps=1)
    for on_mismatch in ("error", "checkpoint", "live"):
        sched = Scheduler(sgd(), deep)
        for _ in range(70):
            sched.step()
        other = Scheduler(sgd(), deep if on_mismatch == "error" else L.constant(0.3), on_mismatch=on_mismatch)  # type: ignore[arg-type]
        other.load_state_dict(sched.state_dict())
        assert other.last_epoch == 70
        assert other.get_last_lr() == ([0.3] if on_mismatch == "live" else [0.1])


# ---------------------------------------------------------------------------- fuzz: only clean refusals
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.sampled_from([10**400, -(10**400), 2**53, 2**53 + 1])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)
KEYS = ["format", "schedule", "step", "multipliers", "hyperparams", "plateau_state", "best", "scale", "args", "value"]


def _mutate(state: dict, path: list[str], value: object) -> dict:
    """``state`` with the node at ``path`` (as deep as it exists) replaced by ``value``."""
    node = state
    for key in path[:-1]:
        child = node.get(key) if isinstance(node, dict) else None
        if not isinstance(child, dict):
            break
        node = child
    node[path[-1]] = value
    return state


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(KEYS), min_size=1, max_size=4),
    JSON,
    st.sampled_from(["error", "checkpoint", "live"]),
)
def test_random_state_dicts_load_or_are_refused_cleanly(path, value, on_mismatch):
    sched = Scheduler(sgd(), PLATEAU, multipliers=[1.0], on_mismatch=on_mismatch)
    sched.step(1.0)
    state = _mutate(copy.deepcopy(sched.state_dict()), path, value)
    before = snapshot(sched)
    try:
        sched.load_state_dict(state)
    except L.LrplanError:
        assert snapshot(sched) == before
    lr = sched.optimizer.param_groups[0]["lr"]
    assert math.isfinite(lr) and lr >= 0.0
    sched.step(2.0)  # and it goes on
