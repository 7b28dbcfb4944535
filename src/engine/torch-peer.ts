/**
 * PyTorch CPU peer for the attention benchmark: times the same dense MQA computation
 * (scores = q·kvᵀ, causal mask, softmax, · kv[:, :Dv]) in a python3 subprocess when
 * `import torch` works. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are removed from that
 * subprocess's environment only, so the BLAS picks its own best kernels.
 */
import { spawnSync } from 'node:child_process';

export interface TorchPeerRequest {
  mode: 'decode' | 'prefill';
  lengths: number[];
  chunk: number;
  H: number;
  Dqk: number;
  Dv: number;
  threads: number;
  reps: number;
}

export interface TorchPeerResult {
  python: string;
  version: string;
  /** length → median ms of the dense computation */
  ms: Record<number, number>;
  /** how torch computed it: mkldnn_linear (oneDNN) or matmul */
  method: string;
}

const SCRIPT = String.raw`
import json, sys, time, statistics
import torch
req = json.loads(sys.argv[1])
torch.set_num_threads(req["threads"])
H, Dqk, Dv = req["H"], req["Dqk"], req["Dv"]
scale = Dqk ** -0.5
out = {}
methods = {}
g = torch.Generator().manual_seed(0)
Lmax = max(req["lengths"])
kv_all = torch.rand(Lmax, Dqk, generator=g) - 0.5
with torch.no_grad():
    for L in req["lengths"]:
        T = 1 if req["mode"] == "decode" else min(req["chunk"], L)
        q = torch.rand(T * H, Dqk, generator=g) - 0.5
        kv = kv_all[:L]
        v = kv[:, :Dv]
        q0 = L - T
        mask = None
        if T > 1:
            pos = torch.arange(L)
            qpos = (q0 + torch.arange(T)).repeat_interleave(H)
            mask = torch.where(pos[None, :] > qpos[:, None], float("-inf"), 0.0)
        def run_matmul():
            s = torch.matmul(q, kv.t()).mul_(scale)
            if mask is not None:
                s.add_(mask)
            p = torch.softmax(s, dim=-1)
            return torch.matmul(p, v)
        run = run_matmul
        method = "matmul"
        try:
            # oneDNN linear is far faster than this build's generic BLAS matmul; the cache is
            # converted to oneDNN layout once, outside the timed region (favours the peer).
            qm = (q * scale).to_mkldnn()
            kvm = kv.contiguous().to_mkldnn()
            vtm = v.t().contiguous().to_mkldnn()
            def run_mkldnn():
                s = torch._C._nn.mkldnn_linear(qm, kvm, None).to_dense()
                if mask is not None:
                    s.add_(mask)
                p = torch.softmax(s, dim=-1)
                return torch._C._nn.mkldnn_linear(p.to_mkldnn(), vtm, None).to_dense()
            run_mkldnn()
            run = run_mkldnn
            method = "mkldnn_linear"
        except Exception:
            pass
        run()
        ts = []
        budget = time.perf_counter() + 2.0
        for i in range(req["reps"]):
            t0 = time.perf_counter(); run(); ts.append((time.perf_counter() - t0) * 1000)
            if i >= 2 and time.perf_counter() > budget:
                break
        out[str(L)] = statistics.median(ts)
        methods[str(L)] = method
print(json.dumps({"version": torch.__version__, "ms": out, "method": methods}))
`;

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** The first python that can `import torch`, or null. */
export function findTorchPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000, env: cleanEnv() });
    if (r.status === 0) return py;
  }
  return null;
}

/** Runs the peer; returns null (with a reason) when torch is unavailable or the run fails. */
export function runTorchPeer(req: TorchPeerRequest, python?: string | null): TorchPeerResult | { error: string } {
  const py = python === undefined ? findTorchPython() : python;
  if (!py) return { error: 'python3 with torch not found' };
  const r = spawnSync(py, ['-c', SCRIPT, JSON.stringify(req)], { encoding: 'utf8', timeout: 30 * 60_000, env: cleanEnv(), maxBuffer: 1 << 20 });
  if (r.status !== 0) return { error: `torch peer failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-2).join(' ')}` };
  try {
    const j = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { version: string; ms: Record<string, number>; method: Record<string, string> };
    const ms: Record<number, number> = {};
    for (const [k, v] of Object.entries(j.ms)) ms[Number(k)] = v;
    return { python: py, version: j.version, ms, method: [...new Set(Object.values(j.method))].join(',') };
  } catch (e) {
    return { error: `torch peer output unreadable: ${(e as Error).message}` };
  }
}
