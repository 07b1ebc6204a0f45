"""LR-free optimizers (Prodigy, D-Adaptation, DoG) as lab optimizers: optional, validated, driven by the schedule."""

import importlib.util
import math
import sys
from importlib import metadata

import pytest

from lrplan.lab import LabError
from lrplan.lab.errors import StudyError
from lrplan.lab.optimizers import get_optimizer, missing, package_version, resolve_options
from lrplan.lab.run import train
from lrplan.lab.study import study_from_dict

# name -> (import name, distribution, options that make a 60-step run move on digits-logreg)
LR_FREE = {
    "prodigy": ("prodigyopt", "prodigyopt", {}),
    "dadapt-adam": ("pytorch_optimizer", "pytorch-optimizer", {}),
    "dadapt-sgd": ("pytorch_optimizer", "pytorch-optimizer", {"d0": 1e-2}),
    # DoG's first step is reps_rel * (1 + |x0|) / |g0|: at the default 1e-6 it needs ~150 steps to grow
    "dog": ("dog", "dog-optimizer", {"reps_rel": 0.1}),
    "ldog": ("dog", "dog-optimizer", {"reps_rel": 0.1}),
}


def needs(name):
    module = LR_FREE[name][0]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"optional package {LR_FREE[name][1]} is not installed (pip install 'lrplan[lrfree]')")


def study(name, options=None, **kw):
    data = {
        "name": "t",
        "steps": 60,
        "eval_every": 30,
        "tasks": ["digits-logreg"],
        "optimizers": [{"name": name, "options": options or {}, **kw}],
        "schedules": ["warmup(cosine(init_value=1.0, decay_steps=56), steps=4)"],
    }
    return study_from_dict(data)


@pytest.mark.parametrize("name", sorted(LR_FREE))
def test_lr_free_optimizer_trains_and_the_lab_drives_its_multiplier(name):
    needs(name)
    from torch.optim.optimizer import register_optimizer_step_pre_hook

    seen = []  # the parameter group's lr at each optimizer.step()
    hook = register_optimizer_step_pre_hook(lambda opt, args, kwargs: seen.append(opt.param_groups[0]["lr"]))
    try:
        record = train(study(name, LR_FREE[name][2], lr=0.8).runs()[0].to_dict())
    finally:
        hook.remove()
    assert record["status"] == "ok"
    val = record["curves"]["eval"]["val_loss"]
    assert val[-1] < val[0] - 0.5, val  # 2.33 nats at the start (uniform over 10 classes)
    # lr * schedule(k): 0.8 x linear warmup over 4 steps, then a cosine over 56 (hand-computed)
    expected = [0.8 * k / 4 for k in range(4)] + [0.4 * (1 + math.cos(math.pi * j / 56)) for j in range(56)]
    assert record["curves"]["lr"] == pytest.approx(expected, abs=1e-15)
    assert seen == record["curves"]["lr"]


@pytest.mark.parametrize("name", sorted(LR_FREE))
def test_missing_package_is_refused_when_the_study_is_loaded(monkeypatch, name):
    module, package, _ = LR_FREE[name]
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now raises ImportError
    assert missing(get_optimizer(name)) == (
        f"optimizer {name!r} needs the {package} package: pip install {package} (or pip install 'lrplan[lrfree]')"
    )
    with pytest.raises(StudyError, match=rf"optimizers\[0\]: optimizer '{name}' needs the {package} package: "):
        study(name)
    with pytest.raises(LabError, match=r"pip install 'lrplan\[lrfree\]'"):
        get_optimizer(name).factory([], 1.0, dict(get_optimizer(name).defaults))


def test_missing_schedulefree_is_refused_the_same_way(monkeypatch):
    monkeypatch.setitem(sys.modules, "schedulefree", None)
    with pytest.raises(StudyError, match="needs the schedulefree package: pip install schedulefree"):
        study("schedulefree-adamw")


def test_defaults_are_the_packages_and_lr_is_a_multiplier_of_one():
    assert {n: get_optimizer(n).lr for n in LR_FREE} == dict.fromkeys(LR_FREE, 1.0)
    assert resolve_options(get_optimizer("prodigy")) == {
        "betas": [0.9, 0.999],
        "eps": 1e-8,
        "weight_decay": 0.0,
        "decouple": True,
        "use_bias_correction": False,
        "safeguard_warmup": False,
        "d0": 1e-6,
        "d_coef": 1.0,
        "growth_rate": 0.0,
    }
    assert resolve_options(get_optimizer("dog"), {"reps_rel": 1e-4}) == {
        "reps_rel": 1e-4,
        "weight_decay": 0.0,
        "eps": 1e-8,
    }


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("prodigy", {"betas": [0.9, 1.0]}, r"option `betas` must be a list of 2 numbers in \[0, 1\)"),
        ("prodigy", {"d_coef": 0}, r"option `d_coef` must be a number > 0, like 1.0. Received: d_coef=0"),
        ("prodigy", {"growth_rate": 0.5}, r"`growth_rate` must be 0 \(no limit\) or >= 1. Received: growth_rate=0.5"),
        ("dadapt-adam", {"d0": -1.0}, r"option `d0` must be a number > 0"),
        ("dadapt-sgd", {"momentum": 1.0}, r"option `momentum` must be a number in \[0, 1\)"),
        ("dog", {"reps_rel": 0.0}, r"option `reps_rel` must be a number > 0, like 1e-06. Received: reps_rel=0.0"),
        ("ldog", {"init_eta": 1.0}, r"unknown option\(s\) \['init_eta'\]"),
        ("prodigy", {"safeguard_warmup": 1}, r"option `safeguard_warmup` must be False"),
    ],
)
def test_options_are_validated(name, options, message):
    with pytest.raises(LabError, match=message):
        resolve_options(get_optimizer(name), options)


@pytest.mark.parametrize("name", sorted(LR_FREE))
def test_the_package_version_a_run_records(name):
    needs(name)
    package = LR_FREE[name][1]
    assert package_version(get_optimizer(name)) == {package: metadata.version(package)}


@pytest.mark.parametrize(
    ("name", "module", "cls"),
    [
        ("prodigy", "prodigyopt", "Prodigy"),
        ("dadapt-adam", "pytorch_optimizer", "DAdaptAdam"),
        ("dadapt-sgd", "pytorch_optimizer", "DAdaptSGD"),
        ("dog", "dog", "DoG"),
        ("ldog", "dog", "LDoG"),
    ],
)
def test_every_default_is_the_installed_packages_own(name, module, cls):
    import inspect
    import math

    signature = inspect.signature(getattr(pytest.importorskip(module), cls)).parameters
    for option, ours in resolve_options(get_optimizer(name)).items():
        theirs = signature[option].default
        if option == "growth_rate":  # the packages' "no limit" is inf, not JSON; ours is 0
            assert (ours, theirs) == (0.0, math.inf)
        elif option == "betas":
            assert tuple(ours) == theirs
        else:
            assert ours == theirs, option


def test_building_prodigy_prints_nothing(capsys):
    pytest.importorskip("prodigyopt")
    import torch

    from lrplan.lab.optimizers import build

    build(get_optimizer("prodigy"), [torch.nn.Parameter(torch.zeros(2))], 1.0, {"weight_decay": 0.1})
    assert capsys.readouterr().out == ""
