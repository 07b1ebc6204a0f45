"""The Ray backend gives the same records as the local backend for the same runs."""

import os
from pathlib import Path

import pytest

from lrplan.lab.run import VOLATILE_FIELDS
from lrplan.lab.store import Store
from lrplan.lab.study import study_from_dict
from lrplan.lab.sweep import run_study

ray = pytest.importorskip("ray")
SRC = str(Path(__file__).resolve().parents[2] / "src")


def strip(record):
    return {k: v for k, v in record.items() if k not in VOLATILE_FIELDS}


@pytest.mark.slow
def test_ray_backend_matches_local_backend(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))  # Ray workers import lrplan
    st = study_from_dict(
        {
            "name": "ray",
            "steps": 20,
            "eval_every": 10,
            "seeds": 2,
            "tasks": ["digits-logreg"],
            "optimizers": [{"name": "sgd-momentum", "lr": 0.1}],
            "schedules": ["cosine(init_value=1.0, decay_steps={steps})"],
        }
    )
    local = run_study(st, tmp_path / "local", backend="local", workers=2, progress=False)
    on_ray = run_study(st, tmp_path / "ray", backend="ray", workers=2, progress=False)
    assert local.trained == on_ray.trained == 2
    a = {r["key"]: strip(r) for r in Store(tmp_path / "local").records()}
    b = {r["key"]: strip(r) for r in Store(tmp_path / "ray").records()}
    assert a == b
    assert not ray.is_initialized()  # the backend shut down the instance it started
