"""Worker for the DDP test of a schedule in samples under a batch ramp-up (gloo, CPU), resumed under another one.

Each rank takes its share of update k from ``batch.split(k, world_size=2, micro_batch_size=2)``: micro-batch a
of rank r is samples ``first + (a * world + r) * micro .. + micro`` of a fixed stream.
"""

from __future__ import annotations

import json
import os

import torch
import torch.distributed as dist

import lrplan as L
import lrplan.torch
from tests.adapters._torch_clock_resume import AFTER, BEFORE, LR, STREAM

STEPS, SAVE_AT, MICRO = 120, 40, 2


def _build(batch: L.BatchSchedule) -> tuple[torch.nn.Module, torch.optim.Optimizer, lrplan.torch.Scheduler]:
    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(3, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    return model, opt, lrplan.torch.Scheduler(opt, L.per_update(LR, batch=batch))


def _train(model: torch.nn.Module, opt: torch.optim.Optimizer, sched: lrplan.torch.Scheduler, stop: int) -> list:
    rank, world = dist.get_rank(), dist.get_world_size()
    out = []
    while sched.last_epoch < stop:
        k = sched.last_epoch
        split = sched.schedule.batch.split(k, world_size=world, micro_batch_size=MICRO)
        out.append([k, split.samples_before, split.global_batch, opt.param_groups[0]["lr"]])
        for a in range(split.accumulation_steps):
            first = split.samples_before + (a * world + rank) * MICRO
            (model(STREAM[first : first + MICRO]).pow(2).mean() / split.accumulation_steps).backward()
        opt.step()
        opt.zero_grad()
        sched.step()
    return out


def worker(rank: int, world: int, port: int, tmpdir: str) -> None:
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        model, opt, sched = _build(BEFORE)
        before = _train(model, opt, sched, SAVE_AT)
        ckpt = os.path.join(tmpdir, "ckpt.pt")
        if rank == 0:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, ckpt)
        dist.barrier()
        # every rank resumes rank 0's checkpoint under another batch-size schedule
        model2, opt2, sched2 = _build(AFTER)
        ck = torch.load(ckpt, weights_only=True, map_location="cpu")
        model2.load_state_dict(ck["model"])
        opt2.load_state_dict(ck["opt"])
        sched2.load_state_dict(ck["sched"])
        after = _train(model2, opt2, sched2, STEPS)
        gathered: list = [None] * world
        dist.all_gather_object(gathered, before + after)
        with open(os.path.join(tmpdir, f"rank{rank}.json"), "w") as f:
            json.dump({"all": gathered, "consumed": ck["sched"]["consumed_samples"]}, f)
    finally:
        dist.destroy_process_group()
