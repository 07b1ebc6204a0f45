"""Faults of the local backend: a worker killed mid-sweep is replaced; a killed driver takes its workers along.

A run that fails stops the sweep with its own error, on the local and the Ray backend alike.
"""

import importlib.util
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from lrplan.lab import LabError
from lrplan.lab.backends import Feed, LocalBackend, RayBackend
from lrplan.lab.study import study_from_dict
from lrplan.lab.sweep import run_study

SRC = str(Path(__file__).resolve().parents[2] / "src")
needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads parent pids from /proc")


def specs(runs, steps):
    st = study_from_dict(
        {
            "name": "faults",
            "steps": steps,
            "eval_every": steps,
            "seeds": runs,
            "tasks": ["digits-logreg"],
            "optimizers": [{"name": "sgd", "lr": 0.2}],
            "schedules": ["constant(1.0)"],
        }
    )
    return [r.to_dict() for r in st.runs()]


class Recorder(Feed):
    """Counts what the backend asks for and hands back; kills one worker once two runs are under way."""

    def __init__(self, runs):
        super().__init__(runs)
        self.taken, self.records, self.notices = [], [], []
        self.steps = {}  # seed -> the progress reports of its runs, in order
        self.killed = None
        self.lock = threading.Lock()

    def take(self):
        spec = super().take()
        if isinstance(spec, dict):
            self.taken.append(spec["seed"])
        return spec

    def record(self, spec, record):
        self.records.append(record)

    def status(self, text, *, notice=False):
        if notice:
            self.notices.append(text)

    def progress(self, spec, step, steps):
        self.steps.setdefault(spec["seed"], []).append(step)
        under_way = [s for s, seen in self.steps.items() if 0 < seen[-1] < steps]
        if self.killed is None and len(under_way) == 2:  # both workers busy: kill either
            victim = multiprocessing.active_children()[0]
            self.killed, self.before_kill = victim.pid, len(self.records)
            os.kill(victim.pid, signal.SIGKILL)


def test_a_killed_worker_is_replaced_and_the_sweep_goes_on():
    runs = specs(5, 4000)
    feed = Recorder(runs)
    LocalBackend(workers=2).run(feed, threads=1)
    assert feed.killed is not None, "no worker was killed: the runs were too short to overlap"
    # every run was handed out once and recorded exactly once
    assert sorted(feed.taken) == list(range(5))
    assert sorted(r["run"]["seed"] for r in feed.records) == list(range(5))
    assert all(r["status"] == "ok" and len(r["curves"]["lr"]) == 4000 for r in feed.records)
    assert feed.killed not in {r["host"]["pid"] for r in feed.records[feed.before_kill :]}
    # exactly one run started over (from step 0); the run in flight on the healthy worker went on
    restarted = [seed for seed, seen in feed.steps.items() if seen.count(0) == 2]
    assert len(restarted) == 1 and all(seen.count(0) == 1 for s, seen in feed.steps.items() if s != restarted[0])
    assert len(feed.notices) == 1 and "a worker was lost (exit code -9)" in feed.notices[0]
    assert multiprocessing.active_children() == []  # every worker, the replacement too, has exited


DRIVER = textwrap.dedent(
    """
    import sys
    from lrplan.lab.study import study_from_dict
    from lrplan.lab.sweep import run_study

    if __name__ == "__main__":
        st = study_from_dict({"name": "driver", "steps": 100000, "eval_every": 100000, "seeds": 4,
                              "tasks": ["digits-logreg"], "optimizers": [{"name": "sgd", "lr": 0.2}],
                              "schedules": ["constant(1.0)"]})
        run_study(st, sys.argv[1], backend="local", workers=2, progress=False)
    """
)


def children(pid):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@needs_proc
@pytest.mark.parametrize("when", ["starting", "training"])
def test_workers_leave_soon_after_the_driver_is_killed(tmp_path, when):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "out")], env=env, start_new_session=True)
    workers = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(workers) < 2:
            workers = [p for p in children(proc.pid) if alive(p)]
            time.sleep(0.05)
        assert len(workers) >= 2, "the driver did not start its workers"
        if when == "training":
            time.sleep(8)  # torch imported, runs of 100000 steps under way
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 20  # a bound on "soon" far below the minutes it took before
        while time.monotonic() < deadline and any(alive(p) for p in workers):
            time.sleep(0.1)
        assert not any(alive(p) for p in workers), "a worker outlived its driver"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.parametrize(
    "backend",
    [
        "local",
        pytest.param(
            "ray",
            marks=[pytest.mark.slow, pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs Ray")],
        ),
    ],
)
def test_a_run_that_fails_in_a_worker_stops_the_sweep_with_its_error(tmp_path, monkeypatch, backend):
    """The run's own error, not a wrapper of the backend's (Ray's names the worker's pid and address)."""
    monkeypatch.setenv("PYTHONPATH", SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))  # Ray workers import lrplan
    st = study_from_dict(
        {
            "name": "missing",
            "steps": 5,
            "tasks": [{"name": "mnist", "options": {"root": str(tmp_path / "nope")}}],
            "optimizers": ["sgd"],
            "schedules": ["constant(1.0)"],
        }
    )
    with pytest.raises(
        LabError, match=r"^run mnist / sgd / constant\(1.0\) / lr=0.1 / seed=0 failed: .*nope: the MNIST"
    ):
        run_study(st, tmp_path / "out", backend=backend, workers=2, progress=False)
    assert multiprocessing.active_children() == []
    assert list((tmp_path / "out" / "runs").glob("*.json")) == []


class FakeRay:
    """The calls of Ray that the Ray backend makes, answered in this process.

    Tasks finish one at a time, in the order submitted; the task of a run in ``doomed`` always loses
    its node. ``cpus`` lists what successive ``cluster_resources()`` calls report (the last repeats).
    """

    class exceptions:
        class RayError(Exception):
            pass

        class RayTaskError(RayError):
            cause = None

        class WorkerCrashedError(RayError):
            pass

        class NodeDiedError(RayError):
            pass

        class ObjectLostError(RayError):
            pass

        class OutOfMemoryError(RayError):
            pass

    def __init__(self, cpus, doomed=()):
        self.cpus, self.doomed = list(cpus), set(doomed)
        self.room, self.in_flight, self.most = 0, [], []  # most: the runs in flight at each submission

    def cluster_resources(self):
        self.room = self.cpus.pop(0) if len(self.cpus) > 1 else self.cpus[0]
        return {"CPU": float(self.room)}

    def remote(self, **options):
        assert options["max_retries"] == 0  # every loss goes through the backend's own count

        def submit(spec, threads):
            self.in_flight.append(spec)
            self.most.append((len(self.in_flight), self.room))
            return spec["seed"], len(self.most)

        return lambda fn: type("Remote", (), {"remote": staticmethod(submit)})

    def wait(self, refs, num_returns, timeout):
        return refs[:1], refs[1:]

    def get(self, ref):
        spec = next(s for s in self.in_flight if s["seed"] == ref[0])
        self.in_flight.remove(spec)
        if spec["seed"] in self.doomed:
            raise self.exceptions.NodeDiedError("the node died")
        return {"key": str(ref), "run": spec}


def test_ray_backend_keeps_as_many_runs_in_flight_as_the_cluster_has_cpus_now():
    feed = Recorder(specs(9, 5))
    fake = FakeRay(cpus=[1, 1, 1, 3, 3, 3, 3, 2])  # a node with two CPUs joins, then one CPU leaves
    RayBackend()._drive(fake, feed, 1, {})
    assert sorted(r["run"]["seed"] for r in feed.records) == list(range(9)) and feed.notices == []
    assert all(n <= room for n, room in fake.most) and max(n for n, _ in fake.most) == 3


def test_ray_backend_runs_a_run_that_lost_its_node_again_and_gives_it_up_after_three_losses():
    feed = Recorder(specs(4, 5))
    with pytest.raises(
        LabError, match=r"^1 run\(s\) lost their Ray worker or node 3 times and were given up: .* seed=1$"
    ):
        RayBackend()._drive(FakeRay(cpus=[2], doomed={1}), feed, 1, {})
    assert sorted(r["run"]["seed"] for r in feed.records) == [0, 2, 3]  # the others finished first
    assert [n.rsplit("; ", 1)[1] for n in feed.notices] == [
        "it runs again",
        "it runs again",
        "it is given up after 3 losses",
    ]
    assert all(n.startswith("a Ray worker or node was lost (NodeDiedError) during digits-logreg") for n in feed.notices)
