"""The results store: one JSON record per finished run, written atomically.

Layout of an output folder::

    DIR/study.json          the study that was run (the last one, for the report)
    DIR/runs/<key>.json     one record per finished run; <key> hashes the run's full config

A record is written to a temporary file in the same folder, flushed and ``fsync``-ed, then renamed
over the final name with :func:`os.replace` (atomic on POSIX and Windows), and the folder is
``fsync``-ed. A process killed at any moment therefore leaves either the complete record or no
record (plus, at worst, a ``.tmp`` file that the next sweep deletes); a sweep restarted on the same
folder skips every run whose record exists.

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
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import LabError

__all__ = ["Store", "write_json_atomic", "RECORD_FORMAT"]

RECORD_FORMAT = 1


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` atomically: temp file in the same folder, fsync, os.replace."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, indent=1, allow_nan=False)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
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


class Store:
    """The records of one output folder."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"

    def path(self, key: str) -> Path:
        return self.runs / f"{key}.json"

    def has(self, key: str) -> bool:
        """Whether a finished, readable record for ``key`` exists."""
        return self.read(key) is not None

    def read(self, key: str) -> dict[str, Any] | None:
        """The record for ``key``, or None if absent or unreadable (then the run is simply redone)."""
        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("key") == key else None

    def write(self, record: dict[str, Any]) -> None:
        """Write ``record`` (which must have a ``"key"``) atomically."""
        key = record.get("key")
        if not isinstance(key, str) or not key:
            raise LabError(f"store: a record needs a string 'key'. Received: {key!r}.")
        write_json_atomic(self.path(key), record)

    def clean_temporary(self) -> int:
        """Delete ``.tmp`` files left by a killed process; returns how many were removed."""
        n = 0
        if self.runs.is_dir():
            for p in self.runs.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    p.unlink()
                    n += 1
        return n

    def keys(self) -> list[str]:
        return sorted(p.stem for p in self.runs.glob("*.json")) if self.runs.is_dir() else []

    def records(self, *, strict: bool = False) -> Iterator[dict[str, Any]]:
        """Every readable record, sorted by key. ``strict=True`` raises on an unreadable one."""
        for key in self.keys():
            record = self.read(key)
            if record is None:
                if strict:
                    raise LabError(f"{self.path(key)}: not a valid lab record (unreadable JSON or wrong key).")
                continue
            yield record

    def write_study(self, study: dict[str, Any]) -> None:
        write_json_atomic(self.root / "study.json", study)

    def read_study(self) -> dict[str, Any] | None:
        try:
            data = json.loads((self.root / "study.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None
