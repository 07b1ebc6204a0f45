"""The results store: one JSON record per finished run, written atomically.

Layout of an output folder::

    DIR/study.json          the study that was run (the last one, for the report)
    DIR/runs/<key>.json     one record per finished run; <key> hashes the run's full config

    DIR/runs/<key>.claim    while a run trains: held (locked) by the process training it

A record is written to a temporary file in the same folder, flushed and ``fsync``-ed, then renamed
over the final name with :func:`os.replace` (atomic on POSIX and Windows), and the folder is
``fsync``-ed. A process killed at any moment therefore leaves either the complete record or no
record (plus, at worst, a ``.tmp`` file that a later sweep deletes once its writer is gone); a sweep
restarted on the same folder skips every run whose record exists.

Several sweeps may run on one folder at once (``lab run`` twice, or on several machines sharing the
folder): a sweep claims each run before training it with an exclusive ``flock`` on
``runs/<key>.claim``, held until the record is written. The operating system drops the lock when its
holder dies, so a run whose claimant was killed is taken over by the next sweep that asks; runs
claimed by a live process are left to it and waited for. A temporary file names its writer
(``.<name>~<host>~<pid>~<random>.tmp``), so a sweep deletes only those of writers no longer alive.

Example:
    >>> import tempfile
    >>> from lrplan.lab.store import Store
    >>> store = Store(tempfile.mkdtemp())
    >>> store.write({"key": "abc123", "status": "ok"})
    >>> store.has("abc123"), store.has("other")
    (True, False)
    >>> [r["key"] for r in store.records()]
    ['abc123']
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no advisory locks
    fcntl = None  # type: ignore[assignment]

from .checks import MAX_DEPTH, read_bounded, short, structure_problem
from .errors import LabError

__all__ = ["Store", "Claim", "write_json_atomic", "record_problem", "RECORD_FORMAT", "MAX_RECORD_BYTES"]

RECORD_FORMAT = 1
_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_RECORD_BYTES = 1 << 30
"""The largest record read (1 GiB: a run of 10^7 updates keeps two numbers per update)."""
MAX_STUDY_JSON_BYTES = 64 << 20
_RECORD_VALUES = 40_000_000
_STRINGS = {"task": str, "optimizer": str, "schedule": str}


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _numbers(xs: Any, *, missing: bool) -> bool:
    return isinstance(xs, list) and all(_number(x) or (missing and x is None) for x in xs)


def record_problem(record: Any) -> str | None:
    """Why ``record`` (parsed JSON) is not a lab record the report can use, or None if it is.

    Checks the fields the report and the built-in studies read, and their types: ``format``,
    ``key``, ``status``, ``metric``, ``mode``, ``run`` (task, optimizer, schedule, lr, seed, steps,
    task options), ``labels``, ``final`` and ``curves`` (numbers, ``None`` where a value was not
    finite; one evaluation value per evaluation step), ``task_info`` and ``versions``.

    Example:
        >>> record_problem({"format": 1, "key": "k", "status": "ok"})
        "field 'metric' is missing"
        >>> record_problem([1, 2])
        'not a JSON object'
    """
    if not isinstance(record, dict):
        return "not a JSON object"
    fields: dict[str, Any] = {
        "format": int,
        "key": str,
        "status": str,
        "metric": str,
        "mode": str,
        "run": dict,
        "labels": dict,
        "final": dict,
        "curves": dict,
        "task_info": dict,
        "versions": dict,
    }
    for name, kind in fields.items():
        if name not in record:
            return f"field {name!r} is missing"
        if not isinstance(record[name], kind) or isinstance(record[name], bool):
            return f"field {name!r} has the wrong type (expected {kind.__name__})"
    if record["format"] != RECORD_FORMAT:
        return f"record format {record['format']} (this version reads {RECORD_FORMAT})"
    if record["status"] not in ("ok", "diverged", "pruned") or record["mode"] not in ("max", "min"):
        return "field 'status' or 'mode' has an unknown value"
    run, labels = record["run"], record["labels"]
    for name in ("task", "optimizer", "schedule"):
        if not isinstance(run.get(name), str) or not isinstance(labels.get(name), str):
            return f"run.{name} or labels.{name} is not a string"
    for name in ("lr", "seed", "steps"):
        if not _number(run.get(name)):
            return f"run.{name} is not a number"
    if not isinstance(run.get("task_options"), dict) or not isinstance(run.get("optimizer_options"), dict):
        return "run.task_options or run.optimizer_options is not an object"
    if not all(isinstance(k, str) and (_number(v) or v is None) for k, v in record["final"].items()):
        return "field 'final' holds a value that is not a number"
    curves = record["curves"]
    if not _numbers(curves.get("lr"), missing=False) or not _numbers(curves.get("train_loss"), missing=True):
        return "curves.lr or curves.train_loss is not a list of numbers"
    evals = curves.get("eval")
    if not isinstance(evals, dict) or not _numbers(evals.get("step"), missing=False):
        return "curves.eval.step is not a list of numbers"
    for name, values in evals.items():
        if not _numbers(values, missing=True) or len(values) != len(evals["step"]):
            return f"curves.eval.{name} is not a list of numbers, one per evaluation step"
    return None


_HOST = platform.node().replace("~", "-") or "host"
_STALE_S = 3600.0  # a temporary file of another host is deleted after an hour (writes take seconds)


def _temporary_name(target: Path) -> Path:
    return target.parent / f".{target.name}~{_HOST}~{os.getpid()}~{secrets.token_hex(4)}.tmp"


def _writer_alive(path: Path) -> bool:
    """Whether the process that wrote the temporary file ``path`` may still be writing it."""
    parts = path.name[1:].removesuffix(".tmp").rsplit("~", 3)
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return True
    if len(parts) != 4 or parts[1] != _HOST or not parts[2].isdigit():
        return age < _STALE_S  # another machine's, or an older naming: only its age tells
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` atomically: temp file in the same folder, fsync, os.replace.

    The file gets the permissions the user's umask allows (0644 under umask 022), like any file the
    user writes, so results can be shared and read by other accounts.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, indent=1, allow_nan=False)
    tmp = _temporary_name(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (not possible on every OS)
        dfd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


class Claim:
    """This process's exclusive claim on one run (see :meth:`Store.claim`)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self._fd = path, fd

    def release(self, *, finished: bool) -> None:
        """Let the run go: ``finished=True`` after its record was written (the claim file is removed),
        ``False`` if it was not trained (the file stays, unlocked, for the next claimant)."""
        if self._fd < 0:
            return
        if finished:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
        os.close(self._fd)  # drops the lock
        self._fd = -1


def _read_json(path: Path, limit: int, what: str) -> tuple[Any, str | None]:
    """``(data, None)``, or ``(None, why)``: ``"missing"``, or why the file cannot be read as JSON."""
    if not os.path.lexists(path):
        return None, "missing"
    try:
        return json.loads(read_bounded(path, limit, what=what)), None
    except LabError as exc:
        return None, str(exc).removeprefix(f"{path}: ")
    except RecursionError:
        return None, "nested too deeply to read"
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        return None, f"not valid JSON ({str(exc)[:80]})"


class Store:
    """The records of one output folder."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"

    @staticmethod
    def valid_key(key: str) -> bool:
        """A run key names a file: 1 to 64 letters, digits, ``_`` or ``-`` (the lab's are 16 hex digits)."""
        return _KEY.fullmatch(key) is not None

    def path(self, key: str) -> Path:
        if not self.valid_key(key):
            raise LabError(f"store: a run key is 1 to 64 letters, digits, '_' or '-'. Received: {key[:80]!r}.")
        return self.runs / f"{key}.json"

    def has(self, key: str) -> bool:
        """Whether a finished, readable record for ``key`` exists."""
        return self.read(key) is not None

    def read(self, key: str) -> dict[str, Any] | None:
        """The record for ``key``, or None if absent or unreadable (then the run is simply redone)."""
        return self.load(key)[0]

    def load(self, key: str, *, check: bool = False) -> tuple[dict[str, Any] | None, str | None]:
        """``(record, None)``, or ``(None, why)`` when the record is absent (``"missing"``) or unusable.

        Unusable: not a regular file, over :data:`MAX_RECORD_BYTES`, not UTF-8 JSON, nested too deeply,
        an object whose ``key`` is not ``key``, or (with ``check=True``) not the shape of a lab record
        (:func:`record_problem`).
        """
        data, why = _read_json(self.path(key), MAX_RECORD_BYTES, "record")
        if why is not None:
            return None, why
        too_big = structure_problem(data, max_depth=MAX_DEPTH, max_nodes=_RECORD_VALUES)
        if too_big is not None:
            return None, f"the record is {too_big}"
        if not isinstance(data, dict) or data.get("key") != key:
            return None, f"not a lab record for key {key!r} (its 'key' field differs)"
        problem = record_problem(data) if check else None
        if problem is not None:
            return None, f"not a lab record: {problem}"
        return data, None

    def write(self, record: dict[str, Any]) -> None:
        """Write ``record`` (which must have a ``"key"``) atomically."""
        key = record.get("key")
        if not isinstance(key, str) or not key:
            raise LabError(f"store: a record needs a string 'key'. Received: {short(key)}.")
        write_json_atomic(self.path(key), record)

    def clean_temporary(self) -> int:
        """Delete ``.tmp`` files whose writer is gone (killed mid-write); returns how many were removed.

        A temporary file of a live process (another sweep writing a record right now) is left alone.
        """
        n = 0
        if self.runs.is_dir():
            for p in self.runs.glob(".*.tmp"):
                if not _writer_alive(p):
                    with contextlib.suppress(OSError):
                        p.unlink()
                        n += 1
        return n

    def claim(self, key: str) -> Claim | None:
        """Claim the run ``key`` for this process, or None if a live process holds it.

        The claim is an exclusive, non-blocking ``flock`` on ``runs/<key>.claim``; the operating
        system drops it when the holder exits or dies. The caller checks for a record after
        claiming (the holder before it may have finished the run) and releases the claim with
        :meth:`Claim.release`. Without ``fcntl`` (Windows) every claim succeeds: one sweep per folder.
        """
        path = self.path(key).with_suffix(".claim")
        self.runs.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:  # held by a live process
                    os.close(fd)
                    return None
            try:  # the holder before us may have removed the file after finishing: claim the new one
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        with contextlib.suppress(OSError):  # who holds it, for people looking at the folder
            os.ftruncate(fd, 0)
            os.write(fd, f"{_HOST} {os.getpid()} {time.strftime('%Y-%m-%dT%H:%M:%S')}\n".encode())
        return Claim(path, fd)

    def keys(self) -> list[str]:
        """The keys of the record files (``runs/<key>.json``), sorted."""
        if not self.runs.is_dir():
            return []
        return sorted(p.stem for p in self.runs.glob("*.json") if self.valid_key(p.stem))

    def records(self, *, strict: bool = False) -> Iterator[dict[str, Any]]:
        """Every readable record, sorted by key. ``strict=True`` raises on an unreadable one."""
        for key in self.keys():
            record, problem = self.load(key)
            if record is None:
                if strict:
                    raise LabError(f"{self.path(key)}: not a valid lab record ({problem}).")
                continue
            yield record

    def write_study(self, study: dict[str, Any]) -> None:
        write_json_atomic(self.root / "study.json", study)

    def read_study(self) -> dict[str, Any] | None:
        """The manifest ``study.json``, or None if absent or unreadable."""
        return self.load_study()[0]

    def load_study(self) -> tuple[dict[str, Any] | None, str | None]:
        """``(manifest, None)``, or ``(None, why)`` when ``study.json`` is absent (``"missing"``) or unreadable."""
        data, why = _read_json(self.root / "study.json", MAX_STUDY_JSON_BYTES, "manifest")
        if why is not None:
            return None, why
        if not isinstance(data, dict) or structure_problem(data) is not None:
            return None, "not a study manifest (a JSON object of bounded size)"
        return data, None
