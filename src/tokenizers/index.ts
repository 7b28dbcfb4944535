/**
 * Tokenizers by name. `deepseek-v3` is exact for DeepSeek models, `byte` for the built-in
 * model, `approx` (chars/4) is the declared fallback for anything else.
 */
import { DsabenchError } from '../errors.js';
import { approxTokenizer } from './approx.js';
import { byteTokenizer } from './byte.js';
import { loadDeepseekV3 } from './deepseek-v3.js';
import type { Tokenizer } from './types.js';

export type { Tokenizer } from './types.js';

const LOADERS: Record<string, () => Tokenizer | Promise<Tokenizer>> = {
  'deepseek-v3': loadDeepseekV3,
  byte: () => byteTokenizer,
  approx: () => approxTokenizer,
  'approx-chars4': () => approxTokenizer,
};

export function tokenizerNames(): string[] {
  return Object.keys(LOADERS);
}

export async function getTokenizer(name: string, field = 'tokenizer'): Promise<Tokenizer> {
  const load = LOADERS[name];
  if (!load) {
    throw new DsabenchError('E_OPTION', `unknown tokenizer "${name}" (expected one of: ${tokenizerNames().join(', ')})`, { field });
  }
  return load();
}
