"""A sweep on a real two-node Ray cluster survives the loss of one node mid-sweep.

The test starts a Ray head and a second Ray node on this machine (one CPU each, each with a resource
of its own), runs ``lrplan lab run --backend ray --address ...`` across both, and kills the second
node (SIGKILL to its raylet, its agents and the workers training on it) while it trains a run. The
sweep must finish with every run's record present exactly once, readable and well formed.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lrplan.lab.store import Store, record_problem
from lrplan.lab.study import load_study
from lrplan.lab.sweep import run_study

pytest.importorskip("ray", reason="the two-node test needs Ray: pip install 'ray[default]'")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the Ray processes in /proc"),
]

SRC = str(Path(__file__).resolve().parents[2] / "src")
RAY = Path(sys.executable).parent / "ray"
RUNS, STEPS = 8, 4000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes() -> dict[int, tuple[int, int, bytes]]:
    """Every live process (zombies left out): pid -> (parent pid, process group, command line)."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        state, ppid, pgid = stat.rsplit(")", 1)[1].split()[:3]
        if state not in ("Z", "X"):
            out[int(entry)] = (int(ppid), int(pgid), cmdline)
    return out


def tree(groups: set[int], table: dict[int, tuple[int, int, bytes]]) -> set[int]:
    """The processes of ``groups`` and all their descendants (Ray starts its workers in sessions of their own)."""
    found = {pid for pid, (_, pgid, _) in table.items() if pgid in groups}
    while True:
        more = {pid for pid, (ppid, _, _) in table.items() if ppid in found} - found
        if not more:
            return found
        found |= more


@dataclass
class Cluster:
    """A Ray head and a second node on this machine, each started in a process group of its own."""

    root: Path
    env: dict[str, str]
    address: str = ""
    groups: dict[str, int] = field(default_factory=dict)  # "head" / "node" -> process group

    def start(self, name: str, *args: str) -> None:
        proc = subprocess.Popen(
            [str(RAY), "start", *args, "--num-cpus=1", f"--resources={json.dumps({name: 1})}",
             f"--temp-dir={self.root / name}", f"--dashboard-agent-listen-port={free_port()}",
             "--object-store-memory=100000000", "--include-log-monitor=false", "--disable-usage-stats"],
            env=self.env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.groups[name] = proc.pid  # the group outlives `ray start`, which returns once the node is up
        said, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"ray start ({name}) failed:\n{said}"

    def raylet(self, name: str) -> int:
        table = processes()
        pids = [pid for pid, (_, pgid, cmd) in table.items() if pgid == self.groups[name] and b"/raylet\0" in cmd]
        assert len(pids) == 1, f"expected one raylet in the {name}'s process group, found {pids}"
        return pids[0]

    def workers(self, raylet: int) -> list[int]:
        """The worker processes of ``raylet`` (its other children, the agents, are in the node's group)."""
        groups = set(self.groups.values())
        return [pid for pid, (ppid, pgid, _) in processes().items() if ppid == raylet and pgid not in groups]

    def kill(self, *names: str) -> None:
        """SIGKILL the processes of these nodes (raylet, agents, workers) at once, as when a machine is lost."""
        groups = {self.groups[n] for n in names if n in self.groups}
        for _ in range(50):
            pids = tree(groups, processes())
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        raise AssertionError(f"Ray processes still alive after SIGKILL: {sorted(tree(groups, processes()))}")


@pytest.fixture
def cluster():
    # Ray's socket paths must stay under 108 bytes, too short for a folder under pytest's tmp_path.
    root = Path(tempfile.mkdtemp(prefix="lrray-"))
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "RAY_AUTH_TOKEN_PATH")}
    env.update(
        PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),  # Ray workers import this lrplan
        RAY_AUTH_MODE="token",  # a token of this cluster's own, whatever ~/.ray holds
        RAY_AUTH_TOKEN=secrets.token_hex(32),
        RAY_USAGE_STATS_ENABLED="0",
        # The head declares a silent node dead after 3 failed health checks 0.5 s apart (Ray's defaults: 5, 3 s):
        # until then it may still send a run to the lost node, which waits there.
        RAY_health_check_initial_delay_ms="500",
        RAY_health_check_period_ms="500",
        RAY_health_check_timeout_ms="500",
        RAY_health_check_failure_threshold="3",
    )
    c = Cluster(root, env)
    try:
        port = free_port()
        c.start("head", "--head", f"--port={port}", "--include-dashboard=false",
                f"--dashboard-port={free_port()}", f"--ray-client-server-port={free_port()}")  # fmt: skip
        c.address = f"127.0.0.1:{port}"
        c.start("node", f"--address={c.address}")
        yield c
    finally:
        c.kill("node", "head")
        shutil.rmtree(root, ignore_errors=True)


def title(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def catch_a_run_starting(cluster: Cluster, out: Path, driver: subprocess.Popen) -> int | None:
    """Kill the second node just after one of its workers starts a run, once a record has been written.

    Ray titles a worker ``ray::_ray_train`` while it runs a task and ``ray::IDLE`` between tasks; a run
    seen starting has most of its training ahead, so the kill lands mid-run. Returns the worker's pid,
    or None if the sweep ended first.
    """
    raylet = cluster.raylet("node")
    deadline = time.monotonic() + 120
    while not list(out.glob("runs/*.json")) or not cluster.workers(raylet):
        if driver.poll() is not None or time.monotonic() > deadline:
            return None
        time.sleep(0.05)
    workers = cluster.workers(raylet)
    doomed = tree({cluster.groups["node"]}, processes()) | set(workers)
    busy = {pid: title(pid).startswith(b"ray::_ray_train") for pid in workers}
    while driver.poll() is None and time.monotonic() < deadline:
        for pid in workers:
            now = title(pid).startswith(b"ray::_ray_train")
            if now and not busy[pid]:
                for victim in doomed:  # first the processes known beforehand, at once
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(victim, signal.SIGKILL)
                cluster.kill("node")  # then anything the node started since
                return pid
            busy[pid] = now
        time.sleep(0.001)
    return None


def test_a_sweep_survives_the_loss_of_a_ray_node(cluster, tmp_path):
    begin = time.monotonic()
    study_file = tmp_path / "nodes.yaml"
    study_file.write_text(
        json.dumps(
            {
                "name": "nodes",
                "steps": STEPS,
                "eval_every": STEPS // 2,
                "seeds": RUNS,
                "tasks": ["digits-logreg"],
                "optimizers": [{"name": "sgd", "lr": 0.1}],
                "schedules": ["cosine(init_value=1.0, decay_steps={steps})"],
            }
        )
    )
    study = load_study(study_file)
    keys = sorted(run.key() for run in study.runs())
    out = tmp_path / "out"
    log_out, log_err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with log_out.open("w") as stdout, log_err.open("w") as stderr:
        driver = subprocess.Popen(
            [sys.executable, "-m", "lrplan", "lab", "run", str(study_file), "--out", str(out),
             "--backend", "ray", "--address", cluster.address, "--no-report", "--no-progress"],
            env=cluster.env, stdout=stdout, stderr=stderr,
        )  # fmt: skip
        try:
            victim = catch_a_run_starting(cluster, out, driver)
            killed = time.monotonic()
            assert victim, f"no run was seen starting on the second node:\n{log_err.read_text()}"
            records_before = len(list(out.glob("runs/*.json")))
            driver.wait(timeout=180)
        finally:
            if driver.poll() is None:
                driver.kill()
                driver.wait()
    err, said = log_err.read_text(), log_out.read_text()
    print(f"node killed {killed - begin:.1f} s in, with {records_before} of {RUNS} records written; "
          f"sweep done {time.monotonic() - begin:.1f} s in")  # fmt: skip
    assert driver.returncode == 0, err
    assert "Traceback" not in err, err

    # The run on the lost node was trained again, and nothing was given up.
    lost = [line for line in err.splitlines() if line.startswith("lab: a Ray worker or node was lost")]
    assert lost and all(line.endswith("; it runs again") for line in lost), err
    # The summary adds up: every run trained now, none skipped.
    counts = re.search(r"(\d+) runs trained, (\d+) already finished", said)
    assert counts and (int(counts[1]), int(counts[2])) == (RUNS, 0), said

    # One record per run, exactly, each one whole; no temporary or claim file left behind.
    files = sorted(p.name for p in (out / "runs").iterdir())
    assert files == sorted(f"{key}.json" for key in keys)
    for key in keys:
        record = json.loads((out / "runs" / f"{key}.json").read_text())
        assert record_problem(record) is None and record["key"] == key
        assert record["status"] == "ok" and len(record["curves"]["lr"]) == STEPS
    assert sorted(r["run"]["seed"] for r in Store(out).records()) == list(range(RUNS))
    assert json.loads((out / "study.json").read_text())["keys"] == [run.key() for run in study.runs()]

    # A second sweep on the folder finds every run done.
    again = run_study(study, out, backend="inline", progress=False)
    assert (again.total, again.skipped, again.trained) == (RUNS, RUNS, 0)
