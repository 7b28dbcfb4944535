/**
 * Attention benchmark: dense vs sparse (fused DSA) vs indexer-only vs the sparse kernel
 * alone, decode (T = 1 at position L-1) or chunked prefill (T = chunk queries ending at
 * L-1), at DeepSeek-V3.2 shapes by default (128 heads, MLA-MQA 576/512, indexer 64×128,
 * k = 2048). Each row is a median over repeated calls, its GFLOP/s and its fraction of
 * the machine's FMA peak (the engine's FMA-bound micro-kernel on the same SIMD path and
 * thread count), measured two ways: paired (a 10 ms burst right before every timed call, the
 * median of the per-call ratios — contention from other tenants that comes and goes hits a
 * call and its reference alike) and against the best peak seen in the whole run (the
 * conservative reading). One cache of the largest length is allocated and shorter
 * lengths use its prefix, so peak RSS ≈ baseline + cache + scratch.
 */
import { median, mulberry32 } from '../util/stats.js';
import { toBf16 } from './bf16.js';
import {
  denseAttention, dsaAttention, engineInfo, fmaPeak, lightningIndexer, setSimd, sparseAttention,
} from './index.js';
import { blasWarning, runTorchPeer, type TorchBlas, type TorchPath, type TorchPeerResult } from './torch-peer.js';
import type { CacheTensor, SimdPath } from './types.js';

export type BenchAttention = 'dense' | 'sparse' | 'indexer' | 'sparse-kernel';

export interface AttentionBenchOptions {
  mode: 'decode' | 'prefill';
  lengths: number[];
  threads: number;
  /** Query tokens per prefill call (ignored for decode). */
  chunk: number;
  dtype: 'f32' | 'bf16';
  heads: number;
  dqk: number;
  dv: number;
  indexHeads: number;
  indexDim: number;
  topk: number;
  /** Upper bound on timed repetitions per row (at least 3 run; about 1 s per row). */
  reps: number;
  /** 'auto': add the PyTorch column when python3 can import torch. */
  torch: 'auto' | 'off';
  simd: SimdPath | 'auto';
  seed: number;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export const DEFAULT_BENCH: AttentionBenchOptions = {
  mode: 'decode',
  lengths: [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072],
  threads: 1,
  chunk: 16,
  dtype: 'f32',
  heads: 128,
  dqk: 576,
  dv: 512,
  indexHeads: 64,
  indexDim: 128,
  topk: 2048,
  reps: 15,
  torch: 'auto',
  simd: 'auto',
  seed: 1,
};

export interface AttentionBenchRow {
  attention: BenchAttention;
  mode: 'decode' | 'prefill';
  length: number;
  threads: number;
  simd: SimdPath;
  T: number;
  reps: number;
  ms_median: number;
  ms_min: number;
  /** Process CPU time per call (all threads): the work done, whatever else runs on the machine. */
  cpu_ms_median: number;
  gflop: number;
  gflops: number;
  /** Median of the FMA peaks measured right before each timed call (same threads and SIMD path). */
  peak_gflops: number;
  /** Median over the timed calls of (the call's GFLOP/s ÷ the peak measured right before it). */
  peak_fraction: number;
  /** gflops ÷ the best FMA peak seen in the whole run (the conservative reading). */
  best_peak_fraction: number;
  /** GFLOP per CPU-second (all threads together) and its fraction of one core's FMA peak:
   *  the kernel's efficiency while it runs, whatever else shares the machine. */
  gflops_per_cpu_s?: number;
  cpu_peak_fraction?: number;
  /** dense rows: PyTorch CPU median for the same computation at its fastest path, and torch_ms / ms_median. */
  torch_ms_median?: number;
  speedup_vs_torch?: number;
  /** dense rows: the path that gave torch_ms_median, and every path's median (ms). */
  torch_path?: TorchPath;
  torch_paths_ms?: Partial<Record<TorchPath, number>>;
  /** dense rows: process CPU ms per call of torch_path (all threads), and it ÷ cpu_ms_median. */
  torch_cpu_ms_median?: number;
  cpu_speedup_vs_torch?: number;
  /** sparse rows: dense ms_median / sparse ms_median at this length. */
  speedup_vs_dense?: number;
  rss_peak_mb: number;
}

/** The PyTorch peer as the result records it: which torch, which BLAS, which paths won. */
export interface TorchPeerInfo {
  version: string;
  python: string;
  /** The winning paths over all lengths, comma-separated. */
  method: string;
  blas: TorchBlas;
  /** Set when the BLAS makes the plain path slower than torch can be (see blasWarning). */
  warning?: string;
  /** length → paths left out and why. */
  dropped?: TorchPeerResult['dropped'];
}

export interface AttentionBenchResult {
  options: Omit<AttentionBenchOptions, 'log'>;
  simd: SimdPath;
  /** Best FMA peak seen during the run (all threads). */
  peak_gflops: number;
  /** One core's FMA peak (best of two), the reference of cpu_peak_fraction. */
  core_peak_gflops: number;
  baseline_rss_mb: number;
  cache_mb: number;
  torch: TorchPeerInfo | { error: string } | null;
  rows: AttentionBenchRow[];
}

function randomF32(n: number, rnd: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rnd() - 0.5;
  return a;
}

/** Random cache values in (-0.5, 0.5); bf16 is filled in slices so no full fp32 copy is ever held. */
function randomCache(n: number, dtype: 'f32' | 'bf16', rnd: () => number): CacheTensor {
  if (dtype === 'f32') return randomF32(n, rnd);
  const data = new Uint16Array(n);
  const slice = 1 << 16;
  for (let i = 0; i < n; i += slice) {
    const m = Math.min(slice, n - i);
    data.set(toBf16(randomF32(m, rnd)).data, i);
  }
  return { dtype: 'bf16', data };
}

function prefix(t: CacheTensor, n: number): CacheTensor {
  return t instanceof Float32Array ? t.subarray(0, n) : { dtype: 'bf16', data: t.data.subarray(0, n) };
}

const rssMb = () => process.resourceUsage().maxRSS / 1024;

interface Timing {
  median: number;
  min: number;
  cpu: number;
  reps: number;
  /** ms per timed call and the FMA peak (GFLOP/s) measured right before it. */
  ms: number[];
  peaks: number[];
}

/** Wall time and process CPU time (all threads) per call, each call preceded by a short peak burst. */
function timeIt(fn: () => void, maxReps: number, peakBurst: () => number): Timing {
  fn(); // warm-up (page faults, thread start)
  const ts: number[] = [];
  const cpu: number[] = [];
  const peaks: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < maxReps; i++) {
    peaks.push(peakBurst());
    const c = process.cpuUsage();
    const s = performance.now();
    fn();
    ts.push(performance.now() - s);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
    if (ts.length >= 3 && performance.now() - t0 > 1000) break;
  }
  return { median: median(ts), min: Math.min(...ts), cpu: median(cpu), reps: ts.length, ms: ts, peaks };
}

/** Burst length of the paired peak measurement (3 repetitions inside, best taken). */
const BURST_MS = 10;

export function runAttentionBench(opts: AttentionBenchOptions): AttentionBenchResult {
  const log = opts.log ?? (() => undefined);
  const simd = setSimd(opts.simd);
  const { heads: H, dqk: Dqk, dv: Dv, indexHeads: HI, indexDim: DI, topk: K, threads } = opts;
  const baseline = rssMb();
  const Lmax = Math.max(...opts.lengths);
  const Tmax = opts.mode === 'decode' ? 1 : opts.chunk;
  const rnd = mulberry32(opts.seed);
  const kv = randomCache(Lmax * Dqk, opts.dtype, rnd);
  const ik = randomCache(Lmax * DI, opts.dtype, rnd);
  const cacheMb = ((opts.dtype === 'bf16' ? 2 : 4) * Lmax * (Dqk + DI)) / 2 ** 20;
  const q = randomF32(Tmax * H * Dqk, rnd);
  const iq = randomF32(Tmax * HI * DI, rnd);
  const iw = randomF32(Tmax * HI, rnd).map((x) => x * 0.1);

  // On a shared machine the cores' capacity changes within seconds, so besides this long
  // measurement a short burst precedes every timed call (see timeIt) and each call is
  // compared with what the cores gave at that moment.
  let bestPeak = fmaPeak({ threads, ms: 600 });
  // One core's peak, for the CPU-time view: GFLOP per CPU-second (all threads) vs this.
  const corePeak = threads === 1 ? bestPeak : Math.max(fmaPeak({ threads: 1, ms: 300 }), fmaPeak({ threads: 1, ms: 300 }));
  log(`FMA peak (${simd}, ${threads} thread${threads > 1 ? 's' : ''}): ${bestPeak.toFixed(1)} GFLOP/s`);

  const rows: AttentionBenchRow[] = [];
  for (const L of [...opts.lengths].sort((a, b) => a - b)) {
    const T = Math.min(Tmax, L);
    const qStart = L - T;
    const qT = q.subarray(0, T * H * Dqk);
    const base = { q: qT, kv: prefix(kv, L * Dqk), T, H, L, Dqk, Dv, qStart, threads };
    const indexer = { q: iq.subarray(0, T * HI * DI), k: prefix(ik, L * DI), w: iw.subarray(0, T * HI), heads: HI, dim: DI };
    let keys = 0, selected = 0;
    for (let t = 0; t < T; t++) {
      keys += qStart + t + 1;
      selected += Math.min(K, qStart + t + 1);
    }
    const attnFlop = 2 * H * (Dqk + Dv);
    const ixFlop = 2 * HI * DI * keys;
    // Indices for the sparse kernel alone: K distinct positions ≤ qStart + t (strided).
    const idx = new Int32Array(T * K).fill(-1);
    for (let t = 0; t < T; t++) {
      const n = qStart + t + 1;
      const step = Math.max(1, Math.floor(n / K));
      for (let j = 0; j < Math.min(K, n); j++) idx[t * K + j] = (j * step) % n;
    }
    const cases: Array<[BenchAttention, number, () => void]> = [
      ['dense', attnFlop * keys, () => void denseAttention(base)],
      ['sparse', ixFlop + attnFlop * selected, () => void dsaAttention({ ...base, indexer, topk: K })],
      ['indexer', ixFlop, () => void lightningIndexer({ ...indexer, T, L, qStart, threads })],
      ['sparse-kernel', attnFlop * selected, () => void sparseAttention({ ...base, indices: idx, topk: K })],
    ];
    let denseMs = 0;
    const burst = () => fmaPeak({ threads, ms: BURST_MS });
    for (const [attention, flop, fn] of cases) {
      const t = timeIt(fn, opts.reps, burst);
      bestPeak = Math.max(bestPeak, ...t.peaks);
      const gflops = flop / (t.median * 1e6);
      const paired = median(t.ms.map((ms, i) => flop / (ms * 1e6) / t.peaks[i]!));
      const row: AttentionBenchRow = {
        attention, mode: opts.mode, length: L, threads, simd, T, reps: t.reps,
        ms_median: round(t.median, 3), ms_min: round(t.min, 3), cpu_ms_median: round(t.cpu, 3), gflop: round(flop / 1e9, 4),
        gflops: round(gflops, 2), peak_gflops: round(median(t.peaks), 1), peak_fraction: round(paired, 3),
        best_peak_fraction: 0, rss_peak_mb: round(rssMb(), 1),
      };
      row.gflops_per_cpu_s = round(flop / (t.cpu * 1e6), 2);
      row.cpu_peak_fraction = round(flop / (t.cpu * 1e6) / corePeak, 3);
      if (attention === 'dense') denseMs = t.median;
      if (attention === 'sparse') row.speedup_vs_dense = round(denseMs / t.median, 2);
      rows.push(row);
      log(`${opts.mode} L=${L} ${attention}: ${t.median.toFixed(2)} ms, ${gflops.toFixed(1)} GFLOP/s (${(100 * paired).toFixed(0)}% of the paired peak)`);
    }
  }
  for (const row of rows) row.best_peak_fraction = round(row.gflops / bestPeak, 3);

  let torch: AttentionBenchResult['torch'] = null;
  if (opts.torch === 'auto') {
    log('PyTorch peer: timing the same dense computation in python3, every path torch offers …');
    const r = runTorchPeer({ mode: opts.mode, lengths: opts.lengths, chunk: opts.chunk, H, Dqk, Dv, threads, reps: opts.reps });
    if ('error' in r) torch = { error: r.error };
    else {
      torch = torchInfo(r);
      log(torchLine(torch));
      addTorch(rows, r);
    }
  }
  const { log: _log, ...options } = opts;
  return {
    options, simd, peak_gflops: round(bestPeak, 2), core_peak_gflops: round(corePeak, 2), baseline_rss_mb: round(baseline, 1), cache_mb: round(cacheMb, 1), torch, rows,
  };
}

export function torchInfo(r: TorchPeerResult): TorchPeerInfo {
  const info: TorchPeerInfo = { version: r.version, python: r.python, method: r.method, blas: r.blas };
  const w = blasWarning(r.blas);
  if (w) info.warning = w;
  if (Object.keys(r.dropped).length > 0) info.dropped = r.dropped;
  return info;
}

/** Puts the peer's fastest path per length on the dense rows. */
export function addTorch(rows: AttentionBenchRow[], r: TorchPeerResult): void {
  for (const row of rows) {
    const ms = r.ms[row.length];
    if (row.attention !== 'dense' || ms === undefined) continue;
    row.torch_ms_median = round(ms, 3);
    row.speedup_vs_torch = round(ms / row.ms_median, 2);
    row.torch_path = r.path[row.length];
    const all: Partial<Record<TorchPath, number>> = {};
    for (const [p, v] of Object.entries(r.paths[row.length] ?? {}) as Array<[TorchPath, number]>) all[p] = round(v, 3);
    row.torch_paths_ms = all;
    const cpu = row.torch_path ? r.cpu_ms[row.length]?.[row.torch_path] : undefined;
    if (cpu !== undefined) {
      row.torch_cpu_ms_median = round(cpu, 3);
      if (row.cpu_ms_median > 0) row.cpu_speedup_vs_torch = round(cpu / row.cpu_ms_median, 2);
    }
  }
}

/** The header line of the peer: which torch and BLAS, which paths, and the BLAS warning. */
export function torchLine(t: AttentionBenchResult['torch']): string {
  if (t === null) return 'PyTorch peer: off';
  if ('error' in t) return `PyTorch peer: unavailable (${t.error})`;
  const paths = t.dropped ? Object.entries(t.dropped).flatMap(([L, d]) => Object.entries(d).map(([p, why]) => `${p} at L=${L}: ${why}`)) : [];
  return [
    `PyTorch peer: torch ${t.version} (${t.python}, same threads); BLAS: ${t.blas.kind}${t.blas.library ? ` (${t.blas.library}${t.blas.config ? `; ${t.blas.config}` : ''})` : ''}, ` +
      `built with BLAS_INFO=${t.blas.build ?? '?'}; every path timed (matmul through the BLAS, sdpa where torch has it, oneDNN mkldnn_linear), ` +
      `each row takes the fastest ("torch path"; won: ${t.method || 'none'})`,
    ...paths.map((p) => `PyTorch peer: left out ${p}`),
    ...(t.warning ? [t.warning] : []),
  ].join('\n');
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

/** "1K" → 1024, "128k" → 131072, "3000" → 3000; null when not a positive integer length. */
export function parseLength(s: string): number | null {
  const m = /^(\d+)([kKmM]?)$/.exec(s.trim());
  if (!m) return null;
  const n = Number(m[1]) * (m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1024 : 1024 * 1024);
  return n >= 1 ? n : null;
}

/** Markdown table of the rows (for the terminal and BENCHMARKS.md). */
export function formatBenchTable(res: AttentionBenchResult, info: Pick<ReturnType<typeof engineInfo>, 'compiler'> = engineInfo()): string {
  const head = '| mode | L | attention | T | ms (median) | GFLOP/s | paired peak GFLOP/s | % of paired peak | % of best peak | CPU ms | % of core peak per CPU-s | vs dense | torch ms (fastest path) | torch path | vs torch | torch CPU ms | vs torch, CPU time |';
  const sep = '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|';
  const lines = res.rows.map((r) =>
    `| ${r.mode} | ${r.length} | ${r.attention} | ${r.T} | ${r.ms_median.toFixed(2)} | ${r.gflops.toFixed(1)} | ${r.peak_gflops.toFixed(0)} | ${(100 * r.peak_fraction).toFixed(0)}% | ${(100 * r.best_peak_fraction).toFixed(0)}% | ${r.cpu_ms_median.toFixed(1)} | ${(100 * (r.cpu_peak_fraction ?? 0)).toFixed(0)}% | ${r.speedup_vs_dense === undefined ? '' : r.speedup_vs_dense.toFixed(1) + '×'} | ${r.torch_ms_median === undefined ? '' : r.torch_ms_median.toFixed(2)} | ${r.torch_path ?? ''} | ${r.speedup_vs_torch === undefined ? '' : r.speedup_vs_torch.toFixed(2) + '×'} | ${r.torch_cpu_ms_median === undefined ? '' : r.torch_cpu_ms_median.toFixed(1)} | ${r.cpu_speedup_vs_torch === undefined ? '' : r.cpu_speedup_vs_torch.toFixed(2) + '×'} |`,
  );
  return [
    `SIMD path: ${res.simd} (compiler ${info.compiler}); threads: ${res.options.threads}; best FMA peak: ${res.peak_gflops.toFixed(1)} GFLOP/s; % of paired peak = median over calls of the call's GFLOP/s ÷ the peak of a ${BURST_MS} ms burst right before it; % of best peak = vs the best peak of the run; one core: ${res.core_peak_gflops.toFixed(1)} GFLOP/s`,
    `cache (${res.options.dtype}, L=${Math.max(...res.options.lengths)}): ${res.cache_mb.toFixed(1)} MB; RSS baseline ${res.baseline_rss_mb.toFixed(1)} MB, peak ${Math.max(...res.rows.map((r) => r.rss_peak_mb)).toFixed(1)} MB`,
    torchLine(res.torch),
    '',
    head,
    sep,
    ...lines,
  ].join('\n');
}
