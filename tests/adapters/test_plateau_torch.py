"""Warmup-then-plateau drives a PyTorch training loop; SIGKILL mid-plateau and resume == the uninterrupted run."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from tests.adapters._plateau_torch_train import train  # noqa: E402

SCRIPT = Path(__file__).with_name("_plateau_torch_train.py")
SRC = str(Path(__file__).resolve().parents[2] / "src")


def run(out: Path, driver: str, kill_at_step: int = -1) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, str(SCRIPT), str(out), "--driver", driver, "--kill-at-step", str(kill_at_step)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def kill_resume_matches_uninterrupted(tmp_path: Path, driver: str) -> dict:
    log = train(tmp_path / "full", driver)
    states, lrs = log["states"], log["lrs"]
    steps_per_epoch = len(lrs) // len(states)
    assert states[-1]["reductions"] >= 2, states  # the run really plateaus
    # the first epoch end inside a plateau: some bad epochs counted, after a reduction; kill 3 steps into the next
    epoch = next(e for e, s in enumerate(states[:-1]) if s["bad_reports"] >= 1 and s["reductions"] >= 1)
    kill_at = (epoch + 1) * steps_per_epoch + 3

    killed = run(tmp_path / "resumed", driver, kill_at_step=kill_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert not (tmp_path / "resumed" / "log.json").exists()
    log2 = train(tmp_path / "resumed", driver)  # resumes from the checkpoint the killed run left
    assert log2["lrs"] == lrs  # every learning rate, bit for bit
    assert log2["states"] == states
    a = torch.load(tmp_path / "full" / "final.pt")
    b = torch.load(tmp_path / "resumed" / "final.pt")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    return log


def test_warmup_then_plateau_direct_kill_and_resume(tmp_path):
    log = kill_resume_matches_uninterrupted(tmp_path, "direct")
    lrs = log["lrs"]
    # warmup over 16 steps to 0.05 (step 8 uses 0.025), then the plateau only ever halves the rate
    assert lrs[0] == 0.0 and lrs[8] == pytest.approx(0.025) and lrs[16] == pytest.approx(0.05)
    assert {round(b / a, 12) for a, b in itertools.pairwise(lrs[16:])} == {1.0, 0.5}
    assert lrs[-1] == pytest.approx(0.05 * 0.5 ** log["states"][-1]["reductions"])


def test_warmup_then_plateau_torch_scheduler_kill_and_resume(tmp_path):
    try:
        import lrplan.torch as lt
    except ImportError:
        lt = None
    if lt is None or not hasattr(lt, "Scheduler"):
        pytest.skip("lrplan.torch.Scheduler is not available yet")
    log = kill_resume_matches_uninterrupted(tmp_path, "scheduler")
    ref = train(tmp_path / "direct", "direct")
    assert log["lrs"] == pytest.approx(ref["lrs"], rel=1e-12, abs=0)
    assert log["states"] == ref["states"]
