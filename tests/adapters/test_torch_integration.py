"""lrplan.torch.Scheduler in real loops: SIGKILL + resume, PyTorch Lightning, the HF Trainer, DDP (gloo)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import torch

import lrplan as L
import lrplan.torch
from tests.adapters import _torch_ddp, _torch_resume
from tests.adapters._torch_clock_resume import BEFORE, expected_run

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
SCHEDULE = L.warmup(L.cosine(init_value=0.1, decay_steps=8), steps=3)


def test_resume_after_sigkill_is_bit_identical(tmp_path):
    script, steps, kill_at = str(ROOT / "tests" / "adapters" / "_torch_resume.py"), 100, 37
    full, cut, ck = tmp_path / "full.log", tmp_path / "cut.log", str(tmp_path / "ck.pt")
    _torch_resume.main("run", ck + ".unused", str(full), 0, steps)  # the uninterrupted run, in this process
    killed = subprocess.run([sys.executable, script, "run", ck, str(cut), str(kill_at), str(steps)], env=ENV)
    assert killed.returncode == -signal.SIGKILL
    assert len(cut.read_text().splitlines()) == kill_at
    resumed = subprocess.run([sys.executable, script, "resume", ck, str(cut), "0", str(steps)], env=ENV)
    assert resumed.returncode == 0
    lines = full.read_text().splitlines()
    assert len(lines) == steps + 1  # one line per update, then the parameters
    assert cut.read_text().splitlines() == lines  # learning rates, momenta and the trained weights
    # the logged values are the schedules' own, and span warmup, inverse-sqrt, cooldown and both cycle phases
    rows = [[float.fromhex(v) for v in line.split()] for line in lines[:steps]]
    assert [r[0] for r in rows] == [_torch_resume.RSQRT(k) for k in range(steps)]
    assert [r[1] for r in rows] == [_torch_resume.CYCLE(k) for k in range(steps)]
    assert [r[2] for r in rows] == [_torch_resume.MOMENTUM(k) for k in range(steps)]


def _fit_tiny_lightning_module(configure: Any) -> tuple[list[float], Any]:
    """Fit 3 epochs of 4 batches; returns the learning rate of each update and the trainer."""
    import lightning.pytorch as pl

    seen: list[float] = []

    class Tiny(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(2, 1)

        def training_step(self, batch, batch_idx):
            return self.layer(batch[0]).pow(2).mean()

        def on_before_optimizer_step(self, optimizer):
            seen.append(optimizer.param_groups[0]["lr"])

        def configure_optimizers(self):
            return configure(self)

    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(8, 2)), batch_size=2)
    trainer = pl.Trainer(
        max_epochs=3,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(Tiny(), data)
    return seen, trainer


def test_lightning_configure_optimizers_interval_step():
    def configure(module):
        opt = torch.optim.SGD(module.parameters(), lr=1.0)
        sched = lrplan.torch.Scheduler(opt, SCHEDULE)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="lrplan")
        seen, trainer = _fit_tiny_lightning_module(configure)
    assert seen == [SCHEDULE(k) for k in range(12)]  # 4 batches x 3 epochs, stepped per update
    assert trainer.lr_scheduler_configs[0].scheduler.state_dict()["step"] == 12


def test_lightning_default_epoch_interval_warns_once():
    def configure(module):
        opt = torch.optim.SGD(module.parameters(), lr=1.0)
        return [opt], [lrplan.torch.Scheduler(opt, SCHEDULE)]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seen, trainer = _fit_tiny_lightning_module(configure)
    ours = [str(w.message) for w in caught if str(w.message).startswith("lrplan")]
    assert len(ours) == 1
    assert ours[0].startswith(
        "lrplan.torch.Scheduler: the optimizer has applied 4 updates but scheduler.step() was called 0 time(s)"
    )
    assert '"interval": "step"' in ours[0]
    # what the warning is about: the schedule advanced once per epoch
    assert seen == [SCHEDULE(k) for k in (0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2)]
    assert trainer.lr_scheduler_configs[0].scheduler.last_epoch == 3


def test_hf_trainer_optimizers_tuple(tmp_path):
    from transformers import Trainer, TrainerCallback, TrainingArguments

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(2, 1)

        def forward(self, x, labels=None):
            out = self.layer(x).squeeze(-1)
            return {"loss": (out - labels).pow(2).mean(), "logits": out}

    model = Tiny()
    opt = torch.optim.AdamW(model.parameters(), lr=1.0)
    sched = lrplan.torch.Scheduler(opt, SCHEDULE)
    seen: list[float] = []

    class Record(TrainerCallback):
        def on_pre_optimizer_step(self, args, state, control, **kwargs):
            seen.append(opt.param_groups[0]["lr"])

    data = [{"x": torch.randn(2), "labels": torch.tensor(0.5)} for _ in range(16)]
    args = TrainingArguments(
        output_dir=str(tmp_path),
        max_steps=10,
        per_device_train_batch_size=2,
        gradient_accumulation_steps=2,
        report_to=[],
        use_cpu=True,
        save_strategy="no",
        logging_strategy="no",
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    trainer = Trainer(model=model, args=args, train_dataset=data, optimizers=(opt, sched), callbacks=[Record()])
    trainer.train()
    assert trainer.lr_scheduler is sched
    assert seen == [SCHEDULE(k) for k in range(10)]  # one value per optimizer update (accumulation 2)
    assert sched.last_epoch == 10


def test_ddp_gloo_two_processes_agree_and_resume_exactly(tmp_path):
    """Every rank, every update, uninterrupted and resumed: a schedule in updates, and one in samples under a batch
    ramp-up resumed under another batch-size schedule (both in one gloo group, see _torch_ddp)."""
    import torch.multiprocessing as mp

    mp.spawn(_torch_ddp.worker, args=(2, str(tmp_path)), nprocs=2, join=True)
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert ranks[0] == ranks[1]
    updates, samples = ranks[0]["updates"], ranks[0]["samples"]
    u, s = _torch_ddp.SCENARIOS["updates"], _torch_ddp.SCENARIOS["samples"]
    by_updates = [[k, _torch_ddp.SCHEDULE(k)] for k in range(u.steps)]
    assert updates["full"] == updates["resumed"] == [by_updates, by_updates]
    # (update, samples consumed before it, its batch, its lr): BEFORE's ramp-up, then AFTER's rule once resumed
    ramp, switched = ([list(row) for row in expected_run(at, s.steps)] for at in (s.steps, s.save_at))
    assert samples["full"] == [ramp, ramp] and samples["resumed"] == [switched, switched]
    assert samples["consumed"] == BEFORE.samples_before(s.save_at) and updates["consumed"] is None


def test_docs_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the trainer examples write their output folders here
    text = (ROOT / "docs" / "torch.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert any("lightning" in b for b in blocks) and any("transformers" in b for b in blocks)
    for block in blocks:
        exec(compile(block, "docs/torch.md", "exec"), {"__name__": "__docs__"})
