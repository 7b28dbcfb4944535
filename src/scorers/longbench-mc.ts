/**
 * LongBench v2 multiple choice (A-D).
 *
 * Official extraction (strict): remove `*`, then `The correct answer is \(([A-D])\)`, then
 * `The correct answer is ([A-D])`. Flexible adds: `answer is (B)`/`Answer: B`, a reply that is
 * just a letter (`B`, `(B)`, `B.`), and the last `(X)` in the text.
 * value/pass follow flexible unless options.mode is "strict"; details.metrics has both.
 */
import { DsabenchError } from '../errors.js';
import type { ScoreFn } from '../types.js';
import { defineScorer, EXTRACTION_MODE_OPTION, parseExtractionMode, scoreFn, type ExtractionMode } from './scorer.js';

export type Choice = 'A' | 'B' | 'C' | 'D';

export function extractChoiceStrict(response: string): Choice | null {
  const r = response.replace(/\*/g, '');
  const m = /The correct answer is \(([A-D])\)/.exec(r) ?? /The correct answer is ([A-D])/.exec(r);
  return m ? (m[1] as Choice) : null;
}

export function extractChoiceFlexible(response: string): Choice | null {
  const strict = extractChoiceStrict(response);
  if (strict) return strict;
  const r = response.replace(/\*/g, '').trim();
  const answerIs = [...r.matchAll(/answer(?:\s+is)?\s*[:：]?\s*\(?([A-D])\)?(?![A-Za-z])/gi)].pop();
  if (answerIs) return answerIs[1]!.toUpperCase() as Choice;
  const lone = /^\(?([A-D])\)?[.:]?$/.exec(r);
  if (lone) return lone[1] as Choice;
  const paren = [...r.matchAll(/\(([A-D])\)/g)].pop();
  return paren ? (paren[1] as Choice) : null;
}

export type LongbenchMcOptions = { mode: ExtractionMode };

export const longbenchMcEntry = defineScorer({
  name: 'longbench_mc',
  options: EXTRACTION_MODE_OPTION,
  parse: parseExtractionMode,
  score(output, item, { mode }) {
    const gold = typeof item.target === 'string' ? item.target.trim().toUpperCase() : '';
    if (!/^[A-D]$/.test(gold)) {
      throw new DsabenchError('E_ITEMS_INVALID', `item ${item.id}: longbench_mc target must be one of "A", "B", "C", "D", got ${JSON.stringify(item.target)}`, { field: 'target' });
    }
    const s = extractChoiceStrict(output);
    const f = extractChoiceFlexible(output);
    const strict = s === gold;
    const flexible = f === gold;
    const pass = mode === 'strict' ? strict : flexible;
    return { value: pass ? 1 : 0, pass, details: { metrics: { strict: strict ? 1 : 0, flexible: flexible ? 1 : 0 }, extracted: { strict: s, flexible: f }, gold } };
  },
});

/** The entry as a function of raw options. */
export const longbenchMc: ScoreFn = scoreFn(longbenchMcEntry);
