/**
 * Two-sample tests the gate needs beyond src/util/stats.ts: paired bootstrap of a mean
 * difference, unpaired bootstrap of a ratio of quantiles or means, two-proportion z-test,
 * Welch z-test from summary statistics, and the paired normal CI of SUITES.md.
 * All resampling is seeded (mulberry32) so a gate verdict is reproducible.
 */
import { mean, normalCdf, normalQuantile, percentile, mulberry32 } from '../../util/stats.js';

export interface TwoSidedResult {
  /** Point estimate of the difference (current − baseline) or ratio (current / baseline). */
  estimate: number;
  ci: [number, number];
  /** Two-sided p-value of "no difference" (null when the method gives none). */
  p: number | null;
}

/** (1 − alpha) two-sided normal quantile. */
export const zFor = (alpha: number): number => normalQuantile(1 - alpha / 2);

/**
 * Paired normal CI of mean(d), d_i = cur_i − base_i: SE_d = sd(d)/√n
 * (= √((Var a + Var b − 2 Cov(a, b))/n)), p from the normal approximation.
 */
export function pairedNormal(d: readonly number[], alpha: number): TwoSidedResult {
  const n = d.length;
  const m = mean(d);
  if (n < 2) return { estimate: m, ci: [m, m], p: null };
  let ss = 0;
  for (const x of d) ss += (x - m) * (x - m);
  const se = Math.sqrt(ss / (n - 1) / n);
  const z = zFor(alpha);
  if (se === 0) return { estimate: m, ci: [m, m], p: m === 0 ? 1 : 0 };
  return { estimate: m, ci: [m - z * se, m + z * se], p: 2 * (1 - normalCdf(Math.abs(m / se))) };
}

/**
 * Paired bootstrap over item indices of mean(d). CI: percentile interval. p: share of
 * resampled means at least as far from the observed mean as the observed mean is from 0
 * (the bootstrap distribution shifted to the null), floored at 1/(B+1).
 */
export function pairedBootstrap(d: readonly number[], alpha: number, resamples: number, seed: number): TwoSidedResult {
  const n = d.length;
  const m = mean(d);
  if (n === 0) return { estimate: 0, ci: [0, 0], p: null };
  const rand = mulberry32(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[Math.floor(rand() * n)]!;
    means[b] = s / n;
  }
  means.sort();
  const sorted = Array.from(means);
  let extreme = 0;
  for (const x of sorted) if (Math.abs(x - m) >= Math.abs(m) - 1e-15) extreme++;
  const p = m === 0 ? 1 : Math.max(1 / (resamples + 1), extreme / resamples);
  return { estimate: m, ci: [percentile(sorted, (alpha / 2) * 100)!, percentile(sorted, (1 - alpha / 2) * 100)!], p: Math.min(1, p) };
}

/** Two-proportion z-test (pooled SE for p; unpooled for the CI of p2 − p1). */
export function twoProportion(x1: number, n1: number, x2: number, n2: number, alpha: number): TwoSidedResult {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const diff = p2 - p1;
  const pooled = (x1 + x2) / (n1 + n2);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const se = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  const z = zFor(alpha);
  const p = sePooled === 0 ? (diff === 0 ? 1 : 0) : 2 * (1 - normalCdf(Math.abs(diff / sePooled)));
  return { estimate: diff, ci: [diff - z * se, diff + z * se], p };
}

/** Welch-style z-test of two means from their standard errors (large-sample). */
export function welchZ(m1: number, se1: number, m2: number, se2: number, alpha: number): TwoSidedResult {
  const diff = m2 - m1;
  const se = Math.sqrt(se1 * se1 + se2 * se2);
  const z = zFor(alpha);
  if (se === 0) return { estimate: diff, ci: [diff, diff], p: diff === 0 ? 1 : 0 };
  return { estimate: diff, ci: [diff - z * se, diff + z * se], p: 2 * (1 - normalCdf(Math.abs(diff / se))) };
}

export type Statistic = (sorted: Float64Array) => number;
export const quantileStat = (q: number): Statistic => (s) => {
  const idx = q * (s.length - 1);
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return s[lo]! * (1 - (idx - lo)) + s[hi]! * (idx - lo);
};
export const meanStat: Statistic = (s) => {
  let t = 0;
  for (const x of s) t += x;
  return t / s.length;
};

/**
 * Unpaired bootstrap of stat(current)/stat(baseline) for several statistics at once (each
 * side resampled on its own: latencies of different requests are not paired; one resample
 * serves every statistic). Percentile CI; p = two-sided share of resampled ratios on the
 * other side of 1, floored at 1/(B+1).
 */
export function bootstrapRatios(base: readonly number[], cur: readonly number[], stats: readonly Statistic[], alpha: number, resamples: number, seed: number): TwoSidedResult[] {
  const sb = Float64Array.from(base).sort();
  const sc = Float64Array.from(cur).sort();
  const ratio = (c: number, b: number): number => (b === 0 ? (c === 0 ? 1 : Infinity) : c / b);
  const estimates = stats.map((st) => ratio(st(sc), st(sb)));
  const rand = mulberry32(seed);
  const rb = new Float64Array(sb.length);
  const rc = new Float64Array(sc.length);
  const ratios = stats.map(() => new Float64Array(resamples));
  for (let k = 0; k < resamples; k++) {
    for (let i = 0; i < rb.length; i++) rb[i] = sb[Math.floor(rand() * sb.length)]!;
    for (let i = 0; i < rc.length; i++) rc[i] = sc[Math.floor(rand() * sc.length)]!;
    rb.sort();
    rc.sort();
    stats.forEach((st, j) => { ratios[j]![k] = ratio(st(rc), st(rb)); });
  }
  return stats.map((_, j) => {
    const r = ratios[j]!.sort();
    let below = 0;
    let above = 0;
    for (const x of r) {
      if (x <= 1) below++;
      if (x >= 1) above++;
    }
    const sorted = Array.from(r);
    const p = Math.min(1, Math.max(1 / (resamples + 1), (2 * Math.min(below, above)) / resamples));
    return { estimate: estimates[j]!, ci: [percentile(sorted, (alpha / 2) * 100)!, percentile(sorted, (1 - alpha / 2) * 100)!] as [number, number], p };
  });
}
