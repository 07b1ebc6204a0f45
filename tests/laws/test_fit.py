"""Fitting: the acceptance numbers on the published curves, recovery of known parameters, diagnostics,
uncertainty and bad input."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import lrplan
import lrplan.laws as L

SCHEDULES_24K = ["constant_24000", "cosine_24000", "wsd_20000_24000", "wsdld_20000_24000"]


def curves(size: str, which: str = "all") -> dict[str, L.Run]:
    return {r.name: r for r in L.load_manifest(L.example_manifest(size), which)}


def check_held_out(law: L.Law, size: str) -> None:
    """Mean relative error <= 0.25 % over the 6 test curves, final-step error <= 1 % on each."""
    errors = L.diagnose(law, list(curves(size, "test").values()))
    assert np.mean([e.mean_error for e in errors]) <= 0.0025, errors
    assert max(e.final_error for e in errors) <= 0.01, errors


def check_ranking(law: L.Law, size: str) -> None:
    """Fitted on constant + cosine only: constant predicted last, a WSD first, after 24,000 steps."""
    runs = curves(size)
    final = {name: law.predict(runs[name].schedule, 23_999) for name in SCHEDULES_24K}
    order = sorted(final, key=final.__getitem__)
    assert order[-1] == "constant_24000", final
    assert order[0].startswith("wsd"), final


@pytest.mark.parametrize("size", ["25M", "100M"])
def test_momentum_law_from_the_fit_set_predicts_the_test_set(size):
    law = L.fit(list(curves(size, "fit").values()), law="momentum")
    assert isinstance(law, L.MomentumLaw) and law.decay == 0.999
    check_held_out(law, size)
    assert law.report is not None and law.report.uncertainty == "jackknife" and len(law.report.ensemble) == 3


@pytest.mark.parametrize("size", ["25M", "100M"])
def test_momentum_law_from_constant_and_cosine_ranks_the_24k_schedules(size):
    runs = curves(size)
    law = L.fit([runs["constant_24000"], runs["cosine_24000"]], law="momentum", uncertainty="none")
    check_ranking(law, size)


@pytest.mark.slow
@pytest.mark.parametrize("size", ["25M", "100M"])
def test_multi_power_law_from_the_fit_set_predicts_the_test_set(size):
    law = L.fit(list(curves(size, "fit").values()), law="multi_power", uncertainty="none")
    assert isinstance(law, L.MultiPowerLaw)
    check_held_out(law, size)
    assert law.report is not None and [d.name for d in law.report.runs] == [
        "cosine_24000",
        "constant_24000",
        "wsdcon_9",
    ]
    assert all(d.r2 > 0.99 and d.mean_error < 0.002 for d in law.report.runs)


@pytest.mark.slow
@pytest.mark.parametrize("size", ["25M", "100M"])
def test_multi_power_law_from_constant_and_cosine_ranks_the_24k_schedules(size):
    runs = curves(size)
    law = L.fit([runs["constant_24000"], runs["cosine_24000"]], law="multi_power", uncertainty="none")
    check_ranking(law, size)


def synthetic(law: L.Law, schedules: list[lrplan.Schedule], steps: np.ndarray) -> list[L.Run]:
    return [L.Run(schedule=s, steps=steps, loss=law.predict(s, steps), name=f"s{i}") for i, s in enumerate(schedules)]


SYNTHETIC = [
    lrplan.warmup(lrplan.constant(1e-3), steps=500),
    lrplan.warmup(lrplan.cosine(init_value=1e-3, decay_steps=9_500, end_value=1e-4), steps=500),
    lrplan.wsd(peak_value=1e-3, warmup_steps=500, stable_steps=6_000, decay_steps=3_500, decay_shape="linear"),
]
HELD_OUT = lrplan.wsd(peak_value=1e-3, warmup_steps=500, stable_steps=12_000, decay_steps=7_500, end_value=1e-5)


def test_momentum_fit_recovers_known_parameters():
    truth = L.MomentumLaw(L0=2.5, A=0.4, alpha=0.6, C=0.3, decay=0.99)
    runs = synthetic(truth, SYNTHETIC, np.arange(600, 10_000, 100))
    law = L.fit(runs, law="momentum", decay=0.99, uncertainty="none")
    np.testing.assert_allclose(law.params, truth.params, rtol=1e-5)
    assert law.report is not None and law.report.objective < 1e-20


@pytest.mark.slow
def test_multi_power_fit_recovers_a_known_curve():
    truth = L.MultiPowerLaw(L0=2.5, A=0.4, alpha=0.5, B=400.0, C=2.0, beta=0.6, gamma=0.6)
    runs = synthetic(truth, SYNTHETIC, np.arange(600, 10_000, 200))
    law = L.fit(runs, law="multi_power", uncertainty="none")
    steps = np.arange(1_000, 20_000, 500)
    np.testing.assert_allclose(law.predict(HELD_OUT, steps), truth.predict(HELD_OUT, steps), rtol=2e-4)


def test_bootstrap_with_two_runs_gives_a_band():
    runs = curves("25M")
    law = L.fit([runs["constant_24000"], runs["cosine_24000"]], law="momentum", bootstrap=6)
    assert law.report is not None and law.report.uncertainty == "bootstrap" and len(law.report.ensemble) == 6
    p = law.predict_band(runs["wsd_20000_24000"].schedule, [5_000, 23_999], level=0.9)
    assert np.all(p.high > p.loss) and np.all(p.low < p.loss)
    again = L.fit([runs["constant_24000"], runs["cosine_24000"]], law="momentum", bootstrap=6)
    assert again.report == law.report  # seeded


def test_jackknife_band_is_wider_far_from_the_fitted_schedules():
    law = L.fit(list(curves("25M", "fit").values()), law="momentum")
    s = curves("25M")["constant_72000"].schedule
    p = law.predict_band(s, [10_000, 71_999])
    width = p.high - p.low
    assert width[1] > width[0] > 0


@pytest.mark.parametrize(
    ("runs", "kwargs", "message"),
    [
        ([], {}, "fit: `runs` must be a non-empty list of lrplan.laws.Run"),
        (["x"], {}, "fit: `runs[0]` must be an lrplan.laws.Run"),
        (None, {"law": "power"}, "fit: `law` must be one of 'multi_power', 'momentum'"),
        (None, {"uncertainty": "maybe"}, "fit: `uncertainty` must be one of"),
        (None, {"bootstrap": 1}, "fit: `bootstrap` must be an integer >= 2"),
    ],
)
def test_bad_fit_arguments(runs, kwargs, message):
    if runs is None:
        runs = list(curves("25M", "fit").values())
    with pytest.raises(lrplan.ConfigError) as err:
        L.fit(runs, **kwargs)
    assert str(err.value).startswith(message)


def test_too_few_points_names_the_runs():
    s = lrplan.constant(1e-3)
    runs = [L.Run(schedule=s, steps=[9, 19, 29], loss=[4, 3.5, 3.2], name=n) for n in ("a", "b")]
    with pytest.raises(lrplan.ConfigError) as err:
        L.fit(runs, law="multi_power")
    assert str(err.value) == (
        "fit: `runs` must be more than 14 points in all for 7 parameters. Received: runs=\"6 in 'a', 'b'\"."
    )
    with pytest.raises(lrplan.ConfigError, match="'bootstrap' or 'none' with fewer than 3 runs"):
        L.fit(list(curves("25M", "fit").values())[:2], law="momentum", uncertainty="jackknife")


def test_missing_scipy_says_which_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    with pytest.raises(ImportError, match=r"pip install 'lrplan\[laws\]'"):
        L.fit(list(curves("25M", "fit").values()), law="momentum")
