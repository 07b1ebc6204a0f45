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


# ------------------------------------------------------------------------------- config systems
def test_from_config_takes_an_omegaconf_dict_config_with_list_configs_inside():
    omegaconf = pytest.importorskip("omegaconf")
    config = omegaconf.OmegaConf.create(
        {
            "name": "warmup",
            "args": {
                "schedule": {
                    "name": "piecewise_constant",
                    "args": {"boundaries": [100, 200], "values": [1.0, 0.5, 0.1]},
                },
                "steps": 10,
            },
        }
    )
    s = L.from_config(config)
    assert s == L.warmup(L.piecewise_constant(boundaries=[100, 200], values=[1.0, 0.5, 0.1]), steps=10)
    assert [s(k) for k in (0, 5, 10, 110, 210)] == [0.0, 0.5, 1.0, 0.5, 0.1]


def test_list_fields_take_any_sequence():
    omegaconf = pytest.importorskip("omegaconf")
    boundaries = omegaconf.OmegaConf.create([10, 20])
    s = L.piecewise_constant(boundaries=boundaries, values=(1.0, 0.5, 0.1))
    assert s.boundaries == (10, 20) and [s(9), s(10), s(20)] == [1.0, 0.5, 0.1]
    parts = omegaconf.OmegaConf.create([1.0, 0.5])
    joined = L.join([L.constant(parts[0]), L.constant(parts[1])], boundaries=range(5, 6))  # a range is a sequence
    assert joined.boundaries == (5,) and [joined(4), joined(5)] == [1.0, 0.5]


def test_errors_name_the_type_of_look_alike_containers():
    omegaconf = pytest.importorskip("omegaconf")
    with pytest.raises(L.ConfigError) as info:
        L.piecewise_constant(boundaries=omegaconf.OmegaConf.create([100, float("nan")]), values=[1.0, 0.5, 0.1])
    assert str(info.value) == (
        "piecewise_constant: `boundaries` must be a list of finite real numbers. "
        "Received: boundaries=[100, nan] (a ListConfig)."
    )
    with pytest.raises(L.ConfigError) as info:
        L.from_config(omegaconf.OmegaConf.create([1, 2]))
    assert str(info.value) == (
        "from_config: `config` must be a mapping with keys 'name' and 'args' (a dict, a DictConfig...). "
        "Received: config=[1, 2] (a ListConfig)."
    )


@pytest.mark.parametrize("text", ["cosine", b"cosine"])
def test_strings_are_not_lists(text):
    with pytest.raises(L.ConfigError, match="must be a list of finite real numbers"):
        L.piecewise_constant(boundaries=text, values=[1.0])


def test_hydra_instantiates_a_schedule_config():
    pytest.importorskip("hydra")
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    config = OmegaConf.create(
        {
            "_target_": "lrplan.warmup",
            "steps": 10,
            "schedule": {"_target_": "lrplan.piecewise_constant", "boundaries": [100, 200], "values": [1.0, 0.5, 0.1]},
        }
    )
    s = instantiate(config)
    assert s == L.warmup(L.piecewise_constant(boundaries=[100, 200], values=[1.0, 0.5, 0.1]), steps=10)
    assert [s(5), s(110), s(210)] == [0.5, 0.5, 0.1]
