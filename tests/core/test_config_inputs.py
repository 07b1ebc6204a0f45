"""What from_config accepts and refuses: nesting depth, mappings and sequences of config systems."""

from __future__ import annotations

import json

import pytest

import lrplan as L


def nested_config(n):
    """``n`` warmups around a cosine, as a config."""
    config = {"name": "cosine", "args": {"init_value": 1.0, "decay_steps": 10}}
    for _ in range(n):
        config = {"name": "warmup", "args": {"schedule": config, "steps": 1}}
    return config


def nested_spec(n):
    text = "cosine(init_value=1.0, decay_steps=10)"
    for _ in range(n):
        text = f"warmup({text}, steps=1)"
    return text


def test_four_hundred_nested_warmups_are_one_config_error_not_a_recursion_error():
    with pytest.raises(L.ConfigError) as info:
        L.from_config(nested_config(400))
    assert str(info.value) == (
        "from_config: `config` must nest schedules and lists at most 64 levels deep, as specs do. "
        "Received: a config nested 400 levels deep."
    )


def test_a_json_file_of_nested_configs_is_refused_the_same_way():
    text = json.dumps(nested_config(400))
    with pytest.raises(L.ConfigError, match="Received: a config nested 400 levels deep"):
        L.from_config(json.loads(text))


@pytest.mark.parametrize("n", [63, 64])
def test_configs_and_specs_share_the_depth_limit_accepted(n):
    # 64 warmups around a cosine put the cosine's arguments at depth 64, the parser's limit
    s = L.from_config(nested_config(n))
    assert s == L.parse(nested_spec(n))
    assert s(n) == 1.0  # every warmup is one step long; the cosine starts at step n


@pytest.mark.parametrize("n", [65, 66])
def test_configs_and_specs_share_the_depth_limit_refused(n):
    with pytest.raises(L.SpecError, match="nested deeper than 64 levels"):
        L.parse(nested_spec(n))
    with pytest.raises(L.ConfigError, match=f"Received: a config nested {n} levels deep"):
        L.from_config(nested_config(n))


def test_lists_count_as_levels():
    # join([join([...])]): each join and each list is a level, so the arguments of the constant inside
    # 40 joins lie at depth 2 * 40 = 80
    config = {"name": "constant", "args": {"value": 1.0}}
    for _ in range(40):
        config = {"name": "join", "args": {"schedules": [config], "boundaries": []}}
    with pytest.raises(L.ConfigError, match="Received: a config nested 80 levels deep"):
        L.from_config(config)


def test_a_config_that_contains_itself_is_refused_without_hanging():
    loop = {"name": "warmup", "args": {"steps": 1}}
    loop["args"]["schedule"] = loop  # what a YAML alias can build
    with pytest.raises(L.ConfigError, match="Received: a config nested more than 10000 levels deep"):
        L.from_config(loop)
