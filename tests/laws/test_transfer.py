"""The convex bound and LR transfer against the reference implementation's values.

Expected numbers were computed with fabian-sp/lr-scheduling (Schaipp et al. 2025), ``src/scheduled``:
``compute_optimal_base(S, G=1, D=1, T=T)`` and ``S.compute_rate(grad_norms=1, D=1, T=T, return_split=True)``
for ``WSDSchedule(final_lr=0.0, steps=T+1, cooldown_len=c, base_lr=1.0)`` (linear cooldown),
``CosineSchedule(final_lr=0.0, steps=T+1, base_lr=1.0)`` and ``ConstantSchedule(steps=T+1, base_lr=1.0)``.
The reference forms its suffix sums as ``total - cumsum``, which loses about 1e-6 relative in the tiny
tail of a cosine (3e-10 in a linear one); lrplan adds them from the end, hence rtol=1e-5 for a cosine.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrplan
import lrplan.laws as L
from lrplan.laws._transfer import _terms


def wsd(T: int, cooldown: float = 0.2) -> lrplan.Schedule:
    d = int(cooldown * (T + 1)) if cooldown < 1 else T  # the reference's int(cooldown_len * steps)
    return lrplan.wsd(peak_value=1.0, warmup_steps=0, stable_steps=T - d, decay_steps=d, decay_shape="linear")


CASES = {
    # name: (schedule, T, optimal base lr, optimal rate, (term1, term2, term3))
    "wsd1000": (
        wsd(1000),
        1000,
        0.01616274434870075,
        0.06870703056036866,
        (0.000555247084952804, 0.4814922265408107, 1.6439831592618392),
    ),
    "wsd4000": (
        wsd(4000),
        4000,
        0.008118293826424062,
        0.03421152385301456,
        (0.00013886960144424384, 0.48148408207193444, 1.625579580840844),
    ),
    "cos1000": (
        lrplan.cosine(init_value=1.0, decay_steps=1000),
        1000,
        0.030624082175425643,
        0.06524283688101185,
        (0.0009990009990009988, 0.3751248751248751, 0.6900962228867755),
    ),
    "cos4000": (
        lrplan.cosine(init_value=1.0, decay_steps=4000),
        4000,
        0.015340237694949632,
        0.03258587260396625,
        (0.00024993751562109475, 0.37503124218945266, 0.6870733109458056),
    ),
    "lin1000": (
        wsd(1000, 1.0),
        1000,
        0.03149717291312825,
        0.06343432801136309,
        (0.000999000999000999, 0.3335000000000001, 0.6734844710558641),
    ),
    "const100": (lrplan.constant(1.0), 100, 0.040234436980874144, 0.24854330644054004, (0.005, 0.5, 2.58868875881981)),
}


@pytest.mark.parametrize("name", CASES)
def test_bound_terms_and_optimal_scale_match_the_reference(name):
    s, T, base, rate, terms = CASES[name]
    rtol = 1e-5 if name.startswith("cos") else 1e-8
    np.testing.assert_allclose(_terms(s(np.arange(T)), 1.0, 1.0), terms, rtol=rtol)
    assert L.optimal_scale(s, T) == pytest.approx(base, rel=rtol)
    assert L.convex_bound(s, T) == pytest.approx(sum(terms), rel=rtol)
    # the bound at the optimal scale is the reference's optimal rate, 2 sqrt(term1 (term2 + term3))
    assert L.convex_bound(s * L.optimal_scale(s, T), T) == pytest.approx(rate, rel=rtol)


@pytest.mark.parametrize(
    ("a", "b"), [("wsd1000", "wsd4000"), ("cos1000", "cos4000"), ("wsd1000", "cos1000"), ("lin1000", "wsd1000")]
)
def test_transfer_is_the_ratio_of_the_reference_optimal_base_lrs(a, b):
    (sa, ta, base_a, *_), (sb, tb, base_b, *_) = CASES[a], CASES[b]
    rtol = 1e-5 if "cos" in a + b else 1e-8
    assert L.transfer_lr(3e-4, sa, sb, from_steps=ta, to_steps=tb) == pytest.approx(3e-4 * base_b / base_a, rel=rtol)


def test_horizons_default_to_the_schedules_and_peaks_do_not_matter():
    short, long = wsd(1000), wsd(4000)
    assert short.horizon == 1000
    expected = 3e-4 * CASES["wsd4000"][2] / CASES["wsd1000"][2]
    assert L.transfer_lr(3e-4, short, long) == pytest.approx(expected, rel=1e-12)
    assert L.transfer_lr(3e-4, short * 0.001, long * 7.0) == pytest.approx(expected, rel=1e-12)
    assert L.transfer_lr(3e-4, short, short) == pytest.approx(3e-4, rel=1e-14)


def test_longer_training_lowers_the_peak():
    base = lrplan.warmup(lrplan.cosine(init_value=1.0, decay_steps=9_000), steps=1_000)
    longer = lrplan.warmup(lrplan.cosine(init_value=1.0, decay_steps=39_000), steps=1_000)
    assert L.transfer_lr(1e-3, base, longer) < 1e-3


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: L.transfer_lr(0.0, wsd(100), wsd(200)), "transfer_lr: `lr` must be a number > 0"),
        (lambda: L.transfer_lr(1e-3, "cosine", wsd(200)), "transfer_lr: `from_schedule` must be an lrplan Schedule"),
        (lambda: L.transfer_lr(1e-3, lrplan.constant(1.0), wsd(200)), "transfer_lr: `from_steps` must be given"),
        (
            lambda: L.transfer_lr(1e-3, wsd(100), wsd(200), to_steps=1),
            "transfer_lr: `to_steps` must be an integer >= 2",
        ),
        (lambda: L.convex_bound(lrplan.constant(0.0), 10), "convex_bound: `schedule` must be positive somewhere"),
        (lambda: L.convex_bound(wsd(100), D=0), "convex_bound: `D` must be a number > 0"),
    ],
)
def test_bad_transfer_input(call, message):
    with pytest.raises(lrplan.ConfigError) as err:
        call()
    assert str(err.value).startswith(message)
