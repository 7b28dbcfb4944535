#!/usr/bin/env python3
"""Does an attention block learn induction (variable-offset copying)? A PyTorch replica of the
built-in model's block, to try architecture changes faster than a native implementation.

Task: <|bos|> s <sep> s <|eos|> with s a random lowercase string of 8..(L-4)/2 letters; loss
and accuracy on the second copy (every token after its first is a lookup into the first copy,
at an offset that varies per example — what retrieval needs, previous-token + induction heads).

Blocks (pre-norm, SwiGLU FFN, same initialisation as native/src/model/model_core.cc):
  --attn mla    the built-in model's MLA: q = wq_b·RMSNorm(wq_a·x), latent c = RMSNorm(wkv_a·x)
                gives per-head nope keys and values through wkv_b, one shared RoPE key of
                qk_rope_head_dim dims (decoupled RoPE) — as in native/src/model/model.h
  --attn mla-headrope  the same with a RoPE key per head (wkv_a gives rkv + heads·dr)
  --attn mha    plain multi-head attention, RoPE on the whole head (dn + dr dims)
  --attn mha-partrope  plain MHA, RoPE on the last dr dims of each head only

Shape: from --config (default data/models/dsa-mini/config.json); --hidden, --rkv, --dr, … override
single fields.

Needs PyTorch (Debian: apt-get install python3-torch; with libopenblas0-pthread for speed).
Not part of the test run. Example (one core, ~5 min per 1000 steps):
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_copy_probe.py --attn mha --steps 1000 --length 64
"""
import argparse
import json
import math
import os
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BOS, SEP, EOS, VOCAB = 256, 257, 258, 260


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_interleaved(x, theta):
    """x [..., T, dr] with interleaved (even, odd) pairs rotated by position·theta^(-2i/dr)."""
    T, dr = x.shape[-2], x.shape[-1]
    inv = theta ** (-torch.arange(0, dr, 2, dtype=torch.float32) / dr)
    ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]
    c, s = ang.cos(), ang.sin()
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x1 * c - x2 * s, x1 * s + x2 * c], -1).flatten(-2)


def causal_attention(q, k, v, scale):
    """q, k [B, H, T, Dqk], v [B, H, T, Dv] → [B, T, H·Dv]."""
    T = q.shape[-2]
    att = (q @ k.transpose(-1, -2)) * scale
    att = att.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float('-inf')).softmax(-1)
    B, H = q.shape[0], q.shape[1]
    return (att @ v).transpose(1, 2).reshape(B, T, H * v.shape[-1])


class MLA(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        H, dn, dr, dv = c.heads, c.dn, c.dr, c.dv
        self.wq_a = nn.Linear(c.hidden, c.rq, bias=False)
        self.q_norm = RMSNorm(c.rq)
        self.wq_b = nn.Linear(c.rq, H * (dn + dr), bias=False)
        self.rope_heads = H if c.attn == 'mla-headrope' else 1
        self.wkv_a = nn.Linear(c.hidden, c.rkv + self.rope_heads * dr, bias=False)
        self.kv_norm = RMSNorm(c.rkv)
        self.wkv_b = nn.Linear(c.rkv, H * (dn + dv), bias=False)
        self.wo = nn.Linear(H * dv, c.hidden, bias=False)

    def forward(self, xn):
        c = self.c
        B, T, _ = xn.shape
        H, dn, dr, dv = c.heads, c.dn, c.dr, c.dv
        q = self.wq_b(self.q_norm(self.wq_a(xn))).view(B, T, H, dn + dr).transpose(1, 2)
        q = torch.cat([q[..., :dn], rope_interleaved(q[..., dn:], c.theta)], -1)
        kva = self.wkv_a(xn)
        latent = self.kv_norm(kva[..., :c.rkv])
        # k_pe [B, 1 or H, T, dr]: one RoPE key shared by every head (MLA), or one per head
        k_pe = rope_interleaved(kva[..., c.rkv:].view(B, T, self.rope_heads, dr).transpose(1, 2), c.theta)
        kv = self.wkv_b(latent).view(B, T, H, dn + dv).transpose(1, 2)
        k = torch.cat([kv[..., :dn], k_pe.expand(B, H, T, dr)], -1)
        return self.wo(causal_attention(q, k, kv[..., dn:], 1 / math.sqrt(dn + dr)))


class MHA(nn.Module):
    def __init__(self, c, rope_dims):
        super().__init__()
        self.c, self.rope_dims = c, rope_dims
        dh = c.dn + c.dr
        self.wq = nn.Linear(c.hidden, c.heads * dh, bias=False)
        self.wk = nn.Linear(c.hidden, c.heads * dh, bias=False)
        self.wv = nn.Linear(c.hidden, c.heads * c.dv, bias=False)
        self.wo = nn.Linear(c.heads * c.dv, c.hidden, bias=False)

    def forward(self, xn):
        c = self.c
        B, T, _ = xn.shape
        dh, r = c.dn + c.dr, self.rope_dims
        split = lambda x: x.view(B, T, c.heads, -1).transpose(1, 2)
        rope = lambda x: torch.cat([x[..., :dh - r], rope_interleaved(x[..., dh - r:], c.theta)], -1)
        q, k, v = rope(split(self.wq(xn))), rope(split(self.wk(xn))), split(self.wv(xn))
        return self.wo(causal_attention(q, k, v, 1 / math.sqrt(dh)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attn_norm, self.ffn_norm = RMSNorm(c.hidden), RMSNorm(c.hidden)
        if c.attn.startswith('mla'):
            self.attn = MLA(c)
        else:
            self.attn = MHA(c, c.dn + c.dr if c.attn == 'mha' else c.dr)
        self.w1 = nn.Linear(c.hidden, c.ffn, bias=False)
        self.w3 = nn.Linear(c.hidden, c.ffn, bias=False)
        self.w2 = nn.Linear(c.ffn, c.hidden, bias=False)

    def forward(self, x):
        x = x + self.attn(self.attn_norm(x))
        h = self.ffn_norm(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, c.hidden)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.layers)])
        self.norm = RMSNorm(c.hidden)
        self.head = nn.Linear(c.hidden, VOCAB, bias=False)
        for name, p in self.named_parameters():
            if p.dim() >= 2:  # as initParams: N(0, 0.02), output projections / sqrt(2·layers)
                out = name.endswith('wo.weight') or name.endswith('w2.weight')
                nn.init.normal_(p, 0.0, 0.02 / (math.sqrt(2 * c.layers) if out else 1.0))

    def forward(self, tokens):
        x = self.embed(tokens)
        for b in self.blocks:
            x = b(x)
        return self.head(self.norm(x))


def copy_batch(rng, batch, length):
    """tokens, targets [B, L] (padding = EOS), weights [B, L] (1 on the graded second copy)."""
    rows = torch.full((batch, length + 1), EOS, dtype=torch.long)
    w = torch.zeros(batch, length + 1)
    for b in range(batch):
        n = rng.randint(8, (length - 4) // 2)
        s = [rng.randint(97, 122) for _ in range(n)]
        seq = [BOS] + s + [SEP] + s + [EOS]
        rows[b, :len(seq)] = torch.tensor(seq)
        w[b, n + 3:len(seq)] = 1  # the second copy after its first letter, and <|eos|>
    return rows[:, :-1], rows[:, 1:], w[:, 1:]


# (flag, config.json field, type) of the shape the replica takes from the model's config
SHAPE_FIELDS = [
    ('hidden', 'hidden_size', int), ('layers', 'num_hidden_layers', int), ('heads', 'num_attention_heads', int),
    ('rq', 'q_lora_rank', int), ('rkv', 'kv_lora_rank', int), ('dn', 'qk_nope_head_dim', int),
    ('dr', 'qk_rope_head_dim', int), ('dv', 'v_head_dim', int), ('ffn', 'intermediate_size', int),
    ('theta', 'rope_theta', float),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--attn', choices=['mla', 'mla-headrope', 'mha', 'mha-partrope'], default='mla')
    ap.add_argument('--steps', type=int, default=1000)
    ap.add_argument('--length', type=int, default=64)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--every', type=int, default=100)
    # the block's shape: read from a model config.json (Hugging Face names); each flag overrides one field
    ap.add_argument('--config', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data', 'models', 'dsa-mini', 'config.json'))
    for flag, key, typ in SHAPE_FIELDS:
        ap.add_argument(f'--{flag}', type=typ, default=None, help=f'overrides {key}')
    c = ap.parse_args()
    with open(c.config) as f:
        hf = json.load(f)
    for flag, key, typ in SHAPE_FIELDS:
        if getattr(c, flag) is None:
            setattr(c, flag, typ(hf[key]))
    torch.manual_seed(c.seed)
    rng = random.Random(c.seed)
    model = Model(c)
    opt = torch.optim.AdamW(model.parameters(), lr=c.lr, betas=(0.9, 0.95), weight_decay=0.1)
    t0 = time.time()
    for step in range(1, c.steps + 1):
        for g in opt.param_groups:
            g['lr'] = c.lr * min(1.0, step / 30)
        x, y, w = copy_batch(rng, c.batch, c.length)
        logits = model(x)
        per_token = F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1), reduction='none')
        loss = (per_token * w.reshape(-1)).sum() / w.sum()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % c.every == 0 or step == c.steps:
            acc = (((logits.argmax(-1) == y).float() * w).sum() / w.sum()).item()
            print(f'{c.attn} step {step} copy loss {loss.item():.3f} copy accuracy {acc:.3f} ({time.time() - t0:.0f} s)', flush=True)


if __name__ == '__main__':
    main()
