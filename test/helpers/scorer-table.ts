/**
 * The scorer table seen as score functions, the way the runner tests extend it: assigning a
 * function under a new name registers a scorer entry that takes no options (defineScorer),
 * `delete` removes it, and reading a name gives that scorer as a function of raw options.
 * The entries land in the real table, so an inline pool (--workers 0) finds them.
 */
import { SCORERS as TABLE, defineScorer, getScorer, type Scorer } from '../../src/scorers/index.js';
import type { ScoreFn } from '../../src/types.js';

const table = TABLE as unknown as Record<string, Scorer>;

export const SCORERS: Record<string, ScoreFn> = new Proxy(table as unknown as Record<string, ScoreFn>, {
  get: (_t, name) => (typeof name === 'string' && name in table ? getScorer(name) : undefined),
  set: (_t, name, fn: unknown) => {
    if (typeof name !== 'string' || typeof fn !== 'function') return false;
    const score = fn as ScoreFn;
    table[name] = defineScorer({ name, score: (output, item, _options, ctx) => score(output, item, {}, ctx) });
    return true;
  },
  deleteProperty: (_t, name) => delete table[name as string],
});
