"""Optimizing a schedule under a law: constraints, serializable results, gains over cosine and WSD."""

from __future__ import annotations

import json
import statistics

import numpy as np
import pytest

import lrplan
import lrplan.laws as L
from tests.laws.test_values import published

TOTAL, PEAK, WARMUP = 24_000, 3e-4, 2_160


def check_constraints(result: L.Optimized, floor: float = 0.0) -> None:
    s = result.schedule
    lrs = s(np.arange(TOTAL + 100))
    np.testing.assert_allclose(lrs[:WARMUP], np.arange(WARMUP) / WARMUP * PEAK, rtol=1e-12, atol=1e-20)
    after = lrs[WARMUP:]
    assert after[0] == pytest.approx(PEAK, rel=1e-12)
    assert np.all(np.diff(after) <= 1e-18), "non-increasing after the warmup"
    assert after.min() >= floor * (1 - 1e-12) and after.max() <= PEAK * (1 + 1e-12)
    # an lrplan schedule value: printable, parseable, serializable
    assert lrplan.parse(str(s)) == s
    assert lrplan.from_config(json.loads(json.dumps(lrplan.to_config(s)))) == s


def test_free_form_beats_cosine_and_wsd_under_the_published_law():
    law = published("25M")
    result = L.optimize(law, TOTAL, peak_value=PEAK, warmup_steps=WARMUP)
    check_constraints(result)
    assert result.family == "free" and result.total_steps == TOTAL
    assert result.final_loss == pytest.approx(law.predict(result.schedule, TOTAL - 1), rel=1e-12)
    cos, wsd = result.gain_over("cosine"), result.gain_over("wsd")
    assert cos.final_loss == pytest.approx(law.predict(cos.schedule, TOTAL - 1), rel=1e-12)
    assert cos.gain > 0.05 and wsd.gain > 0.002  # WSD's 20 % cooldown is close to the best
    assert cos.gain_se == wsd.gain_se == result.final_loss_se == 0.0  # no fit, no ensemble
    assert "gain" in str(result)


@pytest.mark.parametrize("family", ["wsd", "cosine", "linear"])
def test_each_family_does_at_least_as_well_as_its_baseline(family):
    law = published("100M")
    result = L.optimize(law, TOTAL, peak_value=PEAK, warmup_steps=WARMUP, floor=3e-5, family=family)
    check_constraints(result, floor=3e-5)
    assert result.family == family
    if family in ("wsd", "cosine"):
        assert result.gain_over(family).gain >= -1e-9  # the baseline is in the family
    kind = {"wsd": lrplan.Wsd, "cosine": lrplan.Warmup, "linear": lrplan.Warmup}[family]
    assert isinstance(result.schedule, kind)


def test_all_families_keep_the_best():
    law = L.MomentumLaw(L0=3.07, A=0.49, alpha=0.57, C=0.4)
    best = L.optimize(law, TOTAL, peak_value=PEAK, warmup_steps=WARMUP, family="all", knots=6)
    for family in ("wsd", "cosine", "linear"):
        assert (
            best.final_loss
            <= L.optimize(law, TOTAL, peak_value=PEAK, warmup_steps=WARMUP, family=family).final_loss + 1e-12
        )


def test_baselines():
    b = L.baselines(TOTAL, PEAK, WARMUP, 3e-5)
    assert str(b["cosine"]) == "warmup(cosine(init_value=0.0003, decay_steps=21840, end_value=3e-05), steps=2160)"
    assert (
        str(b["wsd"])
        == "wsd(peak_value=0.0003, warmup_steps=2160, stable_steps=17472, decay_steps=4368, end_value=3e-05)"
    )


def test_gain_under_a_fitted_momentum_law_carries_its_band():
    law = L.fit(L.load_manifest(L.example_manifest("25M")), law="momentum")
    result = L.optimize(law, TOTAL, peak_value=PEAK, warmup_steps=WARMUP)
    z = statistics.NormalDist().inv_cdf(0.95)
    for name in ("cosine", "wsd"):
        b = result.gain_over(name)
        assert b.gain_se > 0 and b.gain - z * b.gain_se > 0, b
    assert result.final_loss_se > 0


@pytest.mark.slow
def test_optimized_schedule_beats_cosine_and_wsd_under_the_fitted_multi_power_law():
    law = L.fit(L.load_manifest(L.example_manifest("25M")), law="multi_power")  # jackknife ensemble
    result = L.optimize(law, TOTAL, peak_value=PEAK, warmup_steps=WARMUP)
    check_constraints(result)
    cos, wsd = result.gain_over("cosine"), result.gain_over("wsd")
    assert cos.gain > 0 and wsd.gain > 0
    assert cos.gain_se > 0 and cos.gain - statistics.NormalDist().inv_cdf(0.95) * cos.gain_se > 0
    assert result.final_loss_se > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"law": "multi_power"}, "optimize: `law` must be an lrplan.laws law"),
        ({"total_steps": 1}, "optimize: `total_steps` must be an integer >= 2"),
        ({"warmup_steps": TOTAL}, "optimize: `warmup_steps` must be an integer in [0, total_steps - 1)"),
        ({"peak_value": 0.0}, "optimize: `peak_value` must be a number > 0"),
        ({"floor": PEAK}, "optimize: `floor` must be in [0, peak_value=0.0003)"),
        ({"family": "step"}, "optimize: `family` must be one of 'free', 'wsd', 'cosine', 'linear', 'all'"),
        ({"knots": 1}, "optimize: `knots` must be an integer >= 2"),
    ],
)
def test_bad_optimize_arguments(kwargs, message):
    args = {"law": published("25M"), "total_steps": TOTAL, "peak_value": PEAK, "warmup_steps": WARMUP, **kwargs}
    law = args.pop("law")
    total = args.pop("total_steps")
    with pytest.raises(lrplan.ConfigError) as err:
        L.optimize(law, total, **args)
    assert str(err.value).startswith(message)
