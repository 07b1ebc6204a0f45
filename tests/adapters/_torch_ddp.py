"""Worker for the DistributedDataParallel test (gloo, CPU): kept small so spawned processes start fast."""

from __future__ import annotations

import json
import os

import torch
import torch.distributed as dist

import lrplan as L
import lrplan.torch

SCHEDULE = L.warmup(L.cosine(init_value=0.1, decay_steps=20), steps=5)
STEPS, SAVE_AT = 30, 12


def _build() -> tuple[torch.nn.Module, torch.optim.Optimizer, lrplan.torch.Scheduler]:
    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(3, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    return model, opt, lrplan.torch.Scheduler(opt, SCHEDULE)


def _train(model: torch.nn.Module, opt: torch.optim.Optimizer, sched: lrplan.torch.Scheduler, stop: int) -> list:
    rank = dist.get_rank()
    out = []
    while sched.last_epoch < stop:
        k = sched.last_epoch
        out.append(opt.param_groups[0]["lr"])
        x = torch.full((4, 3), float(k + rank))
        model(x).pow(2).mean().backward()
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
        # an uninterrupted run; rank 0 saves a checkpoint after SAVE_AT updates
        model, opt, sched = _build()
        full = _train(model, opt, sched, SAVE_AT)
        ckpt = os.path.join(tmpdir, "ckpt.pt")
        if rank == 0:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}, ckpt)
        full += _train(model, opt, sched, STEPS)
        dist.barrier()
        # a fresh model, optimizer and scheduler on every rank, restored from rank 0's checkpoint
        model2, opt2, sched2 = _build()
        ck = torch.load(ckpt, weights_only=True, map_location="cpu")
        model2.load_state_dict(ck["model"])
        sched2.load_state_dict(ck["sched"])
        opt2.load_state_dict(ck["opt"])
        resumed = _train(model2, opt2, sched2, STEPS)
        gathered: list = [None] * world
        dist.all_gather_object(gathered, full)
        with open(os.path.join(tmpdir, f"rank{rank}.json"), "w") as f:
            json.dump({"full": full, "resumed": resumed, "all": gathered}, f)
    finally:
        dist.destroy_process_group()
