"""Scaling rules: the papers' own numbers and hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrplan as L


def test_goyal_linear_rule_and_recipe():
    # eta = 0.1 * kn / 256 (Goyal et al. 2017, section 2.1 and 5.1): 0.1 at 256, 3.2 at kn = 8192
    assert [L.linear_scaling(0.1, batch_size=kn) for kn in (256, 1024, 8192)] == [0.1, 0.4, 3.2]
    epoch = 100  # updates per epoch at kn = 8192 in this example
    base = L.piecewise_constant(boundaries=[30 * epoch, 60 * epoch, 80 * epoch], values=[0.1, 0.01, 0.001, 1e-4])
    s = L.linear_scaling(base, batch_size=8192, warmup_steps=5 * epoch)
    # gradual warmup: from eta = 0.1 to k eta = 3.2 over 5 epochs, a constant increment per update
    warm = s(np.arange(0, 5 * epoch + 1))
    np.testing.assert_allclose(np.diff(warm), (3.2 - 0.1) / (5 * epoch), rtol=1e-9)
    assert s(0) == pytest.approx(0.1, rel=1e-15) and s(5 * epoch) == pytest.approx(3.2, rel=1e-15)
    # then divided by 10 at epochs 30, 60 and 80 (nothing is shifted by the warmup)
    got = [s(e * epoch) for e in (29, 30, 60, 80, 89)]
    np.testing.assert_allclose(got, [3.2, 0.32, 0.032, 0.0032, 0.0032], rtol=1e-12)
    assert L.parse(str(s)) == s  # a schedule like any other
    assert L.linear_scaling(base, batch_size=256, warmup_steps=5 * epoch) == L.scale(base, factor=1.0)


def test_malladi_square_root_rule_changes_betas_and_eps():
    r = L.sqrt_scaling(1e-3, batch_size=1024, base_batch_size=256)  # kappa = 4
    assert r.lr == 2e-3 and r.eps == 5e-9
    assert r.betas == pytest.approx((1 - 4 * 0.1, 1 - 4 * 0.001), rel=1e-12)  # 1 - beta' = kappa (1 - beta)
    small = L.sqrt_scaling(1e-3, batch_size=64, base_batch_size=256, betas=(0.9, 0.98), eps=1e-6)  # kappa = 1/4
    assert small.lr == 5e-4 and small.eps == 2e-6
    assert small.betas == pytest.approx((0.975, 0.995), rel=1e-12)
    sched = L.sqrt_scaling(L.cosine(init_value=1e-3, decay_steps=100), batch_size=1024, base_batch_size=256).lr
    assert isinstance(sched, L.Schedule) and sched(0) == 2e-3 and sched(50) == pytest.approx(1e-3, rel=1e-12)
    with pytest.raises(L.ConfigError) as err:
        L.sqrt_scaling(1e-3, batch_size=2816, base_batch_size=256)  # 11 * (1 - 0.9) > 1: no beta1 left
    assert str(err.value) == (
        "sqrt_scaling: `batch_size` must be < base_batch_size / (1 - beta) = 2560 (kappa (1 - beta) < 1). "
        "Received: batch_size=2816."
    )


def test_adamw_timescale_by_hand():
    # tau_iter = 1 / (lr * wd) = 1 / (1e-3 * 0.1) = 10,000 updates; tau_epoch = 10,000 * 512 / 1e8 = 0.0512
    tau_iter, tau_epoch = L.adamw_timescale(1e-3, 0.1, batch_size=512, dataset_size=100_000_000)
    assert tau_iter == pytest.approx(10_000, rel=1e-12) and tau_epoch == pytest.approx(0.0512, rel=1e-12)
    # held fixed: 4x the data at the same batch and lr needs 1/4 of the decay
    lam = L.weight_decay_for_timescale(1e-3, tau_epoch=tau_epoch, batch_size=512, dataset_size=400_000_000)
    assert lam == pytest.approx(0.025, rel=1e-12)
    assert L.adamw_timescale(1e-3, lam, batch_size=512, dataset_size=400_000_000)[1] == pytest.approx(tau_epoch)
    # with the square-root rule at 4x the batch (lr x 2), lambda = B / (lr N tau) doubles
    r = L.sqrt_scaling(1e-3, batch_size=2048, base_batch_size=512)
    lam4 = L.weight_decay_for_timescale(r.lr, tau_epoch=tau_epoch, batch_size=2048, dataset_size=100_000_000)
    assert lam4 == pytest.approx(0.2, rel=1e-12)


def test_independent_weight_decay():
    assert L.independent_weight_decay(1e-4, peak_lr=1e-3) == pytest.approx(0.1, rel=1e-15)
    # the decay applied at update t by PyTorch's AdamW, lr_t * weight_decay, is decay * lr_t / peak
    s = L.warmup(L.cosine(init_value=1e-3, decay_steps=100), steps=10)
    wd = L.independent_weight_decay(1e-4, peak_lr=1e-3)
    assert [s(t) * wd for t in (10, 60)] == pytest.approx([1e-4, 0.5e-4], rel=1e-12)


def test_mup_multipliers_drive_torch_groups():
    m = L.mup_lr_multipliers(
        {"embed": "input", "blocks": "hidden", "head": "output", "norm": "bias"}, width=2048, base_width=256
    )
    assert m == {"embed": 1.0, "blocks": 0.125, "head": 0.125, "norm": 1.0}
    assert L.mup_lr_multipliers({"x": "hidden"}, width=256, base_width=256) == {"x": 1.0}
    with pytest.raises(L.ConfigError) as err:
        L.mup_lr_multipliers({"x": "readout"}, width=512, base_width=256)
    assert str(err.value) == (
        "mup_lr_multipliers: `roles['x']` must be one of 'input', 'bias', 'hidden', 'output'. Received: roles['x']='readout'."
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: L.linear_scaling(0.1, batch_size=0),
            "linear_scaling: `batch_size` must be an integer >= 1. Received: batch_size=0.",
        ),
        (
            lambda: L.linear_scaling(0.1, batch_size=512, warmup_steps=10),
            "linear_scaling: `warmup_steps` must be 0 for a number (pass a schedule to get a warmup). Received: warmup_steps=10.",
        ),
        (
            lambda: L.sqrt_scaling(-1.0, batch_size=2, base_batch_size=1),
            "sqrt_scaling: `lr` must be > 0. Received: lr=-1.0.",
        ),
        (
            lambda: L.sqrt_scaling(1e-3, batch_size=2, base_batch_size=1, betas=(0.9, 1.0)),
            "sqrt_scaling: `betas` must be in [0.0, 1.0). Received: betas=1.0.",
        ),
        (
            lambda: L.independent_weight_decay(math.inf, peak_lr=1e-3),
            "independent_weight_decay: `decay` must be a finite real number. Received: decay=inf.",
        ),
    ],
)
def test_refused_naming_the_argument(call, message):
    with pytest.raises(L.ConfigError) as err:
        call()
    assert str(err.value) == message
