"""Where the runs of a sweep execute: this process, local worker processes, or a Ray cluster.

Every backend calls the same :func:`lrplan.lab.run.train` with the same spec and thread count,
so records are identical across backends (apart from timings, see ``VOLATILE_FIELDS``). A backend
takes runs from a :class:`Feed` one at a time as it has room for them, and hands every record back
to the feed, which stores it: workers never touch the results folder, so a Ray cluster needs no
shared file system, and two sweeps on one folder can share its runs (the sweep's feed claims each
run as it is taken).

* ``inline``: runs one after another in this process (debugging, tests).
* ``local``: ``workers`` processes (``spawn``), each started once (thread count set before torch is
  imported) and reused for many runs; a run, its progress and its record travel over one pipe per
  worker. A worker that dies (killed, out of memory) is replaced and its run is trained again from
  the start (runs are deterministic); runs on the other workers go on. A run that loses its worker
  :data:`MAX_ATTEMPTS` times fails the sweep, after the other runs finish. A worker whose driver died
  (e.g. SIGKILL) exits within about a second, whatever it is doing.
* ``ray``: ``ray.init(address=...)`` or, without an address, a local instance with
  ``num_cpus=workers`` and no dashboard; one task (1 CPU) per run, as many in flight as the cluster
  has CPUs (looked up again as nodes join or leave). A run whose worker or node is lost (Ray raises
  ``WorkerCrashedError``, ``NodeDiedError``, ``ObjectLostError`` or ``OutOfMemoryError``) is submitted
  again, here rather than by Ray's own retries so that every loss is counted and reported; after
  :data:`MAX_ATTEMPTS` losses it is given up, as with the local backend. An error the run itself
  raises stops the sweep with that error. Progress is per run.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from .errors import LabError
from .run import train

__all__ = ["Feed", "Backend", "InlineBackend", "LocalBackend", "RayBackend", "get_backend", "BACKENDS", "WAIT", "Wait"]

Spec = dict[str, Any]
BACKENDS = ("local", "inline", "ray")


class Wait:
    """The type of :data:`WAIT`."""

    def __repr__(self) -> str:
        return "WAIT"


WAIT = Wait()
"""What :meth:`Feed.take` returns while runs remain that another process is training."""
MAX_ATTEMPTS = 3
"""How many times a run may lose its worker before the sweep gives it up."""
_POLL_S = 0.2


class Feed:
    """The runs a backend trains, and where their progress and records go.

    This base class hands out ``specs`` in order and does nothing with the results; the sweep
    subclasses it to claim runs, store records and drive the progress display.
    """

    def __init__(self, specs: list[Spec] | None = None) -> None:
        self._queue: deque[Spec] = deque(specs or [])

    def take(self) -> Spec | Wait | None:
        """The next run to train, :data:`WAIT` if none is ready yet, or None when nothing is left."""
        return self._queue.popleft() if self._queue else None

    def pending(self) -> int:
        """How many runs are left to take, at most (a backend starts no more workers than that)."""
        return len(self._queue)

    def record(self, spec: Spec, record: dict[str, Any]) -> None:
        """``spec`` finished with ``record``."""

    def release(self, spec: Spec) -> None:
        """``spec`` was taken and will not be finished by this sweep (it failed, or the sweep stopped)."""

    def progress(self, spec: Spec, step: int, steps: int) -> None:
        """``spec`` has done ``step`` of ``steps`` updates."""

    def status(self, text: str, *, notice: bool = False) -> None:
        """What the backend is doing besides training: starting workers, or (``notice=True``, worth a line
        even without progress bars) replacing a lost one."""


class Backend:
    """Trains the runs of a :class:`Feed` until it has none left."""

    def run(self, feed: Feed, threads: int) -> None:
        raise NotImplementedError


def _describe(spec: Spec) -> str:
    return f"{spec['task']} / {spec['optimizer']} / {spec['schedule']} / lr={spec['lr']} / seed={spec['seed']}"


def _wait_s() -> None:
    time.sleep(0.5)


class _Losses:
    """Runs whose worker (or node) was lost: trained again first, given up after :data:`MAX_ATTEMPTS` losses."""

    def __init__(self, feed: Feed, what: str) -> None:
        self.feed, self.what = feed, what
        self.retry: deque[Spec] = deque()
        self.attempts: dict[int, int] = {}
        self.gave_up: list[Spec] = []

    def lost(self, spec: Spec, why: str) -> None:
        """``spec`` lost its worker (``why`` says how): queue it again, or give it up and release it."""
        n = self.attempts[id(spec)] = self.attempts.get(id(spec), 0) + 1
        if n >= MAX_ATTEMPTS:
            self.gave_up.append(spec)
            self.feed.release(spec)
        else:
            self.retry.append(spec)
        then = "it runs again" if n < MAX_ATTEMPTS else f"it is given up after {n} losses"
        self.feed.status(f"{why} during {_describe(spec)}; {then}", notice=True)

    def check(self) -> None:
        """Raise if a run was given up (once the other runs are done)."""
        if self.gave_up:
            names = "; ".join(_describe(s) for s in self.gave_up)
            raise LabError(
                f"{len(self.gave_up)} run(s) lost their {self.what} {MAX_ATTEMPTS} times and were given up: {names}"
            )


class InlineBackend(Backend):
    def run(self, feed: Feed, threads: int) -> None:
        while (spec := feed.take()) is not None:
            if isinstance(spec, Wait):
                _wait_s()
                continue
            try:
                record = train(spec, threads=threads, progress=lambda k, n, s=spec: feed.progress(s, k, n))  # type: ignore[misc]
            except BaseException as exc:
                feed.release(spec)
                if isinstance(exc, LabError):
                    raise LabError(f"run {_describe(spec)} failed: {exc}") from exc
                raise
            feed.record(spec, record)


# ------------------------------------------------------------------------------ local processes
def _watch_parent(parent: int) -> None:
    """Leave as soon as the driver is gone (its pid is no longer this process's parent)."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def _worker_main(conn: Connection, parent: int, threads: int) -> None:
    """A worker process: set up once, then train runs sent over ``conn`` until told to stop.

    The thread count goes into the environment before torch is imported, so the OpenMP and MKL
    pools are never built wider than the runs use; torch and the PyTorch adapter are imported here,
    at start-up, rather than inside the first run. A thread watches the driver from the first
    moment, so a worker never outlives it by more than about a second (also while importing torch
    or evaluating). A worker holds no files and hands every record back before it is told to stop,
    so it leaves without the interpreter's teardown of torch (0.5-1 s of a sweep otherwise).
    """
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    import torch

    import lrplan.torch  # noqa: F401  (the adapter every run uses)

    torch.set_num_threads(threads)
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the driver is gone
            break
        if message is None:
            break
        spec = message
        last = [0.0]

        def progress(step: int, steps: int, last: list[float] = last) -> None:
            now = time.monotonic()
            if step == steps or now - last[0] > 0.25:
                last[0] = now
                conn.send(("progress", step, steps))

        try:
            conn.send(("record", train(spec, threads=threads, progress=progress)))
        except (EOFError, OSError, BrokenPipeError):
            break
        except Exception as exc:  # reported to the driver, which raises it
            conn.send(("error", isinstance(exc, LabError), str(exc), traceback.format_exc()))
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


@dataclass
class _Worker:
    process: Any
    conn: Connection
    ready: bool = False
    spec: Spec | None = None


class LocalBackend(Backend):
    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise LabError(f"local backend: `workers` must be >= 1. Received: workers={workers!r}.")
        self.workers = workers

    def run(self, feed: Feed, threads: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        pool: list[_Worker] = []
        losses = _Losses(feed, "worker")  # runs whose worker died, trained again first
        lost_idle = 0  # workers lost before taking a run: more than a few means they cannot start
        exhausted = False  # the feed said None: nothing left to take
        size = max(1, min(self.workers, feed.pending()))

        def start() -> None:
            here, there = ctx.Pipe(duplex=True)
            process = ctx.Process(target=_worker_main, args=(there, os.getpid(), threads), daemon=True)
            process.start()
            there.close()  # the driver keeps only its end: a worker sees EOF when the driver dies
            pool.append(_Worker(process, here))

        def assign() -> None:
            nonlocal exhausted
            for w in pool:
                if not w.ready or w.spec is not None:
                    continue
                spec = losses.retry.popleft() if losses.retry else (None if exhausted else feed.take())
                if spec is None:
                    exhausted = True
                    return
                if isinstance(spec, Wait):
                    return
                w.spec = spec
                w.conn.send(spec)
                feed.progress(spec, 0, spec["steps"])

        def lose(w: _Worker) -> None:
            nonlocal lost_idle
            pool.remove(w)
            with contextlib.suppress(OSError):
                w.conn.close()
            w.process.join(timeout=1)
            code = w.process.exitcode
            if w.spec is None:
                lost_idle += 1
                if lost_idle > 2 * size:
                    raise LabError(f"local backend: {lost_idle} worker processes died before training anything.")
            else:
                losses.lost(w.spec, f"a worker was lost (exit code {code})")
            if losses.retry or not exhausted:
                start()

        try:
            feed.status(f"starting {size} worker process{'es' if size > 1 else ''} (torch, data)")
            for _ in range(size):
                start()
            while True:
                assign()
                if exhausted and not losses.retry and all(w.spec is None for w in pool):
                    break
                self._serve(pool, feed, lose)
        except BaseException:
            for w in pool:
                if w.spec is not None:
                    feed.release(w.spec)
                    w.spec = None
                with contextlib.suppress(Exception):
                    w.process.kill()
            raise
        finally:
            for w in pool:
                with contextlib.suppress(Exception):
                    w.conn.send(None)
            for w in pool:
                w.process.join(timeout=5)
                if w.process.is_alive():
                    w.process.kill()
                    w.process.join(timeout=5)
                with contextlib.suppress(OSError):
                    w.conn.close()
        losses.check()

    def _serve(self, pool: list[_Worker], feed: Feed, lose: Callable[[_Worker], None]) -> None:
        """Wait up to a poll interval for messages or exits of the workers, and handle them."""
        by_conn = {w.conn: w for w in pool}
        by_sentinel = {w.process.sentinel: w for w in pool}
        for obj in wait([*by_conn, *by_sentinel], timeout=_POLL_S):
            w = by_conn.get(obj) or by_sentinel.get(obj)  # type: ignore[call-overload]
            if w is None or w not in pool:
                continue
            dead = False
            try:
                while w.conn.poll():  # every message it sent before it died, in order
                    self._handle(w, w.conn.recv(), feed)
            except (EOFError, OSError):
                dead = True
            if dead or not w.process.is_alive():
                lose(w)

    @staticmethod
    def _handle(w: _Worker, message: tuple[Any, ...], feed: Feed) -> None:
        kind = message[0]
        if kind == "ready":
            w.ready = True
            return
        spec = w.spec
        if spec is None:  # a worker speaks of a run only while it holds one
            return
        if kind == "progress":
            feed.progress(spec, message[1], message[2])
        elif kind == "record":
            w.spec = None
            feed.record(spec, message[1])
        elif kind == "error":
            lab_error, text, trace = message[1:]
            if lab_error:
                raise LabError(f"run {_describe(spec)} failed: {text}")
            raise RuntimeError(f"run {_describe(spec)} raised in a worker process:\n{trace}")


# ------------------------------------------------------------------------------ ray
def _ray_train(spec: Spec, threads: int) -> dict[str, Any]:
    return train(spec, threads=threads)


def _lost_errors(ray: Any) -> tuple[type[BaseException], ...]:
    """The errors of Ray that say a run's worker, node or result was lost, not that the run failed.

    A task's worker crashed or was killed (also by Ray's memory monitor), its node died, or the
    record it returned was lost with its node: the run is trained again (runs are deterministic).
    """
    ex = ray.exceptions
    return (ex.WorkerCrashedError, ex.NodeDiedError, ex.ObjectLostError, ex.OutOfMemoryError)


def _ray_failure(spec: Spec, exc: BaseException, ray: Any) -> Exception:
    """The sweep's error for a run whose task raised ``exc`` (a genuine failure, not a lost worker)."""
    cause = exc.cause if isinstance(exc, ray.exceptions.RayTaskError) else None
    if isinstance(cause, LabError):
        return LabError(f"run {_describe(spec)} failed: {cause}")
    if cause is not None:
        return RuntimeError(f"run {_describe(spec)} raised on Ray:\n{exc}")
    return LabError(f"run {_describe(spec)} failed on Ray: {type(exc).__name__}: {str(exc).strip().splitlines()[0]}")


class RayBackend(Backend):
    def __init__(self, workers: int = 2, address: str | None = None) -> None:
        self.workers = max(1, workers)
        self.address = address

    def run(self, feed: Feed, threads: int) -> None:
        try:
            import ray
        except ImportError:
            raise LabError("the ray backend needs Ray: pip install 'ray[default]'") from None
        started = False
        if not ray.is_initialized():
            feed.status("starting Ray" if self.address is None else f"connecting to Ray at {self.address}")
            if self.address:
                ray.init(address=self.address, logging_level=logging.ERROR)
            else:
                ray.init(
                    num_cpus=self.workers, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False
                )
            started = True
        refs: dict[Any, Spec] = {}
        try:
            self._drive(ray, feed, threads, refs)
        finally:
            for ref, spec in refs.items():
                feed.release(spec)
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)
            if started:
                ray.shutdown()

    def _drive(self, ray: Any, feed: Feed, threads: int, refs: dict[Any, Spec]) -> None:
        """Keep as many runs in flight as the cluster has CPUs (looked up again as nodes come and go)."""
        remote = ray.remote(num_cpus=1, max_retries=0)(_ray_train)
        lost = _lost_errors(ray)
        losses = _Losses(feed, "Ray worker or node")
        exhausted = False
        while True:
            room = max(1, int(ray.cluster_resources().get("CPU", 0)))
            while len(refs) < room and (losses.retry or not exhausted):
                spec = losses.retry.popleft() if losses.retry else feed.take()
                if spec is None:
                    exhausted = True
                    break
                if isinstance(spec, Wait):
                    break
                refs[remote.remote(spec, threads)] = spec
                feed.progress(spec, 0, spec["steps"])
            if not refs:
                if exhausted and not losses.retry:
                    break
                _wait_s()
                continue
            done, _ = ray.wait(list(refs), num_returns=1, timeout=1.0)
            for ref in done:
                spec = refs.pop(ref)
                try:
                    record = ray.get(ref)
                except lost as exc:
                    losses.lost(spec, f"a Ray worker or node was lost ({type(exc).__name__})")
                    continue
                except ray.exceptions.RayError as exc:
                    feed.release(spec)
                    raise _ray_failure(spec, exc, ray) from None
                feed.record(spec, record)
        losses.check()


def get_backend(name: str, *, workers: int = 1, address: str | None = None) -> Backend:
    """The backend called ``name`` (one of :data:`BACKENDS`)."""
    if name == "local":
        return LocalBackend(workers)
    if name == "inline":
        return InlineBackend()
    if name == "ray":
        return RayBackend(workers, address)
    raise LabError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}.")
