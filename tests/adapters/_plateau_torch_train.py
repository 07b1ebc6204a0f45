"""A small PyTorch training run driven by "warmup, then reduce on plateau" as one lrplan object.

Used by tests/adapters/test_plateau_torch.py: once uninterrupted, once in a subprocess killed with SIGKILL in the
middle of an epoch, and once resumed from the last end-of-epoch checkpoint that run left behind.

    python tests/adapters/_plateau_torch_train.py OUT_DIR --driver direct|scheduler [--kill-at-step N]

``direct`` sets the optimizer's learning rate from ``plateau.value(step, state)`` and keeps the plateau
state as JSON in the checkpoint; ``scheduler`` uses ``lrplan.torch.Scheduler(optimizer, plateau)``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
from pathlib import Path

import torch

import lrplan as L

EPOCHS = 16
BATCH = 32
PLATEAU = L.Plateau(
    L.warmup(L.constant(0.05), steps=16), patience=1, factor=0.5, threshold=0.1, cooldown=1, min_value=1e-3
)


def data() -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 8, generator=g)
    teacher = torch.randn(8, 1, generator=g)
    y = torch.tanh(x @ teacher) + 0.3 * torch.randn(256, 1, generator=g)
    xv = torch.randn(64, 8, generator=g)
    yv = torch.tanh(xv @ teacher) + 0.3 * torch.randn(64, 1, generator=g)
    return x, y, xv, yv


def train(out: Path, driver: str = "direct", kill_at_step: int = -1) -> dict:
    """Train (resuming from ``out/ckpt.pt`` if present); returns the log and writes ``out/final.pt``."""
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "ckpt.pt"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(out, ckpt, driver, kill_at_step)
    finally:
        torch.set_num_threads(threads)


def _train(out: Path, ckpt: Path, driver: str, kill_at_step: int) -> dict:
    torch.manual_seed(0)
    x, y, xv, yv = data()
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    loss_fn = torch.nn.MSELoss()
    steps_per_epoch = len(x) // BATCH

    sched = None
    if driver == "scheduler":
        import lrplan.torch as lt

        sched = lt.Scheduler(opt, PLATEAU)
    state = PLATEAU.initial_state()
    log: dict[str, list] = {"lrs": [], "states": []}
    start_epoch = 0
    if ckpt.exists():
        saved = torch.load(ckpt, weights_only=False)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        if sched is not None:
            sched.load_state_dict(saved["sched"])
        else:
            state = json.loads(saved["plateau_state"])
        log = saved["log"]
        start_epoch = saved["epoch"] + 1

    for epoch in range(start_epoch, EPOCHS):
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(1000 + epoch))
        for b in range(steps_per_epoch):
            step = epoch * steps_per_epoch + b
            if sched is None:
                lr = PLATEAU.value(step, state)
                for group in opt.param_groups:
                    group["lr"] = lr
            log["lrs"].append(float(opt.param_groups[0]["lr"]))
            idx = order[b * BATCH : (b + 1) * BATCH]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
            if step + 1 == kill_at_step:
                os.kill(os.getpid(), signal.SIGKILL)
            if b < steps_per_epoch - 1:
                if sched is not None:
                    sched.step()
                continue
            with torch.no_grad():
                val = float(loss_fn(model(xv), yv))
            if sched is not None:
                sched.step(metric=val)
                state = sched.state_dict()["plateau_state"]
            else:
                state = PLATEAU.update(state, val)
        log["states"].append(state)
        saved = {"model": model.state_dict(), "opt": opt.state_dict(), "epoch": epoch, "log": log}
        if sched is not None:
            saved["sched"] = sched.state_dict()
        else:
            saved["plateau_state"] = json.dumps(state)
        torch.save(saved, out / "ckpt.tmp")
        os.replace(out / "ckpt.tmp", ckpt)  # atomic: a kill never leaves a half-written checkpoint

    torch.save(model.state_dict(), out / "final.pt")
    (out / "log.json").write_text(json.dumps(log))
    return log


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--driver", choices=["direct", "scheduler"], default="direct")
    ap.add_argument("--kill-at-step", type=int, default=-1)
    args = ap.parse_args()
    train(Path(args.out), args.driver, args.kill_at_step)


if __name__ == "__main__":
    main()
