"""Laws are values: validated, printable, serializable; with the published parameters they reproduce
the published errors."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import lrplan
import lrplan.laws as L

# the source's config.py (thu-yao-01-luo/MultiPowerLaw), [L0, A, alpha, B, C, beta, gamma]
PUBLISHED = {
    "25M": [3.04045406, 0.52468604, 0.50786857, 363.78751622, 2.06560812, 0.58279013, 0.64142257],
    "100M": [2.6514477, 0.60115152, 0.45295811, 437.9464276, 2.13245612, 0.59785199, 0.65523644],
}


@lrplan.fields.schedule_dataclass
class Negative(lrplan.Schedule):
    """A user schedule that goes below 0 (lrplan's own never do)."""

    def formula(self, s, ops):
        return 0.1 - 0.05 * s


def published(size: str) -> L.MultiPowerLaw:
    return L.MultiPowerLaw(**dict(zip(L.MultiPowerLaw.parameter_names(), PUBLISHED[size], strict=True)))


# the source's logs/25.log and logs/100.log: "Average Prede" and "Average Worste" on the test set
@pytest.mark.parametrize(("size", "mean", "worst"), [("25M", 0.110, 0.409), ("100M", 0.142, 0.583)])
def test_published_parameters_reproduce_the_published_errors(size, mean, worst):
    runs = L.load_manifest(L.example_manifest(size), "test")
    assert [r.name for r in runs] == [
        "constant_72000",
        "cosine_72000",
        "wsd_20000_24000",
        "wsdld_20000_24000",
        "wsdcon_3",
        "wsdcon_18",
    ]
    errors = L.diagnose(published(size), runs)
    assert 100 * np.mean([e.mean_error for e in errors]) == pytest.approx(mean, abs=0.01)
    assert 100 * np.mean([e.max_error for e in errors]) == pytest.approx(worst, abs=0.01)


def test_fast_and_direct_predictions_agree_within_the_bound():
    law = published("25M")
    s = L.load_manifest(L.example_manifest("25M"), "cosine_72000")[0].schedule
    steps = np.arange(2_000, 72_000, 500)
    fast = law.predict(s, steps, method="fast")
    direct = law.predict(s, steps, method="direct")
    assert np.max(np.abs(fast - direct)) <= law.B * 1e-10 * 6e-4


def test_predict_takes_an_int_or_steps():
    law = published("100M")
    s = lrplan.warmup(lrplan.cosine(init_value=3e-4, decay_steps=21_840, end_value=3e-5), steps=2_160)
    one = law.predict(s, 23_999)
    many = law.predict(s, [10_000, 23_999])
    assert isinstance(one, float) and many.shape == (2,) and many[1] == one
    assert law.predict(s, np.array([23_999.0]))[0] == one


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"C": 0.0}, "MultiPowerLaw: `C` must be > 0. Received: C=0.0."),
        ({"beta": -1.0}, "MultiPowerLaw: `beta` must be > 0. Received: beta=-1.0."),
        ({"A": float("nan")}, "MultiPowerLaw: `A` must be a finite real number. Received: A=nan."),
        ({"L0": "3"}, "MultiPowerLaw: `L0` must be a finite real number. Received: L0='3'."),
    ],
)
def test_bad_parameters_are_refused_at_construction(kwargs, message):
    args = {**dict(zip(L.MultiPowerLaw.parameter_names(), PUBLISHED["25M"], strict=True)), **kwargs}
    with pytest.raises(lrplan.ConfigError) as err:
        L.MultiPowerLaw(**args)
    assert str(err.value) == message


def test_momentum_decay_must_be_below_one():
    with pytest.raises(ValueError, match=r"MomentumLaw: `decay` must be in \[0.0, 1.0\). Received: decay=1.0."):
        L.MomentumLaw(L0=3.0, A=0.5, alpha=0.5, C=0.4, decay=1.0)


@pytest.mark.parametrize(
    "law",
    [
        published("25M"),
        L.MomentumLaw(L0=3.07, A=0.49, alpha=0.57, C=0.4),
        L.MomentumLaw(L0=1, A=2, alpha=0.3, C=5, decay=0.9),
    ],
)
def test_spec_and_config_round_trip(law):
    assert L.parse_law(str(law)) == law
    assert L.law_from_config(json.loads(json.dumps(law.to_config()))) == law
    assert repr(law) == str(law)
    assert str(law).startswith(law.name + "(")


def test_a_fitted_law_keeps_its_report_through_the_config():
    report = L.FitReport(
        runs=(L.RunFit("a", 10, 0.001, 0.002, 0.0015, 0.99),),
        objective=1e-4,
        starts=4,
        uncertainty="jackknife",
        ensemble=((3.0, 0.5, 0.5, 0.4, 0.999), (3.1, 0.5, 0.5, 0.4, 0.999)),
    )
    law = L.MomentumLaw(L0=3.05, A=0.5, alpha=0.5, C=0.4, report=report)
    back = L.law_from_config(json.loads(json.dumps(law.to_config())))
    assert back == law and back.report == report
    assert law == dataclasses.replace(law, report=None)  # the report takes no part in equality


@pytest.mark.parametrize(
    "text",
    [
        "cosine(L0=1)",
        "momentum(3.0, A=0.5, alpha=0.5, C=0.4)",
        "momentum(L0='3', A=0.5, alpha=0.5, C=0.4)",
        "momentum(L0=3.0, A=0.5, alpha=0.5, C=0.4, beta=1)",
        "momentum(L0=3.0, A=0.5, alpha=0.5",
        "__import__('os')",
    ],
)
def test_parse_law_refuses_anything_but_a_law_call(text):
    with pytest.raises(lrplan.ConfigError, match="parse_law"):
        L.parse_law(text)


def test_config_errors_name_the_problem():
    with pytest.raises(lrplan.ConfigError, match="`law` must be one of 'multi_power', 'momentum'"):
        L.law_from_config({"law": "cosine", "args": {}})
    with pytest.raises(lrplan.ConfigError, match="`format` must be 1"):
        L.law_from_config({"format": 2, "law": "momentum", "args": {}})
    with pytest.raises(lrplan.ConfigError, match="missing"):
        L.law_from_config({"law": "momentum", "args": {"L0": 3.0}})


@pytest.mark.parametrize(
    ("schedule", "steps", "message"),
    [
        (lambda k: 0.1, 10, "`schedule` must be an lrplan Schedule"),
        (lrplan.constant(0.1), -1, "`steps` must be >= 0"),
        (lrplan.constant(0.1), 2.5, "`steps` must be whole numbers of steps"),
        (lrplan.constant(0.1), [], "`steps` must be an integer step"),
        (Negative(), 5, "`schedule` must be finite and >= 0 at every step"),
    ],
)
def test_predict_refuses_bad_input(schedule, steps, message):
    law = L.MomentumLaw(L0=3.0, A=0.5, alpha=0.5, C=0.4)
    with pytest.raises(lrplan.ConfigError, match=message):
        law.predict(schedule, steps)


def test_band_without_a_fit_is_the_prediction():
    law = published("25M")
    s = lrplan.wsd(peak_value=3e-4, warmup_steps=2_160, stable_steps=17_840, decay_steps=4_000)
    p = law.predict_band(s, [5_000, 23_999])
    assert np.array_equal(p.low, p.loss) and np.array_equal(p.high, p.loss) and p.level == 0.9


def test_band_is_the_jackknife_standard_error_of_the_ensemble():
    members = ((3.0, 0.5, 0.5, 0.4, 0.999), (3.02, 0.5, 0.5, 0.4, 0.999), (3.04, 0.5, 0.5, 0.4, 0.999))
    report = L.FitReport(uncertainty="jackknife", ensemble=members)
    law = L.MomentumLaw(L0=3.02, A=0.5, alpha=0.5, C=0.4, report=report)
    s = lrplan.constant(1e-3)
    p = law.predict_band(s, [100], level=0.9)
    se = np.sqrt(2 / 3 * (0.02**2 + 0 + 0.02**2))  # only L0 differs: the curves differ by L0
    assert p.high[0] - p.loss[0] == pytest.approx(1.6448536269514722 * se, rel=1e-9)


def test_momentum_law_with_no_memory_is_the_lr_drop():
    law = L.MomentumLaw(L0=2.0, A=1.0, alpha=0.5, C=10.0, decay=0.0)
    s = lrplan.piecewise_constant(boundaries=[5], values=[0.04, 0.01])
    # S1(9) = 5 * 0.04 + 5 * 0.01 = 0.25; S2 = eta_0 - eta_9 = 0.03
    assert law.predict(s, 9) == pytest.approx(2.0 + 0.25**-0.5 - 10.0 * 0.03)


def test_multi_power_law_by_hand():
    law = L.MultiPowerLaw(L0=1.0, A=2.0, alpha=1.0, B=3.0, C=1.0, beta=1.0, gamma=0.0)
    s = lrplan.piecewise_constant(boundaries=[2], values=[1.0, 0.5])
    # step 3: sum of lrs = 1 + 1 + 0.5 + 0.5 = 3; one drop of 0.5 at k=2 with S_2(3) = 1, G = 1 - 1/2
    assert law.predict(s, 3) == pytest.approx(1.0 + 2.0 / 3.0 - 3.0 * 0.5 * 0.5)
