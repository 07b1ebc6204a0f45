"""lrplan.presets.torch against torch.optim.lr_scheduler itself.

Each PyTorch scheduler is stepped on a dummy SGD optimizer whose lr is ``base_lr``; the learning rate
(and momentum) in the param group after ``k`` calls of ``scheduler.step()`` is compared with the preset
at step ``k``. PyTorch computes in Python floats (float64). Tolerances:

* closed forms in PyTorch (CyclicLR, CosineAnnealingWarmRestarts, OneCycleLR): 1e-12 relative;
* recursive forms (StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR,
  CosineAnnealingLR, and SequentialLR over them): 1e-10 relative. PyTorch multiplies the current lr by
  a ratio at every step, so rounding accumulates (~1e-16 per step, and up to ~1e-12 per step for
  CosineAnnealingLR's ratio ``(1 + cos)/(1 + cos)`` next to its trough, where ``1 + cos`` cancels);
* values near zero: an absolute tolerance of 1e-12 * base_lr.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as S

import lrplan as L
from lrplan.presets import torch as P
from tests.presets.presets_parity import assert_match, preset_values

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLOSED = 1e-12
RECURSIVE = 1e-10

base_lrs = st.one_of(st.just(1.0), st.just(0.1), st.floats(1e-6, 10.0))
unit = st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0))


def _optimizer(base_lr: float) -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr, momentum=0.9)


def stepped(make, base_lr: float, n: int, key: str = "lr") -> np.ndarray:
    """The param group's ``key`` after 0..n-1 calls of ``scheduler.step()``."""
    opt = _optimizer(base_lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = make(opt)
        out = []
        for k in range(n):
            out.append(float(opt.param_groups[0][key]))
            if k < n - 1:
                sched.step()
    return np.array(out)


def check(preset: L.Schedule, make, base_lr: float, n: int, rtol: float, key: str = "lr", scale: float | None = None):
    theirs = stepped(make, base_lr, n, key)
    ours = preset_values(preset, n)
    atol = 1e-12 * (base_lr if scale is None else scale)
    assert_match(ours, theirs, rtol=rtol, atol=atol, what=str(preset))


# ----------------------------------------------------------------------------------- recursive forms
@SETTINGS
@given(base_lr=base_lrs, step_size=st.integers(1, 60), gamma=unit)
@example(base_lr=1.0, step_size=1, gamma=0.0)
def test_step_lr(base_lr, step_size, gamma):
    preset = P.StepLR(base_lr=base_lr, step_size=step_size, gamma=gamma)
    check(preset, lambda o: S.StepLR(o, step_size=step_size, gamma=gamma), base_lr, 2000, RECURSIVE)


@SETTINGS
@given(base_lr=base_lrs, milestones=st.lists(st.integers(0, 300), max_size=6), gamma=st.floats(0.0, 1.5))
@example(base_lr=1.0, milestones=[2, 4, 4], gamma=0.5)
@example(base_lr=1.0, milestones=[0, 0, 7], gamma=0.0)
def test_multistep_lr(base_lr, milestones, gamma):
    preset = P.MultiStepLR(base_lr=base_lr, milestones=milestones, gamma=gamma)
    n = 3 * max(milestones, default=10) + 10
    check(preset, lambda o: S.MultiStepLR(o, milestones=milestones, gamma=gamma), base_lr, n, RECURSIVE)


@SETTINGS
@given(base_lr=base_lrs, factor=st.one_of(st.just(1.0), st.floats(1e-3, 1.0)), total_iters=st.integers(0, 200))
@example(base_lr=1.0, factor=0.5, total_iters=0)
@example(base_lr=1.0, factor=0.5, total_iters=1)
def test_constant_lr(base_lr, factor, total_iters):
    preset = P.ConstantLR(base_lr=base_lr, factor=factor, total_iters=total_iters)
    n = 3 * total_iters + 10
    check(preset, lambda o: S.ConstantLR(o, factor=factor, total_iters=total_iters), base_lr, n, RECURSIVE)


def test_constant_lr_factor_zero_follows_the_closed_form():
    # PyTorch's stepping divides by zero at total_iters; its closed form (step(epoch)) gives base_lr there.
    s = P.ConstantLR(base_lr=0.5, factor=0.0, total_iters=3)
    assert [s(t) for t in range(6)] == [0.0, 0.0, 0.0, 0.5, 0.5, 0.5]
    opt = _optimizer(0.5)
    sched = S.ConstantLR(opt, factor=0.0, total_iters=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched.step()
        sched.step()
        with pytest.raises(ZeroDivisionError):
            sched.step()
        sched.step(4)  # the closed form
    assert opt.param_groups[0]["lr"] == s(4)


@SETTINGS
@given(
    base_lr=base_lrs,
    start_factor=st.one_of(st.just(1.0), st.floats(1e-3, 1.0)),
    end_factor=unit,
    total_iters=st.integers(0, 200),
)
@example(base_lr=1.0, start_factor=0.5, end_factor=0.0, total_iters=1)
@example(base_lr=1.0, start_factor=0.5, end_factor=1.0, total_iters=0)
def test_linear_lr(base_lr, start_factor, end_factor, total_iters):
    preset = P.LinearLR(base_lr=base_lr, start_factor=start_factor, end_factor=end_factor, total_iters=total_iters)
    n = 3 * total_iters + 10

    def make(o):
        return S.LinearLR(o, start_factor=start_factor, end_factor=end_factor, total_iters=total_iters)

    check(preset, make, base_lr, n, RECURSIVE)


@SETTINGS
@given(base_lr=base_lrs, gamma=st.one_of(unit, st.floats(0.9, 1.0)))
@example(base_lr=1.0, gamma=0.0)
def test_exponential_lr(base_lr, gamma):
    preset = P.ExponentialLR(base_lr=base_lr, gamma=gamma)
    check(preset, lambda o: S.ExponentialLR(o, gamma=gamma), base_lr, 2000, RECURSIVE)


@SETTINGS
@given(
    base_lr=base_lrs,
    total_iters=st.integers(0, 300),
    power=st.one_of(st.just(0.0), st.just(1.0), st.just(2.0), st.floats(0.0, 5.0)),
)
@example(base_lr=1.0, total_iters=1, power=1.0)
def test_polynomial_lr(base_lr, total_iters, power):
    preset = P.PolynomialLR(base_lr=base_lr, total_iters=total_iters, power=power)
    n = 3 * total_iters + 10
    check(preset, lambda o: S.PolynomialLR(o, total_iters=total_iters, power=power), base_lr, n, RECURSIVE)


@SETTINGS
@given(base_lr=base_lrs, T_max=st.integers(1, 300), eta_min=st.one_of(st.just(0.0), st.floats(0.0, 2.0)))
@example(base_lr=1.0, T_max=1, eta_min=0.0)
@example(base_lr=1.0, T_max=10, eta_min=0.1)
def test_cosine_annealing_lr_rises_again_after_t_max(base_lr, T_max, eta_min):
    preset = P.CosineAnnealingLR(base_lr=base_lr, T_max=T_max, eta_min=eta_min)
    n = max(2000, 6 * T_max + 1)
    check(preset, lambda o: S.CosineAnnealingLR(o, T_max=T_max, eta_min=eta_min), base_lr, n, RECURSIVE)


# -------------------------------------------------------------------------------------- closed forms
cyclic_args = st.fixed_dictionaries(
    {
        "base_lr": st.one_of(st.just(0.0), st.floats(1e-4, 1.0)),
        "max_lr": st.floats(1e-3, 2.0),
        "step_size_up": st.one_of(st.integers(1, 200), st.floats(0.5, 50.0)),
        "step_size_down": st.one_of(st.none(), st.integers(1, 200)),
        "mode": st.sampled_from(["triangular", "triangular2", "exp_range"]),
        "gamma": st.one_of(st.just(1.0), st.floats(0.99, 1.0)),
        "base_momentum": st.floats(0.5, 0.9),
        "max_momentum": st.floats(0.85, 0.99),
    }
)


@SETTINGS
@given(kw=cyclic_args)
@example(kw={"base_lr": 0.1, "max_lr": 1.0, "step_size_up": 1, "step_size_down": None, "mode": "triangular2",
             "gamma": 1.0, "base_momentum": 0.8, "max_momentum": 0.9})  # fmt: skip
def test_cyclic_lr_and_momentum(kw):
    def make(o):
        return S.CyclicLR(o, **kw)

    check(P.CyclicLR(**kw), make, kw["base_lr"], 2000, CLOSED, scale=kw["max_lr"])
    check(P.CyclicLR_momentum(**kw), make, kw["base_lr"], 2000, CLOSED, key="momentum", scale=1.0)


@SETTINGS
@given(base_lr=base_lrs, T_0=st.integers(1, 100), T_mult=st.integers(1, 3), eta_min=st.floats(0.0, 1e-2))
@example(base_lr=1.0, T_0=1, T_mult=1, eta_min=0.0)
@example(base_lr=1.0, T_0=3, T_mult=2, eta_min=0.0)
def test_cosine_annealing_warm_restarts(base_lr, T_0, T_mult, eta_min):
    preset = P.CosineAnnealingWarmRestarts(base_lr=base_lr, T_0=T_0, T_mult=T_mult, eta_min=eta_min)

    def make(o):
        return S.CosineAnnealingWarmRestarts(o, T_0=T_0, T_mult=T_mult, eta_min=eta_min)

    check(preset, make, base_lr, 2000, CLOSED)


one_cycle_args = st.fixed_dictionaries(
    {
        "max_lr": st.floats(1e-4, 2.0),
        "total_steps": st.integers(1, 400),
        "pct_start": st.one_of(st.sampled_from([0.0, 0.3, 0.5, 1.0]), st.floats(0.0, 1.0)),
        "anneal_strategy": st.sampled_from(["cos", "linear"]),
        "base_momentum": st.floats(0.5, 0.9),
        "max_momentum": st.floats(0.85, 0.99),
        "div_factor": st.floats(1.0, 100.0),
        "final_div_factor": st.floats(1.0, 1e5),
        "three_phase": st.booleans(),
    }
)


@SETTINGS
@given(kw=one_cycle_args)
@example(kw={"max_lr": 1.0, "total_steps": 1, "pct_start": 0.3, "anneal_strategy": "cos", "base_momentum": 0.85,
             "max_momentum": 0.95, "div_factor": 25.0, "final_div_factor": 1e4, "three_phase": False})  # fmt: skip
@example(kw={"max_lr": 1.0, "total_steps": 7, "pct_start": 0.0, "anneal_strategy": "linear", "base_momentum": 0.85,
             "max_momentum": 0.95, "div_factor": 25.0, "final_div_factor": 1e4, "three_phase": True})  # fmt: skip
@example(kw={"max_lr": 1.0, "total_steps": 10, "pct_start": 0.9, "anneal_strategy": "cos", "base_momentum": 0.85,
             "max_momentum": 0.95, "div_factor": 25.0, "final_div_factor": 1e4, "three_phase": True})  # fmt: skip
def test_one_cycle_lr_and_momentum(kw):
    total = kw["total_steps"]
    if float(kw["pct_start"] * total) - 1 == 0:  # PyTorch divides by zero at step 0; the preset refuses it
        with pytest.raises(L.ConfigError, match="pct_start"):
            P.OneCycleLR(**kw)
        return

    def make(o):
        return S.OneCycleLR(o, **kw)

    lr, momentum = P.OneCycleLR(**kw), P.OneCycleLR_momentum(**kw)
    check(lr, make, 1.0, total, CLOSED, scale=kw["max_lr"])
    check(momentum, make, 1.0, total, CLOSED, key="momentum", scale=1.0)
    # PyTorch raises past total_steps; the preset holds its value at the last step
    for s in (lr, momentum):
        assert s(total + np.array([0, 1, 10, 1000])).tolist() == [s(total - 1)] * 4


def test_one_cycle_default_timing_and_hold():
    s = P.OneCycleLR(max_lr=1.0, total_steps=100)
    assert s(0) == 0.04 and s(29) == 1.0
    assert s(99) == pytest.approx(4e-6, rel=1e-12) and s(100) == s(99)
    m = P.OneCycleLR_momentum(max_lr=1.0, epochs=10, steps_per_epoch=10)
    assert (m(0), m(29), m(99)) == (0.95, 0.85, 0.95)


# ------------------------------------------------------------------------------------- SequentialLR
def _phase(draw, base_lr):
    kind = draw(st.sampled_from(["constant", "linear", "exponential", "step", "cosine", "multistep", "poly"]))
    if kind == "constant":
        kw = {"factor": draw(st.floats(0.01, 1.0)), "total_iters": draw(st.integers(1, 30))}
        return P.ConstantLR(base_lr=base_lr, **kw), lambda o: S.ConstantLR(o, **kw)
    if kind == "linear":
        kw = {
            "start_factor": draw(st.floats(0.01, 1.0)),
            "end_factor": draw(unit),
            "total_iters": draw(st.integers(1, 30)),
        }
        return P.LinearLR(base_lr=base_lr, **kw), lambda o: S.LinearLR(o, **kw)
    if kind == "exponential":
        kw = {"gamma": draw(st.floats(0.5, 1.0))}
        return P.ExponentialLR(base_lr=base_lr, **kw), lambda o: S.ExponentialLR(o, **kw)
    if kind == "step":
        kw = {"step_size": draw(st.integers(1, 20)), "gamma": draw(unit)}
        return P.StepLR(base_lr=base_lr, **kw), lambda o: S.StepLR(o, **kw)
    if kind == "multistep":
        kw = {"milestones": draw(st.lists(st.integers(0, 40), max_size=3)), "gamma": draw(unit)}
        return P.MultiStepLR(base_lr=base_lr, **kw), lambda o: S.MultiStepLR(o, **kw)
    if kind == "poly":
        kw = {"total_iters": draw(st.integers(1, 40)), "power": draw(st.floats(0.5, 3.0))}
        return P.PolynomialLR(base_lr=base_lr, **kw), lambda o: S.PolynomialLR(o, **kw)
    kw = {"T_max": draw(st.integers(1, 40)), "eta_min": draw(st.floats(0.0, 0.01))}
    return P.CosineAnnealingLR(base_lr=base_lr, **kw), lambda o: S.CosineAnnealingLR(o, **kw)


@st.composite
def sequences(draw):
    base_lr = draw(base_lrs)
    phases = [_phase(draw, base_lr) for _ in range(draw(st.integers(1, 3)))]
    milestones = sorted(draw(st.lists(st.integers(0, 60), min_size=len(phases) - 1, max_size=len(phases) - 1)))
    return base_lr, phases, milestones


@SETTINGS
@given(args=sequences())
def test_sequential_lr_restarts_each_phase_from_base_lr(args):
    base_lr, phases, milestones = args
    preset = P.SequentialLR(schedulers=[p for p, _ in phases], milestones=milestones)

    def make(o):
        return S.SequentialLR(o, schedulers=[m(o) for _, m in phases], milestones=milestones)

    check(preset, make, base_lr, 3 * max(milestones, default=20) + 60, RECURSIVE)


def test_sequential_lr_catalog_values():
    # catalog §3.1, verified: LinearLR(0.01, 5) -> CosineAnnealingLR(10) at milestone 5
    s = P.SequentialLR(
        schedulers=[
            P.LinearLR(base_lr=1.0, start_factor=0.01, total_iters=5),
            P.CosineAnnealingLR(base_lr=1.0, T_max=10),
        ],
        milestones=[5],
    )
    expected = {0: 0.01, 1: 0.208, 2: 0.406, 3: 0.604, 4: 0.802, 5: 1.0, 6: 0.9755, 15: 0.0, 16: 0.0245}
    for t, v in expected.items():
        assert s(t) == pytest.approx(v, abs=5e-5)
    assert P.SequentialLR(schedulers=[P.StepLR(base_lr=1.0, step_size=2)], milestones=[]) == P.StepLR(
        base_lr=1.0, step_size=2
    )


# ---------------------------------------------------------------------------------- what they return
def test_presets_are_plain_core_schedules():
    for s in (
        P.StepLR(base_lr=0.1, step_size=10),
        P.CosineAnnealingLR(base_lr=0.1, T_max=50, eta_min=1e-3),
        P.OneCycleLR(max_lr=0.1, total_steps=3, pct_start=0.1),
        P.CyclicLR(base_lr=1e-3, max_lr=0.1, step_size_up=5),
    ):
        assert L.parse(str(s)) == s
        assert L.from_config(L.to_config(s)) == s
    assert str(P.CosineAnnealingWarmRestarts(base_lr=0.1, T_0=10, T_mult=2)) == (
        "cosine_restarts(init_value=0.1, decay_steps=10, period_mult=2)"
    )


def test_catalog_golden_values():
    # catalog §1.1, each verified against PyTorch 2.13 there
    s = P.CosineAnnealingLR(base_lr=1.0, T_max=10, eta_min=0.1)
    assert (s(10), s(15), s(20)) == pytest.approx((0.1, 0.55, 1.0), rel=1e-12)
    s = P.CosineAnnealingWarmRestarts(base_lr=1.0, T_0=3, T_mult=2)
    assert [round(s(t), 3) for t in range(10)] == [1, 0.75, 0.25, 1, 0.933, 0.75, 0.5, 0.25, 0.067, 1]
    s = P.CyclicLR(base_lr=0.1, max_lr=1.0, step_size_up=2, mode="triangular2")
    assert [round(s(t), 3) for t in range(7)] == [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55]
    s = P.MultiStepLR(base_lr=1.0, milestones=[2, 4, 4], gamma=0.5)
    assert [s(t) for t in range(5)] == [1, 1, 0.5, 0.5, 0.125]
    s = P.OneCycleLR(max_lr=1.0, total_steps=100)
    assert s(99) == pytest.approx(4e-6, rel=1e-9)
    assert math.isclose(P.PolynomialLR(base_lr=2.0, total_iters=4, power=2.0)(2), 0.5)


# ------------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: P.StepLR(base_lr=0.1, step_size=0), "torch.StepLR: `step_size` must be > 0. Received: step_size=0."),
        (lambda: P.StepLR(base_lr=-1, step_size=3), "torch.StepLR: `base_lr` must be >= 0. Received: base_lr=-1."),
        (lambda: P.StepLR(base_lr=0.1, step_size=3, gamma=-0.5), "`gamma` must be >= 0 (a negative factor makes"),
        (
            lambda: P.StepLR(base_lr=0.1, step_size=3, last_epoch=5),
            "torch.StepLR: `last_epoch` must be -1 (a preset is a pure function of the step",
        ),
        (lambda: P.MultiStepLR(base_lr=0.1, milestones=[3, -1]), "torch.MultiStepLR: `milestones` must be"),
        (lambda: P.MultiStepLR(base_lr=0.1, milestones=[2.5]), "torch.MultiStepLR: `milestones` must be"),
        (lambda: P.ConstantLR(base_lr=0.1, factor=1.5), "torch.ConstantLR: `factor` must be in [0.0, 1.0]"),
        (lambda: P.LinearLR(base_lr=0.1, start_factor=0.0), "torch.LinearLR: `start_factor` must be in (0, 1]"),
        (lambda: P.LinearLR(base_lr=0.1, total_iters=-1), "torch.LinearLR: `total_iters` must be an integer >= 0"),
        (lambda: P.ExponentialLR(base_lr=0.1, gamma=-1.1), "torch.ExponentialLR: `gamma` must be >= 0"),
        (lambda: P.PolynomialLR(base_lr=0.1, power=-1.0), "torch.PolynomialLR: `power` must be >= 0"),
        (lambda: P.CosineAnnealingLR(base_lr=0.1, T_max=0), "torch.CosineAnnealingLR: `T_max` must be > 0"),
        (
            lambda: P.CyclicLR(base_lr=0.1, max_lr=1.0, scale_fn=lambda x: 1.0),
            "torch.CyclicLR: `scale_fn` must be None (an arbitrary Python function",
        ),
        (lambda: P.CyclicLR(base_lr=[0.1, 0.2], max_lr=1.0), "per-group list"),
        (lambda: P.CyclicLR(base_lr=0.1, max_lr=1.0, mode="tri"), "torch.CyclicLR: `mode` must be one of"),
        (lambda: P.CyclicLR(base_lr=0.1, max_lr=1.0, step_size_down=0), "`step_size_down` is not supported at 0"),
        (lambda: P.CyclicLR(base_lr=0.1, max_lr=1.0, mode="exp_range", gamma=1.5), "`gamma` must be in (0, 1]"),
        (lambda: P.CyclicLR_momentum(cycle_momentum=False), "`cycle_momentum` must be True"),
        (lambda: P.CosineAnnealingWarmRestarts(base_lr=0.1, T_0=2, T_mult=1.5), "`T_mult` must be an integer"),
        (lambda: P.OneCycleLR(max_lr=1.0), "torch.OneCycleLR: give `total_steps`, or both `epochs`"),
        (lambda: P.OneCycleLR(max_lr=1.0, total_steps=10, pct_start=0.1), "torch.OneCycleLR: `pct_start` must be"),
        (lambda: P.OneCycleLR(max_lr=1.0, total_steps=10, pct_start=1.5), "`pct_start` must be in [0.0, 1.0]"),
        (lambda: P.OneCycleLR(max_lr=1.0, total_steps=10, anneal_strategy="cosine"), "`anneal_strategy` must be"),
        (lambda: P.OneCycleLR(max_lr=1.0, total_steps=0), "torch.OneCycleLR: `total_steps` must be an integer >= 1"),
        (lambda: P.OneCycleLR_momentum(max_lr=1.0, total_steps=9, cycle_momentum=False), "`cycle_momentum` must be"),
        (lambda: P.SequentialLR(schedulers=[P.StepLR(base_lr=1.0, step_size=2)], milestones=[3]), "one fewer"),
        (lambda: P.SequentialLR(schedulers=[object()], milestones=[]), "torch.SequentialLR: `schedulers[0]` must be"),
        (lambda: P.LambdaLR(None, lambda e: 1.0), "torch.LambdaLR is not available as a preset"),
        (lambda: P.ReduceLROnPlateau(None), "torch.ReduceLROnPlateau is not available"),
    ],
)
def test_bad_arguments_raise_config_error_naming_preset_and_argument(call, message):
    with pytest.raises(L.ConfigError) as info:
        call()
    assert message in str(info.value)


def test_registry_lookup():
    from lrplan import presets

    assert presets.get("torch.OneCycleLR") is P.OneCycleLR
    assert "torch.CosineAnnealingLR" in presets.names()
    assert "torch.LambdaLR" not in presets.names()


# ----------------------------------------------------------------------------------- what PyTorch accepts


def test_step_lr_grows_with_gamma_above_one():
    # PyTorch accepts gamma > 1: the lr doubles every 3 steps
    preset = P.StepLR(base_lr=0.5, step_size=3, gamma=2.0)
    assert [preset(t) for t in range(10)] == [0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 4.0]
    check(preset, lambda o: S.StepLR(o, step_size=3, gamma=2.0), 0.5, 300, RECURSIVE)


def test_exponential_lr_grows_with_gamma_above_one():
    preset = P.ExponentialLR(base_lr=0.5, gamma=1.5)
    assert [preset(t) for t in range(4)] == [0.5, 0.75, 1.125, 1.6875]  # 0.5 * 1.5 ** t
    check(preset, lambda o: S.ExponentialLR(o, gamma=1.5), 0.5, 300, RECURSIVE)
