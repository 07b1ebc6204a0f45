"""Every preset's errors name the preset: ``<source>.<Name>: `arg` must be ... Received: arg=value.``"""

from __future__ import annotations

import inspect
import math

import pytest

import lrplan
from lrplan import presets
from lrplan.presets._args import Args, preset, shown

CALLABLE = [name for name in presets.names() if callable(presets.get(name))]


def test_there_are_presets_of_every_source():
    assert {name.split(".", 1)[0] for name in CALLABLE} == set(presets.SOURCES)
    assert len(CALLABLE) >= 60


@pytest.mark.parametrize("name", CALLABLE)
def test_a_bad_value_is_refused_by_the_preset_in_its_own_name(name):
    fn = presets.get(name)
    params = [
        p for p in inspect.signature(fn).parameters.values() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    required = {p.name: math.nan for p in params if p.default is inspect.Parameter.empty}
    with pytest.raises(lrplan.ConfigError) as info:
        fn(**(required or {params[0].name: math.nan}))
    message = str(info.value)
    assert message.startswith(f"{name}:") or message.startswith(f"{name} is not available"), message
    assert "\n" not in message


def test_fairseq_cosine_names_itself_not_the_core_cosine():
    with pytest.raises(lrplan.ConfigError) as info:
        presets.get("fairseq.cosine")(lr=[-1.0], max_update=100)
    assert str(info.value) == "fairseq.cosine: `lr` must be >= 0. Received: lr=-1.0."


def test_an_error_of_a_core_schedule_built_by_a_preset_is_re_owned():
    def ramp(lr):
        return lrplan.linear(init_value=0.0, end_value=lr, decay_steps=10)

    ramp.__module__ = "lrplan.presets.example"
    wrapped = preset(ramp)
    assert wrapped(1.0) == lrplan.linear(init_value=0.0, end_value=1.0, decay_steps=10)
    with pytest.raises(lrplan.ConfigError) as info:
        wrapped(math.nan)
    message = str(info.value)
    assert message.startswith("example.ramp: the schedule these arguments describe is invalid: ")
    assert "end_value" in message
    assert inspect.signature(wrapped) == inspect.signature(ramp)  # `lrplan explain` shows the real arguments


def test_the_message_format_and_its_checks():
    c = Args("torch.StepLR")
    with pytest.raises(lrplan.ConfigError) as info:
        c.positive("step_size", 0)
    assert str(info.value) == "torch.StepLR: `step_size` must be > 0. Received: step_size=0."
    assert (c.real("x", 3), c.real("x", 2.5), c.integer("n", 4.0), c.in_range("p", 1, 0.0, 1.0)) == (3, 2.5, 4, 1)
    assert type(c.real("x", 3)) is int and type(c.integer("n", 4.0)) is int
    for bad in (True, "1", None, math.inf, math.nan):
        with pytest.raises(lrplan.ConfigError, match="must be a finite real number"):
            c.real("x", bad)
    with pytest.raises(lrplan.ConfigError, match=r"must be -1 \(a preset is a pure function of the step"):
        c.last_epoch(3)
    c.last_epoch(-1)
    assert c.steps_list("b", [0, 2, 2.0], integral=True) == [0, 2, 2]
    assert c.scales_dict("d", {6: 0.5, 3: 2}) == [(3, 2.0), (6, 0.5)]


def test_huge_values_are_cut_short_in_messages():
    with pytest.raises(lrplan.ConfigError) as info:
        presets.get("torch.MultiStepLR")(base_lr=0.1, milestones=[-1] * 100_000)
    assert len(str(info.value)) < 300
    assert str(info.value).endswith("Received: milestones=[-1, -1, -1, -1, -1, -1, -1, -1, ...].")
    assert shown(10**400) == "<an integer of 401 digits>"
    assert shown(10**5000) == "<an integer of about 5000 digits>"
    assert shown("x" * 1000) == "'" + "x" * 37 + "..." + "x" * 38 + "'"  # 80 characters


@pytest.mark.parametrize("name", CALLABLE)
def test_huge_numbers_in_any_argument_get_the_preset_s_one_line_error(name):
    """10**400 (no float holds it), a list holding it, a dict keyed by it: refused by the preset, never a crash."""
    fn = presets.get(name)
    params = [
        p for p in inspect.signature(fn).parameters.values() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    for param in params:
        for value in (10**400, 10**5000, [1, 10**400], {10**400: 0.5}, {1: 10**400}):
            kwargs = {p.name: (1 if p.default is inspect.Parameter.empty else p.default) for p in params}
            kwargs[param.name] = value
            try:
                fn(**kwargs)
            except lrplan.ConfigError as err:
                assert str(err).startswith(name), str(err)
                assert len(str(err)) < 400 and "\n" not in str(err), str(err)
            except TypeError:  # a positional-only or missing argument of this generic call
                pass
