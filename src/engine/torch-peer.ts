/**
 * PyTorch CPU peer for the attention benchmark: times the same dense MQA computation
 * (scores = q·kvᵀ, causal mask, softmax, · kv[:, :Dv]) in a python3 subprocess when
 * `import torch` works.
 *
 * A peer is only a fair reference at its best: every path this torch offers is timed, in
 * alternating rounds so load on a shared machine hits them alike, and each length takes the
 * fastest path whose output agrees with the plain one —
 *   matmul         q @ kvᵀ and p @ v through the BLAS torch links (sgemm);
 *   sdpa           F.scaled_dot_product_attention (torch ≥ 2.0);
 *   mkldnn_linear  oneDNN's linear on tensors converted to its layout outside the timed region.
 * Which BLAS the plain path runs on decides its speed (Debian's python3-torch calls the
 * system libblas.so.3: the reference BLAS unless libopenblas0-pthread is installed, several
 * times slower), so the peer reports the library it actually loaded, read from the process's
 * memory map, next to torch's own build setting (torch.__config__.show()), and the bench warns
 * about the reference BLAS.
 *
 * OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are removed from the subprocess's environment, so the
 * BLAS picks its own best kernels; the BLAS and OpenMP thread counts are set to the bench's
 * thread count, so a multi-threaded BLAS does not get more cores than the engine.
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

/** The paths the peer can time; which exist depends on the torch build. */
export type TorchPath = 'matmul' | 'sdpa' | 'mkldnn_linear';

/** Which BLAS implementation a torch process runs its plain matmul on. */
export type BlasKind = 'openblas' | 'mkl' | 'blis' | 'atlas' | 'reference' | 'unknown';

export interface TorchBlas {
  /** From the library the process loaded (see blasKind). */
  kind: BlasKind;
  /** Path of the loaded BLAS library, or null when none was found in the process's map. */
  library: string | null;
  /** OpenBLAS's configuration string (e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH … SkylakeX"), when it is OpenBLAS. */
  config?: string;
  /** torch.__config__.show()'s BLAS_INFO (what torch was built against, e.g. "generic"). */
  build: string | null;
}

export interface TorchPeerResult {
  python: string;
  version: string;
  blas: TorchBlas;
  /** length → median ms of the fastest agreeing path. */
  ms: Record<number, number>;
  /** length → the path that gave `ms`. */
  path: Record<number, TorchPath>;
  /** length → median ms of every path timed. */
  paths: Record<number, Partial<Record<TorchPath, number>>>;
  /**
   * length → median process CPU ms per call of every path (all threads): the work done,
   * whatever else runs on the machine; comparable with the engine's CPU ms on one thread
   * (with more, idle BLAS/OpenMP threads that spin count as work).
   */
  cpu_ms: Record<number, Partial<Record<TorchPath, number>>>;
  /** length → paths left out, with why (output disagreed, path failed). */
  dropped: Record<number, Partial<Record<TorchPath, string>>>;
  /** The winning paths over all lengths, comma-separated (e.g. "matmul" or "matmul,mkldnn_linear"). */
  method: string;
}

const SCRIPT = String.raw`
import json, re, sys, time, statistics
import torch
req = json.loads(sys.argv[1])
torch.set_num_threads(req["threads"])
H, Dqk, Dv = req["H"], req["Dqk"], req["Dv"]
scale = Dqk ** -0.5

def loaded_blas():
    # The BLAS libraries this process mapped (libblas.so.3 resolves through the system's
    # alternatives; torch's build setting cannot tell which one), each probed for the
    # version functions that OpenBLAS, MKL and BLIS export.
    import ctypes
    paths = []
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            p = parts[5] if len(parts) >= 6 else ""
            name = p.rsplit("/", 1)[-1].lower()
            if any(s in name for s in ("blas", "mkl_rt", "mkl_core", "blis", "atlas")) and p not in paths:
                paths.append(p)
    libs = []
    for p in paths:
        probe, config = None, None
        try:
            lib = ctypes.CDLL(p)
            if hasattr(lib, "openblas_get_config"):
                lib.openblas_get_config.restype = ctypes.c_char_p
                probe, config = "openblas", lib.openblas_get_config().decode()
            elif hasattr(lib, "mkl_get_version_string"):
                probe = "mkl"
            elif hasattr(lib, "bli_info_get_version_str"):
                probe = "blis"
        except Exception:
            pass
        libs.append({"path": p, "probe": probe, "config": config})
    return libs

m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
build = m.group(1) if m else None

g = torch.Generator().manual_seed(0)
Lmax = max(req["lengths"])
kv_all = torch.rand(Lmax, Dqk, generator=g) - 0.5
out, cpu, dropped = {}, {}, {}
sdpa = getattr(torch.nn.functional, "scaled_dot_product_attention", None)
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
        paths = {}
        def run_matmul():
            s = torch.matmul(q, kv.t()).mul_(scale)
            if mask is not None:
                s.add_(mask)
            p = torch.softmax(s, dim=-1)
            return torch.matmul(p, v)
        paths["matmul"] = run_matmul
        if sdpa is not None:
            q3, k3, v3 = q[None], kv[None], v[None]
            m3 = None if mask is None else mask[None]
            paths["sdpa"] = lambda: sdpa(q3, k3, v3, attn_mask=m3)[0]
        if torch.backends.mkldnn.is_available():
            try:
                qm = (q * scale).to_mkldnn()
                kvm = kv.contiguous().to_mkldnn()
                vtm = v.t().contiguous().to_mkldnn()
                def run_mkldnn():
                    s = torch._C._nn.mkldnn_linear(qm, kvm, None).to_dense()
                    if mask is not None:
                        s.add_(mask)
                    p = torch.softmax(s, dim=-1)
                    return torch._C._nn.mkldnn_linear(p.to_mkldnn(), vtm, None).to_dense()
                paths["mkldnn_linear"] = run_mkldnn
            except Exception as e:
                dropped.setdefault(str(L), {})["mkldnn_linear"] = "unavailable: " + str(e).split("\n")[0][:120]
        ref = run_matmul()
        for name in list(paths):
            if name == "matmul":
                continue
            try:
                o = paths[name]()
                err = float((o - ref).abs().max() / ref.abs().max().clamp_min(1e-30))
                if not err < 1e-3:
                    raise ValueError("output differs from the plain matmul path (max rel. error %.2g)" % err)
            except Exception as e:
                dropped.setdefault(str(L), {})[name] = str(e).split("\n")[0][:160]
                del paths[name]
        ts = {name: [] for name in paths}
        cs = {name: [] for name in paths}
        names = list(paths)
        budget = time.perf_counter() + 2.0 * len(names)
        for i in range(req["reps"]):
            # Rotate the order each round: no path always runs right after another.
            for j in range(len(names)):
                name = names[(i + j) % len(names)]
                c0 = time.process_time(); t0 = time.perf_counter()
                paths[name]()
                ts[name].append((time.perf_counter() - t0) * 1000); cs[name].append((time.process_time() - c0) * 1000)
            if i >= 2 and time.perf_counter() > budget:
                break
        out[str(L)] = {name: statistics.median(v) for name, v in ts.items()}
        cpu[str(L)] = {name: statistics.median(v) for name, v in cs.items()}
print(json.dumps({"version": torch.__version__, "blas": {"libraries": loaded_blas(), "build": build}, "ms": out, "cpu_ms": cpu, "dropped": dropped}))
`;

/** One mapped BLAS library as the script reports it. */
export interface BlasLibrary {
  path: string;
  /** The implementation its exported version function names (openblas_get_config, …), if any. */
  probe: 'openblas' | 'mkl' | 'blis' | null;
  /** OpenBLAS's own configuration string (version, kernel target, threads). */
  config: string | null;
}

/**
 * The BLAS implementation of a mapped library: its exported version function first, else
 * its path. Debian's reference BLAS (netlib) is …/blas/libblas.so.3* and exports none of
 * them; a bare libblas.so elsewhere could be anything, so it stays 'unknown'.
 */
export function blasKind(lib: BlasLibrary | null): BlasKind {
  if (!lib) return 'unknown';
  if (lib.probe) return lib.probe;
  const p = lib.path.toLowerCase();
  if (p.includes('openblas')) return 'openblas';
  if (p.includes('mkl')) return 'mkl';
  if (p.includes('blis')) return 'blis';
  if (p.includes('atlas')) return 'atlas';
  if (/\/blas\/libblas\.so|librefblas/.test(p)) return 'reference';
  return 'unknown';
}

/** A line to print when the plain matmul path runs on a slow BLAS; null when it does not. */
export function blasWarning(blas: TorchBlas): string | null {
  if (blas.kind === 'reference') {
    return (
      `warning: torch's matmul runs on the reference BLAS (${blas.library}), several times slower than an optimised one; ` +
      'the PyTorch column is then not torch at its best. Install OpenBLAS (Debian: apt-get install libopenblas0-pthread) and rerun.'
    );
  }
  if (blas.kind === 'unknown') {
    return `warning: could not tell which BLAS torch's matmul runs on (loaded: ${blas.library ?? 'none found'}; build BLAS_INFO=${blas.build ?? '?'}).`;
  }
  return null;
}

interface PeerJson {
  version: string;
  blas: { libraries: BlasLibrary[]; build: string | null };
  ms: Record<string, Record<string, number>>;
  cpu_ms?: Record<string, Record<string, number>>;
  dropped?: Record<string, Record<string, string>>;
}

const PATHS: readonly TorchPath[] = ['matmul', 'sdpa', 'mkldnn_linear'];

/** Reads the script's last stdout line into a result: the fastest agreeing path per length. */
export function parseTorchPeerOutput(stdout: string, python: string): TorchPeerResult {
  const j = JSON.parse(stdout.trim().split('\n').pop() ?? '') as PeerJson;
  // The reference BLAS may come in beside an optimised one (LAPACK's dependency): an
  // optimised library wins the lookup, since the dynamic linker binds sgemm to the first.
  const libs = j.blas.libraries ?? [];
  const lib = libs.find((l) => blasKind(l) !== 'reference' && blasKind(l) !== 'unknown') ?? libs.find((l) => blasKind(l) === 'reference') ?? libs[0] ?? null;
  const blas: TorchBlas = { kind: blasKind(lib), library: lib?.path ?? null, build: j.blas.build ?? null };
  if (lib?.config) blas.config = lib.config;
  const res: TorchPeerResult = { python, version: j.version, blas, ms: {}, path: {}, paths: {}, cpu_ms: {}, dropped: {}, method: '' };
  for (const [k, byPath] of Object.entries(j.ms)) {
    const L = Number(k);
    const timed: Partial<Record<TorchPath, number>> = {};
    for (const p of PATHS) if (typeof byPath[p] === 'number' && Number.isFinite(byPath[p])) timed[p] = byPath[p];
    const best = (Object.entries(timed) as Array<[TorchPath, number]>).reduce<[TorchPath, number] | null>((a, b) => (a === null || b[1] < a[1] ? b : a), null);
    res.paths[L] = timed;
    const cpu: Partial<Record<TorchPath, number>> = {};
    for (const p of PATHS) {
      const c = j.cpu_ms?.[k]?.[p];
      if (typeof c === 'number' && Number.isFinite(c)) cpu[p] = c;
    }
    res.cpu_ms[L] = cpu;
    if (best) {
      res.ms[L] = best[1];
      res.path[L] = best[0];
    }
    const d = j.dropped?.[k];
    if (d) res.dropped[L] = d as Partial<Record<TorchPath, string>>;
  }
  res.method = [...new Set(Object.values(res.path))].join(',');
  return res;
}

function peerEnv(threads?: number): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  if (threads !== undefined) {
    for (const v of ['OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS', 'BLIS_NUM_THREADS']) env[v] = String(threads);
  }
  return env;
}

/** The first python that can `import torch`, or null. */
export function findTorchPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000, env: peerEnv() });
    if (r.status === 0) return py;
  }
  return null;
}

/** Runs the peer; returns an error (with a reason) when torch is unavailable or the run fails. */
export function runTorchPeer(req: TorchPeerRequest, python?: string | null): TorchPeerResult | { error: string } {
  const py = python === undefined ? findTorchPython() : python;
  if (!py) return { error: 'python3 with torch not found (Debian: apt-get install python3-torch libopenblas0-pthread)' };
  const r = spawnSync(py, ['-c', SCRIPT, JSON.stringify(req)], { encoding: 'utf8', timeout: 30 * 60_000, env: peerEnv(req.threads), maxBuffer: 1 << 20 });
  if (r.status !== 0) return { error: `torch peer failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-2).join(' ')}` };
  try {
    return parseTorchPeerOutput(r.stdout, py);
  } catch (e) {
    return { error: `torch peer output unreadable: ${(e as Error).message}` };
  }
}
