"""Pictures: the automatic step range, titles of one-curve plots, legends that keep what tells curves apart."""

from __future__ import annotations

import pytest

import lrplan
from lrplan.cli import auto_steps, main
from lrplan.plot import distinct_labels, plot_schedules

pytest.importorskip("matplotlib")

WSD = "wsd(peak_value=1e-3, warmup_steps=100, stable_steps=600, decay_steps=300"


def test_the_automatic_range_shows_the_decay_of_schedules_without_a_horizon():
    # ten times the last phase boundary: the warmup ends at 4,000, so 40,000 steps show the 1/sqrt decay
    rsqrt = lrplan.inverse_sqrt(peak_value=0.01, warmup_steps=4000)
    assert auto_steps(rsqrt) == 40_000
    assert rsqrt(39_999) == pytest.approx(0.01 * (4000 / 39_999) ** 0.5)  # down to 32% of the peak
    assert auto_steps(lrplan.cyclic(init_value=0.1, peak_value=1.0, up_steps=10, down_steps=20)) == 600
    # with a horizon: 10% past it, as before (500 + 10,000 -> 11,551 -> 12,000)
    assert auto_steps(lrplan.warmup(lrplan.cosine(init_value=1.0, decay_steps=10_000), steps=500)) == 12_000
    # neither: ten times the longest duration
    assert auto_steps(lrplan.power_law(init_value=1.0, scale_steps=5_000, exponent=-0.7)) == 50_000


def test_show_of_a_horizon_free_schedule_draws_its_decay(capsys):
    assert main(["show", "inverse_sqrt(peak_value=0.01, warmup_steps=4000)"]) == 0
    out = capsys.readouterr().out
    assert "39,999" in out  # the last step shown
    # 50% milestone, step 19,999: 0.01 sqrt(4000 / 19,999) = 0.00447225
    assert f"{0.01 * (4000 / 19_999) ** 0.5:.6g}" == "0.00447225" and "0.00447225" in out


def test_a_one_curve_plot_has_its_spec_as_title():
    s = lrplan.cosine(init_value=1.0, decay_steps=100)
    _, ax = plot_schedules([s], steps=120)
    assert ax.get_title() == "cosine(init_value=1.0, decay_steps=100)"
    assert ax.get_legend() is None
    _, ax = plot_schedules([s], steps=120, title="mine")
    assert ax.get_title() == "mine"


def test_a_long_title_is_wrapped_not_cut():
    s = lrplan.parse(WSD + ", decay_shape='linear', end_value=1e-5)")
    _, ax = plot_schedules(s, steps=1100)
    title = ax.get_title()
    assert "\n" in title and title.replace("\n    ", " ") == str(s)


def test_distinct_labels_keep_every_argument_that_differs():
    a = lrplan.parse(WSD + ")")
    b = lrplan.parse(WSD + ", decay_shape='linear')")
    c = lrplan.warmup(lrplan.cosine(init_value=1e-3, decay_steps=1000, end_value=1e-4), steps=100, init_value=1e-5)
    d = lrplan.warmup(lrplan.cosine(init_value=1e-3, decay_steps=1000), steps=100)
    assert distinct_labels([a, b]) == ["decay_shape='1-sqrt'", "decay_shape='linear'"]  # the default shows too
    assert distinct_labels([a, b, c]) == ["wsd, decay_shape='1-sqrt'", "wsd, decay_shape='linear'", "warmup"]
    assert distinct_labels([c, d]) == [
        "cosine.end_value=0.0001, init_value=1e-05",
        "cosine.end_value=0.0, init_value=0.0",
    ]
    short = [lrplan.constant(0.1), lrplan.constant(0.2)]
    assert distinct_labels(short) == ["constant(0.1)", "constant(0.2)"]  # specs that fit are shown whole


def test_long_specs_get_numbered_labels_and_a_caption_with_the_full_specs():
    a = lrplan.parse(WSD + ")")
    b = lrplan.parse(WSD + ", decay_shape='linear')")
    _, ax = plot_schedules([a, b], steps=1100)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["(1) decay_shape='1-sqrt'", "(2) decay_shape='linear'"]
    (caption,) = [t.get_text() for t in ax.texts if t.get_text().startswith("(1)")]
    lines = caption.replace("\n    ", " ").split("\n")
    assert lines == [f"(1) {a}", f"(2) {b}"]


def test_the_plot_command_leaves_titles_and_labels_to_the_picture(tmp_path, monkeypatch, capsys):
    from lrplan.cli import _commands

    calls = []
    monkeypatch.setattr(_commands, "save_plot", lambda *args, **kwargs: calls.append((args, kwargs)) or args[2])
    target = str(tmp_path / "one.png")
    assert main(["plot", "cosine(init_value=1.0, decay_steps=100)", "-o", target]) == 0
    (args, kwargs) = calls[0]
    assert args == ([lrplan.cosine(init_value=1.0, decay_steps=100)], 120, target)
    assert kwargs["title"] is None and kwargs["labels"] is None  # the spec becomes the title
    assert capsys.readouterr().out == f"wrote {target} (800x400, steps 0-119)\n"
