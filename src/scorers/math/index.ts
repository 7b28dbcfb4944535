/**
 * Scorer `math`: extracts the final answer from the output and compares it with the gold
 * answer (item.target, a LaTeX string) under the MATH equivalence rules.
 *
 * details.metrics = { strict, flexible } (1/0): strict reads only the last non-empty
 * `\boxed{}`; flexible falls back to answer cues ("The answer is", `Answer:`, `####`), a bold
 * answer and the last number, ignoring closing chatter (extract.ts has the order).
 * value/pass follow `flexible` unless options.mode is "strict".
 */
import { DsabenchError } from '../../errors.js';
import type { Item, ScoreFn } from '../../types.js';
import { defineScorer, EXTRACTION_MODE_OPTION, parseExtractionMode, scoreFn, type ExtractionMode } from '../scorer.js';
import { isEquivalent } from './equiv.js';
import { extractFlexible, extractStrict, lastBoxed } from './extract.js';

export { isEquivalent } from './equiv.js';
export { extractFlexible, extractStrict, lastBoxed } from './extract.js';
export { normalizeAnswer } from './normalize.js';

/** The gold answer of an item: a string (a `\boxed{}` inside it is unwrapped) or a finite number. */
export function goldAnswer(item: Item): string {
  const t = item.target;
  if (typeof t === 'number' && Number.isFinite(t)) return String(t);
  if (typeof t !== 'string' || t.trim() === '') {
    throw new DsabenchError('E_ITEMS_INVALID', `item ${item.id}: math target must be a non-empty string (the answer in LaTeX), got ${t === null ? 'null' : typeof t}`, { field: 'target' });
  }
  return lastBoxed(t) ?? t;
}

export type MathOptions = { mode: ExtractionMode };

export const mathEntry = defineScorer({
  name: 'math',
  options: EXTRACTION_MODE_OPTION,
  parse: parseExtractionMode,
  async score(output, item, { mode }) {
    const gold = goldAnswer(item);
    const strictAnswer = extractStrict(output);
    const flex = extractFlexible(output);
    const strict = strictAnswer !== null && (await isEquivalent(strictAnswer, gold)).equivalent;
    const flexible = strict || (flex !== null && (await isEquivalent(flex.answer, gold)).equivalent);
    const pass = mode === 'strict' ? strict : flexible;
    return {
      value: pass ? 1 : 0,
      pass,
      details: {
        metrics: { strict: strict ? 1 : 0, flexible: flexible ? 1 : 0 },
        extracted: { strict: strictAnswer, flexible: flex?.answer ?? null, method: flex?.method ?? null },
        gold,
        mode,
      },
    };
  },
});

/** The entry as a function of raw options. */
export const mathScorer: ScoreFn = scoreFn(mathEntry);
