import type { Tokenizer } from './types.js';

/**
 * Declared fallback for models whose tokenizer we do not ship: ceil(chars / 4), the usual
 * rule of thumb for English BPE vocabularies. Flagged `approximate` so records and
 * reports can say that lengths are estimates.
 */
export const approxTokenizer: Tokenizer = {
  name: 'approx-chars4',
  approximate: true,
  count: (text) => Math.ceil(text.length / 4),
};
