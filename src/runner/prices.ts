/**
 * Price table (data/prices.json): USD per million input/output tokens, looked up by provider
 * id first, then by model name. Shape:
 *   { "currency": "USD", "unit": "per_million_tokens",
 *     "models": { "<id or model>": { "input": 0.28, "output": 0.42, "input_cache_hit"?: 0.028 } } }
 * Reasoning tokens are part of completion_tokens (as DeepSeek bills them).
 */
import { readFileSync } from 'node:fs';
import { DsabenchError } from '../errors.js';
import type { Provider, Usage } from '../types.js';
import { packagePath } from '../util/package.js';

export interface Price {
  input: number;
  output: number;
  input_cache_hit?: number;
}

export type PriceTable = Record<string, Price>;

export function loadPrices(file: string = packagePath('data', 'prices.json')): PriceTable {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DsabenchError('E_INPUT_INVALID', `cannot read price table (${(err as Error).message})`, { file, cause: err });
  }
  const models = (raw as { models?: unknown }).models;
  if (!models || typeof models !== 'object') throw new DsabenchError('E_INPUT_INVALID', 'expected an object "models"', { file, field: '/models' });
  const out: PriceTable = {};
  for (const [name, p] of Object.entries(models as Record<string, unknown>)) {
    const price = p as Partial<Price>;
    if (typeof price.input !== 'number' || typeof price.output !== 'number') {
      throw new DsabenchError('E_INPUT_INVALID', 'expected numbers "input" and "output" (USD per million tokens)', { file, field: `/models/${name}` });
    }
    out[name] = { input: price.input, output: price.output, ...(typeof price.input_cache_hit === 'number' ? { input_cache_hit: price.input_cache_hit } : {}) };
  }
  return out;
}

export function priceFor(table: PriceTable, provider: Pick<Provider, 'id' | 'model'>): Price | null {
  return table[provider.id] ?? table[provider.model] ?? null;
}

/** USD cost of one attempt's usage; null when there is no price or no usage. */
export function costOf(price: Price | null, usage: Usage | null | undefined): number | null {
  if (!price || !usage) return null;
  return (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1e6;
}
