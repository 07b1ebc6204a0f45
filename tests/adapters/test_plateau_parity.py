"""``compat="torch"`` reproduces ``torch.optim.lr_scheduler.ReduceLROnPlateau`` (installed) report by report.

Random trials over every switch (mode, threshold modes, cooldown, patience, min_lr) with a constant
rate, as PyTorch owns one, run long enough that the rate falls to 1e-12 and below: PyTorch's
``eps=1e-8`` skips the reductions that would change the rate by 1e-8 or less, and so must the plateau.
"""

from __future__ import annotations

import random

import pytest

import lrplan as L

torch = pytest.importorskip("torch")


def _torch_rates(lr: float, metrics: list[float], **kw) -> list[float]:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
    out = []
    for m in metrics:
        sched.step(m)
        out.append(opt.param_groups[0]["lr"])
    return out


def _plateau_rates(p: L.Plateau, metrics: list[float]) -> list[float]:
    state, out = p.initial_state(), []
    for m in metrics:
        state = p.update(state, m)
        out.append(p.value(0, state))
    return out


def test_compat_torch_matches_reduce_lr_on_plateau() -> None:
    skipped = 0
    for seed in range(40):
        skipped += _trial(random.Random(seed))
    assert skipped >= 10  # the trials where PyTorch's eps held the rate


def _trial(rng: random.Random) -> bool:
    lr = 10 ** rng.uniform(-7, -1)
    mode = rng.choice(["min", "max"])
    kw = {
        "mode": mode,
        "factor": rng.choice([0.1, 0.5, 0.3, 0.9]),
        "patience": rng.randint(0, 3),
        "threshold": rng.choice([0.0, 1e-4, 0.05]),
        "threshold_mode": rng.choice(["rel", "abs"]),
        "cooldown": rng.randint(0, 2),
        "min_lr": rng.choice([0.0, 0.0, 1e-12, 1e-9]),
    }
    walk, metrics = rng.uniform(-2, 2), []
    for _ in range(300):
        walk += rng.gauss(0.0, 0.1) + (0.01 if mode == "min" else -0.01)  # mostly worsening: many reductions
        metrics.append(walk)
    expected = _torch_rates(lr, metrics, **kw)
    p = L.Plateau(
        L.constant(lr),
        mode=mode,
        factor=kw["factor"],
        patience=kw["patience"],
        threshold=kw["threshold"],
        threshold_mode=kw["threshold_mode"],
        cooldown=kw["cooldown"],
        min_value=kw["min_lr"],
        compat="torch",
    )
    got = _plateau_rates(p, metrics)
    assert got == pytest.approx(expected, rel=1e-12, abs=0), kw
    final = expected[-1]
    return final * (1 - kw["factor"]) <= 1e-8 and final > kw["min_lr"]


def test_eps_reproducer() -> None:
    """0.1 halved at every bad report: 0.1 / 2**n after report n while the change 0.1 / 2**n exceeds 1e-8 (n <= 23)."""
    p = L.Plateau(L.constant(0.1), patience=0, factor=0.5, compat="torch")
    rates = _plateau_rates(p, [float(k) for k in range(40)])
    assert rates[:3] == [0.1, 0.05, 0.025]  # the first report sets the best; every later one is worse
    assert rates[23] == 0.1 / 2**23  # change 0.1 / 2**23 = 1.19e-8 > 1e-8: applied
    assert rates[24:] == [0.1 / 2**23] * 16  # change 0.1 / 2**24 = 5.96e-9 <= 1e-8: skipped for ever
    assert rates == _torch_rates(0.1, [float(k) for k in range(40)], patience=0, factor=0.5)


def _keras_rates(lr: float, metrics: list[float], **kw) -> list[float]:
    import os
    import types

    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    opt = keras.optimizers.SGD(learning_rate=lr)
    cb = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", **kw)
    cb.set_model(types.SimpleNamespace(optimizer=opt))
    cb.on_train_begin()
    out = []
    for epoch, m in enumerate(metrics):
        cb.on_epoch_end(epoch, {"val_loss": m})
        out.append(float(keras.ops.convert_to_numpy(opt.learning_rate)))
    return out


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("factor", [0.5, 0.3])
@pytest.mark.parametrize("min_lr", [0.0, 1e-12])
def test_compat_keras_matches_the_callback_down_to_1e_12(factor: float, min_lr: float) -> None:
    """Keras keeps its rate in a float32 variable, rounded at every reduction: the float64 plateau agrees to
    one float32 rounding per reduction (exactly, up to the first rounding of 0.1, when ``factor`` is 0.5)."""
    rng = random.Random(7)
    metrics, walk = [], 1.0
    for _ in range(120):
        walk += rng.gauss(0.0, 0.05) + 0.02  # mostly worsening
        metrics.append(walk)
    kw = {"factor": factor, "patience": 1, "cooldown": 1, "min_delta": 0.01, "min_lr": min_lr}
    expected = _keras_rates(0.1, metrics, **kw)
    p = L.Plateau(0.1, compat="keras", factor=factor, patience=1, cooldown=1, threshold=0.01, min_value=min_lr)
    state, got = p.initial_state(), []
    for m in metrics:
        state = p.update(state, m)
        got.append((p.value(0, state), state["reductions"]))
    assert min(expected) <= max(min_lr, 1e-12) * (1 + 1e-6)  # the run reaches 1e-12 (or its min_lr)
    for (value, reductions), ref in zip(got, expected, strict=True):
        if ref < 1e-37:  # float32 subnormals (min_lr=0 keeps reducing): Keras's variable loses its digits
            assert value < 1e-36
            continue
        per_rounding = 2.0**-24 if factor != 0.5 else 0.0
        assert value == pytest.approx(ref, rel=2.0**-24 + per_rounding * reductions, abs=0)
