"""lrplan.torch.Scheduler driven by a schedule in samples: consumed samples in its state, resuming under
another batch-size schedule (in process and after SIGKILL; under DDP on 2 processes: test_torch_integration)."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys

import pytest
import torch

import lrplan as L
import lrplan.torch
from tests.adapters._torch_clock_resume import AFTER, BEFORE, LR, expected_run
from tests.adapters.test_torch_integration import ENV, ROOT


def run(schedule: L.Schedule, steps: int, state: dict | None = None) -> tuple[lrplan.torch.Scheduler, list[float]]:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.0)
    sched = lrplan.torch.Scheduler(opt, schedule)
    if state is not None:
        sched.load_state_dict(state)
    lrs = []
    while sched.last_epoch < steps:
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return sched, lrs


def test_state_records_samples_and_resume_under_another_batch_schedule_continues_from_them():
    first, lrs = run(L.per_update(LR, batch=BEFORE), 30)
    state = first.state_dict()
    assert state["consumed_samples"] == BEFORE.samples_before(30) == 30 * 4 + 0  # still at batch 4 (ramp 400/3)
    second, more = run(L.per_update(LR, batch=AFTER), 150, json.loads(json.dumps(state)))
    rows = expected_run(30, 150)
    assert lrs + more == [r[3] for r in rows]
    assert second.schedule.batch == L.batch_switch(BEFORE, AFTER, at_update=30)
    assert [second.schedule.batch.samples_before(k) for k in range(150)] == [r[1] for r in rows]
    assert second.state_dict()["consumed_samples"] == rows[-1][1] + rows[-1][2]
    # the same batch schedule: nothing to switch; another schedule of samples: still a mismatch
    assert run(L.per_update(LR, batch=BEFORE), 31, state)[0].schedule.batch == BEFORE
    with pytest.raises(L.ConfigError, match="differs from the live one"):
        run(L.per_update(0.5 * LR, batch=AFTER), 31, state)
    assert (
        "consumed_samples"
        not in lrplan.torch.Scheduler(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.0), LR).state_dict()
    )


def test_resume_after_sigkill_under_another_batch_schedule(tmp_path):
    script, steps, kill_at = str(ROOT / "tests" / "adapters" / "_torch_clock_resume.py"), 200, 37
    log, ck = tmp_path / "cut.log", str(tmp_path / "ck.pt")
    killed = subprocess.run([sys.executable, script, "run", ck, str(log), str(kill_at), str(steps)], env=ENV)
    assert killed.returncode == -signal.SIGKILL
    assert torch.load(ck, weights_only=True)["sched"]["consumed_samples"] == BEFORE.samples_before(kill_at)
    resumed = subprocess.run([sys.executable, script, "resume", ck, str(log), "0", str(steps)], env=ENV)
    assert resumed.returncode == 0
    rows = [line.split() for line in log.read_text().splitlines()]
    got = [(int(k), int(first), int(size), float.fromhex(lr)) for k, first, size, lr in rows]
    assert got == expected_run(kill_at, steps)
    # no sample seen twice or skipped, and the data reached where the schedule decays to 0
    assert all(b[1] == a[1] + a[2] for a, b in itertools.pairwise(got))
    assert got[-1][3] == 0.0 and got[-1][1] > 2_000
    # past the switch the batch follows AFTER's rule (8 below 1,000 samples), where BEFORE's would be 16
    assert {size for _, c, size, _ in got[kill_at:] if 400 < c < 1_000} == {8} and BEFORE.megatron_batch(500) == 16


def test_mup_multipliers_scale_named_torch_groups():
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(3)]
    opt = torch.optim.AdamW(
        [
            {"params": [params[0]], "name": "embed"},
            {"params": [params[1]], "name": "blocks"},
            {"params": [params[2]], "name": "head"},
        ],
        lr=0.0,
    )
    roles = {"embed": "input", "blocks": "hidden", "head": "output"}
    sched = lrplan.torch.Scheduler(
        opt, L.constant(1e-2), multipliers=L.mup_lr_multipliers(roles, width=1024, base_width=256)
    )
    assert sched.get_last_lr() == [1e-2, 2.5e-3, 2.5e-3]
