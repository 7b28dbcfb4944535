#!/usr/bin/env python3
"""Cross-check of the dsabench native engine against an independent PyTorch computation.

Each case writes a safetensors file with Python's own writer, runs
`dsabench engine run --op <op>` on it (the real CLI, the real addon), reads the result
back and compares it with the same math written in PyTorch (float64; causal masks,
gathers and softmax by torch ops). Ops: dense (MQA and MHA/GQA), sparse, indexer (plain,
FP8-E4M3, Hadamard), topk, dsa. Shapes include L = 1, k >= L, k = 1, T > 1 with
q_start > 0, all keys masked, heavy ties; fp32 and bf16 caches.

Every case runs on each kernel set asked for (--simd; default: every set this CPU runs).
Pass bar: relative error (max |engine - torch| / max |torch|) < 1e-4 for fp32 inputs and
< 2e-2 for bf16 caches against the fp32 truth; top-k indices must be identical. On a kernel
set with bf16 dot products (engine info: bf16Dot) a bf16 cache runs on them: the engine
rounds each scaled query element and each softmax probability to bf16 (unit roundoff
u = 2^-8). Those cases are checked against torch with the same query rounding (everything
else exact): lse and indexer scores to 1e-4 relative (fp32 accumulation only), and every
output element within u * max |v| of its row (the probabilities' rounding, a bound: each
probability moves by at most u of itself and they sum to 1), besides the 2e-2 against the
fp32 truth.

Usage:  /usr/bin/python3 bench/torch_check.py [--seed N] [--simd auto|all|SET[,SET…]] [--verbose]
Needs:  torch (Debian: apt-get install python3-torch), a built engine (npm run build && npm run build:native).
Exit:   0 all cases pass, 1 a case failed.
"""
import argparse
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "bin", "dsabench.js")
DT = {torch.float32: "F32", torch.bfloat16: "BF16", torch.int32: "I32"}
SIZE = {"F32": 4, "BF16": 2, "I32": 4}

# ---- safetensors (independent of the engine's TypeScript reader/writer) ----------------

def write_st(path, tensors, meta):
    header, blobs, off = {"__metadata__": {k: str(v) for k, v in meta.items()}}, [], 0
    for name, t in tensors.items():
        t = t.contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": DT[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_st(path):
    with open(path, "rb") as f:
        buf = f.read()
    n = struct.unpack("<Q", buf[:8])[0]
    header = json.loads(buf[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        raw = bytearray(buf[8 + n + b: 8 + n + end])
        dtype = {"F32": torch.float32, "I32": torch.int32}[e["dtype"]]
        out[name] = torch.frombuffer(raw, dtype=dtype).reshape(e["shape"]).clone()
    return out

# ---- the math, in PyTorch --------------------------------------------------------------

def attention(q, k, v, scale, allowed):
    """q [T,H,D], k [T,H,S,D], v [T,H,S,Dv], allowed [T,H,S] bool → out [T,H,Dv], lse [T,H]."""
    s = torch.einsum("thd,thsd->ths", q, k) * scale
    s = s.masked_fill(~allowed, float("-inf"))
    lse = torch.logsumexp(s, dim=-1)
    p = torch.softmax(s, dim=-1).nan_to_num(0.0)   # a row with nothing allowed → 0
    return torch.einsum("ths,thsd->thd", p, v), lse


def expand_kv(c, H):
    """Per-head key/value rows: MQA kv [L,D] or MHA k [L,Hkv,D] → [H,L,D]."""
    if c.dim() == 2:
        return c.unsqueeze(0).expand(H, -1, -1)
    return c.permute(1, 0, 2).repeat_interleave(H // c.shape[1], dim=0)


def dense_ref(q, k, v, q_start, scale, causal=True):
    T, H, _ = q.shape
    K, V = expand_kv(k, H), expand_kv(v, H)
    L = K.shape[1]
    pos = torch.arange(L)
    allowed = (pos[None, :] <= (q_start + torch.arange(T))[:, None]) if causal else torch.ones(T, L, dtype=torch.bool)
    allowed = allowed[:, None, :].expand(T, H, L)
    return attention(q, K.unsqueeze(0).expand(T, -1, -1, -1), V.unsqueeze(0).expand(T, -1, -1, -1), scale, allowed)


def sparse_ref(q, k, v, idx, scale):
    T, H, _ = q.shape
    K, V = expand_kv(k, H), expand_kv(v, H)
    safe = idx.clamp(min=0).long()
    Kg = K[:, safe, :].permute(1, 0, 2, 3)  # [T,H,k,D]
    Vg = V[:, safe, :].permute(1, 0, 2, 3)
    allowed = (idx >= 0)[:, None, :].expand(T, H, idx.shape[1])
    return attention(q, Kg, Vg, scale, allowed)


def e4m3(y):
    a = y.abs()
    E = torch.floor(torch.log2(a.clamp(min=1e-30))).clamp(min=-6)
    qn = torch.pow(2.0, E - 3)
    r = (torch.round(a / qn) * qn).clamp(max=448.0)   # torch.round: half to even
    r = torch.where(a >= 448, torch.full_like(a, 448.0), r)
    return torch.where(a == 0, y, torch.sign(y) * r)


def fp8_sim(x):
    """Per row, blocks of 128 along the last dim; scale = amax/448 rounded up to 2^n (fp32)."""
    x = x.float()
    out = x.clone()
    for b in range(0, x.shape[-1], 128):
        blk = x[..., b:b + 128]
        amax = blk.abs().amax(dim=-1, keepdim=True).clamp(min=torch.tensor(1e-4, dtype=torch.float32))
        s = amax / 448.0
        scale = torch.pow(2.0, torch.ceil(torch.log2(s.double()))).float()
        out[..., b:b + 128] = (e4m3((blk / scale).double()) * scale.double()).float()
    return out


def hadamard(x):
    n = x.shape[-1]
    h = torch.ones(1, 1, dtype=torch.float64)
    while h.shape[0] < n:
        h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
    return (x.double() @ h / math.sqrt(n)).float()


def indexer_ref(iq, ik, iw, q_start, fp8=False, had=False):
    T, L = iq.shape[0], ik.shape[0]
    q, k = iq.float(), ik.float()
    if had:
        q, k = hadamard(q), hadamard(k)
    if fp8:
        q, k = fp8_sim(q), fp8_sim(k)
    s = (torch.einsum("thd,ld->thl", q.double(), k.double()).relu() * iw.double()[:, :, None]).sum(1)
    mask = torch.arange(L)[None, :] > (q_start + torch.arange(T))[:, None]
    return s.masked_fill(mask, float("-inf"))


def topk_ref(scores, k):
    T, L = scores.shape
    out = torch.full((T, k), -1, dtype=torch.int32)
    for t in range(T):
        row = scores[t]
        order = torch.sort(-row.double(), stable=True).indices   # ties keep the lower position first
        order = order[torch.isfinite(row[order]) | (row[order] == float("inf"))][:k]
        out[t, :len(order)] = order.int()
    return out

# ---- harness ---------------------------------------------------------------------------

def rel_err(a, b):
    a, b = a.double(), b.double()
    fa, fb = torch.isfinite(a), torch.isfinite(b)
    if not torch.equal(fa, fb) or not torch.equal(a[~fb], b[~fb]):
        return float("inf")
    if not fb.any():
        return 0.0
    return ((a - b)[fb].abs().max() / b[fb].abs().max().clamp(min=1e-30)).item()


SIMD = "auto"   # the kernel set every engine run uses (set per pass in main)


def engine_info():
    r = subprocess.run(["node", BIN, "engine", "info"], capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def run_engine(op, tensors, meta, tmp):
    src, dst = os.path.join(tmp, "in.safetensors"), os.path.join(tmp, "out.safetensors")
    write_st(src, tensors, meta)
    r = subprocess.run(["node", BIN, "engine", "run", "--op", op, "--in", src, "--out", dst, "--simd", SIMD],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"engine run --op {op} failed: {r.stderr.strip()}")
    return read_st(dst)


def bf16_round(x):
    return x.to(torch.bfloat16)


U_BF16 = 2.0 ** -8


def bf16_queries(q, scale):
    """The scaled query as the bf16 dot-product path uses it: fp32(q*scale) rounded to bf16
    (nearest even), returned as float64 with the scale folded in (use scale 1 afterwards)."""
    return (q.float() * torch.tensor(scale, dtype=torch.float32)).to(torch.bfloat16).double()


def row_bound_excess(out, ref, v_rows_max):
    """max over elements of |out - ref| - u * max|v| of the element's (t, h) row - slack;
    <= 0 when every element is within its bound. v_rows_max [T, H]."""
    slack = 1e-5 * ref.abs().max().item()
    return ((out.double() - ref).abs() - U_BF16 * v_rows_max.unsqueeze(-1) - slack).max().item()


def vmax_rows(v, idx_or_none, T, H, q_start, L):
    """max |v| over the keys each (t, h) row attends to (v: [H, L, Dv] per head)."""
    out = torch.zeros(T, H, dtype=torch.float64)
    for t in range(T):
        keys = (idx_or_none[t][idx_or_none[t] >= 0].long() if idx_or_none is not None
                else torch.arange(min(L, q_start + t + 1)))
        if len(keys) > 0:
            out[t] = v[:, keys, :].abs().amax(dim=(1, 2))
    return out


def main():
    global SIMD
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--simd", default="all", help="auto | all (every set this CPU runs) | a comma list")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    info = engine_info()
    paths = info["available"] if args.simd == "all" else args.simd.split(",")
    results = []
    for path in paths:
        SIMD = path
        dot = (info["best"] if path == "auto" else path) in info["bf16Dot"]
        print(f"== kernel set {path}{' (bf16 caches on bf16 dot products)' if dot else ''}")
        results += check_all(args.seed, dot)
    n_fail = results.count(False)
    print(f"\n{len(results) - n_fail}/{len(results)} cases pass over {len(paths)} kernel set(s) {', '.join(paths)} (torch {torch.__version__})")
    return 1 if n_fail else 0


def check_all(seed, dot):
    """Every case on the current kernel set; dot: bf16 caches run on bf16 dot products."""
    g = torch.Generator().manual_seed(seed)
    rnd = lambda *s: torch.rand(*s, generator=g, dtype=torch.float32) * 2 - 1
    results = []

    def check(name, err, tol):
        ok = err < tol
        results.append(ok)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: rel err {err:.2e} (tol {tol:g})")

    def check_bound(name, excess, ratio):
        """excess: max(|err| - bound) over elements (<= 0 passes); ratio: max |err| / bound."""
        ok = excess <= 0
        results.append(ok)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: max |err| / bound {ratio:.3f}")

    def check_dot(name, o, q, kr, vr, idx, qs, scale):
        """A bf16-cache case on bf16 dot products: against torch with the same bf16 queries."""
        T, H, _ = q.shape
        qd = bf16_queries(q, scale)
        ro, rl = sparse_ref(qd, kr, vr, idx, 1.0) if idx is not None else dense_ref(qd, kr, vr, qs, 1.0)
        check(f"{name} lse vs bf16 queries", rel_err(o["lse"], rl), 1e-4)
        V = expand_kv(vr, H)
        vm = vmax_rows(V, idx, T, H, qs, V.shape[1])
        ratio = ((o["out"].double() - ro).abs() / (U_BF16 * vm.unsqueeze(-1)).clamp(min=1e-30)).max().item()
        check_bound(f"{name} out within u*max|v| of bf16 queries", row_bound_excess(o["out"], ro, vm), ratio)

    with tempfile.TemporaryDirectory() as tmp:
        # dense and sparse, MQA (MLA-style value = first Dv dims) and MHA/GQA, fp32 and bf16
        shapes = [
            dict(T=1, H=16, L=1, Dqk=64, Dv=48, q_start=0),            # L = 1
            dict(T=1, H=128, L=700, Dqk=72, Dv=64, q_start=699),       # decode
            dict(T=6, H=8, L=300, Dqk=40, Dv=24, q_start=120),         # T > 1 with q_start > 0
            dict(T=4, H=8, L=90, Dqk=16, Dv=16, q_start=20, Hkv=2),    # GQA
            dict(T=3, H=4, L=40, Dqk=12, Dv=12, q_start=37, Hkv=4),    # MHA
        ]
        for sh in shapes:
            T, H, L, Dqk, Dv, qs = sh["T"], sh["H"], sh["L"], sh["Dqk"], sh["Dv"], sh["q_start"]
            scale = 0.7 / math.sqrt(Dqk)
            q = rnd(T, H, Dqk)
            mha = "Hkv" in sh
            if mha:
                k32, v32 = rnd(L, sh["Hkv"], Dqk), rnd(L, sh["Hkv"], Dv)
            else:
                kv32 = rnd(L, Dqk)
            for bf in (False, True):
                tag = f"{'MHA' if mha else 'MQA'} T={T} H={H} L={L} {'bf16' if bf else 'fp32'}"
                if mha:
                    k_in, v_in = (bf16_round(k32), bf16_round(v32)) if bf else (k32, v32)
                    tens = {"q": q, "k": k_in, "v": v_in}
                    kr, vr = k32.double(), v32.double()                  # fp32 truth
                else:
                    kv_in = bf16_round(kv32) if bf else kv32
                    tens = {"q": q, "kv": kv_in}
                    kr, vr = kv32.double(), kv32[:, :Dv].double()
                meta = {"q_start": qs, "scale": repr(scale), "dv": Dv, "threads": 2}
                tol = 2e-2 if bf else 1e-4
                o = run_engine("dense", tens, meta, tmp)
                ro, rl = dense_ref(q.double(), kr, vr, qs, scale)
                check(f"dense  {tag}", max(rel_err(o["out"], ro), rel_err(o["lse"], rl)), tol)
                kb = (k_in.double(), v_in.double()) if mha else (kv_in.double(), kv_in[:, :Dv].double())
                if bf and dot:
                    check_dot(f"dense  {tag}", o, q, kb[0], kb[1], None, qs, scale)
                for k in (1, 7, L + 5):                                   # k = 1, k >= L
                    idx = torch.randint(-1, L, (T, k), generator=g, dtype=torch.int32)
                    if T > 1:
                        idx[0, :] = -1                                    # query 0: all keys masked
                    o = run_engine("sparse", {**tens, "indices": idx}, meta, tmp)
                    ro, rl = sparse_ref(q.double(), kr, vr, idx, scale)
                    err = max(rel_err(o["out"], ro), rel_err(o["lse"], rl))
                    if T > 1 and (not (o["out"][0] == 0).all() or not torch.isinf(o["lse"][0]).all()):
                        err = float("inf")
                    check(f"sparse {tag} k={k}", err, tol)
                    if bf and dot:
                        check_dot(f"sparse {tag} k={k}", o, q, kb[0], kb[1], idx, qs, scale)

        # indexer (plain / fp8 / hadamard / both) and top-k incl. heavy ties
        for (T, L, HI, DI, qs) in [(1, 1, 4, 128, 0), (1, 2000, 64, 128, 1999), (5, 300, 8, 128, 200)]:
            iq, ik, iw = rnd(T, HI, DI), rnd(L, DI), rnd(T, HI)
            for fp8, had in [(False, False), (True, False), (False, True), (True, True)]:
                o = run_engine("indexer", {"index_q": iq, "index_k": ik, "index_w": iw},
                               {"q_start": qs, "fp8": fp8, "hadamard": had, "threads": 2}, tmp)
                ref = indexer_ref(iq, ik, iw, qs, fp8, had)
                # (fp8 after a Hadamard computed in another summation order could, rarely, round
                # an element to the neighbouring fp8 value; with these seeds it does not.)
                check(f"indexer T={T} L={L} fp8={fp8} hadamard={had}", rel_err(o["scores"], ref), 1e-4)
            # bf16 keys: exact widening, or (bf16 dot products) the query rounded to bf16 too
            ikb = bf16_round(ik)
            o = run_engine("indexer", {"index_q": iq, "index_k": ikb, "index_w": iw}, {"q_start": qs, "threads": 2}, tmp)
            ref = indexer_ref(bf16_round(iq).float() if dot else iq, ikb.float(), iw, qs)
            check(f"indexer T={T} L={L} bf16 keys{' (bf16 queries)' if dot else ''}", rel_err(o["scores"], ref), 1e-4)
            for k in (1, 16, L, L + 3):
                ties = torch.randint(0, 3, (T, L), generator=g).float()         # heavy ties
                ties[:, ::7] = float("-inf")
                o = run_engine("topk", {"scores": ties}, {"topk": k}, tmp)
                same = torch.equal(o["indices"], topk_ref(ties, k))
                check(f"topk   T={T} L={L} k={k} (ties)", 0.0 if same else float("inf"), 1e-4)

        # fused DSA: selection = top-k of the indexer, output = sparse attention over it
        for (T, H, L, qs, k, bf) in [(1, 32, 600, 599, 64, False), (4, 16, 200, 150, 16, True), (2, 8, 50, 40, 64, False)]:
            Dqk, Dv, HI, DI = 48, 32, 8, 64
            q, kv32 = rnd(T, H, Dqk), rnd(L, Dqk)
            iq, ik, iw = rnd(T, HI, DI), rnd(L, DI), rnd(T, HI)
            kv_in = bf16_round(kv32) if bf else kv32
            o = run_engine("dsa", {"q": q, "kv": kv_in, "index_q": iq, "index_k": ik, "index_w": iw},
                           {"q_start": qs, "topk": k, "dv": Dv, "threads": 2}, tmp)
            scores = indexer_ref(iq, ik, iw, qs)
            want = topk_ref(scores, k)
            kr = kv_in.double()
            name = f"dsa    T={T} H={H} L={L} k={k} {'bf16' if bf else 'fp32'}{' (dense: L<=k)' if qs + T <= k else ''}"
            same = torch.equal(o["indices"], want) or qs + T <= k
            if bf and dot:
                check(f"{name} indices", 0.0 if same else float("inf"), 1e-4)
                check_dot(name, o, q, kr, kr[:, :Dv], None if qs + T <= k else want, qs, 1 / math.sqrt(Dqk))
                continue
            ro, rl = sparse_ref(q.double(), kr, kr[:, :Dv], want, 1 / math.sqrt(Dqk))
            if qs + T <= k:
                ro, rl = dense_ref(q.double(), kr, kr[:, :Dv], qs, 1 / math.sqrt(Dqk))
            err = max(rel_err(o["out"], ro), rel_err(o["lse"], rl)) if same else float("inf")
            check(name, err, 1e-4)

    return results


if __name__ == "__main__":
    sys.exit(main())
