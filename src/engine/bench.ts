/**
 * Attention benchmark: dense vs sparse (fused DSA) vs indexer-only vs the sparse kernel
 * alone, decode (T = 1 at position L-1) or chunked prefill (T = chunk queries ending at
 * L-1), at DeepSeek-V3.2 shapes by default (128 heads, MLA-MQA 576/512, indexer 64×128,
 * k = 2048), for each cache dtype asked (fp32, bf16). Each row is a median over repeated
 * calls, its GFLOP/s and its fraction of the peak of the arithmetic it ran on: the fp32 FMA
 * peak for fp32 arithmetic (fp32 caches, and bf16 caches widened to fp32), the bf16
 * dot-product peak (vdpbf16ps) for a bf16 cache on a kernel set with bf16 dot products —
 * each the engine's bound micro-kernel on the same SIMD path and thread count — measured
 * two ways: paired (a 10 ms burst right before every timed call, the median of the per-call
 * ratios — contention from other tenants that comes and goes hits a call and its reference
 * alike) and against the best peak of that kind seen in the whole run (the conservative
 * reading). bf16 rows also give their speed against the fp32 row of the same case and
 * length in the same run. One cache per dtype of the largest length is allocated and
 * shorter lengths use its prefix; outputs are written into buffers allocated once per length
 * (as a decode loop would), so peak RSS ≈ baseline + caches + scratch.
 */
import { median, mulberry32 } from '../util/stats.js';
import { toBf16 } from './bf16.js';
import {
  denseAttention, dsaAttention, engineInfo, fmaPeak, lightningIndexer, setSimd, sparseAttention,
} from './index.js';
import { blasWarning, runTorchPeer, type TorchBlas, type TorchPath, type TorchPeerResult } from './torch-peer.js';
import type { CacheTensor, SimdPath } from './types.js';

export type BenchAttention = 'dense' | 'sparse' | 'indexer' | 'sparse-kernel';
export type BenchDtype = 'f32' | 'bf16';
/** The arithmetic a row ran on, and so the peak it is measured against. */
export type BenchArithmetic = 'fp32' | 'bf16-dot';

export interface AttentionBenchOptions {
  mode: 'decode' | 'prefill';
  lengths: number[];
  threads: number;
  /** Query tokens per prefill call (ignored for decode). */
  chunk: number;
  /** Cache dtypes, each timed in turn at every length (bf16 rows compare with f32 ones when both run). */
  dtypes: BenchDtype[];
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
  dtypes: ['f32'],
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
  dtype: BenchDtype;
  /** fp32: fp32 FMAs (fp32 caches, bf16 widened); bf16-dot: bf16 dot products (peak_gflops is theirs). */
  arithmetic: BenchArithmetic;
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
  /** sparse rows: dense ms_median / sparse ms_median at this length (same dtype). */
  speedup_vs_dense?: number;
  /** bf16 rows: the f32 row of the same case and length, its ms_median / this ms_median. */
  speedup_vs_f32?: number;
  /** bf16 sparse rows: the f32 dense ms_median at this length / this ms_median. */
  speedup_vs_dense_f32?: number;
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
  /** Best bf16 dot-product peak seen during the run, when a row ran on bf16 dot products. */
  dot_peak_gflops?: number;
  /** One core's FMA peak (best of two), the reference of cpu_peak_fraction (fp32 rows). */
  core_peak_gflops: number;
  /** One core's bf16 dot-product peak, the reference of cpu_peak_fraction on bf16-dot rows. */
  core_dot_peak_gflops?: number;
  baseline_rss_mb: number;
  /** All caches together (every dtype). */
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

interface BenchInputs {
  kv: Partial<Record<BenchDtype, CacheTensor>>;
  ik: Partial<Record<BenchDtype, CacheTensor>>;
  q: Float32Array; iq: Float32Array; iw: Float32Array;
}

/** The peaks of one kind of arithmetic: the best seen, one core's, and a burst before a call. */
interface PeakRef {
  best: number;
  core: number;
  burst: () => number;
}

function peakRef(threads: number, bf16Dot: boolean): PeakRef {
  const best = fmaPeak({ threads, ms: 600, bf16Dot });
  const core = threads === 1 ? best : Math.max(fmaPeak({ threads: 1, ms: 300, bf16Dot }), fmaPeak({ threads: 1, ms: 300, bf16Dot }));
  return { best, core, burst: () => fmaPeak({ threads, ms: BURST_MS, bf16Dot }) };
}

/** The four cases at one length and dtype: [name, FLOP, call]. */
function benchCases(opts: AttentionBenchOptions, inp: BenchInputs, L: number, dtype: BenchDtype): Array<[BenchAttention, number, () => void]> {
  const { heads: H, dqk: Dqk, dv: Dv, indexHeads: HI, indexDim: DI, topk: K, threads } = opts;
  const T = Math.min(opts.mode === 'decode' ? 1 : opts.chunk, L);
  const qStart = L - T;
  // outputs allocated once per length and reused by every call (see AttentionCommon.out)
  const out = new Float32Array(T * H * Dv), lse = new Float32Array(T * H), scores = new Float32Array(T * L);
  const base = { q: inp.q.subarray(0, T * H * Dqk), kv: prefix(inp.kv[dtype]!, L * Dqk), T, H, L, Dqk, Dv, qStart, threads, out, lse };
  const indexer = { q: inp.iq.subarray(0, T * HI * DI), k: prefix(inp.ik[dtype]!, L * DI), w: inp.iw.subarray(0, T * HI), heads: HI, dim: DI };
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
  return [
    ['dense', attnFlop * keys, () => void denseAttention(base)],
    ['sparse', ixFlop + attnFlop * selected, () => void dsaAttention({ ...base, indexer, topk: K })],
    ['indexer', ixFlop, () => void lightningIndexer({ ...indexer, T, L, qStart, threads, scores })],
    ['sparse-kernel', attnFlop * selected, () => void sparseAttention({ ...base, indices: idx, topk: K })],
  ];
}

export function runAttentionBench(opts: AttentionBenchOptions): AttentionBenchResult {
  const log = opts.log ?? (() => undefined);
  const simd = setSimd(opts.simd);
  const { heads: H, dqk: Dqk, indexHeads: HI, indexDim: DI, threads } = opts;
  const baseline = rssMb();
  const Lmax = Math.max(...opts.lengths);
  const Tmax = opts.mode === 'decode' ? 1 : opts.chunk;
  const inp: BenchInputs = { kv: {}, ik: {}, q: new Float32Array(0), iq: new Float32Array(0), iw: new Float32Array(0) };
  let cacheMb = 0;
  for (const dt of opts.dtypes) {
    // the same values in every dtype (the bf16 cache is the fp32 one rounded)
    const r = mulberry32(opts.seed);
    inp.kv[dt] = randomCache(Lmax * Dqk, dt, r);
    inp.ik[dt] = randomCache(Lmax * DI, dt, r);
    cacheMb += ((dt === 'bf16' ? 2 : 4) * Lmax * (Dqk + DI)) / 2 ** 20;
  }
  const rnd = mulberry32(opts.seed + 1);
  inp.q = randomF32(Tmax * H * Dqk, rnd);
  inp.iq = randomF32(Tmax * HI * DI, rnd);
  inp.iw = randomF32(Tmax * HI, rnd).map((x) => x * 0.1);

  // On a shared machine the cores' capacity changes within seconds, so besides this long
  // measurement a short burst precedes every timed call (see timeIt) and each call is
  // compared with what the cores gave at that moment, on the same kind of arithmetic.
  const dotPath = engineInfo().bf16Dot.includes(simd);
  const fp32Peak = peakRef(threads, false);
  const dotPeak = dotPath && opts.dtypes.includes('bf16') ? peakRef(threads, true) : undefined;
  log(`FMA peak (${simd}, ${threads} thread${threads > 1 ? 's' : ''}): ${fp32Peak.best.toFixed(1)} GFLOP/s` +
      (dotPeak ? `; bf16 dot-product peak: ${dotPeak.best.toFixed(1)} GFLOP/s` : ''));

  const rows: AttentionBenchRow[] = [];
  for (const L of [...opts.lengths].sort((a, b) => a - b)) {
    const T = Math.min(Tmax, L);
    for (const dtype of opts.dtypes) {
      const arithmetic: BenchArithmetic = dtype === 'bf16' && dotPath ? 'bf16-dot' : 'fp32';
      const pk = arithmetic === 'bf16-dot' ? dotPeak! : fp32Peak;
      let denseMs = 0;
      for (const [attention, flop, fn] of benchCases(opts, inp, L, dtype)) {
        const t = timeIt(fn, opts.reps, pk.burst);
        pk.best = Math.max(pk.best, ...t.peaks);
        const gflops = flop / (t.median * 1e6);
        const paired = median(t.ms.map((ms, i) => flop / (ms * 1e6) / t.peaks[i]!));
        const row: AttentionBenchRow = {
          attention, mode: opts.mode, length: L, threads, simd, dtype, arithmetic, T, reps: t.reps,
          ms_median: round(t.median, 3), ms_min: round(t.min, 3), cpu_ms_median: round(t.cpu, 3), gflop: round(flop / 1e9, 4),
          gflops: round(gflops, 2), peak_gflops: round(median(t.peaks), 1), peak_fraction: round(paired, 3),
          best_peak_fraction: 0, rss_peak_mb: round(rssMb(), 1),
        };
        row.gflops_per_cpu_s = round(flop / (t.cpu * 1e6), 2);
        row.cpu_peak_fraction = round(flop / (t.cpu * 1e6) / pk.core, 3);
        if (attention === 'dense') denseMs = t.median;
        if (attention === 'sparse') row.speedup_vs_dense = round(denseMs / t.median, 2);
        const f32 = rows.find((r) => r.dtype === 'f32' && r.length === L && r.attention === attention);
        if (dtype === 'bf16' && f32) row.speedup_vs_f32 = round(f32.ms_median / t.median, 2);
        const f32Dense = rows.find((r) => r.dtype === 'f32' && r.length === L && r.attention === 'dense');
        if (dtype === 'bf16' && f32Dense && (attention === 'sparse' || attention === 'sparse-kernel'))
          row.speedup_vs_dense_f32 = round(f32Dense.ms_median / t.median, 2);
        rows.push(row);
        log(`${opts.mode} L=${L} ${dtype} ${attention}: ${t.median.toFixed(2)} ms, ${gflops.toFixed(1)} GFLOP/s (${(100 * paired).toFixed(0)}% of the paired ${arithmetic === 'bf16-dot' ? 'bf16 dot' : 'FMA'} peak)`);
      }
    }
  }
  for (const row of rows) row.best_peak_fraction = round(row.gflops / (row.arithmetic === 'bf16-dot' ? dotPeak!.best : fp32Peak.best), 3);

  let torch: AttentionBenchResult['torch'] = null;
  if (opts.torch === 'auto') {
    log('PyTorch peer: timing the same dense computation in python3, every path torch offers …');
    const r = runTorchPeer({ mode: opts.mode, lengths: opts.lengths, chunk: opts.chunk, H, Dqk, Dv: opts.dv, threads, reps: opts.reps });
    if ('error' in r) torch = { error: r.error };
    else {
      torch = torchInfo(r);
      log(torchLine(torch));
      addTorch(rows.filter((row) => row.dtype === 'f32'), r);
    }
  }
  const { log: _log, ...options } = opts;
  const res: AttentionBenchResult = {
    options, simd, peak_gflops: round(fp32Peak.best, 2), core_peak_gflops: round(fp32Peak.core, 2), baseline_rss_mb: round(baseline, 1), cache_mb: round(cacheMb, 1), torch, rows,
  };
  if (dotPeak) {
    res.dot_peak_gflops = round(dotPeak.best, 2);
    res.core_dot_peak_gflops = round(dotPeak.core, 2);
  }
  return res;
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
  const head = '| mode | L | dtype | arithmetic (peak) | attention | T | ms (median) | GFLOP/s | paired peak GFLOP/s | % of paired peak | % of best peak | CPU ms | % of core peak per CPU-s | vs dense | vs f32 | vs f32 dense | torch ms (fastest path) | torch path | vs torch | torch CPU ms | vs torch, CPU time |';
  const sep = '|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|';
  const x = (v: number | undefined, d: number) => (v === undefined ? '' : v.toFixed(d) + '×');
  const lines = res.rows.map((r) =>
    `| ${r.mode} | ${r.length} | ${r.dtype} | ${r.arithmetic} | ${r.attention} | ${r.T} | ${r.ms_median.toFixed(2)} | ${r.gflops.toFixed(1)} | ${r.peak_gflops.toFixed(0)} | ${(100 * r.peak_fraction).toFixed(0)}% | ${(100 * r.best_peak_fraction).toFixed(0)}% | ${r.cpu_ms_median.toFixed(1)} | ${(100 * (r.cpu_peak_fraction ?? 0)).toFixed(0)}% | ${x(r.speedup_vs_dense, 1)} | ${x(r.speedup_vs_f32, 2)} | ${x(r.speedup_vs_dense_f32, 1)} | ${r.torch_ms_median === undefined ? '' : r.torch_ms_median.toFixed(2)} | ${r.torch_path ?? ''} | ${x(r.speedup_vs_torch, 2)} | ${r.torch_cpu_ms_median === undefined ? '' : r.torch_cpu_ms_median.toFixed(1)} | ${x(r.cpu_speedup_vs_torch, 2)} |`,
  );
  return [
    `SIMD path: ${res.simd} (compiler ${info.compiler}); threads: ${res.options.threads}; best FMA peak: ${res.peak_gflops.toFixed(1)} GFLOP/s` +
      (res.dot_peak_gflops === undefined ? '' : `; best bf16 dot-product peak: ${res.dot_peak_gflops.toFixed(1)} GFLOP/s (the reference of bf16-dot rows)`) +
      `; % of paired peak = median over calls of the call's GFLOP/s ÷ the peak (of the row's arithmetic) of a ${BURST_MS} ms burst right before it; % of best peak = vs the best peak of that kind in the run; one core: ${res.core_peak_gflops.toFixed(1)} GFLOP/s` +
      (res.core_dot_peak_gflops === undefined ? '' : ` (bf16 dot: ${res.core_dot_peak_gflops.toFixed(1)})`),
    `caches (${res.options.dtypes.join(', ')}, L=${Math.max(...res.options.lengths)}): ${res.cache_mb.toFixed(1)} MB; RSS baseline ${res.baseline_rss_mb.toFixed(1)} MB, peak ${Math.max(...res.rows.map((r) => r.rss_peak_mb)).toFixed(1)} MB`,
    torchLine(res.torch),
    '',
    head,
    sep,
    ...lines,
  ].join('\n');
}
