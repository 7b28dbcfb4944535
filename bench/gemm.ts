/**
 * sgemm throughput of the native engine on the built-in model's shapes (training projections
 * and their gradients, attention-like products, decode rows), against the machine's FMA peak
 * and, when python3 can import numpy, numpy's matmul (its BLAS) on the same shapes and threads.
 *
 *   npm run build && npm run build:native
 *   node dist/bench/gemm.js [--threads 1,2] [--rounds 3] [--seconds 0.3] [--path avx512|avx2|scalar] [--no-peer] [--json out.json]
 *
 * GFLOP/s = 2·M·N·K / best wall time. Each round times every shape natively (repeating for
 * about --seconds), then numpy on all shapes, then the FMA peak; the best of the rounds is
 * kept for each, so a busy machine during one round does not favour either side.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fmaPeak } from '../src/engine/index.js';
import { loadAddon } from '../src/engine/native.js';
import { mulberry32 } from '../src/util/stats.js';

interface GemmAddon {
  gemm(o: Record<string, unknown>): void;
  gemmInfo(): { path: string; available: string[] };
}

interface Shape { name: string; transA: boolean; transB: boolean; M: number; N: number; K: number }

const SHAPES: Shape[] = [
  { name: 'square 1024³', transA: false, transB: false, M: 1024, N: 1024, K: 1024 },
  { name: 'proj X·Wᵀ [8192x256]·[256x640]', transA: false, transB: true, M: 8192, N: 640, K: 256 },
  { name: 'proj dY·W [8192x640]·[640x256]', transA: false, transB: false, M: 8192, N: 256, K: 640 },
  { name: 'weight grad dYᵀ·X [256x640] K=8192', transA: true, transB: false, M: 256, N: 640, K: 8192 },
  { name: 'weight grad dYᵀ·X [640x256] K=8192', transA: true, transB: false, M: 640, N: 256, K: 8192 },
  { name: 'scores Q·Kᵀ [1024x80]·[80x1024]', transA: false, transB: true, M: 1024, N: 1024, K: 80 },
  { name: 'values P·V [1024x1024]·[1024x80]', transA: false, transB: false, M: 1024, N: 80, K: 1024 },
  { name: 'decode x·Wᵀ M=1 [1x256]·[256x640]', transA: false, transB: true, M: 1, N: 640, K: 256 },
  { name: 'decode M=16 [16x256]·[256x640]', transA: false, transB: true, M: 16, N: 640, K: 256 },
];

const threadsList = arg('threads', '1,2').split(',').map(Number);
const seconds = Number(arg('seconds', '0.3'));
const rounds = Math.max(1, Number(arg('rounds', '3')));
const jsonOut = arg('json', '');
const usePeer = !process.argv.includes('--no-peer');
const addon = loadAddon() as unknown as GemmAddon;
const path = arg('path', addon.gemmInfo().path);

function rand(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() - 0.5;
  return a;
}

/** Best wall-clock seconds of one call, repeating for about `seconds` (at least 3 times). */
function timeNative(s: Shape, threads: number): number {
  const a = rand(s.M * s.K, 1), b = rand(s.K * s.N, 2), c = new Float32Array(s.M * s.N);
  const call = () => addon.gemm({ transA: s.transA, transB: s.transB, M: s.M, N: s.N, K: s.K, a, b, c, threads, path });
  call();
  let best = Infinity, spent = 0, reps = 0;
  while (reps < 3 || spent < seconds) {
    const t0 = process.hrtime.bigint();
    call();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.min(best, dt);
    spent += dt;
    reps++;
  }
  return best;
}

const PEER = String.raw`
import json, sys, time
import numpy as np
req = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
out = []
for s in req["shapes"]:
    a = rng.random((s["K"], s["M"]) if s["transA"] else (s["M"], s["K"]), dtype=np.float32) - 0.5
    b = rng.random((s["N"], s["K"]) if s["transB"] else (s["K"], s["N"]), dtype=np.float32) - 0.5
    A = a.T if s["transA"] else a
    B = b.T if s["transB"] else b
    c = np.empty((s["M"], s["N"]), np.float32)
    np.matmul(A, B, out=c)
    best, spent, reps = 1e9, 0.0, 0
    while reps < 3 or spent < req["seconds"]:
        t = time.perf_counter(); np.matmul(A, B, out=c); dt = time.perf_counter() - t
        best = min(best, dt); spent += dt; reps += 1
    out.append(best)
print(json.dumps({"version": np.__version__, "seconds": out}))
`;
import { arg } from './args.js';

/** numpy's best seconds per shape with `threads` BLAS threads, or null when numpy is missing. */
function timePeer(threads: number): { version: string; seconds: number[] } | null {
  if (!usePeer) return null;
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  delete env.OPENBLAS_CORETYPE;
  const r = spawnSync('python3', ['-c', PEER, JSON.stringify({ shapes: SHAPES, seconds })], { env, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { version: string; seconds: number[] };
  } catch {
    return null;
  }
}

const rows: Array<Record<string, unknown>> = [];
let peerVersion: string | null = null;
for (const threads of threadsList) {
  let peak = 0;
  let peer: { version: string; seconds: number[] } | null = null;
  const best: number[] = SHAPES.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    SHAPES.forEach((s, i) => { best[i] = Math.min(best[i]!, timeNative(s, threads)); });
    const p = timePeer(threads);
    if (p) peer = peer ? { version: p.version, seconds: peer.seconds.map((x, i) => Math.min(x, p.seconds[i]!)) } : p;
    peak = Math.max(peak, fmaPeak({ threads, ms: 300 }));
  }
  if (peer) peerVersion = peer.version;
  process.stdout.write(`\nthreads=${threads}  path=${path}  FMA peak ${peak.toFixed(0)} GFLOP/s  best of ${rounds} rounds` +
    `${peer ? `  peer: numpy ${peer.version}` : '  peer: numpy not available'}\n`);
  process.stdout.write(`${'shape'.padEnd(40)} ${'GFLOP/s'.padStart(8)} ${'%peak'.padStart(6)} ${'numpy'.padStart(8)} ${'ratio'.padStart(6)}\n`);
  SHAPES.forEach((s, i) => {
    const flops = 2 * s.M * s.N * s.K;
    const gf = flops / best[i]! / 1e9;
    const np = peer ? flops / peer.seconds[i]! / 1e9 : null;
    rows.push({ shape: s.name, transA: s.transA, transB: s.transB, M: s.M, N: s.N, K: s.K, threads, path,
      gflops: +gf.toFixed(1), pct_peak: +((100 * gf) / peak).toFixed(1), fma_peak: +peak.toFixed(1),
      numpy_gflops: np === null ? null : +np.toFixed(1) });
    process.stdout.write(`${s.name.padEnd(40)} ${gf.toFixed(1).padStart(8)} ${((100 * gf) / peak).toFixed(0).padStart(5)}% ` +
      `${np === null ? '-'.padStart(8) : np.toFixed(1).padStart(8)} ${np === null ? '-'.padStart(6) : (gf / np).toFixed(2).padStart(6)}\n`);
  });
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ path, rounds, numpy: peerVersion, rows }, null, 2) + '\n');
