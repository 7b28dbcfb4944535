/**
 * Is the current run whole? A gate that compares only the items both runs share passes a
 * run that stopped half-way (Ctrl-C, a crash, `--limit`): the items it never reached cannot
 * regress. So, with `fail_on_missing_items` (the default), the gate fails when
 *
 * - the current run's status is not "complete" (interrupted, failed, still running), or
 * - an item of the baseline is absent from the current run (same suite and provider); with
 *   a summary-only side there are no ids, so a smaller `n_items` counts instead.
 *
 * Items only in the current run (a suite that grew) are listed but never fail the gate.
 */
import type { SuiteSummary } from '../../types.js';
import type { LoadedRun } from '../types.js';

/** Items of the baseline that the current run lacks, for one suite × provider. */
export interface MissingItems {
  suite: string;
  provider: string;
  /** The missing ids, sorted; empty when a side holds only a summary (then see `count`). */
  ids: string[];
  /** How many are missing: ids.length, or the difference of the summaries' n_items. */
  count: number;
}

export interface Completeness {
  /** Why the current run is not whole (its status, and `--limit` when it was given), or null. */
  incomplete: string | null;
  missing_items: MissingItems[];
  /** Total of `count` over missing_items. */
  n_missing: number;
  /** fail_on_missing_items and (an incomplete run or a missing item). */
  fails: boolean;
}

/** One compared suite × provider: the ids each side holds (empty without samples). */
export interface ComparedEntry {
  suite: string;
  provider: string;
  base: SuiteSummary;
  cur: SuiteSummary;
  baseIds: ReadonlySet<string>;
  curIds: ReadonlySet<string>;
}

function limitOf(run: LoadedRun): number | null {
  const l = (run.manifest.config as { limit?: unknown } | undefined)?.limit;
  return typeof l === 'number' ? l : null;
}

export function checkCompleteness(base: LoadedRun, cur: LoadedRun, entries: readonly ComparedEntry[], failOnMissing: boolean): Completeness {
  const missing: MissingItems[] = [];
  for (const e of entries) {
    if (e.baseIds.size > 0 && e.curIds.size > 0) {
      const ids = [...e.baseIds].filter((id) => !e.curIds.has(id)).sort();
      if (ids.length > 0) missing.push({ suite: e.suite, provider: e.provider, ids, count: ids.length });
    } else {
      const count = e.base.n_items - e.cur.n_items;
      if (count > 0) missing.push({ suite: e.suite, provider: e.provider, ids: [], count });
    }
  }
  const reasons: string[] = [];
  if (cur.manifest.status !== 'complete') reasons.push(`status "${cur.manifest.status}"`);
  // --limit alone is not incomplete (a baseline made with the same limit has the same
  // items); it is named when it explains missing items.
  const limit = limitOf(cur);
  if (limit !== null && limitOf(base) !== limit && (reasons.length > 0 || missing.length > 0)) reasons.push(`made with --limit ${limit}`);
  const incomplete = reasons.length > 0 ? reasons.join(', ') : null;
  const n_missing = missing.reduce((a, m) => a + m.count, 0);
  return { incomplete, missing_items: missing, n_missing, fails: failOnMissing && (cur.manifest.status !== 'complete' || n_missing > 0) };
}

/** "t5, t6, t7 and 12 more" (the first `n` ids), or "N items" when the ids are unknown. */
export function describeMissing(m: MissingItems, n = 10): string {
  if (m.ids.length === 0) return `${m.count} item(s) (no ids: a side has no samples.jsonl)`;
  const shown = m.ids.slice(0, n).join(', ');
  return m.ids.length > n ? `${shown} and ${m.ids.length - n} more` : shown;
}
