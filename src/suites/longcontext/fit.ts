/**
 * Fitting a haystack to a token budget with few full tokenizer passes.
 *
 * A layout gives the fixed prompt parts (prefix, suffix), the context pieces for n filler
 * units (needles placed by depth among them) and fresh filler on demand. Every piece starts
 * with a space (or is a whole word/sentence), so the DeepSeek-V3 pre-tokenizer splits at
 * piece boundaries and the token count of the context is the sum over pieces (asserted in
 * test/suites/longcontext.test.ts against full recounts).
 *
 * 1. estimate tokens per filler unit from a 200-unit sample and the fixed cost exactly;
 * 2. build n = (limit − fixed) / per-unit pieces and count the whole prompt once (exact);
 * 3. trim removable pieces from the end, or add fresh ones before the trailing needles,
 *    counting only the pieces removed or added, until limit − one unit < tokens ≤ limit.
 */
import { DsabenchError } from '../../errors.js';
import type { Tokenizer } from '../../tokenizers/index.js';

export interface Piece {
  text: string;
  /** Filler that may be dropped to fit; needles and answer-bearing words are not removable. */
  removable: boolean;
}

export interface Layout {
  prefix: string;
  suffix: string;
  /** Context pieces around `n` filler units. */
  build(n: number): Piece[];
  /** `k` fresh filler pieces (for growing after the first count). */
  more(k: number): Piece[];
  /** A sample of filler units for the per-unit estimate. */
  sample(k: number): string[];
}

export interface Fitted {
  prompt: string;
  tokens: number;
  fillerUnits: number;
  /** Full tokenizer passes over the prompt (1 unless the estimate was far off). */
  fullCounts: number;
}

const join = (ps: readonly Piece[]): string => ps.map((p) => p.text).join('');

export function fitLayout(tok: Tokenizer, limit: number, layout: Layout, where: { field: string; what: string }): Fitted {
  const fixed = tok.count(layout.prefix + join(layout.build(0)) + layout.suffix);
  if (fixed > limit) {
    throw new DsabenchError(
      'E_OPTION',
      `${where.what}: the question, instructions and needles alone take ${fixed} tokens (+ the answer budget), more than the target length allows (${limit} tokens for the prompt); choose a larger length`,
      { field: where.field },
    );
  }
  const sample = layout.sample(200);
  const perUnit = Math.max(1, tok.count(sample.join('')) / sample.length);
  let n = Math.max(0, Math.floor(((limit - fixed) / perUnit) * 0.995));
  let pieces = layout.build(n);
  let tokens = tok.count(layout.prefix + join(pieces) + layout.suffix);
  let fullCounts = 1;
  // far off (an unusual tokenizer): rebuild from the measured ratio instead of many small steps
  if (tokens > limit * 1.05) {
    n = Math.max(0, Math.floor(n * (limit - fixed) / Math.max(1, tokens - fixed) * 0.99));
    pieces = layout.build(n);
    tokens = tok.count(layout.prefix + join(pieces) + layout.suffix);
    fullCounts++;
  }
  // trim: drop removable pieces from the end, counting only what is dropped
  while (tokens > limit) {
    const excess = tokens - limit;
    const drop: number[] = [];
    let est = 0;
    for (let i = pieces.length - 1; i >= 0 && est < excess; i--) {
      if (!pieces[i]!.removable) continue;
      drop.push(i);
      est += perUnit;
    }
    if (drop.length === 0) break;
    drop.reverse();
    const removed = tok.count(drop.map((i) => pieces[i]!.text).join(''));
    const gone = new Set(drop);
    pieces = pieces.filter((_, i) => !gone.has(i));
    tokens -= removed;
    n -= drop.length;
  }
  // grow: insert fresh filler before the trailing non-removable pieces (a needle at depth 1 stays last)
  let k = Math.floor((limit - tokens) / perUnit);
  while (k > 0) {
    const add = layout.more(k);
    const added = tok.count(join(add));
    if (tokens + added <= limit) {
      let at = pieces.length;
      while (at > 0 && !pieces[at - 1]!.removable) at--;
      if (at === 0) at = pieces.length;
      pieces.splice(at, 0, ...add);
      tokens += added;
      n += add.length;
      k = Math.floor((limit - tokens) / perUnit);
    } else {
      k = Math.floor(k / 2);
    }
  }
  const prompt = layout.prefix + join(pieces) + layout.suffix;
  // an estimate (chars/4 rounds up per piece) is not additive: count the final prompt itself
  if (tok.approximate) {
    tokens = tok.count(prompt);
    fullCounts++;
  }
  if (tokens > limit) {
    throw new DsabenchError('E_OPTION', `${where.what}: cannot fit the prompt into ${limit} tokens`, { field: where.field });
  }
  return { prompt, tokens, fillerUnits: n, fullCounts };
}
