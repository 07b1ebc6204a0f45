"""Parity of lrplan.presets.timm with timm's own scheduler modules (run, not re-derived).

timm imports torchvision at import time and no torchvision matches the CPU torch here, so the
scheduler files are loaded from the installed distribution as a synthetic package ``_timm_sched``
(``import timm`` is never executed). multistep_lr.py imports ``timm.scheduler.scheduler``
absolutely; that one line is pointed at the synthetic package when the file is loaded.

Each test draws arguments from timm's valid domain (edges included: no warmup, one-step warmup,
one-step cycles, lr_min = 0, several cycles) and compares ``group["lr"]`` after timm's
``step_update(t)`` (or ``step(epoch)`` with ``t_in_epochs=True``) with the preset, over at least
three horizons (capped at 2,000 updates). Both sides are float64: 1e-12 relative, with an
absolute floor of 1e-12 * lr.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
import types
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import lrplan  # noqa: E402
from lrplan.presets import timm  # noqa: E402

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RTOL = 1e-12
PKG = "_timm_sched"


def _scheduler_dir() -> Path:
    try:
        return Path(str(importlib.metadata.distribution("timm").locate_file("timm/scheduler")))
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("timm is not installed")
        raise


def _load() -> types.ModuleType:
    if PKG in sys.modules:
        return sys.modules[PKG]
    folder = _scheduler_dir()
    pkg = types.ModuleType(PKG)
    pkg.__path__ = [str(folder)]
    sys.modules[PKG] = pkg
    for name in ("scheduler", "cosine_lr", "tanh_lr", "step_lr", "multistep_lr", "poly_lr"):
        path = folder / f"{name}.py"
        source = path.read_text().replace("from timm.scheduler.scheduler import", "from .scheduler import")
        spec = importlib.util.spec_from_loader(f"{PKG}.{name}", loader=None, origin=str(path))
        module = importlib.util.module_from_spec(spec)
        module.__package__ = PKG
        module.__file__ = str(path)
        sys.modules[spec.name] = module
        exec(compile(source, str(path), "exec"), module.__dict__)
        setattr(pkg, name, module)
    return pkg


TS = _load()


def source_values(cls, lr: float, n: int, upe: int | None = None, **kw) -> np.ndarray:
    """timm's lr at updates 0..n-1, driven as timm's train.py drives it."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = cls(opt, t_in_epochs=upe is not None, **kw)
    group = opt.param_groups[0]
    out = []
    for k in range(n):
        if upe is None:
            sched.step_update(k)
        elif k % upe == 0:
            sched.step(k // upe)
        out.append(group["lr"])
    return np.array(out, dtype=np.float64)


def assert_parity(schedule: lrplan.Schedule, expected: np.ndarray, lr: float) -> None:
    steps = np.arange(len(expected))
    scalar = np.array([schedule(int(k)) for k in steps])
    vector = schedule(steps)
    for got in (scalar, vector):
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=RTOL * lr, err_msg=str(schedule))


def n_steps(horizon: float, upe: int | None) -> int:
    return int(min(2000, max(40, 3 * horizon * (upe or 1) + 5)))


lrs = st.sampled_from([0.1, 1.0, 5e-4]) | st.floats(1e-5, 5.0)
warmups = st.sampled_from([0, 1]) | st.integers(0, 15)
upes = st.none() | st.sampled_from([1, 3, 7])


@st.composite
def cycle_args(draw):
    return {
        "t_initial": draw(st.sampled_from([1, 2]) | st.integers(1, 60)),
        "lr_min": draw(st.sampled_from([0.0, 1e-6, 0.01])),
        "cycle_mul": draw(st.sampled_from([1.0, 1.0, 2.0, 1.5, 3.0])),
        "cycle_decay": draw(st.sampled_from([1.0, 0.5, 0.1])),
        "cycle_limit": draw(st.sampled_from([1, 1, 2, 3, 0])),
        "warmup_t": draw(warmups),
        "warmup_lr_init": draw(st.sampled_from([0.0, 1e-4])),
        "warmup_prefix": draw(st.booleans()),
    }


def _horizon(kw) -> float:
    m, n, t0 = kw["cycle_mul"], max(kw["cycle_limit"], 1), kw["t_initial"]
    return kw["warmup_t"] + (t0 * n if m == 1 else t0 * (m**n - 1) / (m - 1))


@SETTINGS
@given(lr=lrs, kw=cycle_args(), k=st.sampled_from([1.0, 1.0, 0.5, 2.0]), upe=upes)
def test_cosine(lr, kw, k, upe):
    expected = source_values(TS.cosine_lr.CosineLRScheduler, lr, n_steps(_horizon(kw), upe), upe, k_decay=k, **kw)
    preset = timm.CosineLRScheduler(lr, k_decay=k, t_in_epochs=upe is not None, updates_per_epoch=upe, **kw)
    assert_parity(preset, expected, lr)


@SETTINGS
@given(lr=lrs, kw=cycle_args(), bounds=st.sampled_from([(-7.0, 3.0), (-3.0, 3.0), (-6.0, 5.0)]), upe=upes)
def test_tanh(lr, kw, bounds, upe):
    lb, ub = bounds
    expected = source_values(TS.tanh_lr.TanhLRScheduler, lr, n_steps(_horizon(kw), upe), upe, lb=lb, ub=ub, **kw)
    preset = timm.TanhLRScheduler(lr, lb=lb, ub=ub, t_in_epochs=upe is not None, updates_per_epoch=upe, **kw)
    assert_parity(preset, expected, lr)


@SETTINGS
@given(lr=lrs, kw=cycle_args(), k=st.sampled_from([1.0, 1.0, 0.5, 2.0]), p=st.sampled_from([0.5, 1.0, 2.0]), upe=upes)
def test_poly(lr, kw, k, p, upe):
    n = n_steps(_horizon(kw), upe)
    expected = source_values(TS.poly_lr.PolyLRScheduler, lr, n, upe, k_decay=k, power=p, **kw)
    preset = timm.PolyLRScheduler(lr, k_decay=k, power=p, t_in_epochs=upe is not None, updates_per_epoch=upe, **kw)
    assert_parity(preset, expected, lr)


@SETTINGS
@given(
    lr=lrs,
    decay_t=st.sampled_from([1, 2]) | st.integers(1, 40),
    rate=st.sampled_from([1.0, 0.5, 0.1]),
    w=warmups,
    prefix=st.booleans(),
    upe=upes,
)
def test_step(lr, decay_t, rate, w, prefix, upe):
    kw = {"decay_t": decay_t, "decay_rate": rate, "warmup_t": w, "warmup_lr_init": 1e-5, "warmup_prefix": prefix}
    expected = source_values(TS.step_lr.StepLRScheduler, lr, n_steps(w + 4 * decay_t, upe), upe, **kw)
    assert_parity(timm.StepLRScheduler(lr, t_in_epochs=upe is not None, updates_per_epoch=upe, **kw), expected, lr)


@SETTINGS
@given(
    lr=lrs,
    decay_t=st.lists(st.integers(0, 60), max_size=4).map(sorted),
    rate=st.sampled_from([1.0, 0.5, 0.1]),
    w=warmups,
    prefix=st.booleans(),
    upe=upes,
)
def test_multistep_decays_one_step_early(lr, decay_t, rate, w, prefix, upe):
    kw = {"decay_t": decay_t, "decay_rate": rate, "warmup_t": w, "warmup_lr_init": 0.0, "warmup_prefix": prefix}
    horizon = w + max(decay_t, default=1) + 2
    expected = source_values(TS.multistep_lr.MultiStepLRScheduler, lr, n_steps(horizon, upe), upe, **kw)
    preset = timm.MultiStepLRScheduler(lr, t_in_epochs=upe is not None, updates_per_epoch=upe, **kw)
    assert_parity(preset, expected, lr)


def test_catalog_values():
    # catalog §1.5: cosine W=3, T=10, init .1 without prefix: .1, .4, .7, then .794 (the jump)
    s = timm.CosineLRScheduler(1.0, t_initial=10, warmup_t=3, warmup_lr_init=0.1, t_in_epochs=False)
    assert [round(s(k), 3) for k in range(4)] == [0.1, 0.4, 0.7, 0.794]
    # MultiStep milestones [3, 6]: decayed at t=2 and t=5
    m = timm.MultiStepLRScheduler(1.0, decay_t=[3, 6], decay_rate=0.5, t_in_epochs=False)
    assert [m(k) for k in range(7)] == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    # tanh: 0.99999917 at tr=0, 0.00247 at tr=1 (held as lr_min=0 from the cycle end)
    t = timm.TanhLRScheduler(1.0, t_initial=1000, t_in_epochs=False)
    assert round(t(0), 8) == 0.99999917 and t(1000) == 0.0
    # t_in_epochs: constant within an epoch
    e = timm.CosineLRScheduler(1.0, t_initial=4, updates_per_epoch=10)
    assert e(0) == e(9) == 1.0 and e(10) == e(19) == pytest.approx(0.5 * (1 + np.cos(np.pi / 4)))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: timm.CosineLRScheduler(0.1, 10), "CosineLRScheduler: `updates_per_epoch` must be given"),
        (lambda: timm.CosineLRScheduler(0.1, 10, t_in_epochs=False, noise_range_t=5), "`noise_range_t` must be None"),
        (lambda: timm.CosineLRScheduler(0.1, 0, t_in_epochs=False), "`t_initial` must be > 0"),
        (lambda: timm.CosineLRScheduler(0.1, 10, cycle_mul=0.5, t_in_epochs=False), "`cycle_mul` must be >= 1"),
        (lambda: timm.TanhLRScheduler(0.1, 10, lb=3.0, ub=-7.0, t_in_epochs=False), "`lb` must be < ub"),
        (lambda: timm.PolyLRScheduler(0.1, 10, power=0, t_in_epochs=False), "PolyLRScheduler: `power` must be > 0"),
        (lambda: timm.StepLRScheduler(0.1, 10, decay_rate=2.0, t_in_epochs=False), "`decay_rate` must be <= 1"),
        (lambda: timm.MultiStepLRScheduler(0.1, [6, 3], t_in_epochs=False), "`decay_t` must be sorted"),
        (lambda: timm.CosineLRScheduler(0.1, 10, initialize=False, t_in_epochs=False), "`initialize` must be True"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(lrplan.ConfigError) as info:
        call()
    assert message in str(info.value)


def test_round_trip():
    s = timm.CosineLRScheduler(0.1, 10, cycle_mul=2.0, cycle_limit=3, k_decay=0.5, warmup_t=2, updates_per_epoch=5)
    assert lrplan.parse(str(s)) == s
    assert lrplan.from_config(lrplan.to_config(s)) == s
