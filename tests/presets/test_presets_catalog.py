"""Presets of sources not installable here (fairseq, tensor2tensor, Mesh/T5, T5X, big_vision, Megatron,
Hägele et al., DeepSeek), checked against the worked tables of ../shared/reference/schedules-catalog.md
(§2 inverse square root family, the WSD table, §1.11 reference formulas) to 6 significant digits.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrplan
from lrplan.presets import big_vision, fairseq, hf, megatron, t5


def digits(x: float) -> str:
    return f"{x:.5e}"


def check(schedule: lrplan.Schedule, table: dict[int, float]) -> None:
    for step, expected in table.items():
        for got in (schedule(step), float(schedule(np.array([step]))[0])):
            assert digits(got) == digits(expected), f"{schedule} at {step}: {got!r} != {expected!r}"


STEPS = (0, 1, 2000, 4000, 16000)

# catalog §2 "Worked example" (W = 4000, peak 5e-4, d_model = hidden = 512)
TABLE_2 = {
    "noam": (t5.noam(512, 4000), (0, 1.74693e-07, 3.49386e-04, 6.98771e-04, 3.49386e-04)),
    "annotated_rate": (t5.rate(512, 1.0, 4000), (1.74693e-07, 1.74693e-07, 3.49386e-04, 6.98771e-04, 3.49386e-04)),
    "t2t_string": (
        t5.learning_rate_schedule(
            "constant*linear_warmup*rsqrt_decay*rsqrt_hidden_size",
            learning_rate_constant=2.0,
            hidden_size=512,
            learning_rate_warmup_steps=4000,
        ),
        (0, 3.49386e-07, 6.98771e-04, 1.39754e-03, 6.98771e-04),
    ),
    "t2t_legacy_noam": (
        t5.learning_rate_schedule(
            "legacy",
            learning_rate_decay_scheme="noam",
            learning_rate=0.1,
            hidden_size=512,
            learning_rate_warmup_steps=4000,
        ),
        (1.74693e-07, 3.49386e-07, 3.49560e-04, 6.98684e-04, 3.49375e-04),
    ),
    "t2t_legacy_sqrt": (
        t5.learning_rate_schedule(
            "legacy", learning_rate_decay_scheme="sqrt", learning_rate=0.1, learning_rate_warmup_steps=4000
        ),
        (2.00000e-06, 2.00230e-06, 2.00000e-05, 1.00000e-01, 9.12871e-04),
    ),
    "t2t_rsqrt_decay": (
        t5.learning_rate_schedule("rsqrt_decay", learning_rate_warmup_steps=4000),
        (1.58114e-02,) * 4 + (7.90569e-03,),
    ),
    "t2t_rsqrt_normalized_decay": (
        t5.learning_rate_schedule("rsqrt_normalized_decay", learning_rate_warmup_steps=4000),
        (1, 1, 1, 1, 0.5),
    ),
    "mesh_truncated_rsqrt": (t5.truncated_rsqrt(4000), (1.58114e-02,) * 4 + (7.90569e-03,)),
    "t5x_constant_rsqrt": (
        t5.create_learning_rate_scheduler("constant * rsqrt_decay", base_learning_rate=1.0, warmup_steps=4000),
        (1.58114e-02,) * 4 + (7.90569e-03,),
    ),
    "t5x_default": (
        t5.create_learning_rate_scheduler(base_learning_rate=0.5, warmup_steps=4000),
        (1.00000e-08, 1.97642e-06, 3.95285e-03, 7.90569e-03, 3.95285e-03),
    ),
    "fairseq_default_init": (
        fairseq.inverse_sqrt(lr=5e-4, warmup_updates=4000),
        (0, 1.25e-07, 2.5e-04, 5e-04, 2.5e-04),
    ),
    "fairseq_init_1e-7": (
        fairseq.inverse_sqrt(lr=5e-4, warmup_updates=4000, warmup_init_lr=1e-7),
        (1.00000e-07, 2.24975e-07, 2.50050e-04, 5.00000e-04, 2.50000e-04),
    ),
    "hf_default_timescale": (hf.get_inverse_sqrt_schedule(5e-4, 4000), (0, 1.25e-07, 2.5e-04, 5e-04, 2.5e-04)),
    "hf_timescale_10000": (
        hf.get_inverse_sqrt_schedule(5e-4, 4000, timescale=10_000),
        (0, 1.25e-07, 2.5e-04, 5e-04, 3.37100e-04),
    ),
    "big_vision_default": (
        big_vision.create_learning_rate_schedule(100_000, base=5e-4, decay_type="rsqrt", warmup_steps=4000),
        (0, 1.25e-07, 2.5e-04, 5e-04, 3.37100e-04),
    ),
    "big_vision_timescale_4000": (
        big_vision.create_learning_rate_schedule(
            100_000, base=5e-4, decay_type="rsqrt", warmup_steps=4000, timescale=4000
        ),
        (0, 1.25e-07, 2.5e-04, 5e-04, 2.5e-04),
    ),
    "megatron_isr": (
        megatron.OptimizerParamScheduler(0.0, 5e-4, 0.0, 4000, 100_000, "inverse-square-root"),
        (0, 1.25e-07, 2.5e-04, 5e-04, 2.5e-04),
    ),
}


@pytest.mark.parametrize("name", sorted(TABLE_2))
def test_inverse_sqrt_family_table(name):
    schedule, row = TABLE_2[name]
    check(schedule, dict(zip(STEPS, row, strict=True)))


def test_more_checks_of_section_2():
    # T5 defaults: 0.01 at 0, 1, 5000, 10000; 0.005 at 40000 (T5X pretrain.gin gives the same)
    t5_table = {0: 0.01, 1: 0.01, 5000: 0.01, 10_000: 0.01, 40_000: 0.005}
    check(t5.truncated_rsqrt(), t5_table)
    check(t5.learning_rate_schedule_noam(linear_decay_fraction=0.0), t5_table)
    check(t5.create_learning_rate_scheduler("constant * rsqrt_decay", 1.0, warmup_steps=10_000), t5_table)
    # Adafactor relative step at k = 1, 2, 100, 1e4, 4e4 (k = step + 1)
    ks = (1, 2, 100, 10_000, 40_000)
    check(t5.adafactor_relative_step(), {k - 1: v for k, v in zip(ks, (0.01, 0.01, 0.01, 0.01, 0.005), strict=True)})
    check(
        t5.adafactor_relative_step(warmup_init=True),
        {k - 1: v for k, v in zip(ks, (1e-6, 2e-6, 1e-4, 0.01, 0.005), strict=True)},
    )
    # big_vision with cooldown (total 20000, cooldown 2000)
    bv = big_vision.create_learning_rate_schedule(
        20_000, base=5e-4, decay_type="rsqrt", warmup_steps=4000, cooldown_steps=2000
    )
    for step, value in {16_000: 3.371e-4, 18_000: 3.227e-4, 19_000: 1.581e-4, 20_000: 0.0}.items():
        assert f"{bv(step):.3e}" == f"{value:.3e}"


def test_identities_of_section_2():
    steps = np.arange(0, 30_000, 7)
    noam = t5.noam(512, 4000)
    t2t = TABLE_2["t2t_string"][0]
    np.testing.assert_allclose(t2t(steps), 2 * noam(steps), rtol=1e-12)  # constant 2 = 2x Noam
    legacy = TABLE_2["t2t_legacy_noam"][0]
    np.testing.assert_allclose(legacy(steps), noam(steps + 1), rtol=1e-12)  # legacy noam at s = Noam at s + 1
    shapes = [
        fairseq.inverse_sqrt(lr=1.0, warmup_updates=4000),
        hf.get_inverse_sqrt_schedule(1.0, 4000),
        megatron.OptimizerParamScheduler(0.0, 1.0, 0.0, 4000, 10**9, "inverse-square-root"),
        big_vision.create_learning_rate_schedule(10**9, decay_type="rsqrt", warmup_steps=4000, timescale=4000),
    ]
    for other in shapes[1:]:
        np.testing.assert_allclose(other(steps), shapes[0](steps), rtol=1e-12, atol=1e-15)


WSD_STEPS = (0, 1, 5, 9, 10, 89, 90, 91, 95, 99, 100, 101)
WSD_1SQRT = (0, 0.1, 0.5, 0.9, 1, 1, 1, 0.6838, 0.2929, 0.05132, 0, 0)
WSD_TABLE = {
    "hf_1sqrt": (hf.get_wsd_schedule(1.0, 10, 10, 100, decay_type="1-sqrt"), WSD_1SQRT),
    "hf_cosine": (
        hf.get_wsd_schedule(1.0, 10, 10, 100, decay_type="cosine"),
        (0, 0.1, 0.5, 0.9, 1, 1, 1, 0.9755, 0.5, 0.02447, 0, 0),
    ),
    "hagele": (
        megatron.wsd_schedule(100, n_warmup=10, fract_decay=0.1, init_div_factor=100, decay_type="sqrt"),
        (0.01, 0.109, 0.505, 0.901, 1, 1, 1, 0.6838, 0.2929, 0.05132, 0, 0),
    ),
    "megatron_minus_sqrt": (
        megatron.OptimizerParamScheduler(
            0.0, 1.0, 0.0, 10, 100, "WSD", wsd_decay_steps=10, lr_wsd_decay_style="minus_sqrt"
        ),
        WSD_1SQRT,
    ),
}


@pytest.mark.parametrize("name", sorted(WSD_TABLE))
def test_wsd_table(name):
    # the catalog prints these to 4 significant digits
    schedule, row = WSD_TABLE[name]
    for step, expected in zip(WSD_STEPS, row, strict=True):
        assert f"{schedule(step):.3e}" == f"{expected:.3e}", (name, step, schedule(step))


def test_noam_peak_of_section_1_11():
    assert digits(t5.noam(512, 4000)(4000)) == "6.98771e-04"
    assert t5.noam(512, 4000)(0) == 0.0


def test_megatron_quirks():
    s = megatron.OptimizerParamScheduler(0.0, 5e-4, 1e-4, 4000, 20_000, "inverse-square-root")
    assert s(4000) == 5e-4 and s(2000) == 2.5e-4
    assert s(19_000) == pytest.approx(5e-4 * (4000 / 19_000) ** 0.5)  # above the floor
    assert s(20_001) == 1e-4  # the cliff after lr_decay_steps
    floor = megatron.OptimizerParamScheduler(0.0, 5e-4, 3e-4, 4000, 20_000, "inverse-square-root")
    assert floor(16_000) == 3e-4  # floored at min_lr
    cos = megatron.OptimizerParamScheduler(1e-5, 1.0, 0.1, 10, 110, "cosine")
    assert (cos(0), cos(10), cos(60), cos(110), cos(500)) == (1e-5, 1.0, pytest.approx(0.55), 0.1, 0.1)
    lin = megatron.OptimizerParamScheduler(0.0, 1.0, 0.0, 0, 100, "linear")
    assert (lin(0), lin(50), lin(100)) == (1.0, 0.5, 0.0)
    assert megatron.OptimizerParamScheduler(0.0, 1.0, 0.0, 10, 100, "constant")(1000) == 1.0
    # WSD anneal starting inside the warmup (Megatron continues it part-way after the inclusive warmup)
    early = megatron.OptimizerParamScheduler(
        0.0, 1.0, 0.0, 10, 20, "WSD", wsd_decay_steps=15, lr_wsd_decay_style="linear"
    )
    assert early(10) == 1.0 and early(11) == pytest.approx(1 - 6 / 15) and early(20) == 0.0


def test_hagele_edges():
    # no decay phase: the warmup climbs to the peak (from 1/100), then the final factor
    s = megatron.wsd_schedule(10, n_warmup=10, fract_decay=0.0, final_lr_factor=0.1)
    assert (s(0), s(5), s(10)) == (0.01, 0.505, 0.1)
    # exp decay to 0: the peak at the first decay step, 0 right after (0 ** 0 == 1 in the source)
    e = megatron.wsd_schedule(100, n_warmup=10, decay_type="exp")
    assert (e(89), e(90), e(91), e(100)) == (1.0, 1.0, 0.0, 0.0)
    f = megatron.wsd_schedule(100, n_warmup=10, decay_type="exp", final_lr_factor=0.01)
    assert f(95) == pytest.approx(0.01**0.5)


def test_deepseek_multistep():
    # DeepSeek LLM: 2000 warmup steps, 31.6% of the peak after 80% of training, 10% after 90%
    s = megatron.deepseek_multistep(4.2e-4, total_steps=10_000)
    assert (s(0), s(1000), s(2000), s(7999)) == (0.0, 2.1e-4, 4.2e-4, 4.2e-4)
    assert s(8000) == pytest.approx(0.316 * 4.2e-4) and s(9000) == pytest.approx(0.1 * 4.2e-4)


def test_fairseq_others():
    # zero warmup: fairseq crashes (ZeroDivisionError); the preset decays as lr / sqrt(max(n, 1))
    z = fairseq.inverse_sqrt(lr=1.0, warmup_updates=0)
    assert (z(0), z(1), z(4), z(100)) == (1.0, 1.0, 0.5, 0.1)
    # the zero-warmup spec equals the core spec it prints as
    assert fairseq.inverse_sqrt(lr=5e-4) == lrplan.inverse_sqrt(peak_value=5e-4, warmup_steps=4000)
    p = fairseq.polynomial_decay(lr=1.0, total_num_update=100, warmup_updates=10, end_learning_rate=0.1, power=2.0)
    assert (p(0), p(10), p(55), p(100)) == (0.0, 1.0, pytest.approx(0.1 + 0.9 * 0.25), 0.1)
    short = fairseq.polynomial_decay(lr=1.0, total_num_update=5, warmup_updates=10, end_learning_rate=0.1)
    assert (short(10), short(11)) == (1.0, 0.1)  # inclusive warmup, then the end value
    ts = fairseq.tri_stage(lr=1.0, warmup_steps=10, hold_steps=5, decay_steps=0)
    assert (ts(0), ts(10), ts(15), ts(16)) == (0.01, 1.0, 1.0, 0.01)  # decay_steps=0: fairseq crashes
    ratio = fairseq.tri_stage(lr=1.0, phase_ratio=[0.1, 0.4, 0.5], max_update=100)
    assert (ratio(10), ratio(50), ratio(100)) == (1.0, 1.0, pytest.approx(0.01))
    c = fairseq.cosine(lr=1.0, min_lr=0.1, max_update=110, warmup_updates=10, t_mult=2.0)
    assert (c(0), c(10), c(60), c(110)) == (0.1, 1.0, pytest.approx(0.55), pytest.approx(0.1))  # restart, shrunk
    assert c(310) == pytest.approx(0.01)  # the second (200-step) cycle ends at min_lr * shrink
    tri = fairseq.triangular(lr=0.1, max_lr=1.0, lr_period_updates=10, lr_shrink=0.5, shrink_min=True)
    assert (tri(0), tri(5), tri(10), tri(15)) == (0.1, 1.0, 0.05, 0.5)
    st = fairseq.step(lr=1.0, warmup_updates=10, warmup_init_lr=0.0, lr_deacy_period=10, lr_decay=0.5)
    assert (st(5), st(10), st(20), st(30)) == (0.5, 1.0, 0.5, 0.25)


def test_t2t_and_t5x_factors():
    lin = t5.learning_rate_schedule("linear_decay", train_steps=100, learning_rate_decay_steps=20)
    assert (lin(80), lin(90), lin(100), lin(200)) == (1.0, 0.5, 0.0, 0.0)
    cos = t5.learning_rate_schedule("cosdecay", learning_rate_warmup_steps=10, learning_rate_decay_steps=100)
    assert cos(10) == 1.0 and cos(11) == pytest.approx(0.5 * (1 + np.cos(np.pi * 0.11)))  # raw step: a jump
    single = t5.learning_rate_schedule("single_cycle_cos_decay", learning_rate_warmup_steps=10, train_steps=110)
    assert (single(10), single(60), single(110), single(210)) == (1.0, pytest.approx(0.5), 0.0, pytest.approx(1.0))
    exp = t5.learning_rate_schedule(
        "exp_decay", learning_rate_warmup_steps=10, learning_rate_decay_steps=10, learning_rate_decay_rate=0.5
    )
    assert (exp(10), exp(20), exp(25)) == (1.0, 0.5, pytest.approx(0.5**1.5))
    legacy_exp = t5.learning_rate_schedule(
        learning_rate_decay_scheme="exp",
        learning_rate_warmup_steps=10,
        learning_rate_decay_steps=10,
        learning_rate_decay_rate=0.5,
        learning_rate=1.0,
        optimizer="sgd",
    )
    assert legacy_exp(0) == pytest.approx(0.01) and legacy_exp(20) == 0.5
    pw = t5.learning_rate_schedule(
        learning_rate_decay_scheme="piecewise",
        learning_rate_boundaries=[20],
        learning_rate_multiples=[0.1],
        learning_rate_warmup_steps=0,
        learning_rate=1.0,
        optimizer="sgd",
    )
    assert (pw(20), pw(21)) == (1.0, 0.1)  # tf piecewise_constant switches after the boundary
    replicas = t5.learning_rate_schedule("constant", learning_rate_constant=1.0, num_async_replicas=4)
    assert replicas(0) == 0.5
    x = t5.create_learning_rate_scheduler("constant * decay_every", 1.0, decay_factor=0.5, steps_per_decay=10)
    assert (x(9), x(10), x(25)) == (1.0, 0.5, 0.25)
    cyc = t5.create_learning_rate_scheduler("cosine_decay", warmup_steps=10, steps_per_cycle=100)
    assert (cyc(0), cyc(60), cyc(110)) == (1.0, pytest.approx(0.5), 1.0)  # cyclic
    ld = t5.create_learning_rate_scheduler("linear_decay", 2.0, warmup_steps=10, decay_factor=0.1)
    assert (ld(5), ld(10), ld(15), ld(100)) == (1.0, 2.0, pytest.approx(1.0), 1e-8)  # base twice, then the clamp
    off = t5.create_learning_rate_scheduler("constant * rsqrt_decay", 1.0, warmup_steps=100, step_offset=1000)
    assert (off(0), off(1400)) == (0.1, 0.05)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: t5.learning_rate_schedule("constant*eval(1)"), "unknown factor 'eval(1)'"),
        (lambda: t5.create_learning_rate_scheduler("constant * * rsqrt_decay"), "unknown factor ''"),
        (lambda: t5.learning_rate_schedule("rsqrt_hidden_size"), "`hidden_size` must be given"),
        (lambda: t5.learning_rate_schedule_noam(), "`total_train_steps` must be given"),
        (lambda: fairseq.polynomial_decay(lr=1.0, total_num_update=10, force_anneal=5), "`force_anneal` must be None"),
        (lambda: fairseq.inverse_sqrt(lr=[1.0, 2.0]), "inverse_sqrt: `lr` must be a single value"),
        (lambda: fairseq.tri_stage(lr=1.0, phase_ratio=[0.5, 0.5, 0.5], max_update=10), "`phase_ratio` must be three"),
        (lambda: fairseq.cosine(lr=1.0), "`max_update` must be given"),
        (lambda: fairseq.triangular(lr=1.0, max_lr=0.5), "`max_lr` must be > lr"),
        (lambda: big_vision.create_learning_rate_schedule(100, warmup_step=5), "`warmup_step` must be an argument"),
        (lambda: big_vision.create_learning_rate_schedule(100, warmup_steps=100), "`warmup_steps` must be < total"),
        (lambda: big_vision.create_learning_rate_schedule(100, decay_type="exp"), "`decay_type` must be one of"),
        (
            lambda: megatron.OptimizerParamScheduler(0, 1, 0, 10, 100, "WSD", 10, "exponential"),
            "`lr_wsd_decay_style` must be linear, cosine or minus_sqrt",
        ),
        (lambda: megatron.OptimizerParamScheduler(0, 1, 0, 100, 100, "linear"), "`lr_warmup_steps` must be <"),
        (lambda: megatron.OptimizerParamScheduler(0, 1, 0, 10, 100, "WSD"), "`wsd_decay_steps` must be given"),
        (lambda: megatron.wsd_schedule(100, decay_type="miror_cosine"), "wsd_schedule: `decay_type` must be one of"),
        (lambda: megatron.deepseek_multistep(1.0, total_steps=1000), "`milestones` must be increasing"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(lrplan.ConfigError) as info:
        call()
    assert message in str(info.value)


def test_big_vision_durations_and_decays():
    s = big_vision.create_learning_rate_schedule(1000, batch_size=100, data_size=10_000, warmup_epochs=1.5)
    assert s(75) == 0.5 and s(150) == 1.0  # 1.5 epochs of 100 steps
    p = big_vision.create_learning_rate_schedule(100, decay_type="polynomial", power=2, end=0.1, warmup_percent=0.1)
    assert (p(10), p(55), p(100)) == (1.0, pytest.approx(0.1 + 0.9 * 0.25), 0.1)
    sh = big_vision.create_learning_rate_schedule(
        100_000, decay_type="rsqrt", warmup_steps=10, timescale=100, shift=300
    )
    assert sh(5) == pytest.approx(0.5 / 2) and sh(10) == pytest.approx(0.5) and sh(110) == pytest.approx(1 / 5**0.5)
    st = big_vision.create_learning_rate_schedule(100, steps=[10, 10, 20], mults=[0.5, 0.25, 0.1])
    assert (st(9), st(10), st(20)) == (1.0, 0.25, 0.1)  # a repeated boundary skips a value, as searchsorted does
    scaled = big_vision.create_learning_rate_schedule(100, base=0.1, batch_size=512, scale_with_batchsize=True)
    assert scaled(0) == pytest.approx(0.2)


def test_every_preset_round_trips():
    from lrplan import presets

    for name, (schedule, _) in {**TABLE_2, **WSD_TABLE}.items():
        assert lrplan.parse(str(schedule)) == schedule, name
        assert lrplan.from_config(lrplan.to_config(schedule)) == schedule, name
    listed = presets.names()
    for src in ("hf", "timm", "fairseq", "t5", "big_vision", "megatron"):
        assert any(n.startswith(src + ".") for n in listed), src
