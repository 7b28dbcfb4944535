/** Number and text formatting shared by the Markdown, HTML and CSV reporters. */
import type { LatencyStats } from '../types.js';
import type { ReportModel } from './types.js';

export const DASH = '—';

/** 0.8123 → "81.2" (scores are in [0, 1], shown as percent). */
export function pct(x: number | null | undefined, digits = 1): string {
  return typeof x === 'number' && Number.isFinite(x) ? (x * 100).toFixed(digits) : DASH;
}

export function ciText(ci: [number, number]): string {
  return `[${pct(ci[0])}, ${pct(ci[1])}]`;
}

/** Milliseconds with a thousands separator, no decimals above 100 ms. */
export function ms(x: number | null | undefined): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return DASH;
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);
}

export function int(x: number | null | undefined): string {
  return typeof x === 'number' && Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : DASH;
}

export function usd(x: number | null | undefined): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return DASH;
  return x >= 1 ? `$${x.toFixed(2)}` : `$${x.toPrecision(3)}`;
}

export function rate(x: number | null | undefined): string {
  return typeof x === 'number' && Number.isFinite(x) ? x.toFixed(1) : DASH;
}

/** "p50 / p90 / p99" of a latency stat. */
export function pcts(s: LatencyStats): string {
  return s.n === 0 ? DASH : `${ms(s.p50)} / ${ms(s.p90)} / ${ms(s.p99)}`;
}

/** pass@k map → "pass@1 62.0, pass@2 71.3". */
export function passAtKText(p: Record<string, number> | null): string {
  if (!p) return DASH;
  return Object.entries(p).sort((a, b) => Number(a[0]) - Number(b[0])).map(([k, v]) => `@${k} ${pct(v)}`).join(', ');
}

export function escHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Markdown table cell: pipes escaped, newlines flattened. */
export function escMd(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/</g, '&lt;');
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}… [${(s.length - max).toLocaleString('en-US')} more characters]`;
}

/**
 * Plain sentences on what the scores and latency leave out (unsupported, cached, no usage),
 * one per row that has any; empty when nothing was counted apart.
 */
export function countedApartNotes(model: Pick<ReportModel, 'rows'>): string[] {
  const out: string[] = [];
  for (const r of model.rows) {
    const cells = Object.values(r.cells);
    const sum = (k: 'n_unsupported' | 'n_cached' | 'n_no_usage'): number => cells.reduce((a, c) => a + (c[k] ?? 0), 0);
    const parts: string[] = [];
    const u = sum('n_unsupported');
    const c = sum('n_cached');
    const nu = sum('n_no_usage');
    if (u > 0) parts.push(`${int(u)} attempts unsupported here (not in the mean)`);
    if (c > 0) parts.push(`${int(c)} replayed from the response cache (not in latency, tokens or cost unless the run counted them)`);
    if (nu > 0) parts.push(`${int(nu)} answers without usage from the server (not in tokens or cost)`);
    if (parts.length > 0) out.push(`${r.label}: ${parts.join('; ')}.`);
  }
  return out;
}
