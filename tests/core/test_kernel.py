"""The subclassing contract: the guard against skipped checks, Derived forwarding, field helpers, Plateau as a schedule."""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pytest

import lrplan as L
from lrplan._ops import NUMPY, PY


# --------------------------------------------------------------------------- the guard
def test_a_subclass_with_its_own_init_is_refused_at_definition():
    with pytest.raises(TypeError) as info:

        @L.fields.schedule_dataclass
        class Skips(L.Schedule):
            value: float = L.fields.value()

            def __init__(self, value):
                object.__setattr__(self, "value", value)

            def formula(self, s, ops):
                return s * 0.0 + self.value

    assert str(info.value) == (
        "test_a_subclass_with_its_own_init_is_refused_at_definition.<locals>.Skips: a Schedule subclass must not "
        "define __init__: its constructor is generated from its fields, so that every field check runs. Declare "
        "each argument with lrplan.fields and put checks across fields in validate(self)."
    )


def test_a_subclass_that_never_reaches_the_checks_is_refused_at_definition():
    with pytest.raises(TypeError, match=r"Late: a Schedule subclass must not define __post_init__: the field checks"):

        @L.fields.schedule_dataclass
        class Late(L.Schedule):
            value: float = L.fields.value()

            def __post_init__(self):  # never calls the kernel's checks
                pass


def test_fields_without_the_dataclass_decorator_are_refused_at_construction():
    class Undecorated(L.Cosine):
        floor: float = L.fields.value(default=0.0)

    with pytest.raises(TypeError, match=r"Undecorated: its fields are not dataclass fields, so they would never"):
        Undecorated(init_value=1.0, decay_steps=10)


def test_a_subclass_of_a_builtin_gets_every_check():
    @L.fields.schedule_dataclass
    class Floored(L.Cosine):
        floor: float = L.fields.value(default=0.0)

        def formula(self, s, ops):
            return ops.maximum(super().formula(s, ops), self.floor)

    with pytest.raises(L.ConfigError, match=r"^Floored: `decay_steps` must be > 0. Received: decay_steps=0.$"):
        Floored(init_value=1.0, decay_steps=0)
    with pytest.raises(L.ConfigError, match=r"^Floored: `floor` must be >= 0. Received: floor=-1.$"):
        Floored(init_value=1.0, decay_steps=10, floor=-1)
    assert Floored(init_value=1.0, decay_steps=10, floor=0.2)(10) == 0.2


def test_dataclass_slots_recreation_is_not_mistaken_for_a_custom_init():
    @dataclasses.dataclass(frozen=True, kw_only=True, repr=False, slots=True)
    class Slotted(L.Schedule):
        value: float = L.fields.value()

        def formula(self, s, ops):
            return s * 0.0 + self.value

    assert Slotted(value=0.5)(3) == 0.5
    with pytest.raises(L.ConfigError, match="`value` must be >= 0"):
        Slotted(value=-0.5)


def test_validate_runs_after_the_field_checks_and_names_the_schedule():
    @L.fields.schedule_dataclass
    class Band(L.Schedule):
        low: float = L.fields.value()
        high: float = L.fields.value()

        def validate(self):
            if self.high < self.low:
                raise self.config_error("high", f">= low={self.low!r}", self.high)

        def formula(self, s, ops):
            return s * 0.0 + self.low

    with pytest.raises(L.ConfigError, match=r"^Band: `low` must be >= 0"):  # the field check comes first
        Band(low=-1.0, high=-2.0)
    with pytest.raises(L.ConfigError, match=r"^Band: `high` must be >= low=1.0. Received: high=0.5.$"):
        Band(low=1.0, high=0.5)


def test_hooks_of_the_first_release_still_work_with_a_warning():
    with pytest.warns(DeprecationWarning, match=r"Old._f is read as formula\(\); rename it."):

        @L.fields.schedule_dataclass
        class Old(L.Schedule):
            value: float = L.fields.value()

            def _f(self, s, ops):
                return s * 0.0 + self.value

    assert Old(value=0.25)(7) == 0.25 and Old(value=0.25)(np.arange(2)).tolist() == [0.25, 0.25]
    with pytest.warns(DeprecationWarning, match=r"Older._check is read as validate\(\); rename it."):

        @L.fields.schedule_dataclass
        class Older(L.Schedule):
            value: float = L.fields.value()

            def _check(self):
                if self.value > 1:
                    raise self.config_error("value", "<= 1", self.value)

            def formula(self, s, ops):
                return s * 0.0 + self.value

    with pytest.raises(L.ConfigError, match=r"^Older: `value` must be <= 1. Received: value=2.$"):
        Older(value=2)


# --------------------------------------------------------------------------- Derived
@L.fields.schedule_dataclass
class Trapezoid(L.Derived):
    peak_value: float = L.fields.value()
    ramp_steps: float = L.fields.steps(positive=True)
    flat_steps: float = L.fields.steps(default=0)

    def define(self):
        up = L.linear(init_value=0.0, end_value=self.peak_value, decay_steps=self.ramp_steps)
        down = L.linear(init_value=self.peak_value, end_value=0.0, decay_steps=self.ramp_steps)
        return L.join([up, down], boundaries=[self.ramp_steps + self.flat_steps])


def test_derived_forwards_value_fast_path_and_description_to_its_definition():
    t = Trapezoid(peak_value=2.0, ramp_steps=10, flat_steps=5)
    d = t.definition
    assert d == L.join(
        [
            L.linear(init_value=0.0, end_value=2.0, decay_steps=10),
            L.linear(init_value=2.0, end_value=0.0, decay_steps=10),
        ],
        boundaries=[15],
    )
    assert t.definition is d  # built once
    steps = np.arange(40)
    np.testing.assert_array_equal(t(steps), d(steps))
    assert [t(k) for k in (0, 5, 12, 15, 20, 25, 99)] == [0.0, 1.0, 2.0, 2.0, 1.0, 0.0, 0.0]  # by hand
    assert t.python_formula(20.0) == d.python_formula(20.0) == 1.0
    assert t.formula(np.array([5.0]), NUMPY).tolist() == [1.0] and t.formula(5.0, PY) == 1.0
    assert t.horizon == d.horizon == 25.0
    assert t.breakpoints() == d.breakpoints() == (10.0, 15.0, 25.0)
    assert t.continuous_at() == d.continuous_at() == (10.0, 25.0)
    assert str(t) == "Trapezoid(peak_value=2.0, ramp_steps=10, flat_steps=5)"
    assert t == Trapezoid(peak_value=2.0, ramp_steps=10, flat_steps=5) and t != Trapezoid(peak_value=2.0, ramp_steps=10)


def test_derived_builds_its_definition_at_construction():
    @L.fields.schedule_dataclass
    class Broken(L.Derived):
        peak_value: float = L.fields.value()

        def define(self):
            return L.join([L.constant(self.peak_value)], boundaries=[1])  # one boundary too many

    with pytest.raises(L.ConfigError, match=r"join: `boundaries` must be 0 step\(s\)"):
        Broken(peak_value=1.0)


def test_builtin_compositions_are_derived():
    wsd = L.wsd(peak_value=1.0, warmup_steps=10, stable_steps=80, decay_steps=10)
    assert isinstance(wsd, L.Derived) and isinstance(L.one_cycle(peak_value=1.0, total_steps=100), L.Derived)
    assert wsd.horizon == 100.0 and wsd.continuous_at() == (10.0, 90.0, 100.0)  # the joint at 90 is promised too
    assert wsd.definition.continuous_at() == (10.0, 100.0)


# --------------------------------------------------------------------------- field helpers
def test_field_helpers_custom_in_range_and_default_from():
    def odd(owner, name, x):
        if not isinstance(x, int) or x % 2 == 0:
            raise L.ConfigError(f"{owner}: `{name}` must be an odd integer. Received: {name}={x!r}.")
        return x

    @L.fields.schedule_dataclass
    class Knobs(L.Schedule):
        period: int = L.fields.custom(odd, default=3)
        mix: float = L.fields.in_range(0.0, 1.0, default=0.5, high_open=True)
        kind: str = L.fields.choice(("a", "b"), default="a")
        side: str = L.fields.choice(("left", "right"), default_from=lambda k: "left" if k.kind == "a" else "right")

        def formula(self, s, ops):
            return s * 0.0 + self.mix

    assert Knobs().side == "left" and Knobs(kind="b").side == "right" and str(Knobs(kind="b")) == "Knobs(kind='b')"
    assert str(Knobs(kind="b", side="left")) == "Knobs(kind='b', side='left')"
    assert L.to_config(Knobs(kind="b"))["args"]["side"] == "right"  # configs carry the derived default
    with pytest.raises(L.ConfigError, match=r"^Knobs: `period` must be an odd integer. Received: period=4.$"):
        Knobs(period=4)
    with pytest.raises(L.ConfigError, match=r"^Knobs: `mix` must be in \[0.0, 1.0\). Received: mix=1.0.$"):
        Knobs(mix=1.0)
    with pytest.raises(L.ConfigError, match=r"`side` must be one of 'left', 'right' \(or None for the default\)"):
        Knobs(side="up")


# --------------------------------------------------------------------------- Plateau on the kernel
def test_plateau_is_a_registered_schedule_that_round_trips():
    p = L.plateau(L.warmup(L.cosine(init_value=0.1, decay_steps=100), steps=5), mode="max", patience=3, cooldown=1)
    assert L.registered()["plateau"] is L.Plateau and isinstance(p, L.Schedule)
    text = "plateau(warmup(cosine(init_value=0.1, decay_steps=100), steps=5), mode='max', patience=3, cooldown=1)"
    assert str(p) == text and L.parse(text) == p
    config = json.loads(json.dumps(L.to_config(p)))
    assert config == {
        "format": 1,
        "name": "plateau",
        "args": {
            "schedule": {
                "name": "warmup",
                "args": {
                    "schedule": {
                        "name": "cosine",
                        "args": {"init_value": 0.1, "decay_steps": 100, "end_value": 0.0, "exponent": 1.0},
                    },
                    "steps": 5,
                    "init_value": 0.0,
                    "shape": "linear",
                },
            },
            "mode": "max",
            "factor": 0.1,
            "patience": 3,
            "threshold": 0.0001,
            "threshold_mode": "rel",
            "cooldown": 1,
            "min_value": 0.0,
            "compat": "lrplan",
        },
    }
    assert L.from_config(config) == p and L.Plateau.from_config(config) == p and p.to_config() == L.to_config(p)


def test_plateau_value_before_any_reduction_is_its_base_schedule():
    base = L.warmup(L.cosine(init_value=0.1, decay_steps=100), steps=5)
    p = L.plateau(base, min_value=0.05)
    steps = np.arange(120)
    np.testing.assert_array_equal(p(steps), base(steps))
    assert [p(k) for k in (0, 3, 55)] == [base(k) for k in (0, 3, 55)] == [0.0, 0.06, 0.05]
    state = p.initial_state()
    assert [p.value(k, state) for k in range(120)] == [p(k) for k in range(120)]
    assert (p.horizon, p.breakpoints(), p.continuous_at()) == (base.horizon, base.breakpoints(), base.continuous_at())
    scaled = p.evaluate(np.array([5.0, 55.0]), 0.1, NUMPY)  # the adapters' in-graph value: max(f * 0.1, min(f, 0.05))
    np.testing.assert_allclose(scaled, [0.05, 0.05], rtol=0, atol=0)


def test_plateau_cannot_be_nested():
    p = L.plateau(L.constant(0.1))
    with pytest.raises(L.ConfigError, match=r"^warmup: `schedule` must be a schedule of the step \(plateau also"):
        L.warmup(p, steps=10)
    with pytest.raises(L.ConfigError, match=r"^join: `schedules\[1\]` must be a schedule of the step"):
        L.join([L.constant(1.0), p], boundaries=[3])
    with pytest.raises(L.ConfigError, match=r"^plateau: `schedule` must be a schedule of the step"):
        L.plateau(p)
    with pytest.raises(L.ConfigError, match=r"^scale: `schedule` must be a schedule of the step"):
        _ = 0.5 * p


def test_no_warning_from_builtin_classes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        L.parse(str(L.plateau(L.wsd(peak_value=1.0, warmup_steps=1, stable_steps=2, decay_steps=3))))
