"""A tiny training loop for the resume test: ``python _torch_resume.py MODE CHECKPOINT LOG KILL_AT STEPS``.

MODE ``run`` trains from scratch; with KILL_AT > 0 it saves model, optimizers and schedulers with
``torch.save`` after KILL_AT updates and kills itself with SIGKILL. MODE ``resume`` loads that
checkpoint in a fresh process and trains on. Every line of LOG holds the values used by one update,
as float.hex, for two runs: warmup + inverse-sqrt + cooldown (Adam), and a one-cycle with momentum (SGD).
"""

from __future__ import annotations

import os
import signal
import sys

import torch

import lrplan as L
import lrplan.torch

RSQRT = L.cooldown(
    L.warmup(L.inverse_sqrt(peak_value=1e-3, warmup_steps=0, timescale=20), steps=10), start=60, steps=30
)
CYCLE = L.one_cycle(peak_value=0.5, total_steps=100)
MOMENTUM = L.one_cycle(peak_value=0.85, init_value=0.95, end_value=0.95, total_steps=100)


def build() -> tuple[torch.nn.Module, list[torch.optim.Optimizer], list[lrplan.torch.Scheduler]]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    adam = torch.optim.Adam(model[0].parameters(), lr=0.0)
    sgd = torch.optim.SGD(model[2].parameters(), lr=0.0, momentum=0.9)
    scheds = [
        lrplan.torch.Scheduler(adam, RSQRT),
        lrplan.torch.Scheduler(sgd, CYCLE, hyperparams={"momentum": MOMENTUM}),
    ]
    return model, [adam, sgd], scheds


def main(mode: str, checkpoint: str, log: str, kill_at: int, steps: int) -> None:
    torch.set_num_threads(1)
    model, opts, scheds = build()
    if mode == "resume":
        ck = torch.load(checkpoint, weights_only=True)
        model.load_state_dict(ck["model"])
        opts[0].load_state_dict(ck["opt"][0])  # optimizer first ...
        scheds[0].load_state_dict(ck["sched"][0])
        scheds[1].load_state_dict(ck["sched"][1])  # ... and scheduler first
        opts[1].load_state_dict(ck["opt"][1])
    data = torch.Generator().manual_seed(1)
    xs = torch.randn(steps, 16, 4, generator=data)
    with open(log, "a") as out:
        for k in range(scheds[0].last_epoch, steps):
            used = [opts[0].param_groups[0]["lr"], opts[1].param_groups[0]["lr"], opts[1].param_groups[0]["momentum"]]
            loss = model(xs[k]).pow(2).mean()
            loss.backward()
            for opt in opts:
                opt.step()
                opt.zero_grad()
            for sched in scheds:
                sched.step()
            out.write(" ".join(float(v).hex() for v in used) + "\n")
            out.flush()
            if mode == "run" and k + 1 == kill_at:
                state = {
                    "model": model.state_dict(),
                    "opt": [o.state_dict() for o in opts],
                    "sched": [s.state_dict() for s in scheds],
                }
                torch.save(state, checkpoint)
                os.kill(os.getpid(), signal.SIGKILL)
        out.write("params " + " ".join(float(p.detach().sum()).hex() for p in model.parameters()) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
