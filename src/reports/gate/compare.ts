/**
 * Baseline vs current, suite by suite (and provider by provider).
 *
 * Score (per suite × provider):
 * - Paired, when both runs have samples and share ≥ min_paired_items items: per-item mean
 *   scores b_i, c_i on the shared items, d_i = c_i − b_i. Binary scores (one attempt, 0/1):
 *   exact McNemar p on the discordant pairs, CI from the paired normal SE. Otherwise: paired
 *   bootstrap over items (CI and p).
 * - Unpaired otherwise (no shared items, or a summary-only baseline): two-proportion z-test
 *   for pass rates of binary suites, Welch z from the summaries' standard errors otherwise.
 * - Decision (`rule`):
 *   "significant-drop" (default): regression iff drop = −mean(d) > tolerance AND p < alpha.
 *   "ci-below-tolerance": regression iff the (1 − alpha) CI of mean(d) lies entirely below
 *   −tolerance (the drop is confidently larger than the tolerance; stricter to trigger).
 *
 * Latency (e2e, TTFT, TPOT) and cost: ratio current/baseline of the p50 and p90 (latency)
 * or the mean per attempt (cost), with an unpaired bootstrap CI. Regression iff the relative
 * increase exceeds its threshold AND the CI excludes 1 (rule "significant-drop"), or the CI's
 * lower end exceeds 1 + threshold ("ci-below-tolerance"). With a summary-only side there is
 * no interval: the point estimate alone decides, and the check says so.
 *
 * Items present in only one run are listed per suite, never silently dropped; items of the
 * baseline missing from the current run, or a current run that did not complete, fail the
 * gate unless `fail_on_missing_items` is false (completeness.ts).
 */
import type { AttemptRecord, SuiteSummary } from '../../types.js';
import { mcnemarExact, mean } from '../../util/stats.js';
import type { LoadedRun } from '../types.js';
import { checkCompleteness, type ComparedEntry, type Completeness } from './completeness.js';
import type { GateConfig, LatencyMetric } from './config.js';
import { bootstrapRatios, meanStat, pairedBootstrap, pairedNormal, quantileStat, twoProportion, welchZ } from './stats.js';

export type CheckStatus = 'pass' | 'regression' | 'skipped';

export interface GateCheck {
  suite: string;
  provider: string;
  /** `score`, `latency.e2e_ms.p50`, `latency.ttft_ms.p90`, `cost.per_attempt`… */
  metric: string;
  kind: 'score' | 'latency' | 'cost';
  test: 'mcnemar-exact' | 'paired-bootstrap' | 'two-proportion-z' | 'welch-z' | 'bootstrap-ratio' | 'point-estimate' | 'none';
  baseline: number | null;
  current: number | null;
  /** Score: current − baseline (absolute). Latency/cost: current/baseline − 1 (relative). */
  delta: number | null;
  /** CI of delta on the same scale. */
  ci: [number, number] | null;
  p: number | null;
  alpha: number;
  /** Tolerance (score, absolute) or relative threshold (latency/cost). */
  threshold: number;
  n_baseline: number;
  n_current: number;
  n_paired: number;
  /** McNemar's discordant counts: b = baseline pass → current fail, c = the reverse. */
  discordant?: { b: number; c: number };
  status: CheckStatus;
  reason: string;
}

export interface ItemMismatch {
  suite: string;
  provider: string;
  only_in_baseline: string[];
  only_in_current: string[];
}

export interface GateResult {
  ok: boolean;
  exit_code: 0 | 1;
  rule: GateConfig['rule'];
  /** n_cached: attempts replayed from the response cache (their latency and cost are not compared). */
  baseline: { run_id: string; dir: string; has_samples: boolean; status: string; n_cached: number };
  current: { run_id: string; dir: string; has_samples: boolean; status: string; n_cached: number };
  checks: GateCheck[];
  mismatches: ItemMismatch[];
  /** `suite [provider]` pairs present on one side only. */
  missing: { only_in_baseline: string[]; only_in_current: string[] };
  /** Whether the current run holds every item of the baseline and completed. */
  completeness: Completeness;
  config: GateConfig;
}

interface Side {
  summary: SuiteSummary;
  records: AttemptRecord[];
}

function perItem(records: readonly AttemptRecord[]): Map<string, { sum: number; n: number; binary: boolean }> {
  const m = new Map<string, { sum: number; n: number; binary: boolean }>();
  for (const r of records) {
    let a = m.get(r.item_id);
    if (!a) m.set(r.item_id, (a = { sum: 0, n: 0, binary: true }));
    a.sum += r.score.value;
    a.n++;
    if (r.score.value !== 0 && r.score.value !== 1) a.binary = false;
  }
  return m;
}

const fmtPts = (x: number): string => `${(x * 100).toFixed(1)} pts`;
const fmtPct = (x: number): string => `${(x * 100).toFixed(1)}%`;

function scoreCheck(suite: string, provider: string, base: Side, cur: Side, cfg: GateConfig, tol: number, alpha: number): { check: GateCheck; mismatch: ItemMismatch } {
  const bi = perItem(base.records);
  const ci = perItem(cur.records);
  const shared = [...bi.keys()].filter((k) => ci.has(k));
  const mismatch: ItemMismatch = {
    suite,
    provider,
    only_in_baseline: [...bi.keys()].filter((k) => !ci.has(k)).sort(),
    only_in_current: [...ci.keys()].filter((k) => !bi.has(k)).sort(),
  };
  const common = {
    suite, provider, metric: 'score', kind: 'score' as const, alpha, threshold: tol,
    n_baseline: base.summary.n_items, n_current: cur.summary.n_items,
  };
  const decide = (delta: number, ciD: [number, number] | null, p: number | null): { status: CheckStatus; reason: string } => {
    const drop = -delta;
    if (cfg.rule === 'ci-below-tolerance') {
      if (ciD && ciD[1] < -tol) return { status: 'regression', reason: `score fell ${fmtPts(drop)}; the whole ${fmtPct(1 - alpha)} CI [${fmtPts(ciD[0])}, ${fmtPts(ciD[1])}] lies below −${fmtPts(tol)}` };
      return { status: 'pass', reason: ciD ? `CI of the change [${fmtPts(ciD[0])}, ${fmtPts(ciD[1])}] does not lie below −${fmtPts(tol)}` : 'no interval available' };
    }
    const sig = p !== null && p < alpha;
    if (drop > tol && sig) return { status: 'regression', reason: `score fell ${fmtPts(drop)} (> tolerance ${fmtPts(tol)}), p = ${p!.toPrecision(3)} < α = ${alpha}` };
    if (drop > tol) return { status: 'pass', reason: `score fell ${fmtPts(drop)} (> tolerance ${fmtPts(tol)}) but not significantly (p = ${p === null ? 'n/a' : p.toPrecision(3)} ≥ α = ${alpha})` };
    return { status: 'pass', reason: delta < 0 ? `drop of ${fmtPts(drop)} is within the tolerance ${fmtPts(tol)}` : `score changed by +${fmtPts(delta)}` };
  };

  if (base.records.length > 0 && cur.records.length > 0 && shared.length >= cfg.min_paired_items) {
    const b = shared.map((k) => bi.get(k)!.sum / bi.get(k)!.n);
    const c = shared.map((k) => ci.get(k)!.sum / ci.get(k)!.n);
    const d = c.map((x, i) => x - b[i]!);
    const binary = shared.every((k) => bi.get(k)!.binary && ci.get(k)!.binary && bi.get(k)!.n === 1 && ci.get(k)!.n === 1);
    let res;
    let test: GateCheck['test'];
    let discordant: GateCheck['discordant'];
    if (binary) {
      let nb = 0;
      let nc = 0;
      for (let i = 0; i < shared.length; i++) {
        if (b[i] === 1 && c[i] === 0) nb++;
        else if (b[i] === 0 && c[i] === 1) nc++;
      }
      const normal = pairedNormal(d, alpha);
      res = { estimate: normal.estimate, ci: normal.ci, p: mcnemarExact(nb, nc) };
      test = 'mcnemar-exact';
      discordant = { b: nb, c: nc };
    } else {
      res = pairedBootstrap(d, alpha, cfg.bootstrap.resamples, cfg.bootstrap.seed);
      test = 'paired-bootstrap';
    }
    const verdict = decide(res.estimate, res.ci, res.p);
    return {
      check: { ...common, test, baseline: mean(b), current: mean(c), delta: res.estimate, ci: res.ci, p: res.p, n_paired: shared.length, discordant, ...verdict, reason: `${verdict.reason} (paired on ${shared.length} shared items, ${test})` },
      mismatch,
    };
  }

  // Unpaired: from the summaries (all items of each side).
  const bs = base.summary;
  const cs = cur.summary;
  const binaryRecs = (recs: AttemptRecord[]) => recs.length === 0 || recs.every((r) => r.score.value === 0 || r.score.value === 1);
  const binary = Math.abs(bs.mean - bs.pass_rate) < 1e-12 && Math.abs(cs.mean - cs.pass_rate) < 1e-12 && binaryRecs(base.records) && binaryRecs(cur.records);
  let res;
  let test: GateCheck['test'];
  if (binary && bs.n > 0 && cs.n > 0) {
    res = twoProportion(Math.round(bs.pass_rate * bs.n), bs.n, Math.round(cs.pass_rate * cs.n), cs.n, alpha);
    test = 'two-proportion-z';
  } else {
    res = welchZ(bs.mean, bs.stderr, cs.mean, cs.stderr, alpha);
    test = 'welch-z';
  }
  const why = shared.length === 0 ? 'no shared items' : base.records.length === 0 || cur.records.length === 0 ? 'a side has no samples' : `only ${shared.length} shared items (< ${cfg.min_paired_items})`;
  const verdict = decide(res.estimate, res.ci, res.p);
  return {
    check: { ...common, test, baseline: bs.mean, current: cs.mean, delta: res.estimate, ci: res.ci, p: res.p, n_paired: 0, ...verdict, reason: `${verdict.reason} (unpaired: ${why}; ${test})` },
    mismatch,
  };
}

function ratioCheck(
  suite: string, provider: string, kind: 'latency' | 'cost', metric: string,
  baseVals: number[], curVals: number[], basePoint: number | null, curPoint: number | null,
  threshold: number, cfg: GateConfig, alpha: number, boot: { estimate: number; ci: [number, number]; p: number | null } | null,
): GateCheck {
  const common = { suite, provider, metric, kind, alpha, threshold, n_baseline: baseVals.length, n_current: curVals.length, n_paired: 0, baseline: basePoint, current: curPoint };
  if (basePoint === null || curPoint === null) {
    return { ...common, test: 'none', delta: null, ci: null, p: null, status: 'skipped', reason: `no ${metric} data in the ${basePoint === null ? 'baseline' : 'current run'}` };
  }
  if (basePoint <= 0) {
    return { ...common, test: 'none', delta: null, ci: null, p: null, status: 'skipped', reason: `baseline ${metric} is ${basePoint}: no ratio to compare` };
  }
  const rel = curPoint / basePoint - 1;
  const what = kind === 'latency' ? 'slower' : 'more expensive';
  if (!boot) {
    const reg = rel > threshold;
    return {
      ...common, test: 'point-estimate', delta: rel, ci: null, p: null,
      status: reg ? 'regression' : 'pass',
      reason: `${fmtPct(rel)} ${rel >= 0 ? what : 'better'} (threshold +${fmtPct(threshold)}); point estimate only: a side has no samples for a bootstrap interval`,
    };
  }
  const ciRel: [number, number] = [boot.ci[0] - 1, boot.ci[1] - 1];
  let reg: boolean;
  let reason: string;
  if (cfg.rule === 'ci-below-tolerance') {
    reg = ciRel[0] > threshold;
    reason = reg
      ? `${fmtPct(rel)} ${what}; the whole ${fmtPct(1 - alpha)} CI [${fmtPct(ciRel[0])}, ${fmtPct(ciRel[1])}] exceeds +${fmtPct(threshold)}`
      : `change ${fmtPct(rel)}, CI [${fmtPct(ciRel[0])}, ${fmtPct(ciRel[1])}] does not lie above +${fmtPct(threshold)}`;
  } else {
    const sig = ciRel[0] > 0;
    reg = rel > threshold && sig;
    reason = reg
      ? `${fmtPct(rel)} ${what} (> +${fmtPct(threshold)}), ${fmtPct(1 - alpha)} CI [${fmtPct(ciRel[0])}, ${fmtPct(ciRel[1])}] excludes 0`
      : rel > threshold
        ? `${fmtPct(rel)} ${what} (> +${fmtPct(threshold)}) but the CI [${fmtPct(ciRel[0])}, ${fmtPct(ciRel[1])}] includes 0`
        : `change ${fmtPct(rel)} is within +${fmtPct(threshold)}`;
  }
  return { ...common, test: 'bootstrap-ratio', delta: rel, ci: ciRel, p: boot.p, status: reg ? 'regression' : 'pass', reason };
}

function latencyChecks(suite: string, provider: string, base: Side, cur: Side, cfg: GateConfig, alpha: number, seed: number): GateCheck[] {
  const out: GateCheck[] = [];
  const stats = ([['p50', 0.5, cfg.latency.p50], ['p90', 0.9, cfg.latency.p90]] as const).filter((s) => s[2] !== null) as Array<readonly ['p50' | 'p90', number, number]>;
  if (stats.length === 0) return out;
  cfg.latency.metrics.forEach((metric: LatencyMetric, mi) => {
    // Never a cached attempt's latency: it is the run that filled the cache's, not this one's.
    const vals = (recs: AttemptRecord[]) => recs.filter((r) => !r.error && !r.cached && !r.unsupported).map((r) => r.timings?.[metric]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const bv = vals(base.records);
    const cv = vals(cur.records);
    // The summary stands in only for a side without samples (a summary.json baseline).
    const fromSummary = (side: Side, name: 'p50' | 'p90'): number | null => (side.records.length === 0 ? (side.summary.latency[metric]?.[name] ?? null) : null);
    const boots = bv.length >= 2 && cv.length >= 2
      ? bootstrapRatios(bv, cv, stats.map((s) => quantileStat(s[1])), alpha, cfg.bootstrap.resamples, seed + mi)
      : null;
    stats.forEach(([name, , threshold], si) => {
      // From the samples when there are any (what the bootstrap resamples), else the summary.
      const q = quantileStat(name === 'p50' ? 0.5 : 0.9);
      const bp = bv.length > 0 ? q(Float64Array.from(bv).sort()) : fromSummary(base, name);
      const cp = cv.length > 0 ? q(Float64Array.from(cv).sort()) : fromSummary(cur, name);
      if ((bp === null || cp === null) && (bv.length === 0 || cv.length === 0)) {
        const allCached = (side: Side) => side.records.length > 0 && side.records.every((r) => r.cached || r.error || r.unsupported) && side.records.some((r) => r.cached);
        const which = allCached(cur) ? 'current run' : allCached(base) ? 'baseline' : null;
        // Said, not dropped: a run replayed from the cache measured no latency to compare.
        if (which) out.push({ suite, provider, metric: `latency.${metric}.${name}`, kind: 'latency', test: 'none', baseline: bp, current: cp, delta: null, ci: null, p: null, alpha, threshold, n_baseline: bv.length, n_current: cv.length, n_paired: 0, status: 'skipped', reason: `the ${which}'s answers all came from the response cache: no latency measured (run with --no-cache to measure it)` });
        return; // else the metric is not measured (e.g. no streaming): no check
      }
      out.push(ratioCheck(suite, provider, 'latency', `latency.${metric}.${name}`, bv, cv, bp, cp, threshold, cfg, alpha, boots ? boots[si]! : null));
    });
  });
  return out;
}

function costCheck(suite: string, provider: string, base: Side, cur: Side, cfg: GateConfig, alpha: number, seed: number): GateCheck[] {
  const threshold = cfg.cost.per_attempt;
  if (threshold === null) return [];
  // Money a cached attempt reports was spent by an earlier run.
  const vals = (recs: AttemptRecord[]) => recs.filter((r) => !r.cached && !r.unsupported).map((r) => r.cost).filter((v): v is number => typeof v === 'number');
  const bv = vals(base.records);
  const cv = vals(cur.records);
  const point = (side: Side, v: number[]) => {
    const s = side.summary;
    if (v.length > 0) return mean(v);
    if (side.records.length > 0) return null;
    const n = s.n - (s.n_cached ?? 0) - (s.n_unsupported ?? 0);
    return s.cost.total !== null && n > 0 ? s.cost.total / n : null;
  };
  const bp = point(base, bv);
  const cp = point(cur, cv);
  if (bp === null && cp === null) return [];
  const boot = bv.length >= 2 && cv.length >= 2 ? bootstrapRatios(bv, cv, [meanStat], alpha, cfg.bootstrap.resamples, seed)[0]! : null;
  return [ratioCheck(suite, provider, 'cost', 'cost.per_attempt', bv, cv, bp, cp, threshold, cfg, alpha, boot)];
}

/** Pairs suite × provider entries: by provider id, or one-to-one when each run has a single provider. */
function pairEntries(base: LoadedRun, cur: LoadedRun): { pairs: Array<{ suite: string; bp: string; cp: string }>; onlyBase: string[]; onlyCur: string[] } {
  const bProviders = [...new Set(base.summary.suites.map((s) => s.provider))];
  const cProviders = [...new Set(cur.summary.suites.map((s) => s.provider))];
  const single = bProviders.length === 1 && cProviders.length === 1;
  const mapProvider = (p: string) => (single ? cProviders[0]! : p);
  const pairs: Array<{ suite: string; bp: string; cp: string }> = [];
  const onlyBase: string[] = [];
  const matched = new Set<string>();
  for (const s of base.summary.suites) {
    const cp = mapProvider(s.provider);
    const c = cur.summary.suites.find((x) => x.suite === s.suite && x.provider === cp);
    if (c) {
      pairs.push({ suite: s.suite, bp: s.provider, cp });
      matched.add(`${c.suite}\u0000${c.provider}`);
    } else onlyBase.push(`${s.suite} [${s.provider}]`);
  }
  const onlyCur = cur.summary.suites.filter((s) => !matched.has(`${s.suite}\u0000${s.provider}`)).map((s) => `${s.suite} [${s.provider}]`);
  return { pairs, onlyBase, onlyCur };
}

/** Cached attempts of a run: from its samples, else its summary's n_cached. */
function nCached(run: LoadedRun): number {
  if (run.samples.length > 0) return run.samples.filter((r) => r.cached).length;
  return run.summary.suites.reduce((a, s) => a + (s.n_cached ?? 0), 0);
}

export function compareRuns(base: LoadedRun, cur: LoadedRun, cfg: GateConfig): GateResult {
  const { pairs, onlyBase, onlyCur } = pairEntries(base, cur);
  const checks: GateCheck[] = [];
  const mismatches: ItemMismatch[] = [];
  const compared: ComparedEntry[] = [];
  const recs = (run: LoadedRun, suite: string, provider: string) => run.samples.filter((r) => r.suite === suite && r.provider === provider);
  pairs.forEach(({ suite, bp, cp }, pi) => {
    const over = cfg.suites[suite] ?? {};
    const provider = bp === cp ? cp : `${bp} → ${cp}`;
    if (over.skip) {
      checks.push({ suite, provider, metric: 'score', kind: 'score', test: 'none', baseline: null, current: null, delta: null, ci: null, p: null, alpha: cfg.alpha, threshold: cfg.tolerance, n_baseline: 0, n_current: 0, n_paired: 0, status: 'skipped', reason: 'skipped by gate config' });
      return;
    }
    const tol = over.tolerance ?? cfg.tolerance;
    const alpha = over.alpha ?? cfg.alpha;
    const b: Side = { summary: base.summary.suites.find((s) => s.suite === suite && s.provider === bp)!, records: recs(base, suite, bp) };
    const c: Side = { summary: cur.summary.suites.find((s) => s.suite === suite && s.provider === cp)!, records: recs(cur, suite, cp) };
    const { check, mismatch } = scoreCheck(suite, provider, b, c, cfg, tol, alpha);
    compared.push({ suite, provider, base: b.summary, cur: c.summary, baseIds: new Set(b.records.map((r) => r.item_id)), curIds: new Set(c.records.map((r) => r.item_id)) });
    checks.push(check);
    if (mismatch.only_in_baseline.length > 0 || mismatch.only_in_current.length > 0) mismatches.push(mismatch);
    const seed = cfg.bootstrap.seed + 1000 * (pi + 1);
    checks.push(...latencyChecks(suite, provider, b, c, cfg, alpha, seed));
    checks.push(...costCheck(suite, provider, b, c, cfg, alpha, seed + 500));
  });
  const completeness = checkCompleteness(base, cur, compared, cfg.fail_on_missing_items);
  const regression = checks.some((c) => c.status === 'regression')
    || (cfg.fail_on_missing_suites && onlyBase.length > 0)
    || completeness.fails;
  return {
    ok: !regression,
    exit_code: regression ? 1 : 0,
    rule: cfg.rule,
    baseline: { run_id: base.manifest.run_id, dir: base.dir, has_samples: base.samples.length > 0, status: base.manifest.status, n_cached: nCached(base) },
    current: { run_id: cur.manifest.run_id, dir: cur.dir, has_samples: cur.samples.length > 0, status: cur.manifest.status, n_cached: nCached(cur) },
    checks,
    mismatches,
    missing: { only_in_baseline: onlyBase, only_in_current: onlyCur },
    completeness,
    config: cfg,
  };
}
