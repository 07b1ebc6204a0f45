"""LR range test: the ramp schedule, suggest_lr on synthetic curves, bad input, the plot."""

from __future__ import annotations

import json

import numpy as np
import pytest

import lrplan as L


# --------------------------------------------------------------------------- the ramp
def test_range_test_schedule_values_and_config():
    exp = L.range_test_schedule(min_value=1e-6, max_value=1.0, steps=7)
    assert [exp(k) for k in range(8)] == pytest.approx([1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 1.0], rel=1e-12)
    lin = L.range_test_schedule(min_value=0.1, max_value=1.0, steps=4, shape="linear")
    assert [lin(k) for k in (0, 1, 2, 3, 10)] == pytest.approx([0.1, 0.4, 0.7, 1.0, 1.0])
    assert exp.horizon == 6 and exp.breakpoints() == (6.0,)
    assert L.from_config(json.loads(json.dumps(L.to_config(exp)))) == exp
    assert L.parse(str(lin)) == lin
    assert exp(np.arange(3)).tolist() == pytest.approx([1e-6, 1e-5, 1e-4])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(min_value=0.0, max_value=1.0, steps=10), r"`min_value` must be > 0. Received: min_value=0.0."),
        (dict(min_value=-1e-3, max_value=1.0, steps=10), r"`min_value` must be > 0"),
        (
            dict(min_value=1.0, max_value=1.0, steps=10),
            r"`max_value` must be > min_value=1.0. Received: max_value=1.0.",
        ),
        (dict(min_value=1e-3, max_value=1.0, steps=1), r"`steps` must be an integer >= 2. Received: steps=1."),
        (dict(min_value=1e-3, max_value=1.0, steps=10, shape="log"), r"`shape` must be one of 'exponential', 'linear'"),
    ],
)
def test_range_test_schedule_bad_input(kwargs, match):
    with pytest.raises(L.ConfigError, match=match):
        L.range_test_schedule(**kwargs)


# --------------------------------------------------------------------------- suggest_lr
def synthetic(lrs: np.ndarray, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Falls fastest (in log lr) at lr = 1e-3, bottoms out near 1e-2..1e-1, explodes past 0.3."""
    x = np.log10(lrs)
    loss = 2.5 - 2.0 / (1.0 + np.exp(-3.0 * (x + 3.0))) + np.exp(np.clip(6.0 * (x + 0.5), None, 30.0))
    return loss * (1.0 + noise * np.random.default_rng(seed).standard_normal(len(lrs)))


@pytest.mark.parametrize("seed", range(5))
def test_suggestion_lands_in_the_known_best_region(seed):
    lrs = L.range_test_schedule(min_value=1e-6, max_value=10.0, steps=200)(np.arange(200))
    s = L.suggest_lr(lrs, synthetic(lrs, noise=0.03, seed=seed))
    assert s.verdict == "ok", s
    assert 10**-3.5 <= s.lr <= 10**-2.5, s
    assert s.diverged_at is not None and lrs[s.diverged_at] > 0.1
    assert s.lr_at_min is not None and 1e-3 < s.lr_at_min < 0.5
    assert "steepest descent" in s.reason and s.slope < 0


def test_slopes_are_taken_in_log_lr_space_not_against_the_index():
    # uneven spacing: dense below 1e-4, sparse above; against the index the steepest point moves, not in log space
    rng = np.random.default_rng(3)
    lrs = np.sort(np.concatenate([np.logspace(-6, -4, 150), 10 ** rng.uniform(-4, 1, 60)]))
    s = L.suggest_lr(lrs, synthetic(lrs), skip_start=3)
    assert s.verdict == "ok"
    assert 10**-3.5 <= s.lr <= 10**-2.5, s


def test_flat_curve_gets_a_verdict_not_a_number():
    lrs = np.logspace(-6, -3, 100)
    s = L.suggest_lr(lrs, 2.3 * (1 + 0.001 * np.random.default_rng(0).standard_normal(100)))
    assert s.lr is None and s.verdict == "flat"
    assert "changed by less than 2%" in s.reason and "raise max_value" in s.reason


def test_diverging_from_the_start_gets_a_verdict():
    lrs = np.logspace(-1, 2, 100)
    s = L.suggest_lr(lrs, 1.0 + np.linspace(0, 1, 100) ** 2 * 10)  # rises from the first point on
    assert s.lr is None and s.verdict == "diverging"
    assert "smaller min_value" in s.reason
    rising_slowly = L.suggest_lr(lrs, np.linspace(1.0, 2.0, 100))  # up 100%, never 4x: still "diverging"
    assert rising_slowly.verdict == "diverging" and rising_slowly.diverged_at is None


def test_nan_early_gets_a_verdict_and_nan_after_divergence_is_a_cut():
    lrs = np.logspace(-6, 1, 100)
    losses = synthetic(lrs)
    early = losses.copy()
    early[4] = np.nan
    s = L.suggest_lr(lrs, early)
    assert s.lr is None and s.verdict == "non_finite"
    assert "the loss is nan at point 4" in s.reason
    late = losses.copy()
    late[90:] = np.inf  # a run that blew up at the end
    t = L.suggest_lr(lrs, late)
    assert t.verdict == "ok" and 10**-3.5 <= t.lr <= 10**-2.5
    assert t.diverged_at is not None and t.diverged_at <= 90


def test_too_few_points():
    s = L.suggest_lr([1e-3, 1e-2, 1e-1], [1.0, 0.5, 2.0])
    assert s.verdict == "too_few_points" and s.lr is None and "run the range test for more steps" in s.reason


@pytest.mark.parametrize(
    "lrs, losses, match",
    [
        ([], [], r"`lrs` must be a non-empty 1-D sequence"),
        ([1e-3, 1e-2], [1.0], r"must have the same length. Received: 2 lrs and 1 losses."),
        ([0.0, 1e-2], [1.0, 0.5], r"every learning rate must be finite and > 0 .* Received: lrs\[0\]=0.0."),
        ([-1e-3, 1e-2], [1.0, 0.5], r"Received: lrs\[0\]=-0.001."),
        ([1e-2, 1e-3], [1.0, 0.5], r"`lrs` must be strictly increasing"),
        ([[1e-3, 1e-2]], [[1.0, 0.5]], r"`lrs` must be a non-empty 1-D sequence"),
        (["a", "b"], [1.0, 0.5], r"must be sequences of numbers"),
    ],
)
def test_suggest_lr_bad_input(lrs, losses, match):
    with pytest.raises(L.ConfigError, match=match):
        L.suggest_lr(lrs, losses)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(beta=1.0), r"`beta` must be in \[0.0, 1.0\)"),
        (dict(diverge=1.0), r"`diverge` must be > 1"),
        (dict(skip_start=-1), r"`skip_start` must be an integer >= 0"),
        (dict(min_points=2), r"`min_points` must be an integer >= 3"),
    ],
)
def test_suggest_lr_bad_options(kwargs, match):
    lrs = np.logspace(-5, 0, 50)
    with pytest.raises(L.ConfigError, match=match):
        L.suggest_lr(lrs, synthetic(lrs), **kwargs)


def test_plot_marks_the_suggestion():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lrs = np.logspace(-6, 1, 100)
    s = L.suggest_lr(lrs, synthetic(lrs, noise=0.02))
    ax = s.plot()
    assert ax.get_xscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert any(lab.startswith("suggested lr = ") for lab in labels)
    marker = next(line for line in ax.get_lines() if line.get_label().startswith("suggested"))
    assert marker.get_xdata()[0] == s.lr
    flat = L.plot_range_test(L.suggest_lr(lrs, np.ones(100)))
    assert not any(line.get_label().startswith("suggested") for line in flat.get_lines())
    assert "flat" in flat.get_title()
    plt.close("all")
    with pytest.raises(L.ConfigError, match="expected a Suggestion"):
        L.plot_range_test({"lr": 1e-3})
