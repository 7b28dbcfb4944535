/**
 * Workload cost: integrate the per-token cost curves over the attempts of real runs.
 *
 * Each attempt is a list of turns (metadata.turns = [{prompt_tokens, completion_tokens}] for a
 * multi-turn terminal task; otherwise the attempt's usage is one turn). A turn re-reads its
 * whole growing context — no prefix cache — so it costs
 *   Σ_{n=1..P} prefill(n)  +  Σ_{n=P+1..P+C} decode(n)
 * with P its prompt tokens and C its completion tokens. Curves are piecewise linear in the
 * position between their sample points, extrapolated linearly past the ends (clamped ≥ 0).
 *
 * Attempts replayed from the response cache (`cached: true`) are left out and counted apart,
 * as the run's own summary does: their tokens were served by an earlier run, which costs them.
 * A run made with `count_cached: true` (run.json) counts them like fresh ones.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DsabenchError } from '../errors.js';
import { readManifest, readSampleLines } from '../results/store.js';
import { countOptions } from '../results/summarize.js';
import type { AttentionKind, Mode } from './analytic.js';
import { layerCost, nonAttentionFlops } from './analytic.js';
import type { CostPoint } from './curves.js';
import type { HardwareProfile } from './hardware.js';
import type { ModelProfile } from './profiles.js';
import { project, usdPerMtok } from './roofline.js';

export interface Turn {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface AttemptTokens {
  suite: string;
  item_id: string;
  provider: string;
  attempt: number;
  turns: Turn[];
}

export interface RunAttempts {
  run_id: string;
  dir: string;
  attempts: AttemptTokens[];
  /** Records without usable token counts (failed attempts with usage null…). */
  skipped: number;
  /** Attempts replayed from the response cache, left out (unless the run counts them). */
  cached: number;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Reads results/<id>/samples.jsonl; throws when the dir has no attempt with token counts. */
export function readRunAttempts(dir: string): RunAttempts {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DsabenchError('E_FILE_NOT_FOUND', 'run directory not found (expected results/<run-id>/ with samples.jsonl)', { file: dir });
  }
  const file = join(dir, 'samples.jsonl');
  if (!existsSync(file)) {
    throw new DsabenchError('E_FILE_NOT_FOUND', 'run directory has no samples.jsonl', { file });
  }
  const lines = readSampleLines(file);
  const countCached = existsSync(join(dir, 'run.json')) && countOptions(readManifest(dir)).countCached === true;
  const attempts: AttemptTokens[] = [];
  let skipped = 0;
  let cached = 0;
  let runId: string | undefined;
  for (const { value, line } of lines) {
    if (typeof value !== 'object' || value === null) {
      throw new DsabenchError('E_INPUT_INVALID', 'expected an attempt record object', { file, line });
    }
    const r = value as Record<string, unknown>;
    runId ??= typeof r.run_id === 'string' ? r.run_id : undefined;
    if (r.cached === true && !countCached) {
      cached++;
      continue;
    }
    const turns = turnsOf(r, file, line);
    if (turns === null) {
      skipped++;
      continue;
    }
    attempts.push({
      suite: typeof r.suite === 'string' ? r.suite : '?',
      item_id: typeof r.item_id === 'string' ? r.item_id : String(r.item_id ?? '?'),
      provider: typeof r.provider === 'string' ? r.provider : '?',
      attempt: typeof r.attempt === 'number' ? r.attempt : 0,
      turns,
    });
  }
  if (attempts.length === 0) {
    const why = cached > 0
      ? `; ${cached} of them replayed from the response cache, which an earlier run served (run.json count_cached: true counts them)`
      : '';
    throw new DsabenchError(
      'E_INPUT_INVALID',
      `no attempt in this run has token counts (${lines.length} records${why}; expected usage.prompt_tokens and usage.completion_tokens, or metadata.turns)`,
      { file, field: 'usage' },
    );
  }
  return { run_id: runId ?? dir.split(/[\\/]/).filter(Boolean).pop() ?? dir, dir, attempts, skipped, cached };
}

/** Turns of one record: metadata.turns when well formed, else usage as one turn, else null. */
function turnsOf(r: Record<string, unknown>, file: string, line: number): Turn[] | null {
  const meta = r.metadata as Record<string, unknown> | undefined;
  const raw = meta && typeof meta === 'object' ? meta.turns : undefined;
  if (Array.isArray(raw) && raw.length > 0) {
    return raw.map((t, i) => {
      const o = t as Record<string, unknown> | null;
      if (!o || !isCount(o.prompt_tokens) || !isCount(o.completion_tokens)) {
        throw new DsabenchError('E_INPUT_INVALID', 'expected {prompt_tokens, completion_tokens} non-negative integers', {
          file,
          line,
          field: `/metadata/turns/${i}`,
        });
      }
      return { prompt_tokens: o.prompt_tokens, completion_tokens: o.completion_tokens };
    });
  }
  const u = r.usage as Record<string, unknown> | null | undefined;
  if (u && typeof u === 'object' && isCount(u.prompt_tokens) && isCount(u.completion_tokens)) {
    return [{ prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens }];
  }
  return null;
}

// ------------------------------------------------------------------ piecewise-linear curves

/** A per-token cost sampled at increasing positions. */
export interface Curve {
  xs: number[];
  ys: number[];
}

function valueAt(c: Curve, x: number): number {
  const { xs, ys } = c;
  if (xs.length === 1) return ys[0]!;
  let i = 1;
  if (x <= xs[0]!) i = 1;
  else if (x >= xs[xs.length - 1]!) i = xs.length - 1;
  else while (xs[i]! < x) i++;
  const x0 = xs[i - 1]!;
  const x1 = xs[i]!;
  const y = ys[i - 1]! + ((ys[i]! - ys[i - 1]!) * (x - x0)) / (x1 - x0);
  return Math.max(0, y);
}

/**
 * Σ_{n=a..b} c(n) for integers a ≤ b, integrating the piecewise-linear curve exactly over
 * each segment: the sum of a linear function over consecutive integers is count × midpoint.
 */
export function sumCurve(c: Curve, a: number, b: number): number {
  if (b < a) return 0;
  const cuts = [a, ...c.xs.filter((x) => x > a && x < b).map((x) => Math.floor(x)), b + 1];
  let total = 0;
  for (let i = 0; i + 1 < cuts.length; i++) {
    const lo = cuts[i]!;
    const hi = cuts[i + 1]! - 1;
    if (hi < lo) continue;
    // Within [lo, hi] the curve is linear (possibly clamped): midpoint rule is exact for linear.
    total += ((valueAt(c, lo) + valueAt(c, hi)) / 2) * (hi - lo + 1);
  }
  return total;
}

// ------------------------------------------------------------------ integration

export interface Totals {
  /** Analytic whole-model FLOPs (engine's MQA form). */
  flops: number;
  /** Whole-model ms on the measuring machine (estimate from measured attention). */
  ms?: number;
  usd?: number;
  /** Roofline projection on the hardware profile: a model, not a measurement. */
  projected_usd?: number;
}

export interface CostSet {
  dense: Totals;
  sparse: Totals;
  /** dense / sparse by the best available figure (measured usd/ms, else projected, else FLOPs). */
  ratio: number;
  ratio_basis: 'measured' | 'projected' | 'flops';
}

export interface WorkloadRun {
  run_id: string;
  dir: string;
  attempts: number;
  skipped: number;
  /** Attempts replayed from the response cache and left out (see readRunAttempts). */
  cached: number;
  turns: number;
  tokens: { prompt: number; completion: number };
  cost: CostSet;
  suites: Array<{ suite: string; attempts: number; cost: CostSet }>;
  items: Array<{ suite: string; item_id: string; attempts: number; tokens: { prompt: number; completion: number }; cost: CostSet }>;
}

export interface WorkloadCurves {
  get(kind: keyof Totals, mode: Mode, attention: AttentionKind): Curve | undefined;
}

/**
 * Curves for integration: FLOPs and projection sampled from the formulas on a grid with the
 * kinks (1, k, k+1) included; measured ms/usd from the points' model_ms/usd_per_mtok.
 */
export function workloadCurves(profile: ModelProfile, points: readonly CostPoint[], hardware?: HardwareProfile, projectionPrice?: number, maxPosition = profile.max_context): WorkloadCurves {
  const k = profile.indexer.topk;
  const step = Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(1, maxPosition) / 256)));
  const grid = [...new Set([1, k, k + 1, ...Array.from({ length: Math.ceil(maxPosition / step) + 1 }, (_, i) => i * step)].filter((x) => x >= 1))].sort((a, b) => a - b);
  const map = new Map<string, Curve>();
  for (const mode of ['decode', 'prefill'] as const) {
    for (const attention of ['dense', 'sparse'] as const) {
      map.set(`flops|${mode}|${attention}`, {
        xs: grid,
        ys: grid.map((n) => profile.layers * layerCost(profile, { mode: 'decode', attention, position: n }).flops + nonAttentionFlops(profile)),
      });
      if (hardware) {
        const price = projectionPrice ?? hardware.price_per_hour;
        map.set(`projected_usd|${mode}|${attention}`, {
          xs: grid,
          ys: grid.map((n) => usdPerMtok(project(profile, hardware, mode, attention, n).seconds_per_token, price) / 1e6),
        });
      }
      const pts = points.filter((p) => p.mode === mode && p.attention === attention).sort((a, b) => a.position - b.position);
      const ms = pts.filter((p) => p.model_ms != null);
      if (ms.length > 0) map.set(`ms|${mode}|${attention}`, { xs: ms.map((p) => p.position), ys: ms.map((p) => p.model_ms!) });
      const usd = pts.filter((p) => p.usd_per_mtok !== undefined);
      if (usd.length > 0) map.set(`usd|${mode}|${attention}`, { xs: usd.map((p) => p.position), ys: usd.map((p) => p.usd_per_mtok! / 1e6) });
    }
  }
  return { get: (kind, mode, attention) => map.get(`${kind}|${mode}|${attention}`) };
}

function attemptTotals(turns: readonly Turn[], attention: AttentionKind, curves: WorkloadCurves): Totals {
  const out: Totals = { flops: 0 };
  for (const kind of ['flops', 'ms', 'usd', 'projected_usd'] as const) {
    const pre = curves.get(kind, 'prefill', attention);
    // Without a measured prefill curve, decode's stands in for both (same per-token work).
    const dec = curves.get(kind, 'decode', attention) ?? pre;
    const prefill = pre ?? dec;
    if (!prefill || !dec) continue;
    let total = 0;
    for (const t of turns) {
      total += sumCurve(prefill, 1, t.prompt_tokens) + sumCurve(dec, t.prompt_tokens + 1, t.prompt_tokens + t.completion_tokens);
    }
    out[kind] = total;
  }
  return out;
}

function addTotals(a: Totals, b: Totals): Totals {
  const out: Totals = { flops: a.flops + b.flops };
  for (const k of ['ms', 'usd', 'projected_usd'] as const) {
    if (a[k] !== undefined || b[k] !== undefined) out[k] = (a[k] ?? 0) + (b[k] ?? 0);
  }
  return out;
}

function costSet(dense: Totals, sparse: Totals): CostSet {
  if (dense.usd !== undefined && sparse.usd) return { dense, sparse, ratio: dense.usd / sparse.usd, ratio_basis: 'measured' };
  if (dense.ms !== undefined && sparse.ms) return { dense, sparse, ratio: dense.ms / sparse.ms, ratio_basis: 'measured' };
  if (dense.projected_usd !== undefined && sparse.projected_usd) {
    return { dense, sparse, ratio: dense.projected_usd / sparse.projected_usd, ratio_basis: 'projected' };
  }
  return { dense, sparse, ratio: sparse.flops > 0 ? dense.flops / sparse.flops : 1, ratio_basis: 'flops' };
}

export function integrateRun(run: RunAttempts, curves: WorkloadCurves): WorkloadRun {
  const zero = (): { dense: Totals; sparse: Totals } => ({ dense: { flops: 0 }, sparse: { flops: 0 } });
  let all = zero();
  const suites = new Map<string, { attempts: number; acc: ReturnType<typeof zero> }>();
  const items = new Map<string, { suite: string; item_id: string; attempts: number; tokens: { prompt: number; completion: number }; acc: ReturnType<typeof zero> }>();
  let prompt = 0;
  let completion = 0;
  let turns = 0;
  for (const a of run.attempts) {
    const d = attemptTotals(a.turns, 'dense', curves);
    const s = attemptTotals(a.turns, 'sparse', curves);
    const pt = a.turns.reduce((x, t) => x + t.prompt_tokens, 0);
    const ct = a.turns.reduce((x, t) => x + t.completion_tokens, 0);
    prompt += pt;
    completion += ct;
    turns += a.turns.length;
    all = { dense: addTotals(all.dense, d), sparse: addTotals(all.sparse, s) };
    const su = suites.get(a.suite) ?? { attempts: 0, acc: zero() };
    su.attempts++;
    su.acc = { dense: addTotals(su.acc.dense, d), sparse: addTotals(su.acc.sparse, s) };
    suites.set(a.suite, su);
    const key = `${a.suite}\u0000${a.item_id}`;
    const it = items.get(key) ?? { suite: a.suite, item_id: a.item_id, attempts: 0, tokens: { prompt: 0, completion: 0 }, acc: zero() };
    it.attempts++;
    it.tokens.prompt += pt;
    it.tokens.completion += ct;
    it.acc = { dense: addTotals(it.acc.dense, d), sparse: addTotals(it.acc.sparse, s) };
    items.set(key, it);
  }
  return {
    run_id: run.run_id,
    dir: run.dir,
    attempts: run.attempts.length,
    skipped: run.skipped,
    cached: run.cached,
    turns,
    tokens: { prompt, completion },
    cost: costSet(all.dense, all.sparse),
    suites: [...suites].map(([suite, v]) => ({ suite, attempts: v.attempts, cost: costSet(v.acc.dense, v.acc.sparse) })),
    items: [...items.values()].map((v) => ({ suite: v.suite, item_id: v.item_id, attempts: v.attempts, tokens: v.tokens, cost: costSet(v.acc.dense, v.acc.sparse) })),
  };
}
