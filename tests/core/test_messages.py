"""Error messages: one line of bounded length, the type of look-alike containers, carets at the argument."""

from __future__ import annotations

import collections

import pytest

import lrplan as L
from lrplan._validate import shown


def test_unknown_schedule_error_is_a_value_error_and_still_a_key_error():
    with pytest.raises(ValueError) as info:
        L.from_config({"name": "cosin", "args": {"init_value": 1.0, "decay_steps": 10}})
    assert isinstance(info.value, KeyError) and isinstance(info.value, L.UnknownScheduleError)
    assert str(info.value) == "Unknown schedule 'cosin'. Did you mean 'cosine'?"


def test_a_huge_boundary_list_gives_a_short_message():
    # 10**5 decreasing boundaries: the full repr is about 700 kB; the message shows the first eight
    boundaries = list(range(10**5, 0, -1))
    with pytest.raises(L.ConfigError) as info:
        L.piecewise_constant(boundaries=boundaries, values=[1.0] * (10**5 + 1))
    assert str(info.value) == (
        "piecewise_constant: `boundaries` must be strictly increasing. "
        "Received: boundaries=[100000, 99999, 99998, 99997, 99996, 99995, 99994, 99993, ...]."
    )


SHOWN = [
    (10**400, "<an integer of 401 digits>"),
    (-(10**5000), "<an integer of about 5000 digits>"),
    ("x" * 1000, "'" + "x" * 37 + "..." + "x" * 38 + "'"),
    ([[1, [2, [3, [4]]]]], "[[1, [2, [...]]]]"),
    (collections.UserList([100, 200]), "[100, 200] (a UserList)"),
    (collections.UserList(range(20)), "[0, 1, 2, 3, 4, 5, 6, 7, ...] (a UserList)"),
    (collections.UserDict({"a": 1}), "{'a': 1} (a UserDict)"),
    ((1.5,), "(1.5,)"),
]


@pytest.mark.parametrize(("value", "text"), SHOWN, ids=[text[:24] for _, text in SHOWN])
def test_values_are_shown_cut_short(value, text):
    assert shown(value) == text


def test_a_huge_integer_is_shown_by_its_size():
    with pytest.raises(L.ConfigError) as info:
        L.cosine(init_value=1.0, decay_steps=10, exponent=10**400)
    assert str(info.value).endswith("Received: exponent=<an integer of 401 digits>.")


@pytest.mark.parametrize(
    ("text", "at"),
    [
        # the caret sits under the offending value, not under the call
        ("cosine(init_value=1.0, decay_steps=-3)", "-3)"),
        ("warmup(cosine(init_value=1.0, decay_steps=10), steps=-1)", "-1)"),
        ("piecewise_constant(boundaries=[1, 2], values=[1.0])", "[1.0])"),
        ("join(schedules=[constant(1.0), plateau(constant(1.0))], boundaries=[5])", "plateau("),
        ("join([constant(1.0)], boundaries=[5])", "[5])"),
        ("cosine(init_value=1.0, decay_steps=10, exponent=0)", "0)"),
    ],
)
def test_spec_error_points_at_the_argument(text, at):
    with pytest.raises(L.SpecError) as info:
        L.parse(text)
    assert info.value.column == text.index(at)


def test_an_error_of_the_whole_call_still_points_at_the_call():
    # a missing argument has no value to point at
    with pytest.raises(L.SpecError) as info:
        L.parse("cosine(init_value=1.0)")
    assert info.value.column == 0
