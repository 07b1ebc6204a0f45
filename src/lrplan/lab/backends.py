"""Where the runs of a sweep execute: this process, local worker processes, or a Ray cluster.

Every backend calls the same :func:`lrplan.lab.run.train` with the same spec and thread count,
so records are identical across backends (apart from timings, see ``VOLATILE_FIELDS``). Records are
returned to the driver, which writes them: workers never touch the results folder, so a Ray cluster
needs no shared file system.

* ``inline``: runs one after another in this process (debugging, tests).
* ``local``: a :class:`concurrent.futures.ProcessPoolExecutor` with the ``spawn`` start method and
  ``workers`` processes, each started once (thread count set before torch is imported) and reused
  for many runs; per-step progress flows back through a queue. A worker whose driver died
  (e.g. SIGKILL) exits at its next progress report instead of training on.
* ``ray``: ``ray.init(address=...)`` or, without an address, a local instance with
  ``num_cpus=workers`` and no dashboard; one task (1 CPU) per run. Progress is per run.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
import queue as _queue
import sys
import time
from collections.abc import Callable
from typing import Any

from .errors import LabError
from .run import train

__all__ = ["Backend", "InlineBackend", "LocalBackend", "RayBackend", "get_backend", "BACKENDS"]

OnRecord = Callable[[dict[str, Any]], None]
OnProgress = Callable[[dict[str, Any], int, int], None]
OnFinished = Callable[[dict[str, Any]], None]
BACKENDS = ("local", "inline", "ray")


class Backend:
    """Runs specs and hands each record to ``on_record`` (then ``on_finished(spec)``) as runs finish."""

    def run(
        self,
        specs: list[dict[str, Any]],
        threads: int,
        on_record: OnRecord,
        on_progress: OnProgress,
        on_finished: OnFinished,
    ) -> None:
        raise NotImplementedError


def _describe(spec: dict[str, Any]) -> str:
    return f"{spec['task']} / {spec['optimizer']} / {spec['schedule']} / lr={spec['lr']} / seed={spec['seed']}"


class InlineBackend(Backend):
    def run(
        self,
        specs: list[dict[str, Any]],
        threads: int,
        on_record: OnRecord,
        on_progress: OnProgress,
        on_finished: OnFinished,
    ) -> None:
        for spec in specs:
            try:
                record = train(spec, threads=threads, progress=lambda k, n, s=spec: on_progress(s, k, n))  # type: ignore[misc]
            except LabError as exc:
                raise LabError(f"run {_describe(spec)} failed: {exc}") from exc
            on_record(record)
            on_finished(spec)


# ------------------------------------------------------------------------------ local processes
_WORKER: dict[str, Any] = {}


def _worker_init(progress_queue: Any, parent: int, threads: int) -> None:
    """Set up a worker process once; it then trains many runs.

    The thread count goes into the environment before torch is imported, so the OpenMP and MKL
    pools are never built wider than the runs use; torch and the PyTorch adapter are imported here, at
    start-up, rather than inside the first run. A worker holds no files and hands every record back
    through the pool's pipe before it is told to stop, so at exit it skips the interpreter's
    teardown of torch (0.5-1 s of a sweep otherwise spent waiting for workers to exit).
    """
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    _WORKER["queue"] = progress_queue
    _WORKER["parent"] = parent
    import torch

    import lrplan.torch  # noqa: F401  (the adapter every run uses)

    torch.set_num_threads(threads)
    atexit.register(_exit_now)


def _exit_now() -> None:
    """The worker's last exit handler: flush the standard streams and leave without teardown."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def _worker_train(index: int, spec: dict[str, Any], threads: int) -> dict[str, Any]:
    q = _WORKER["queue"]
    parent = _WORKER["parent"]
    last = [0.0]

    def progress(step: int, steps: int) -> None:
        now = time.monotonic()
        if step == steps or now - last[0] > 0.25:
            last[0] = now
            if os.getppid() != parent:  # the driver is gone: stop instead of training for nobody
                os._exit(1)
            with contextlib.suppress(Exception):
                q.put_nowait((index, step, steps))

    return train(spec, threads=threads, progress=progress)


class LocalBackend(Backend):
    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise LabError(f"local backend: `workers` must be >= 1. Received: workers={workers!r}.")
        self.workers = workers

    def run(
        self,
        specs: list[dict[str, Any]],
        threads: int,
        on_record: OnRecord,
        on_progress: OnProgress,
        on_finished: OnFinished,
    ) -> None:
        ctx = multiprocessing.get_context("spawn")
        q = ctx.Queue()
        pool = cf.ProcessPoolExecutor(
            max_workers=min(self.workers, len(specs)),
            mp_context=ctx,
            initializer=_worker_init,
            initargs=(q, os.getpid(), threads),
        )
        futures = {pool.submit(_worker_train, i, spec, threads): i for i, spec in enumerate(specs)}
        pending = set(futures)
        try:
            while pending:
                done, pending = cf.wait(pending, timeout=0.2, return_when=cf.FIRST_COMPLETED)
                self._drain(q, specs, on_progress)
                for fut in done:
                    spec = specs[futures[fut]]
                    try:
                        record = fut.result()
                    except LabError as exc:
                        raise LabError(f"run {_describe(spec)} failed: {exc}") from exc
                    on_record(record)
                    on_finished(spec)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        q.close()

    @staticmethod
    def _drain(q: Any, specs: list[dict[str, Any]], on_progress: OnProgress) -> None:
        while True:
            try:
                index, step, steps = q.get_nowait()
            except (_queue.Empty, OSError, ValueError):
                return
            on_progress(specs[index], step, steps)


# ------------------------------------------------------------------------------ ray
def _ray_train(spec: dict[str, Any], threads: int) -> dict[str, Any]:
    return train(spec, threads=threads)


class RayBackend(Backend):
    def __init__(self, workers: int = 2, address: str | None = None) -> None:
        self.workers = max(1, workers)
        self.address = address

    def run(
        self,
        specs: list[dict[str, Any]],
        threads: int,
        on_record: OnRecord,
        on_progress: OnProgress,
        on_finished: OnFinished,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise LabError("the ray backend needs Ray: pip install 'ray[default]'") from None
        started = False
        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address, logging_level=logging.ERROR)
            else:
                ray.init(
                    num_cpus=self.workers, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False
                )
            started = True
        try:
            remote = ray.remote(num_cpus=1, max_retries=0)(_ray_train)
            refs = {remote.remote(spec, threads): spec for spec in specs}
            for spec in specs:
                on_progress(spec, 0, spec["steps"])
            while refs:
                done, _ = ray.wait(list(refs), num_returns=1, timeout=1.0)
                for ref in done:
                    spec = refs.pop(ref)
                    try:
                        record = ray.get(ref)
                    except ray.exceptions.RayTaskError as exc:
                        raise LabError(f"run {_describe(spec)} failed on Ray: {exc}") from None
                    on_record(record)
                    on_finished(spec)
        finally:
            if started:
                ray.shutdown()


def get_backend(name: str, *, workers: int = 1, address: str | None = None) -> Backend:
    """The backend called ``name`` (one of :data:`BACKENDS`)."""
    if name == "local":
        return LocalBackend(workers)
    if name == "inline":
        return InlineBackend()
    if name == "ray":
        return RayBackend(workers, address)
    raise LabError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}.")
