import type { ScoreFn } from '../types.js';
import { defineScorer, scoreFn } from './scorer.js';

export interface ExactMatchOptions {
  ignoreCase: boolean;
}

/** Scorer `exact_match`: exact string match after trimming (option ignore_case to fold case). */
export const exactMatchEntry = defineScorer({
  name: 'exact_match',
  options: {
    ignore_case: { type: 'boolean', default: false, description: 'Fold case before comparing.' },
  },
  parse: (o): ExactMatchOptions => ({ ignoreCase: o['ignore_case'] === true }),
  score(output, item, { ignoreCase }) {
    const norm = (s: string): string => (ignoreCase ? s.trim().toLowerCase() : s.trim());
    const targets = Array.isArray(item.target) ? item.target.map(String) : [String(item.target)];
    const pass = targets.some((t) => norm(t) === norm(output));
    return { value: pass ? 1 : 0, pass };
  },
});

/** The entry as a function of raw options. */
export const exactMatch: ScoreFn = scoreFn(exactMatchEntry);
