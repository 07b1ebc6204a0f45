"""A training loop whose schedule is written in samples: ``python _torch_clock_resume.py MODE CHECKPOINT LOG KILL_AT STEPS``.

MODE ``run`` trains under the ramp-up BEFORE; with KILL_AT > 0 it saves model, optimizer and scheduler with
``torch.save`` after KILL_AT updates and kills itself with SIGKILL. MODE ``resume`` loads that checkpoint in a
fresh process whose scheduler is built with another batch-size schedule, AFTER, and trains on. The data
loader takes the samples of update k from the scheduler's own batch schedule: samples
``[samples_before(k), samples_before(k) + batch)`` of a fixed stream. Every line of LOG holds the update, the
first sample, the batch and the learning rate used (as float.hex).
"""

from __future__ import annotations

import os
import signal
import sys

import torch

import lrplan as L
import lrplan.torch

LR = L.wsd(peak_value=0.05, warmup_steps=200, stable_steps=1_000, decay_steps=800, decay_shape="linear")
BEFORE = L.batch_rampup(start=4, increment=4, ramp_samples=400, batch_size=16)
AFTER = L.batch_steps(boundaries=[1_000], batch_sizes=[8, 24])  # a rule in samples consumed
STREAM = torch.randn(8_000, 3, generator=torch.Generator().manual_seed(1))


def expected_run(switch_at: int, steps: int) -> list[tuple[int, int, int, float]]:
    """(update, samples consumed before it, its batch, its lr), one update at a time: Megatron's ramp-up rule
    before ``switch_at``, then AFTER's rule (8 below 1,000 samples consumed, 24 from there), from the samples
    consumed by then."""
    rows, consumed = [], 0
    for k in range(steps):
        if k < switch_at:
            batch = BEFORE.megatron_batch(consumed)
        else:
            batch = 8 if consumed < 1_000 else 24
        rows.append((k, consumed, batch, LR(consumed)))
        consumed += batch
    return rows


def build(batch: L.BatchSchedule) -> tuple[torch.nn.Module, torch.optim.Optimizer, lrplan.torch.Scheduler]:
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    return model, opt, lrplan.torch.Scheduler(opt, L.per_update(LR, batch=batch, unit="samples"))


def main(mode: str, checkpoint: str, log: str, kill_at: int, steps: int) -> None:
    torch.set_num_threads(1)
    model, opt, sched = build(AFTER if mode == "resume" else BEFORE)
    if mode == "resume":
        ck = torch.load(checkpoint, weights_only=True)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])  # on_mismatch="error": only the batch schedule differs
    with open(log, "a") as out:
        for k in range(sched.last_epoch, steps):
            batch = sched.schedule.batch  # the batch-size schedule in force (after a resume: the switch)
            first, size = batch.samples_before(k), int(batch(k))
            lr = opt.param_groups[0]["lr"]
            model(STREAM[first : first + size]).pow(2).mean().backward()
            opt.step()
            opt.zero_grad()
            sched.step()
            out.write(f"{k} {first} {size} {float(lr).hex()}\n")
            out.flush()
            if mode == "run" and k + 1 == kill_at:
                state = {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict()}
                torch.save(state, checkpoint)
                os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
