"""lrplan.torch.Scheduler: exact values, groups, hyperparameters, state, plateau protocol, misuse, compile."""

from __future__ import annotations

import json
import math
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan as L
from lrplan.torch import NotAScheduleError, Scheduler, current_lr, updates_per_epoch
from tests.examples import EXAMPLES, steps_for


def params(n: int = 1) -> list[torch.nn.Parameter]:
    return [torch.nn.Parameter(torch.zeros(2)) for _ in range(n)]


def sgd(lr: object = 1.0, groups: int = 1, **kw: object) -> torch.optim.SGD:
    ps = params(groups)
    return torch.optim.SGD([{"params": [p], "name": f"g{i}"} for i, p in enumerate(ps)], lr=lr, **kw)


def written(opt: torch.optim.Optimizer, sched: Scheduler, n: int, group: int = 0, key: str = "lr") -> list[float]:
    """The value of ``group[key]`` in force for updates 0..n-1 (read before each step)."""
    out = []
    for _ in range(n):
        v = opt.param_groups[group][key]
        out.append(v.item() if isinstance(v, torch.Tensor) else v)
        sched.step()
    return out


# ---------------------------------------------------------------------------- exactness against the core
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_float_lr_equals_core_exactly(name):
    s = EXAMPLES[name]
    n = int(steps_for(s).max()) + 1
    opt = sgd()
    sched = Scheduler(opt, s)
    assert written(opt, sched, n) == [s(k) for k in range(n)]
    assert "initial_lr" not in opt.param_groups[0]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_tensor_lr_float32_and_float64(name):
    s = EXAMPLES[name]
    n = int(steps_for(s).max()) + 1
    expected = [s(k) for k in range(n)]
    for dtype in (torch.float32, torch.float64):
        lr = torch.tensor(0.5, dtype=dtype)
        opt = sgd(lr=lr)
        sched = Scheduler(opt, s)
        got = written(opt, sched, n)
        assert opt.param_groups[0]["lr"] is lr and lr.dtype == dtype  # updated in place, same dtype
        if dtype == torch.float64:
            assert got == expected
        else:
            assert got == pytest.approx(expected, rel=1e-6, abs=1e-30)


def test_construction_writes_step_zero_and_get_last_lr():
    s = L.linear(init_value=1.0, end_value=0.0, decay_steps=4)
    opt = sgd(lr=123.0)
    sched = Scheduler(opt, s)
    assert isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
    assert opt.param_groups[0]["lr"] == 1.0 and sched.get_last_lr() == [1.0] and sched.last_epoch == 0
    sched.step()
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.5 and sched.get_last_lr() == [0.5] and current_lr(opt) == [0.5]
    assert sched.current() == {"lr": 0.5}


def test_start_step():
    s = L.linear(init_value=1.0, end_value=0.0, decay_steps=4)
    opt = sgd()
    Scheduler(opt, s, start_step=3)
    assert opt.param_groups[0]["lr"] == 0.25


def test_spec_string_is_parsed():
    opt = sgd()
    sched = Scheduler(opt, "linear(init_value=1.0, end_value=0.0, decay_steps=4)")
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.75


# ---------------------------------------------------------------------------- groups
def test_one_schedule_per_group_list_and_mapping():
    a = L.constant(0.1)
    b = L.linear(init_value=1.0, end_value=0.0, decay_steps=10)
    for spec in ([a, b], {"g0": a, "g1": b}, {1: b, 0: a}):
        opt = sgd(groups=2)
        sched = Scheduler(opt, spec)
        for _ in range(3):
            sched.step()
        assert [g["lr"] for g in opt.param_groups] == [0.1, 0.7]
        assert sched.get_last_lr() == [0.1, 0.7]
        assert sched.current() == {"lr/g0": 0.1, "lr/g1": 0.7}


def test_layerwise_multipliers():
    s = L.linear(init_value=1.0, end_value=0.0, decay_steps=10)
    opt = sgd(groups=3)
    sched = Scheduler(opt, s, multipliers=[0.25, 0.5, 1.0])
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == [0.225, 0.45, 0.9]
    opt = sgd(groups=3)
    Scheduler(opt, s, multipliers={"g0": 0.5})
    assert [g["lr"] for g in opt.param_groups] == [0.5, 1.0, 1.0]


def test_hyperparams_momentum_betas_weight_decay():
    ps = params(1)
    opt = torch.optim.Adam(ps, lr=1.0, betas=(0.9, 0.999), weight_decay=0.0)
    b1 = L.linear(init_value=0.95, end_value=0.85, decay_steps=10)
    wd = L.constant(0.01)
    sched = Scheduler(opt, L.constant(1e-3), hyperparams={"betas[0]": b1, "weight_decay": wd})
    assert opt.param_groups[0]["betas"] == (0.95, 0.999) and opt.param_groups[0]["weight_decay"] == 0.01
    for _ in range(5):
        opt.step()
        sched.step()
    betas = opt.param_groups[0]["betas"]
    assert isinstance(betas, tuple) and betas[0] == pytest.approx(0.9, abs=1e-15) and betas[1] == 0.999
    assert sched.current() == {"lr": 1e-3, "betas[0]": betas[0], "weight_decay": 0.01}


def test_one_cycle_with_momentum_matches_torch_onecycle():
    # torch's OneCycleLR (max_lr=1, total_steps=100, momentum 0.95 -> 0.85 -> 0.95) run side by side
    t_opt = sgd(lr=1.0, momentum=0.9)
    ref = torch.optim.lr_scheduler.OneCycleLR(t_opt, max_lr=1.0, total_steps=100)
    opt = sgd(lr=1.0, momentum=0.9)
    momentum = L.one_cycle(peak_value=0.85, init_value=0.95, end_value=0.95, total_steps=100)
    sched = Scheduler(opt, L.one_cycle(peak_value=1.0, total_steps=100), hyperparams={"momentum": momentum})
    for _ in range(99):  # torch extrapolates at t = total_steps
        for key in ("lr", "momentum"):
            assert opt.param_groups[0][key] == pytest.approx(t_opt.param_groups[0][key], rel=1e-12, abs=1e-15)
        t_opt.step()
        ref.step()
        opt.step()
        sched.step()
    assert momentum(0) == 0.95 and momentum(29) == pytest.approx(0.85) and momentum(99) == pytest.approx(0.95)


# ---------------------------------------------------------------------------- misuse
@pytest.mark.parametrize("bad", [lambda k: 0.1, 0.1, None, {"name": "cosine"}.items()])
def test_not_a_schedule(bad):
    with pytest.raises(NotAScheduleError, match=r"`schedule` must be an lrplan Schedule") as info:
        Scheduler(sgd(), bad)
    assert isinstance(info.value, TypeError) and isinstance(info.value, L.ConfigError)


def test_config_dict_is_not_a_schedule():
    with pytest.raises(NotAScheduleError, match=r"looks like a schedule config; rebuild it with lrplan.from_config"):
        Scheduler(sgd(), L.to_config(L.constant(0.1)))


def test_torch_scheduler_is_not_a_schedule():
    opt = sgd()
    with pytest.raises(TypeError, match="A torch scheduler cannot be wrapped"):
        Scheduler(opt, torch.optim.lr_scheduler.StepLR(opt, 2))
    with pytest.raises(TypeError, match=r"`hyperparams\['momentum'\]` must be an lrplan Schedule"):
        Scheduler(sgd(momentum=0.9), L.constant(0.1), hyperparams={"momentum": 0.9})


def test_wrong_length_unknown_group_unknown_key():
    s = L.constant(0.1)
    with pytest.raises(L.ConfigError, match=r"`schedule` has 2 schedule\(s\) but the optimizer has 3 param group"):
        Scheduler(sgd(groups=3), [s, s])
    with pytest.raises(L.ConfigError, match=r"names param group 'head', which does not exist.*\['g0', 'g1'\]"):
        Scheduler(sgd(groups=2), {"g0": s, "head": s})
    with pytest.raises(L.ConfigError, match=r"no schedule for param group\(s\) \['g1'\]"):
        Scheduler(sgd(groups=2), {"g0": s})
    with pytest.raises(L.ConfigError, match=r"`multipliers` has 1 value\(s\) but the optimizer has 2"):
        Scheduler(sgd(groups=2), s, multipliers=[0.5])
    adam = torch.optim.Adam(params(1))
    with pytest.raises(L.ConfigError, match=r"param group 0 has no hyperparameter 'momentum' to schedule.*'betas'"):
        Scheduler(adam, s, hyperparams={"momentum": s})
    with pytest.raises(L.ConfigError, match=r"cannot schedule 'betas\[2\]'"):
        Scheduler(adam, s, hyperparams={"betas[2]": s})
    with pytest.raises(L.ConfigError, match="must not contain 'lr'"):
        Scheduler(adam, s, hyperparams={"lr": s})
    with pytest.raises(L.ConfigError, match=r"`count` must be 'attempted' or 'applied'. Received: count='always'"):
        Scheduler(sgd(), s, count="always")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"must be a torch\.optim\.Optimizer"):
        Scheduler(object(), s)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="no schedule here uses metrics"):
        Scheduler(sgd(), s).step(0.5)


@pytest.mark.parametrize(
    ("given", "name", "shown"),
    [
        ([-2.0, 1.0], "multipliers[0]", "-2.0"),
        ({"g1": -0.5}, "multipliers['g1']", "-0.5"),
        ([1.0, math.nan], "multipliers[1]", "nan"),
        ([math.inf, 1.0], "multipliers[0]", "inf"),
        ([10**400, 1.0], "multipliers[0]", "<an integer of 401 digits>"),
        ([True, 1.0], "multipliers[0]", "True"),
    ],
)
def test_multipliers_must_be_finite_and_not_negative(given, name, shown):
    opt = sgd(groups=2)
    with pytest.raises(L.ConfigError) as info:
        Scheduler(opt, L.constant(0.1), multipliers=given)
    assert str(info.value) == (
        f"lrplan.torch.Scheduler: `{name}` must be a finite real number >= 0. Received: {name}={shown}."
    )
    assert [g["lr"] for g in opt.param_groups] == [1.0, 1.0]  # nothing was written


def test_zero_multiplier_freezes_a_group():
    opt = sgd(groups=2)
    Scheduler(opt, L.constant(0.1), multipliers=[0.0, 2.0])
    assert [g["lr"] for g in opt.param_groups] == [0.0, 0.2]


WRAPPED = (
    "lrplan.torch.Scheduler: it cannot be wrapped in torch's {}. It writes each update's whole learning rate "
    "from its schedule, so what other schedulers multiply in would be overwritten (ChainedScheduler), and it "
    "cannot be restarted or replayed (SequentialLR). Build the whole curve as one lrplan schedule and drive it "
    "with one Scheduler: lrplan.sequence([(a, steps), (b, None)]) runs schedules one after the other, a * b "
    "(lrplan.product) multiplies them, lrplan.scale(a, factor=f) scales one."
)


@pytest.mark.parametrize("ours_first", [True, False])
def test_chained_scheduler_is_refused_when_built(ours_first):
    # torch would give [0.5, 1.0, 1.0, 2.0, 1.0, ...] for [ours, ConstantLR(factor=0.5, total_iters=3)]
    opt = sgd()
    ours = Scheduler(opt, L.constant(1.0))
    theirs = torch.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=3)
    with pytest.raises(L.ConfigError) as info:
        torch.optim.lr_scheduler.ChainedScheduler([ours, theirs] if ours_first else [theirs, ours])
    assert str(info.value) == WRAPPED.format("ChainedScheduler")


@pytest.mark.parametrize("position", [0, 1])
def test_sequential_lr_is_refused_when_built(position):
    opt = sgd()
    ours = Scheduler(opt, L.constant(1.0))
    other = Scheduler(opt, L.constant(0.5)) if position == 0 else torch.optim.lr_scheduler.LinearLR(opt)
    schedulers = [ours, other] if position == 0 else [other, ours]
    with pytest.raises(L.ConfigError) as info:
        torch.optim.lr_scheduler.SequentialLR(opt, schedulers, milestones=[3])
    assert str(info.value) == WRAPPED.format("SequentialLR")


def test_optimizer_is_readable_and_fixed():
    opt = sgd()
    sched = Scheduler(opt, L.constant(1.0))
    assert sched.optimizer is opt
    with pytest.raises(AttributeError, match="the optimizer cannot be changed"):
        sched.optimizer = sgd()


# ---------------------------------------------------------------------------- state
def test_state_dict_layout_and_json():
    s = L.warmup(L.cosine(init_value=1.0, decay_steps=10), steps=3)
    opt = sgd(groups=2, momentum=0.9)
    sched = Scheduler(opt, s, multipliers=[0.5, 1.0], hyperparams={"momentum": L.constant(0.8)})
    for _ in range(4):
        sched.step()
    state = sched.state_dict()
    assert state == {
        "format": 1,
        "schedule": L.to_config(s),
        "multipliers": [0.5, 1.0],
        "hyperparams": {"momentum": L.to_config(L.constant(0.8))},
        "step": 4,
    }
    assert json.loads(json.dumps(state)) == state


@pytest.mark.parametrize("optimizer_first", [True, False])
def test_resume_in_either_load_order_without_initial_lr(tmp_path, optimizer_first):
    s = L.warmup(L.cosine(init_value=1.0, decay_steps=20), steps=5)
    opt = sgd(lr=torch.tensor(0.0, dtype=torch.float64), momentum=0.9)
    sched = Scheduler(opt, s)
    for _ in range(7):
        opt.step()
        sched.step()
    torch.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "ck.pt")
    ck = torch.load(tmp_path / "ck.pt", weights_only=True)
    for group in ck["opt"]["param_groups"]:  # distributed checkpoint formats drop it; it was never there
        assert "initial_lr" not in group
        group["lr"] = torch.tensor(99.0, dtype=torch.float64)  # a stale value must not leak through
    opt2 = sgd(lr=torch.tensor(0.0, dtype=torch.float64), momentum=0.9)
    sched2 = Scheduler(opt2, s)
    if optimizer_first:
        opt2.load_state_dict(ck["opt"])
        sched2.load_state_dict(ck["sched"])
    else:
        sched2.load_state_dict(ck["sched"])
        opt2.load_state_dict(ck["opt"])
    assert sched2.last_epoch == 7
    assert written(opt2, sched2, 10) == [s(k) for k in range(7, 17)]


def test_mismatch_is_refused_with_a_message_naming_the_difference():
    old = L.cosine(init_value=1.0, decay_steps=100)
    sched = Scheduler(sgd(), old)
    for _ in range(30):
        sched.step()
    state = sched.state_dict()
    new = L.cosine(init_value=1.0, decay_steps=200)
    opt = sgd()
    live = Scheduler(opt, new)
    with pytest.raises(L.ConfigError) as info:
        live.load_state_dict(state)
    msg = str(info.value)
    assert "state.schedule.args.decay_steps: checkpoint has 100, live has 200" in msg
    assert "checkpoint schedule: cosine(init_value=1.0, decay_steps=100)" in msg
    assert "on_mismatch='checkpoint'" in msg and "on_mismatch='live'" in msg
    assert live.last_epoch == 0  # nothing changed

    live.load_state_dict(state, on_mismatch="live")
    assert live.last_epoch == 30 and opt.param_groups[0]["lr"] == new(30)

    opt = sgd()
    adopted = Scheduler(opt, new, on_mismatch="checkpoint")
    adopted.load_state_dict(state)
    assert adopted.schedule == old and opt.param_groups[0]["lr"] == old(30)
    assert adopted.state_dict() == state


def test_replan_cooldown_now():
    base = L.warmup(L.inverse_sqrt(peak_value=1e-3, warmup_steps=0, timescale=20), steps=10)
    sched = Scheduler(sgd(), base)
    for _ in range(50):
        sched.step()
    state = sched.state_dict()
    opt = sgd()
    replanned = Scheduler(opt, L.cooldown(base, start=state["step"], steps=10), on_mismatch="live")
    replanned.load_state_dict(state)
    got = written(opt, replanned, 12)
    assert got[0] == base(50) and got[5] == pytest.approx(base(55) * 0.5) and got[10] == 0.0 and got[11] == 0.0


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(EXAMPLES)), st.integers(0, 150))
def test_resume_at_any_step_is_exact(name, k):
    s = EXAMPLES[name]
    sched = Scheduler(sgd(), s)
    for _ in range(k):
        sched.step()
    opt = sgd()
    resumed = Scheduler(opt, s)
    resumed.load_state_dict(json.loads(json.dumps(sched.state_dict())))
    assert written(opt, resumed, 5) == [s(j) for j in range(k, k + 5)]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.0, 10.0), min_size=1, max_size=4), st.integers(0, 120))
def test_multipliers_scale_exactly(factors, k):
    s = EXAMPLES["wsd_cosine"]
    opt = sgd(groups=len(factors))
    Scheduler(opt, s, multipliers=factors, start_step=k)
    assert [g["lr"] for g in opt.param_groups] == [m * s(k) for m in factors]


def test_added_param_group_is_reported():
    opt = sgd()
    sched = Scheduler(opt, L.constant(0.1))
    opt.add_param_group({"params": params(1)})
    with pytest.raises(L.ConfigError, match=r"has 2 param group\(s\) but the scheduler was built for 1"):
        sched.step()


def test_foreign_state_dicts_are_refused():
    opt = sgd()
    torch_sched = torch.optim.lr_scheduler.StepLR(opt, 2)
    sched = Scheduler(sgd(), L.constant(0.1))
    with pytest.raises(L.ConfigError, match=r"not an lrplan.torch.Scheduler state.*'last_epoch'"):
        sched.load_state_dict(torch_sched.state_dict())
    with pytest.raises(L.ConfigError, match=r"`step` must be an integer in \[0, 2\*\*53\]. Received: step=-1."):
        sched.load_state_dict({"schedule": L.to_config(L.constant(0.1)), "step": -1})
    other = Scheduler(sgd(groups=1), L.constant(0.1), hyperparams={"momentum": L.constant(0.9)}).state_dict()
    with pytest.raises(L.ConfigError, match=r"state.hyperparams: only the checkpoint has it"):
        Scheduler(sgd(), L.constant(0.1)).load_state_dict(other)


# ---------------------------------------------------------------------------- clock, warnings, AMP skips
def _skipping_loop(count: str, skip: set[int], n: int) -> tuple[Scheduler, list[float]]:
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = Scheduler(opt, L.linear(init_value=1.0, end_value=0.0, decay_steps=10), count=count)  # type: ignore[arg-type]
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**4)
    used = []
    x = torch.ones(1, 2)
    for i in range(n):
        used.append(opt.param_groups[0]["lr"])
        loss = model(x).sum() * (math.inf if i in skip else 1.0)
        scaler.scale(loss).backward()
        scaler.step(opt)  # skipped when the gradients are not finite
        scaler.update()
        opt.zero_grad()
        sched.step()
    return sched, used


def test_no_warnings_and_skipped_updates_policy():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched, used = _skipping_loop("attempted", skip={0, 3}, n=6)
        assert sched.last_epoch == 6 and used == [1.0, 0.9, 0.8, 0.7, 0.6, 0.5]
        sched, used = _skipping_loop("applied", skip={0, 3}, n=6)
        assert sched.last_epoch == 4 and used == [1.0, 1.0, 0.9, 0.8, 0.8, 0.7]
        # scheduler.step() before any optimizer.step(): no "Detected call of lr_scheduler.step()" warning
        Scheduler(sgd(), L.constant(0.1)).step()


def _train(sched: Scheduler, updates_per_step: int, steps: int) -> None:
    """``steps`` scheduler steps, each after ``updates_per_step`` optimizer updates."""
    param = sched.optimizer.param_groups[0]["params"][0]
    for _ in range(steps):
        for _ in range(updates_per_step):
            param.grad = torch.ones_like(param)
            sched.optimizer.step()
        sched.step()


PACE = (
    "lrplan.torch.Scheduler: the optimizer has applied 4 updates but scheduler.step() was called 0 time(s), so "
    "the learning rate lags behind the schedule. lrplan schedules count optimizer updates: call "
    'scheduler.step() after every optimizer.step(). In PyTorch Lightning, whose default interval is "epoch", '
    'return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}} from '
    "configure_optimizers(). (To count in epochs, convert with lrplan.torch.updates_per_epoch().)"
)


def test_stepping_once_per_epoch_warns_once_with_the_fix():
    sched = Scheduler(sgd(), L.linear(init_value=1.0, end_value=0.0, decay_steps=100))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _train(sched, updates_per_step=5, steps=6)  # 6 epochs of 5 updates, stepped per epoch
    assert [str(w.message) for w in caught] == [PACE]
    assert caught[0].category is UserWarning and caught[0].filename == __file__  # points at optimizer.step()
    assert sched.last_epoch == 6


@pytest.mark.parametrize(
    ("count", "updates_per_step", "steps"),
    [
        ("attempted", 1, 60),  # the intended loop
        ("attempted", 2, 1),  # 2 updates, then a step: too few to judge
        ("applied", 1, 60),
    ],
)
def test_stepping_with_the_optimizer_does_not_warn(count, updates_per_step, steps):
    sched = Scheduler(sgd(), L.constant(0.1), count=count)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _train(sched, updates_per_step, steps)


def test_pace_is_counted_from_the_last_load():
    sched = Scheduler(sgd(), L.constant(0.1))
    _train(sched, updates_per_step=1, steps=3)
    state = sched.state_dict()
    param = sched.optimizer.param_groups[0]["params"][0]
    for _ in range(3):  # updates without a scheduler step (e.g. the tail of an interrupted run)
        param.grad = torch.ones_like(param)
        sched.optimizer.step()
    sched.load_state_dict(state)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _train(sched, updates_per_step=1, steps=10)


def test_gradient_accumulation_with_applied_count():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = Scheduler(opt, L.linear(init_value=1.0, end_value=0.0, decay_steps=10), count="applied")
    for micro in range(10):
        model(torch.ones(1, 2)).sum().backward()
        if micro % 4 == 3:
            opt.step()
            opt.zero_grad()
        sched.step()  # called on every micro-batch; only applied updates count
    assert sched.last_epoch == 2 and opt.param_groups[0]["lr"] == 0.8


def test_updates_per_epoch_values():
    assert updates_per_epoch(1000) == 1000
    assert updates_per_epoch(1000, grad_accumulation=8) == 125
    assert updates_per_epoch(1001, grad_accumulation=8) == 126
    assert updates_per_epoch(1001, grad_accumulation=8, drop_last=True) == 125
    assert updates_per_epoch(1000, grad_accumulation=4, world_size=3) == 84  # 334 batches per process
    assert updates_per_epoch(1000, grad_accumulation=4, world_size=3, drop_last=True) == 83
    assert updates_per_epoch(0) == 0
    with pytest.raises(L.ConfigError, match="`grad_accumulation` must be an integer >= 1"):
        updates_per_epoch(10, grad_accumulation=0)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 300), st.integers(1, 9), st.integers(1, 5), st.booleans())
def test_updates_per_epoch_counts_a_simulated_loop(batches, accum, world, drop_last):
    # rank 0 of a sharded loader (DistributedSampler-like padding, or dropping the incomplete shard)
    per_rank = batches // world if drop_last else -(-batches // world)
    updates = 0
    for i in range(per_rank):
        last = i == per_rank - 1
        if (i + 1) % accum == 0 or (last and not drop_last):
            updates += 1
    assert updates_per_epoch(batches, grad_accumulation=accum, world_size=world, drop_last=drop_last) == updates


# ---------------------------------------------------------------------------- plateau protocol
class HalvingPlateau:
    """A stub of the plateau protocol: halves the value after ``patience`` reports without improvement."""

    def __init__(self, init: float = 1.0, patience: int = 2) -> None:
        self.init, self.patience = init, patience

    def initial_state(self) -> dict:
        return {"best": None, "bad": 0, "scale": 1.0}

    def update(self, state: dict, metric: float) -> dict:
        if state["best"] is None or metric < state["best"]:
            return {"best": metric, "bad": 0, "scale": state["scale"]}
        if state["bad"] + 1 >= self.patience:
            return {"best": state["best"], "bad": 0, "scale": state["scale"] * 0.5}
        return {**state, "bad": state["bad"] + 1}

    def value(self, step: int, state: dict) -> float:
        return self.init * state["scale"]

    def to_config(self) -> dict:
        return {"name": "halving_plateau", "args": {"init": self.init, "patience": self.patience}}

    @classmethod
    def from_config(cls, config: dict) -> HalvingPlateau:
        return cls(**config["args"])


def test_plateau_step_metric_report_and_exact_state_roundtrip(tmp_path):
    opt = sgd()
    sched = Scheduler(opt, HalvingPlateau(), multipliers=[0.1])
    assert opt.param_groups[0]["lr"] == 0.1
    for m in (1.0, 0.9, 0.95):
        sched.step(m)
    assert sched.last_epoch == 3 and opt.param_groups[0]["lr"] == 0.1
    sched.report(0.95)  # second report without improvement: halve, without advancing
    assert sched.last_epoch == 3 and opt.param_groups[0]["lr"] == 0.05
    sched.step(torch.tensor(0.97))  # Lightning passes tensors
    state = sched.state_dict()
    assert state["plateau_state"] == {"best": 0.9, "bad": 1, "scale": 0.5}
    assert state["schedule"] == HalvingPlateau().to_config() and state["step"] == 4
    torch.save(state, tmp_path / "s.pt")

    opt2 = sgd()
    sched2 = Scheduler(opt2, HalvingPlateau(), multipliers=[0.1])
    sched2.load_state_dict(torch.load(tmp_path / "s.pt", weights_only=True))
    assert sched2.state_dict() == state and opt2.param_groups[0]["lr"] == 0.05
    sched2.step(0.99)  # the restored `bad` counter is live: this is the second bad report
    assert opt2.param_groups[0]["lr"] == 0.025

    with pytest.raises(L.ConfigError, match=r"state.schedule.args.patience: checkpoint has 2, live has 3"):
        Scheduler(sgd(), HalvingPlateau(patience=3), multipliers=[0.1]).load_state_dict(state)
    adopted = Scheduler(sgd(), HalvingPlateau(patience=3), multipliers=[0.1], on_mismatch="checkpoint")
    adopted.load_state_dict(state)
    assert adopted.state_dict() == state


def test_plateau_mixed_with_schedules_per_group():
    opt = sgd(groups=2)
    sched = Scheduler(opt, {"g0": L.constant(0.3), "g1": HalvingPlateau()})
    sched.report(1.0)
    sched.report(2.0)
    sched.report(2.0)
    assert [g["lr"] for g in opt.param_groups] == [0.3, 0.5]
    assert sched.state_dict()["schedule"] == [L.to_config(L.constant(0.3)), HalvingPlateau().to_config()]


# ---------------------------------------------------------------------------- torch.compile
def test_compiled_optimizer_step_is_not_recompiled_with_a_tensor_lr():
    from torch._dynamo.utils import counters

    torch._dynamo.reset()
    counters.clear()
    model = torch.nn.Linear(3, 3)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, foreach=False)
    sched = Scheduler(opt, EXAMPLES["warmup_cosine"], tensor_lr=True)
    lr = opt.param_groups[0]["lr"]
    assert isinstance(lr, torch.Tensor)

    @torch.compile(backend="aot_eager")
    def opt_step() -> None:
        opt.step()

    x = torch.ones(2, 3)
    graphs = []
    for _ in range(51):
        model(x).sum().backward()
        opt_step()
        sched.step()
        graphs.append(counters["stats"]["unique_graphs"])
    assert graphs[0] >= 1 and graphs[-1] == graphs[0]  # zero recompilations over 50 scheduled steps
    assert opt.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(EXAMPLES["warmup_cosine"](51), rel=1e-6)
    torch._dynamo.reset()
