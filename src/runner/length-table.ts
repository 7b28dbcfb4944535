/**
 * Accuracy and measured time per item vs context length: for every suite whose attempts carry
 * `metadata.length` (long-context), one row per length with each provider's mean score,
 * attempts and median end-to-end time per item; when the providers are the same native model
 * with dense and with sparse attention, the sparse/dense ratio of those medians.
 *
 * Failed attempts (an error, no reply) are left out of the time median: they have no
 * end-to-end time of a finished reply; so are cached ones (timed by an earlier run) unless
 * the run counts them (`countCached`).
 */
import { parseNativeSpec, type NativeSpec } from '../providers/native.js';
import type { AttemptRecord } from '../types.js';
import { median } from '../util/stats.js';
import { measuredLatency, type CountOptions } from '../results/summary.js';

export interface LengthCell {
  provider: string;
  n: number;
  mean: number;
  /** Median end-to-end time of the attempts that finished (null when none did). */
  e2e_p50_ms: number | null;
}

export interface LengthTable {
  suite: string;
  providers: string[];
  rows: Array<{ length: number; cells: LengthCell[] }>;
  /** Indexes into `providers` of the dense and sparse runs of one native model, if present. */
  densePair?: { dense: number; sparse: number };
}

/** The native spec of a provider id (`native:<model>?attention=…&topk=…`), null for other providers. */
const nativeModel = (p: string): NativeSpec | null => {
  if (p !== 'native' && !p.startsWith('native:')) return null;
  try {
    return parseNativeSpec(p.slice('native:'.length));
  } catch {
    return null;
  }
};

export function lengthTables(records: readonly AttemptRecord[], opts: CountOptions = {}): LengthTable[] {
  const bySuite = new Map<string, AttemptRecord[]>();
  for (const r of records) {
    if (typeof r.metadata?.['length'] !== 'number') continue;
    const list = bySuite.get(r.suite) ?? [];
    list.push(r);
    bySuite.set(r.suite, list);
  }
  const out: LengthTable[] = [];
  for (const [suite, recs] of bySuite) {
    // Dense runs first, then the others in the order they appear.
    const seen = [...new Set(recs.map((r) => r.provider))];
    const providers = [...seen.filter((p) => nativeModel(p)?.attention === 'dense'), ...seen.filter((p) => nativeModel(p)?.attention !== 'dense')];
    const lengths = [...new Set(recs.map((r) => r.metadata!['length'] as number))].sort((a, b) => a - b);
    const rows = lengths.map((length) => ({
      length,
      cells: providers.map((provider): LengthCell => {
        const xs = recs.filter((r) => r.provider === provider && r.metadata!['length'] === length);
        const times = xs.filter((r) => measuredLatency(r, opts) && r.timings?.e2e_ms != null).map((r) => r.timings!.e2e_ms as number);
        return {
          provider,
          n: xs.length,
          mean: xs.length === 0 ? 0 : xs.reduce((s, r) => s + r.score.value, 0) / xs.length,
          e2e_p50_ms: times.length === 0 ? null : median(times),
        };
      }),
    }));
    const table: LengthTable = { suite, providers, rows };
    const natives = providers.map(nativeModel);
    const dense = natives.findIndex((n) => n?.attention === 'dense');
    const sparse = natives.findIndex((n) => n?.attention === 'sparse' && n.model === natives[dense]?.model);
    if (dense >= 0 && sparse >= 0) table.densePair = { dense, sparse };
    out.push(table);
  }
  return out;
}

const lengthLabel = (n: number): string => (n >= 1024 && n % 1024 === 0 ? `${n / 1024}K` : String(n));
const shortName = (p: string): string => {
  const n = nativeModel(p);
  return n ? `${n.attention}${n.topk !== undefined ? ` k=${n.topk}` : ''}` : p;
};

/** Plain-text table: length, per provider accuracy (n) and median ms per item, sparse/dense time. */
export function renderLengthTable(t: LengthTable, table: (header: string[], rows: string[][]) => string): string {
  const header = ['length'];
  for (const p of t.providers) header.push(`${shortName(p)} accuracy`, `${shortName(p)} ms/item`);
  if (t.densePair) header.push(`${shortName(t.providers[t.densePair.sparse]!)} / dense time`);
  const rows = t.rows.map((r) => {
    const row = [lengthLabel(r.length)];
    for (const c of r.cells) row.push(`${(100 * c.mean).toFixed(1)}% (${c.n})`, c.e2e_p50_ms === null ? '-' : c.e2e_p50_ms.toFixed(0));
    if (t.densePair) {
      const d = r.cells[t.densePair.dense]!.e2e_p50_ms, s = r.cells[t.densePair.sparse]!.e2e_p50_ms;
      row.push(d && s !== null ? `${(s / d).toFixed(2)}×` : '-');
    }
    return row;
  });
  return `${t.suite}: accuracy and median time per item (prefill + reply) by context length\n` + table(header, rows);
}
