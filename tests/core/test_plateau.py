"""Plateau: hand-computed golden sequences, parity with PyTorch's and Keras's ReduceLROnPlateau, configs, errors."""

from __future__ import annotations

import json
import math
import os
import random
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan as L

ONE = L.constant(1.0)


def scales(plateau: L.Plateau, metrics: list[float]) -> list[float]:
    state = plateau.initial_state()
    out = []
    for m in metrics:
        state = plateau.update(state, m)
        out.append(state["scale"])
    return out


# --------------------------------------------------------------------------- hand-computed goldens
def test_golden_rel_threshold_patience():
    # bound = best - 0.1*|best|: 9 is not < 9; 8.5 < 9; 7.0 < 7.65; 6.3 is not < 6.3 -> third bad report reduces
    p = L.Plateau(ONE, patience=2, factor=0.5, threshold=0.1)
    metrics = [10, 9, 8.5, 8.2, 8.0, 7.0, 7.5, 6.4, 6.3, 6.3, 6.3, 6.3]
    expected = [1, 1, 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    assert scales(p, metrics) == expected
    assert scales(L.Plateau(ONE, patience=2, factor=0.5, threshold=0.1, compat="torch"), metrics) == expected


def test_golden_negative_metrics_rel_threshold():
    metrics = [-10, -10.5, -10.8, -11.5, -11.6, -11.7]
    # lrplan: -10.5 is not < -11 (= -10 - 0.1*10): bad, bad -> reduce; -11.5 < -11 improves; then bad, bad -> reduce
    p = L.Plateau(ONE, patience=1, factor=0.5, threshold=0.1)
    assert scales(p, metrics) == [1, 1, 0.5, 0.5, 0.5, 0.25]
    # torch: bound = best*(1-0.1) = -9 lies above best, so every one of these counts as an improvement
    t = L.Plateau(ONE, patience=1, factor=0.5, threshold=0.1, compat="torch")
    assert scales(t, metrics) == [1] * 6
    # a slowly *worsening* negative metric: torch never reduces, lrplan does
    worse = [-10, -9.5, -9.2, -9.0]
    assert scales(t, worse) == [1, 1, 1, 1]
    assert scales(p, worse) == [1, 1, 0.5, 0.5]


def test_golden_cooldown_lrplan_and_keras():
    metrics = [5, 5, 5, 5, 5, 5, 4, 4]
    # bad > 0 reduces; the 2 reports after a reduction are ignored
    p = L.Plateau(ONE, patience=0, cooldown=2, factor=0.5, threshold=0.0, threshold_mode="abs")
    assert scales(p, metrics) == [1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]
    # Keras: wait >= 1 reduces; the report that ends a cooldown already counts (cooldown=2 ignores 1 report)
    k = L.Plateau(ONE, patience=1, cooldown=2, factor=0.5, threshold=0.0, compat="keras")
    assert scales(k, metrics) == [1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.0625]


def test_golden_patience_torch_vs_keras():
    flat = [1.0] * 7
    # torch: reduce when bad > 2 (4th report); Keras: when wait >= 2 (3rd report)
    assert scales(L.Plateau(ONE, patience=2, factor=0.5, compat="torch"), flat) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    assert scales(L.Plateau(ONE, patience=2, factor=0.5, compat="keras"), flat) == [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]
    # Keras patience 0 and 1 act alike: every bad report reduces
    assert scales(L.Plateau(ONE, patience=0, factor=0.5, compat="keras"), flat[:4]) == [1, 0.5, 0.25, 0.125]


def test_golden_max_mode_abs_threshold():
    metrics = [1, 1.4, 1.6, 1.7, 2.2, 2.2, 2.0, 2.0]
    expected = [1, 1, 1, 1, 1, 1, 0.5, 0.5]  # 1.4 !> 1.5; 1.6 > 1.5; 1.7 !> 2.1; 2.2 > 2.1; then 2 bad > 1
    assert scales(L.Plateau(ONE, mode="max", patience=1, factor=0.5, threshold=0.5, threshold_mode="abs"), metrics) == (
        expected
    )
    k = L.Plateau(ONE, mode="max", patience=2, factor=0.5, threshold=0.5, compat="keras")
    assert scales(k, metrics) == expected


def test_golden_min_value_floor():
    p = L.Plateau(ONE, patience=0, factor=0.1, min_value=0.005)
    state = p.initial_state()
    values = []
    for m in [1, 1, 1, 1]:
        state = p.update(state, m)
        values.append(p.value(7, state))
    assert values == pytest.approx([1.0, 0.1, 0.01, 0.005], rel=1e-12)
    assert state["reductions"] == 3


def test_nan_metric_never_improves():
    p = L.Plateau(ONE, patience=1, factor=0.5)
    s = p.update(p.initial_state(), float("nan"))
    assert s["best"] is None and s["bad_reports"] == 1
    s = p.update(s, 3.0)
    assert s["best"] == 3.0 and s["bad_reports"] == 0
    s = p.update(p.update(s, float("nan")), float("inf"))
    assert s["scale"] == 0.5 and s["best"] == 3.0


def test_value_composes_with_warmup_and_floor_spares_warmup():
    base = L.warmup(L.constant(0.1), steps=10)
    p = L.Plateau(base, patience=0, factor=0.1, min_value=0.02)
    s0 = p.initial_state()
    assert [p.value(k, s0) for k in (0, 5, 10, 50)] == pytest.approx([0.0, 0.05, 0.1, 0.1])
    s1 = p.update(p.update(s0, 1.0), 1.0)  # one reduction: scale 0.1
    # during the warmup the base below min_value is kept; afterwards max(0.1*0.1, 0.02) = 0.02
    assert [p.value(k, s1) for k in (0, 1, 5, 10, 50)] == pytest.approx([0.0, 0.01, 0.02, 0.02, 0.02])
    arr = p.value(__import__("numpy").array([0, 1, 5, 10]), s1)
    assert arr.tolist() == pytest.approx([0.0, 0.01, 0.02, 0.02])


# --------------------------------------------------------------------------- parity: run the incumbents
CONFIGS = [
    dict(mode="min", patience=2, factor=0.5, threshold=0.1, threshold_mode="rel", cooldown=0, min_value=1e-3),
    dict(mode="min", patience=0, factor=0.3, threshold=0.25, threshold_mode="abs", cooldown=2, min_value=1e-2),
    dict(mode="max", patience=1, factor=0.5, threshold=0.05, threshold_mode="rel", cooldown=1, min_value=0.0),
    dict(mode="max", patience=3, factor=0.1, threshold=0.0, threshold_mode="abs", cooldown=3, min_value=1e-4),
]


def metric_sequences(n_seq: int = 6, length: int = 40) -> list[list[float]]:
    rng = random.Random(1234)
    out = []
    for i in range(n_seq):
        level = rng.choice([-3.0, 0.0, 4.0])  # negative, crossing zero, positive
        seq = []
        x = level
        for _ in range(length):
            x += rng.choice([-0.5, -0.25, 0.0, 0.0, 0.25]) * (1 if i % 2 else -1)
            seq.append(x)
        out.append(seq)
    return out


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"{c['mode']}-{c['threshold_mode']}-p{c['patience']}")
def test_parity_with_torch_reduce_lr_on_plateau(cfg):
    torch = pytest.importorskip("torch")
    for metrics in metric_sequences():
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        ref = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt,
            mode=cfg["mode"],
            factor=cfg["factor"],
            patience=cfg["patience"],
            threshold=cfg["threshold"],
            threshold_mode=cfg["threshold_mode"],
            cooldown=cfg["cooldown"],
            min_lr=cfg["min_value"],
        )
        p = L.Plateau(ONE, compat="torch", **cfg)
        state = p.initial_state()
        for step, m in enumerate(metrics):
            ref.step(m)
            state = p.update(state, m)
            assert p.value(step, state) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12, abs=0)
            assert state["bad_reports"] == ref.num_bad_epochs
            assert state["cooldown_left"] == ref.cooldown_counter


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"{c['mode']}-{c['threshold_mode']}-p{c['patience']}")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_parity_with_keras_reduce_lr_on_plateau_callback(cfg):
    keras = _keras()
    for metrics in metric_sequences():
        opt = keras.optimizers.SGD(learning_rate=1.0)
        cb = keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss",
            factor=cfg["factor"],
            patience=cfg["patience"],
            mode=cfg["mode"],
            min_delta=cfg["threshold"],
            cooldown=cfg["cooldown"],
            min_lr=cfg["min_value"],
        )
        cb.set_model(types.SimpleNamespace(optimizer=opt))
        cb.on_train_begin()
        kcfg = dict(cfg, threshold_mode="abs")
        p = L.Plateau(ONE, compat="keras", **kcfg)
        state = p.initial_state()
        for epoch, m in enumerate(metrics):
            cb.on_epoch_end(epoch, {"val_loss": m})
            state = p.update(state, m)
            lr = float(keras.ops.convert_to_numpy(opt.learning_rate))
            assert p.value(epoch, state) == pytest.approx(lr, rel=1e-6)


# --------------------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None)
@given(
    metrics=st.lists(st.one_of(st.floats(-1e3, 1e3, allow_nan=False), st.just(float("nan"))), min_size=1, max_size=30),
    compat=st.sampled_from(["lrplan", "torch", "keras"]),
    patience=st.integers(0, 3),
    cooldown=st.integers(0, 2),
    factor=st.sampled_from([0.1, 0.5, 0.9]),
)
def test_properties_pure_json_scale(metrics, compat, patience, cooldown, factor):
    p = L.Plateau(ONE, compat=compat, patience=patience, cooldown=cooldown, factor=factor, min_value=0.01)
    state = p.initial_state()
    prev_scale = 1.0
    for m in metrics:
        before = json.dumps(state)
        new = p.update(state, m)
        assert json.dumps(state) == before  # pure: the input is not modified
        assert p.update(state, m) == new  # deterministic
        assert json.loads(json.dumps(new, allow_nan=False)) == new  # JSON-safe
        assert new["scale"] <= prev_scale
        assert new["scale"] == pytest.approx(factor ** new["reductions"], rel=1e-9)
        assert new["reports"] == state["reports"] + 1
        assert 0.01 <= p.value(0, new) <= 1.0
        prev_scale, state = new["scale"], new


# --------------------------------------------------------------------------- configs, str, equality
def test_config_round_trip_str_and_equality():
    p = L.Plateau(L.warmup(L.cosine(init_value=0.1, decay_steps=100), steps=5), mode="max", patience=3, cooldown=1)
    c = json.loads(json.dumps(p.to_config()))
    assert c["name"] == "plateau" and c["args"]["schedule"]["name"] == "warmup"
    assert L.Plateau.from_config(c) == p
    assert hash(L.Plateau.from_config(c)) == hash(p)
    assert (
        str(p)
        == "plateau(warmup(cosine(init_value=0.1, decay_steps=100), steps=5), mode='max', patience=3, cooldown=1)"
    )
    assert str(L.Plateau(ONE, compat="keras")) == "plateau(constant(1.0), compat='keras')"
    assert L.Plateau(0.1) == L.Plateau(L.constant(0.1))
    assert L.Plateau(ONE, compat="keras") == L.Plateau(ONE, compat="keras", threshold_mode="abs")
    assert L.Plateau(ONE) != L.Plateau(ONE, patience=2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(mode="minimize"), r"plateau: `mode` must be one of 'min', 'max'. Received: mode='minimize'."),
        (dict(factor=1.0), r"`factor` must be in \(0.0, 1.0\). Received: factor=1.0."),
        (dict(factor=0), r"`factor` must be in \(0.0, 1.0\)"),
        (dict(patience=-1), r"`patience` must be an integer >= 0. Received: patience=-1."),
        (dict(patience=1.5), r"`patience` must be an integer"),
        (dict(threshold=-0.1), r"`threshold` must be >= 0"),
        (dict(threshold_mode="relative"), r"`threshold_mode` must be one of 'rel', 'abs'"),
        (dict(compat="tf"), r"`compat` must be one of 'lrplan', 'torch', 'keras'"),
        (dict(compat="keras", threshold_mode="rel"), r"'abs' with compat='keras'"),
        (dict(min_value=math.nan), r"`min_value` must be a finite real number"),
    ],
)
def test_bad_config(kwargs, match):
    with pytest.raises(L.ConfigError, match=match):
        L.Plateau(ONE, **kwargs)


def test_bad_schedule_state_metric_and_config():
    with pytest.raises(L.ConfigError, match="`schedule` must be an lrplan Schedule"):
        L.Plateau(lambda s: 0.1)
    p = L.Plateau(ONE)
    with pytest.raises(L.ConfigError, match="`state` must be a dict with the keys"):
        p.update({"scale": 1.0}, 1.0)
    with pytest.raises(L.ConfigError, match=r"`metric` must be a real number"):
        p.update(p.initial_state(), "0.5")
    with pytest.raises(L.ConfigError, match=r"`metric` must be a real number"):
        p.update(p.initial_state(), None)
    with pytest.raises(L.ConfigError, match=r"state\['scale'\]"):
        p.value(0, dict(p.initial_state(), scale=-1))
    with pytest.raises(L.ConfigError, match="expected name 'plateau'"):
        L.Plateau.from_config({"name": "cosine", "args": {}})
    with pytest.raises(L.ConfigError, match=r"no argument\(s\) \['eps'\]"):
        L.Plateau.from_config({"name": "plateau", "args": {"schedule": ONE.to_config(), "eps": 1e-8}})
    with pytest.raises(L.ConfigError, match="`patience` must be an integer >= 0"):
        L.Plateau.from_config({"name": "plateau", "args": {"schedule": ONE.to_config(), "patience": -2}})
