/**
 * RULER's string-match scorers (case-insensitive substring of the output):
 *
 * - `string_match_all`:  fraction of the references found in the output
 *                        (RULER: sum(r in pred) / len(refs)); pass when all are found.
 * - `string_match_part`: 1 when any reference is found (RULER: max(r in pred)).
 *
 * item.target is a string or a list of strings. RULER reports ×100; we keep [0, 1].
 */
import { DsabenchError } from '../errors.js';
import type { Item, Score, ScoreFn } from '../types.js';
import { defineScorer, scoreFn } from './scorer.js';

export function references(item: Item): string[] {
  const t = item.target;
  const refs = typeof t === 'string' ? [t] : Array.isArray(t) ? t : null;
  if (!refs || refs.length === 0 || refs.some((r) => typeof r !== 'string' || r === '')) {
    throw new DsabenchError('E_ITEMS_INVALID', `item ${item.id}: string-match target must be a non-empty string or a non-empty list of non-empty strings`, { field: 'target' });
  }
  return refs as string[];
}

function found(output: string, refs: string[]): boolean[] {
  const out = output.toLowerCase();
  return refs.map((r) => out.includes(r.toLowerCase()));
}

/** No options: any key in `scorer.options` is refused when the suite loads. */
export const stringMatchAllEntry = defineScorer({
  name: 'string_match_all',
  score(output, item): Score {
    const refs = references(item);
    const hits = found(output, refs);
    const n = hits.filter(Boolean).length;
    const value = n / refs.length;
    return { value, pass: n === refs.length, details: { found: n, total: refs.length, missing: refs.filter((_, i) => !hits[i]) } };
  },
});

export const stringMatchPartEntry = defineScorer({
  name: 'string_match_part',
  score(output, item): Score {
    const refs = references(item);
    const hits = found(output, refs);
    const n = hits.filter(Boolean).length;
    return { value: n > 0 ? 1 : 0, pass: n > 0, details: { found: n, total: refs.length } };
  },
});

/** The entries as functions of raw options. */
export const stringMatchAll: ScoreFn = scoreFn(stringMatchAllEntry);
export const stringMatchPart: ScoreFn = scoreFn(stringMatchPartEntry);
