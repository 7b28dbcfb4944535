/**
 * gate.json: what counts as a regression. Every field is optional; defaults below.
 *
 * {
 *   "alpha": 0.05,                 // significance level of every test (and 1 − alpha CIs)
 *   "tolerance": 0.02,             // allowed drop in mean score, absolute (0.02 = 2 points)
 *   "rule": "significant-drop",    // or "ci-below-tolerance" (see README of the gate / docs)
 *   "min_paired_items": 10,        // fewer shared items → unpaired test on all items
 *   "bootstrap": { "resamples": 2000, "seed": 1 },
 *   "latency": { "metrics": ["e2e_ms", "ttft_ms", "tpot_ms"], "p50": 0.25, "p90": 0.5 },
 *   "cost": { "per_attempt": 0.25 },
 *   "fail_on_missing_items": true,  // baseline items missing from the current run, or a
 *                                   // current run that did not complete: fail (false: list only)
 *   "fail_on_missing_suites": true, // a suite/provider in the baseline absent from current
 *   "suites": { "math": { "tolerance": 0.05, "alpha": 0.01 }, "flaky": { "skip": true } }
 * }
 *
 * Latency/cost thresholds are relative increases of the current statistic over the
 * baseline's (0.25 = 25% slower); null disables that check.
 */
import { readFileSync } from 'node:fs';
import { DsabenchError } from '../../errors.js';

export type GateRule = 'significant-drop' | 'ci-below-tolerance';
export type LatencyMetric = 'e2e_ms' | 'ttft_ms' | 'tpot_ms';

export interface SuiteGateOverride {
  tolerance?: number;
  alpha?: number;
  skip?: boolean;
}

export interface GateConfig {
  alpha: number;
  tolerance: number;
  rule: GateRule;
  min_paired_items: number;
  bootstrap: { resamples: number; seed: number };
  latency: { metrics: LatencyMetric[]; p50: number | null; p90: number | null };
  cost: { per_attempt: number | null };
  fail_on_missing_items: boolean;
  fail_on_missing_suites: boolean;
  suites: Record<string, SuiteGateOverride>;
}

export const DEFAULT_GATE_CONFIG: GateConfig = {
  alpha: 0.05,
  tolerance: 0.02,
  rule: 'significant-drop',
  min_paired_items: 10,
  bootstrap: { resamples: 2000, seed: 1 },
  latency: { metrics: ['e2e_ms', 'ttft_ms', 'tpot_ms'], p50: 0.25, p90: 0.5 },
  cost: { per_attempt: 0.25 },
  fail_on_missing_items: true,
  fail_on_missing_suites: true,
  suites: {},
};

const LATENCY_METRICS: readonly LatencyMetric[] = ['e2e_ms', 'ttft_ms', 'tpot_ms'];
const TOP_KEYS = new Set(['$schema', 'alpha', 'tolerance', 'rule', 'min_paired_items', 'bootstrap', 'latency', 'cost', 'fail_on_missing_items', 'fail_on_missing_suites', 'suites']);

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a parsed gate.json and merges it over the defaults. */
export function parseGateConfig(raw: unknown, file = 'gate.json'): GateConfig {
  const fail = (field: string, expected: string): never => {
    throw new DsabenchError('E_CONFIG_INVALID', `gate config: expected ${expected}`, { file, field });
  };
  if (!isObj(raw)) fail('/', 'a JSON object');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!TOP_KEYS.has(k)) fail(`/${k}`, `one of the known keys (${[...TOP_KEYS].filter((x) => x !== '$schema').join(', ')})`);
  const c: GateConfig = structuredClone(DEFAULT_GATE_CONFIG);
  const prob = (v: unknown, field: string): number => (typeof v === 'number' && v > 0 && v < 1 ? v : fail(field, 'a number in (0, 1)'));
  const nonNeg = (v: unknown, field: string): number => (typeof v === 'number' && v >= 0 && Number.isFinite(v) ? v : fail(field, 'a number ≥ 0'));
  const thresh = (v: unknown, field: string): number | null => (v === null ? null : nonNeg(v, field));
  const bool = (v: unknown, field: string): boolean => (typeof v === 'boolean' ? v : fail(field, 'true or false'));
  if (r.alpha !== undefined) c.alpha = prob(r.alpha, '/alpha');
  if (r.tolerance !== undefined) c.tolerance = nonNeg(r.tolerance, '/tolerance');
  if (r.rule !== undefined) c.rule = r.rule === 'significant-drop' || r.rule === 'ci-below-tolerance' ? r.rule : fail('/rule', '"significant-drop" or "ci-below-tolerance"');
  if (r.min_paired_items !== undefined) c.min_paired_items = Number.isInteger(r.min_paired_items) && (r.min_paired_items as number) >= 1 ? (r.min_paired_items as number) : fail('/min_paired_items', 'an integer ≥ 1');
  if (r.bootstrap !== undefined) {
    if (!isObj(r.bootstrap)) fail('/bootstrap', 'an object { resamples, seed }');
    const b = r.bootstrap as Record<string, unknown>;
    if (b.resamples !== undefined) c.bootstrap.resamples = Number.isInteger(b.resamples) && (b.resamples as number) >= 100 ? (b.resamples as number) : fail('/bootstrap/resamples', 'an integer ≥ 100');
    if (b.seed !== undefined) c.bootstrap.seed = Number.isInteger(b.seed) ? (b.seed as number) : fail('/bootstrap/seed', 'an integer');
  }
  if (r.latency !== undefined) {
    if (!isObj(r.latency)) fail('/latency', 'an object { metrics, p50, p90 }');
    const l = r.latency as Record<string, unknown>;
    if (l.metrics !== undefined) {
      if (!Array.isArray(l.metrics)) fail('/latency/metrics', `an array of ${LATENCY_METRICS.join(', ')}`);
      (l.metrics as unknown[]).forEach((m, i) => { if (!LATENCY_METRICS.includes(m as LatencyMetric)) fail(`/latency/metrics/${i}`, `one of ${LATENCY_METRICS.join(', ')}`); });
      c.latency.metrics = l.metrics as LatencyMetric[];
    }
    if (l.p50 !== undefined) c.latency.p50 = thresh(l.p50, '/latency/p50');
    if (l.p90 !== undefined) c.latency.p90 = thresh(l.p90, '/latency/p90');
  }
  if (r.cost !== undefined) {
    if (!isObj(r.cost)) fail('/cost', 'an object { per_attempt }');
    const co = r.cost as Record<string, unknown>;
    if (co.per_attempt !== undefined) c.cost.per_attempt = thresh(co.per_attempt, '/cost/per_attempt');
  }
  if (r.fail_on_missing_items !== undefined) c.fail_on_missing_items = bool(r.fail_on_missing_items, '/fail_on_missing_items');
  if (r.fail_on_missing_suites !== undefined) c.fail_on_missing_suites = bool(r.fail_on_missing_suites, '/fail_on_missing_suites');
  if (r.suites !== undefined) {
    if (!isObj(r.suites)) fail('/suites', 'an object { suiteName: { tolerance?, alpha?, skip? } }');
    for (const [name, o] of Object.entries(r.suites as Record<string, unknown>)) {
      if (!isObj(o)) fail(`/suites/${name}`, 'an object { tolerance?, alpha?, skip? }');
      const ov = o as Record<string, unknown>;
      const out: SuiteGateOverride = {};
      for (const k of Object.keys(ov)) if (!['tolerance', 'alpha', 'skip'].includes(k)) fail(`/suites/${name}/${k}`, 'one of tolerance, alpha, skip');
      if (ov.tolerance !== undefined) out.tolerance = nonNeg(ov.tolerance, `/suites/${name}/tolerance`);
      if (ov.alpha !== undefined) out.alpha = prob(ov.alpha, `/suites/${name}/alpha`);
      if (ov.skip !== undefined) out.skip = bool(ov.skip, `/suites/${name}/skip`);
      c.suites[name] = out;
    }
  }
  return c;
}

export function loadGateConfig(file: string): GateConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DsabenchError('E_FILE_NOT_FOUND', `cannot read gate config: ${(e as Error).message}`, { file });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text) as unknown;
  } catch (e) {
    throw new DsabenchError('E_CONFIG_INVALID', `gate config is not valid JSON (${(e as Error).message})`, { file });
  }
  return parseGateConfig(raw, file);
}
