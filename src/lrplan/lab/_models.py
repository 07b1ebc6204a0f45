"""The lab's small PyTorch models (imported only when a task is built)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["mlp", "CharTransformer"]


def mlp(n_in: int, hidden: int, n_out: int) -> nn.Module:
    """``n_in -> hidden -> n_out`` with ReLU; ``hidden == 0`` gives a linear model (logistic regression)."""
    if hidden == 0:
        return nn.Linear(n_in, n_out)
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))


class _Block(nn.Module):
    def __init__(self, d: int, heads: int, norm: str) -> None:
        super().__init__()
        self.heads = heads
        self.norm = norm
        self.ln1 = nn.LayerNorm(d)
        self.ln2 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def attn(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        out: torch.Tensor = self.proj(y.transpose(1, 2).reshape(b, t, c))
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.norm == "pre":  # LayerNorm inside the residual branch (Xiong et al. 2020)
            x = x + self.attn(self.ln1(x))
            out: torch.Tensor = x + self.mlp(self.ln2(x))
            return out
        x = self.ln1(x + self.attn(x))  # post-LN: the original Transformer
        out = self.ln2(x + self.mlp(x))
        return out


class CharTransformer(nn.Module):
    """A byte-level causal Transformer language model (learned positions, untied output layer)."""

    def __init__(self, *, d_model: int, heads: int, layers: int, context: int, norm: str) -> None:
        super().__init__()
        self.tok = nn.Embedding(256, d_model)
        self.pos = nn.Embedding(context, d_model)
        blocks = [_Block(d_model, heads, norm) for _ in range(layers)]
        self.blocks = nn.ModuleList(blocks)
        self.final = nn.LayerNorm(d_model) if norm == "pre" else nn.Identity()
        self.head = nn.Linear(d_model, 256)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Embedding):
                nn.init.normal_(m.weight, std=0.02)
        for block in blocks:  # GPT-2 style scaled init of the residual projections
            nn.init.normal_(block.proj.weight, std=0.02 / math.sqrt(2 * layers))

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        t = idx.shape[1]
        x = self.tok(idx) + self.pos(torch.arange(t, device=idx.device))
        for block in self.blocks:
            x = block(x)
        logits: torch.Tensor = self.head(self.final(x))
        return logits
