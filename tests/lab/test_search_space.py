"""The search space of a study: the `search:` section, conditional parameters, and the runs of a trial."""

from __future__ import annotations

import pytest

from lrplan.lab.errors import LabError, StudyError
from lrplan.lab.params import Param, SearchConfig, grid_values, substitute
from lrplan.lab.space import params_used, sample, trial_runs
from lrplan.lab.study import RunSpec, study_from_dict

COSINE = "cosine(init_value=1.0, decay_steps={steps}, end_value={floor})"
WSD = (
    "wsd(peak_value=1.0, warmup_steps={warmup*steps}, stable_steps={steps*(1-cooldown)-warmup*steps}, "
    "decay_steps={steps*cooldown}, decay_shape={shape})"
)


def base(**search):
    return {
        "name": "s",
        "steps": 200,
        "eval_every": 50,
        "seeds": 2,
        "tasks": ["digits-mlp"],
        "optimizers": [{"name": "adam", "lr": 0.003}, {"name": "sgd-momentum", "label": "sgdm"}],
        "schedules": [{"spec": COSINE, "label": "cosine"}, {"spec": WSD, "label": "wsd"}],
        "search": {
            "trials": 24,
            "sampler": "tpe",
            "pruner": "asha",
            "space": {
                "lr": {"low": 1e-4, "high": 1.0, "log": True},
                "schedule": {"values": ["cosine", "wsd"]},
                "optimizer": {"values": ["adam", "sgdm"]},
                "cooldown": {"low": 0.1, "high": 0.5},
                "floor": {"low": 0.0, "high": 0.1},
                "warmup": {"values": [0, 0.02, 0.05]},
                "shape": {"values": ["linear", "1-sqrt"]},
                "opt.weight_decay": {"low": 1e-4, "high": 0.3, "log": True},
                "opt.momentum": {"values": [0.8, 0.9]},
            },
            **search,
        },
    }


def test_search_section_parsed():
    st = study_from_dict(base())
    s = st.search
    assert isinstance(s, SearchConfig)
    assert (s.trials, s.metric, s.direction, s.sampler, s.pruner) == (24, "accuracy", "maximize", "tpe", "asha")
    assert s.space["lr"] == Param("lr", "float", 1e-4, 1.0, True)
    assert s.space["warmup"] == Param("warmup", "choice", values=(0, 0.02, 0.05))
    assert s.space["shape"] == Param("shape", "choice", values=("linear", "1-sqrt"))
    assert [sch.get("params") for sch in st.schedules] == [["floor"], ["cooldown", "shape", "warmup"]]
    with pytest.raises(LabError, match="run it with `lrplan lab search`"):
        st.runs()


def test_num_grid_and_val_loss_direction():
    assert (
        study_from_dict({**base(), "search": None, "schedules": ["constant(1.0)"]}).search is None
    )  # search: null is no search
    d = base(metric="val_loss")
    d["search"]["space"] = {"lr": {"low": 0.001, "high": 0.1, "log": True, "num": 5}}
    d["schedules"] = ["constant(1.0)"]
    d["optimizers"] = ["adam"]
    del d["search"]["trials"]
    d["search"]["sampler"] = "grid"
    st = study_from_dict(d)
    assert st.search.space["lr"] == Param("lr", "choice", 0.001, 0.1, True, (0.001, 0.00316228, 0.01, 0.0316228, 0.1))
    assert (st.search.trials, st.search.direction) == (5, "minimize")
    assert st.search.grid() == {"lr": [0.001, 0.00316228, 0.01, 0.0316228, 0.1]}
    assert grid_values(0.0, 1.0, 3, log=False) == [0.0, 0.5, 1.0]


def test_params_used_is_conditional():
    st = study_from_dict(base())
    names = lambda got: [p.name for p in params_used(st, got)]  # noqa: E731
    assert names({}) == ["schedule", "optimizer", "lr"]
    assert names({"schedule": "cosine"}) == ["schedule", "optimizer", "lr", "floor"]
    assert names({"schedule": "wsd", "optimizer": "adam"}) == [
        "schedule", "optimizer", "lr", "cooldown", "shape", "warmup", "opt.weight_decay",
    ]  # fmt: skip
    assert names({"schedule": "cosine", "optimizer": "sgdm"}) == [
        "schedule", "optimizer", "lr", "floor", "opt.weight_decay", "opt.momentum",
    ]  # fmt: skip


def test_sample_loops_until_every_used_parameter_has_a_value():
    st = study_from_dict(base())
    picks = {"schedule": "wsd", "optimizer": "sgdm", "shape": "1-sqrt", "warmup": 0.05, "opt.momentum": 0.8}
    got = sample(st, lambda p: picks.get(p.name, p.low))
    assert got == {
        "schedule": "wsd", "optimizer": "sgdm", "lr": 1e-4, "cooldown": 0.1, "shape": "1-sqrt", "warmup": 0.05,
        "opt.weight_decay": 1e-4, "opt.momentum": 0.8,
    }  # fmt: skip


def test_trial_runs_explicit():
    st = study_from_dict(base())
    params = {"schedule": "wsd", "optimizer": "sgdm", "lr": 0.05, "cooldown": 0.25, "warmup": 0.02}
    params |= {"shape": "linear", "opt.weight_decay": 0.01, "opt.momentum": 0.8, "floor": 0.07}  # floor: unused
    runs = trial_runs(st, params)
    spec = "wsd(peak_value=1.0, warmup_steps=4, stable_steps=146, decay_steps=50, decay_shape='linear')"
    common = dict(
        task="digits-mlp",
        task_options=st.tasks[0]["options"],
        optimizer="sgd-momentum",
        optimizer_options={**st.optimizers[1]["options"], "weight_decay": 0.01, "momentum": 0.8},
        lr=0.05,
        schedule=spec,
        steps=200,
        eval_every=50,
        task_label="digits-mlp",
        optimizer_label="sgdm momentum=0.8 weight_decay=0.01",
        schedule_label="wsd cooldown=0.25 shape=linear warmup=0.02",
    )
    assert runs == [RunSpec(seed=0, **common), RunSpec(seed=1, **common)]
    cos = trial_runs(
        st, {"schedule": "cosine", "optimizer": "adam", "lr": 0.001, "floor": 0.05, "opt.weight_decay": 0.1}
    )
    assert [(r.schedule, r.lr, r.optimizer_options["weight_decay"]) for r in cos] == [
        ("cosine(init_value=1.0, decay_steps=200, end_value=0.05)", 0.001, 0.1)
    ] * 2
    with pytest.raises(LabError, match=r"the trial has no value for \['floor', 'lr'\]"):
        trial_runs(st, {"schedule": "cosine", "optimizer": "adam", "opt.weight_decay": 0.1})


def test_lr_from_the_study_when_not_searched():
    d = base()
    d["optimizers"] = [{"name": "adam", "lr": 0.003}]
    d["schedules"] = [{"spec": COSINE, "label": "cosine"}]
    d["search"]["space"] = {"floor": {"values": [0.0, 0.1]}}
    st = study_from_dict(d)
    assert [(r.lr, r.schedule) for r in trial_runs(st, {"floor": 0.1})] == [
        (0.003, "cosine(init_value=1.0, decay_steps=200, end_value=0.1)")
    ] * 2
    st = study_from_dict({**d, "lrs": [0.02]})
    assert trial_runs(st, {"floor": 0.0})[0].lr == 0.02


def test_substitution_rules():
    assert substitute("f(a={x}, b={x*steps}, c={3.7}, d={s})", 10, {"x": 0.15, "s": "cosine"}) == (
        "f(a=0.15, b=2, c=4, d='cosine')"
    )
    assert substitute("f(a={n}, b={n/3})", 10, {"n": 2}) == "f(a=2, b=0.6666666666666666)"
    with pytest.raises(LabError, match="a string parameter can only stand alone"):
        substitute("f(a={s*2})", 10, {"s": "x"})


def test_bad_search_sections_name_every_problem():
    d = base()
    d["search"] = {
        "trials": 0,
        "metric": "loss",
        "sampler": "bayes",
        "pruner": "sometimes",
        "extra": 1,
        "space": {
            "lr": {"low": 0.0, "high": 1.0, "log": True},
            "schedule": {"values": ["cosine", "step"]},
            "cooldown": {"low": 0.5, "high": 0.1},
            "floor": {"values": [0.0, 0.0]},
            "unused": {"low": 0, "high": 1},
            "opt.nesterov_x": {"values": [1]},
            "opt.weight_decay": {"low": -1.0, "high": 0.1},
            "shape": {"values": ["linear", "cubic"]},
            "warmup": {"low": 0, "high": 1, "step": 2},
            "steps": {"values": [1]},
        },
    }
    with pytest.raises(StudyError) as info:
        study_from_dict(d, source="s.yaml")
    lines = str(info.value).splitlines()[1:]
    assert [line.strip() for line in lines] == [
        "s.yaml: search.space.lr.low: must be > 0 on a log scale (log: true). Received: 0.0.",
        "s.yaml: search.space.cooldown: `low` must be less than `high`. Received: low=0.5, high=0.1.",
        "s.yaml: search.space.floor.values: must not repeat a value. Received: [0.0, 0.0].",
        "s.yaml: search.space.warmup: unknown key(s) ['step']; allowed: ['low', 'high', 'log', 'int', 'num', 'values'].",
        "s.yaml: search.space.steps: a parameter name is an identifier (or opt.<option>) other than `steps`. "
        "Received: 'steps'.",
        "s.yaml: schedules[0]: invalid schedule 'cosine(init_value=1.0, deca...={steps}, end_value={floor})': "
        "cannot evaluate {...}: unknown name `floor`; the names are `steps`, `unused`, `shape`",
        "s.yaml: schedules[1]: invalid schedule 'wsd(peak_value=1.0, warmup_...ldown}, decay_shape={shape})': "
        "cannot evaluate {...}: unknown name `cooldown`; the names are `steps`, `unused`, `shape`",
        "s.yaml: search.extra: unknown key; allowed keys: trials, metric, direction, sampler, pruner, space.",
        "s.yaml: search.trials: must be an integer in [1, 100000]. Received: 0.",
        "s.yaml: search.sampler: must be one of tpe, random, grid. Received: 'bayes'.",
        "s.yaml: search.pruner: must be one of none, median, asha, hyperband. Received: 'sometimes'.",
        "s.yaml: search.space.optimizer: the study has 2 optimizers: search over them with optimizer: "
        "{values: [labels]} or keep one. Labels: ['adam', 'sgdm'].",
        "s.yaml: search.space.unused: not used by any schedule: write {unused} in a schedule spec.",
        "s.yaml: search.space.opt.nesterov_x: no optimizer of the study has the option `nesterov_x`.",
        "s.yaml: search.space.opt.weight_decay: optimizer 'adam': option `weight_decay` must be a number >= 0, "
        "like 0.0. Received: weight_decay=-1.0.",
        "s.yaml: search.space.opt.weight_decay: optimizer 'sgd-momentum': option `weight_decay` must be a number >= 0, "
        "like 0.0. Received: weight_decay=-1.0.",
        "s.yaml: search.metric: must be 'accuracy' or 'val_loss' for task 'digits-mlp'. Received: 'loss'.",
    ]


def test_bad_values_of_a_shape_parameter_are_found_before_any_run():
    d = base()
    d["optimizers"] = ["adam"]
    d["search"]["space"] = {
        "schedule": {"values": ["cosine", "wsd"]},
        "floor": {"values": [0.0, 0.1]},
        "cooldown": {"low": 0.1, "high": 1.5},
        "warmup": {"values": [0]},
        "shape": {"values": ["linear", "cubic"]},
    }
    with pytest.raises(StudyError) as info:
        study_from_dict(d, source="s.yaml")
    text = str(info.value)
    assert "schedules[1]: invalid schedule" in text
    assert text.count("s.yaml:") == 1, text  # one problem, nothing that follows from it
    d["search"]["space"]["cooldown"] = {"low": 0.1, "high": 0.5}
    with pytest.raises(StudyError, match=r"decay_shape` must be one of .* Received: decay_shape='cubic'"):
        study_from_dict(d, source="s.yaml")


def test_grid_sampler_needs_choices_and_trials_within_the_grid():
    d = base(sampler="grid", trials=5)
    d["optimizers"] = ["adam"]
    d["schedules"] = ["constant(1.0)"]
    d["search"]["space"] = {"lr": {"values": [0.1, 0.2]}, "opt.weight_decay": {"low": 0.0, "high": 0.1}}
    with pytest.raises(StudyError) as info:
        study_from_dict(d, source="g.yaml")
    assert str(info.value).splitlines() == [
        "g.yaml: search.space.opt.weight_decay: sampler grid needs every parameter as `values` or a `num` grid."
    ]
    d["search"]["space"]["opt.weight_decay"] = {"values": [0.0, 0.1]}
    with pytest.raises(StudyError, match=r"the grid has 4 points; trials must be at most 4\. Received: 5\."):
        study_from_dict(d, source="g.yaml")
    d["search"]["trials"] = 4
    assert study_from_dict(d).search.grid() == {"lr": [0.1, 0.2], "opt.weight_decay": [0.0, 0.1]}


def test_choices_of_schedule_and_optimizer_are_labels():
    d = base()
    d["search"]["space"]["schedule"] = {"values": ["cosine", "step"]}
    d["search"]["space"]["optimizer"] = {"low": 0.0, "high": 1.0}
    with pytest.raises(StudyError) as info:
        study_from_dict(d, source="s.yaml")
    assert str(info.value).splitlines()[1:] == [
        "  s.yaml: search.space.schedule: must be {values: [...]} of the schedule labels ['cosine', 'wsd'].",
        "  s.yaml: search.space.optimizer: must be {values: [...]} of the optimizer labels ['adam', 'sgdm'].",
    ]
