"""Several sweeps on one results folder: each run is claimed by one of them, trained once, recorded once."""

import os
import platform
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lrplan.lab.store import Store

SRC = str(Path(__file__).resolve().parents[2] / "src")
needs_flock = pytest.mark.skipif(sys.platform == "win32", reason="claims need flock")

STUDY = """
name: shared
steps: 2000
eval_every: 2000
seeds: 8
tasks: [digits-logreg]
optimizers: [{name: sgd, lr: 0.2}]
schedules: ['constant(1.0)']
"""


def env():
    return {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


@needs_flock
def test_two_lab_runs_on_one_folder_share_the_runs(tmp_path):
    study = tmp_path / "shared.yaml"
    study.write_text(STUDY)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "lrplan.lab", "run", str(study), "--out", str(out), "--workers", "1"]
    cmd += ["--no-progress", "--no-report"]
    procs = [subprocess.Popen(cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in "ab"]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert all("Traceback" not in err for _, err in results)
    trained, elsewhere = [], []
    for stdout, _ in results:
        m = re.search(r"(\d+) runs trained, 0 already finished(?:, (\d+) finished by another process)?", stdout)
        assert m, stdout
        trained.append(int(m.group(1)))
        elsewhere.append(int(m.group(2) or 0))
    assert sum(trained) == 8  # nothing was trained twice
    assert trained[0] + elsewhere[0] == trained[1] + elsewhere[1] == 8  # each saw every run finished
    records = list(Store(out).records())
    assert sorted(r["run"]["seed"] for r in records) == list(range(8))  # every run recorded exactly once
    assert {len(r["curves"]["lr"]) for r in records} == {2000}
    assert list((out / "runs").glob("*.claim")) == [] and list((out / "runs").glob(".*.tmp")) == []


@needs_flock
def test_a_claim_excludes_others_until_released_or_its_holder_dies(tmp_path):
    store = Store(tmp_path)
    first = store.claim("k1")
    assert first is not None and store.claim("k1") is None  # another claimant (even this process) waits
    assert store.claim("k2") is not None
    first.release(finished=False)  # not trained: the next claimant takes it
    again = store.claim("k1")
    assert again is not None
    again.release(finished=True)
    assert not (store.runs / "k1.claim").exists()
    # a claimant killed while holding the claim: the operating system drops its lock
    holder = textwrap.dedent(
        f"""
        import sys, time
        from lrplan.lab.store import Store
        claim = Store({str(tmp_path)!r}).claim("k3")
        print("held" if claim else "refused", flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", holder], env=env(), stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        assert store.claim("k3") is None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        taken = store.claim("k3")
        assert taken is not None
        assert (store.runs / "k3.claim").read_text().split()[1] == str(os.getpid())
    finally:
        proc.kill()


def test_a_sweep_deletes_only_temporary_files_of_writers_that_are_gone(tmp_path):
    store = Store(tmp_path)
    store.runs.mkdir(parents=True)
    host = platform.node().replace("~", "-")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    mine = store.runs / f".k1.json~{host}~{os.getpid()}~00aa.tmp"  # a write in progress here
    gone = store.runs / f".k2.json~{host}~{dead.stdout.strip()}~00bb.tmp"  # its writer has exited
    other = store.runs / f".k3.json~{host}-elsewhere~1~00cc.tmp"  # another machine's, recent
    for p in (mine, gone, other):
        p.write_text("{")
    assert store.clean_temporary() == 1
    assert sorted(p.name for p in store.runs.iterdir()) == sorted([mine.name, other.name])
    old = os.stat(other).st_mtime - 2 * 3600
    os.utime(other, (old, old))  # an hour and more: its writer is surely gone
    assert store.clean_temporary() == 1 and not other.exists() and mine.exists()
