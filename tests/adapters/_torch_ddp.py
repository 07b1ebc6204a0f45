"""Worker for the DistributedDataParallel test (gloo, CPU, 2 processes): kept small so spawned processes start fast.

Both scenarios run in one process group, one after the other (two gloo groups at once, from two tests run
side by side, can abort in teardown). In each, every rank trains without a break from update 0 to STEPS,
rank 0 saves model, optimizer and scheduler after SAVE_AT updates, and every rank then resumes that
checkpoint in a fresh model, optimizer and scheduler built with the scenario's second schedule.

* ``updates``: a schedule in updates, resumed under the same one; update k feeds rank r inputs ``k + r``.
* ``samples``: an LR in samples under a batch ramp-up (``BEFORE``), resumed under another batch-size
  schedule (``AFTER``). Each rank takes its share of update k from
  ``batch.split(k, world_size=2, micro_batch_size=2)``: micro-batch a of rank r is samples
  ``first + (a * world + r) * micro .. + micro`` of a fixed stream.

Each rank writes ``rank<r>.json``: per scenario, every rank's rows (``[k, ..., lr]``, one per update) of the
uninterrupted run and of the resumed one (its first SAVE_AT rows those before the checkpoint), and the
samples consumed that the checkpoint holds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.distributed as dist

import lrplan as L
import lrplan.torch
from tests.adapters._torch_clock_resume import AFTER, BEFORE, LR, STREAM

SCHEDULE = L.warmup(L.cosine(init_value=0.1, decay_steps=20), steps=5)
MICRO = 2
Update = Callable[[torch.nn.Module, lrplan.torch.Scheduler, int, int, int], list]


def _by_updates(model: torch.nn.Module, sched: lrplan.torch.Scheduler, k: int, rank: int, world: int) -> list:
    model(torch.full((4, 3), float(k + rank))).pow(2).mean().backward()
    return [k]


def _by_samples(model: torch.nn.Module, sched: lrplan.torch.Scheduler, k: int, rank: int, world: int) -> list:
    split = sched.schedule.batch.split(k, world_size=world, micro_batch_size=MICRO)
    for a in range(split.accumulation_steps):
        first = split.samples_before + (a * world + rank) * MICRO
        (model(STREAM[first : first + MICRO]).pow(2).mean() / split.accumulation_steps).backward()
    return [k, split.samples_before, split.global_batch]


@dataclass(frozen=True)
class Scenario:
    before: L.Schedule  # the uninterrupted run's, and the checkpoint's
    after: L.Schedule  # the one the checkpoint is resumed under
    steps: int
    save_at: int
    update: Update  # trains update k on this rank; returns the row's fields before the lr
    scheduler_first: bool  # restore the scheduler before the optimizer (either order must do)


SCENARIOS = {
    "updates": Scenario(SCHEDULE, SCHEDULE, 30, 12, _by_updates, scheduler_first=True),
    "samples": Scenario(
        L.per_update(LR, batch=BEFORE), L.per_update(LR, batch=AFTER), 120, 40, _by_samples, scheduler_first=False
    ),
}


def _build(schedule: L.Schedule) -> tuple[torch.nn.Module, torch.optim.Optimizer, lrplan.torch.Scheduler]:
    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(3, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    return model, opt, lrplan.torch.Scheduler(opt, schedule)


def _train(model: torch.nn.Module, opt: torch.optim.Optimizer, sched: lrplan.torch.Scheduler, s: Scenario, stop: int):
    rank, world = dist.get_rank(), dist.get_world_size()
    rows = []
    while sched.last_epoch < stop:
        lr = opt.param_groups[0]["lr"]
        rows.append([*s.update(model, sched, sched.last_epoch, rank, world), lr])
        opt.step()
        opt.zero_grad()
        sched.step()
    return rows


def _gather(rows: list) -> list:
    out: list = [None] * dist.get_world_size()
    dist.all_gather_object(out, rows)
    return out


def _run(s: Scenario, ckpt: str) -> dict:
    model, opt, sched = _build(s.before)
    full = _train(model, opt, sched, s, s.save_at)
    if dist.get_rank() == 0:
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, ckpt)
    full += _train(model, opt, sched, s, s.steps)
    dist.barrier()
    model2, opt2, sched2 = _build(s.after)
    ck = torch.load(ckpt, weights_only=True, map_location="cpu")
    model2.load_state_dict(ck["model"])
    for restore in (sched2, opt2) if s.scheduler_first else (opt2, sched2):
        restore.load_state_dict(ck["sched" if restore is sched2 else "opt"])
    resumed = full[: s.save_at] + _train(model2, opt2, sched2, s, s.steps)
    return {"full": _gather(full), "resumed": _gather(resumed), "consumed": ck["sched"].get("consumed_samples")}


def worker(rank: int, world: int, tmpdir: str) -> None:
    torch.set_num_threads(1)
    # a file rendezvous: no TCP port to pick, so no race with other processes binding ports meanwhile
    dist.init_process_group("gloo", init_method=f"file://{tmpdir}/rendezvous", rank=rank, world_size=world)
    out = {name: _run(s, os.path.join(tmpdir, f"{name}.pt")) for name, s in SCENARIOS.items()}
    with open(os.path.join(tmpdir, f"rank{rank}.json"), "w") as f:
        json.dump(out, f)
    dist.barrier()  # both ranks have written their results
    # Leave without tearing gloo down: its threads can abort the interpreter's exit ("terminate called without
    # an active exception", SIGABRT) after the work is done. An error above still fails the rank as usual.
    os._exit(0)
