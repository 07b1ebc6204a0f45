"""The results store: atomic records, skipping finished runs, and surviving SIGKILL mid-sweep."""

import json
import os
import platform
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lrplan.lab import LabError
from lrplan.lab.store import Store, write_json_atomic
from lrplan.lab.study import study_from_dict
from lrplan.lab.sweep import run_study

SRC = str(Path(__file__).resolve().parents[2] / "src")


def tiny(name="s", seeds=2, steps=15, schedules=("constant(1.0)",)):
    return study_from_dict(
        {
            "name": name,
            "steps": steps,
            "eval_every": 5,
            "seeds": seeds,
            "tasks": ["digits-logreg"],
            "optimizers": [{"name": "sgd", "lr": 0.2}],
            "schedules": list(schedules),
        }
    )


def test_atomic_write_leaves_old_record_when_the_write_fails(tmp_path, monkeypatch):
    store = Store(tmp_path)
    store.write({"key": "k1", "value": 1})
    with pytest.raises(ValueError):  # NaN is refused before anything touches the file
        store.write({"key": "k1", "value": float("nan")})

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.write({"key": "k1", "value": 2})
    monkeypatch.undo()
    assert store.read("k1") == {"key": "k1", "value": 1}
    assert sorted(p.name for p in store.runs.iterdir()) == ["k1.json"]  # no temporary file left behind


def test_temporary_and_corrupt_files_are_ignored_and_cleaned(tmp_path):
    store = Store(tmp_path)
    store.runs.mkdir(parents=True)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = platform.node().replace("~", "-")
    (store.runs / f".abc.json~{host}~{gone.stdout.strip()}~x1.tmp").write_text('{"key": "abc", "par')  # killed
    (store.runs / "bad.json").write_text('{"key": "bad", "trunc')  # not written by the store
    (store.runs / "other.json").write_text('{"key": "not-other"}')
    assert not store.has("abc") and not store.has("bad") and not store.has("other")
    assert list(store.records()) == []
    with pytest.raises(LabError, match="not a valid lab record"):
        list(store.records(strict=True))
    assert store.clean_temporary() == 1
    assert not list(store.runs.glob("*.tmp"))
    with pytest.raises(LabError, match="needs a string 'key'"):
        store.write({"value": 1})
    write_json_atomic(tmp_path / "x" / "y.json", [1, 2])
    assert json.loads((tmp_path / "x" / "y.json").read_text()) == [1, 2]


def test_rerun_skips_finished_runs_and_redoes_unreadable_ones(tmp_path):
    st = tiny(seeds=3)
    first = run_study(st, tmp_path, backend="inline", progress=False)
    assert (first.total, first.skipped, first.trained) == (3, 0, 3)
    store = Store(tmp_path)
    keys = [r.key() for r in st.runs()]
    mtimes = {k: store.path(k).stat().st_mtime_ns for k in keys}
    store.path(keys[1]).write_text("garbage")
    second = run_study(st, tmp_path, backend="inline", progress=False)
    assert (second.skipped, second.trained) == (2, 1)
    assert store.path(keys[0]).stat().st_mtime_ns == mtimes[keys[0]]
    assert store.has(keys[1])
    # a new label: nothing is trained again, the records carry the new name
    relabeled = study_from_dict(
        {
            **{k: v for k, v in st.to_dict().items() if k != "source"},
            "schedules": [{"spec": "constant(1.0)", "label": "flat"}],
        }
    )
    third = run_study(relabeled, tmp_path, backend="inline", progress=False)
    assert third.trained == 0 and {r["labels"]["schedule"] for r in store.records()} == {"flat"}
    manifest = store.read_study()
    assert manifest["keys"] == keys and manifest["study"]["name"] == "s"


SWEEP = textwrap.dedent(
    """
    import sys
    from lrplan.lab.sweep import run_study
    from lrplan.lab.study import study_from_dict

    if __name__ == "__main__":
        st = study_from_dict({"name": "kill", "steps": 200, "eval_every": 100, "seeds": 6, "tasks": ["digits-logreg"],
                              "optimizers": [{"name": "sgd", "lr": 0.2}], "schedules": ["constant(1.0)"]})
        run_study(st, sys.argv[1], backend="local", workers=1, progress=False)
    """
)


def test_sigkill_mid_sweep_loses_only_runs_in_flight(tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text(SWEEP)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, str(script), str(out)], env=env, start_new_session=True)
    runs = out / "runs"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and len(list(runs.glob("*.json"))) < 2:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # the driver dies with runs in flight
        proc.wait(timeout=10)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the orphaned worker, if it has not noticed yet
        except ProcessLookupError:
            pass
    survivors = {p.name: p.read_bytes() for p in runs.glob("*.json")}
    assert 2 <= len(survivors) < 6, "the sweep was not killed mid-way"
    store = Store(out)
    for name in survivors:  # every record on disk is complete
        record = json.loads(survivors[name])
        assert record["status"] == "ok" and len(record["curves"]["lr"]) == 200
    # restart: the finished runs are kept untouched, the rest are trained
    st = study_from_dict(
        {
            "name": "kill",
            "steps": 200,
            "eval_every": 100,
            "seeds": 6,
            "tasks": ["digits-logreg"],
            "optimizers": [{"name": "sgd", "lr": 0.2}],
            "schedules": ["constant(1.0)"],
        }
    )
    summary = run_study(st, out, backend="inline", progress=False)
    assert summary.skipped == len(survivors) and summary.trained == 6 - len(survivors)
    assert len(list(store.records())) == 6
    for name, raw in survivors.items():
        assert (runs / name).read_bytes() == raw
    assert not list(runs.glob("*.tmp"))


def test_rerun_trains_again_a_record_of_the_wrong_shape(tmp_path):
    st = tiny(seeds=2)
    run_study(st, tmp_path, backend="inline", progress=False)
    store = Store(tmp_path)
    key = st.runs()[0].key()
    store.path(key).write_text(json.dumps({"key": key, "status": "ok"}))  # valid JSON, not a record
    assert store.load(key, check=True) == (None, "not a lab record: field 'format' is missing")
    again = run_study(st, tmp_path, backend="inline", progress=False)
    assert (again.skipped, again.trained) == (1, 1)
    assert store.load(key, check=True)[1] is None


def test_store_refuses_keys_that_are_not_file_names(tmp_path):
    store = Store(tmp_path)
    with pytest.raises(LabError, match=r"store: a run key is 1 to 64 letters, digits, '_' or '-'. Received: '../x'."):
        store.write({"key": "../x"})
    assert not (tmp_path / "x.json").exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_records_are_as_readable_as_the_umask_allows(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        store = Store(tmp_path)
        store.write({"key": "k1", "status": "ok"})
        write_json_atomic(tmp_path / "study.json", {"keys": []})
        claim = store.claim("k2")
    finally:
        os.umask(old)
    assert oct(store.path("k1").stat().st_mode & 0o777) == oct(mode)
    assert oct((tmp_path / "study.json").stat().st_mode & 0o777) == oct(mode)
    assert oct((store.runs / "k2.claim").stat().st_mode & 0o777) == oct(mode)
    claim.release(finished=False)
