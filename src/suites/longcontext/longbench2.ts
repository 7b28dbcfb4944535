/**
 * Loader `longbench2`: LongBench v2 files, jsonl (one object per line) or the published
 * JSON array, gzip-compressed or not, each `{_id, domain, sub_domain, difficulty, length, question, choice_A..D,
 * answer, context}`. The prompt is LongBench v2's zero-shot template; the scorer is
 * `longbench_mc` ("The correct answer is (A)" and fallbacks).
 *
 * options (suite.json `loader.options`):
 *   max_context_tokens: keep the first and last half of that many context tokens, as
 *                       LongBench v2's pred.py does for the whole prompt (it uses 120000 for
 *                       128K models); metadata.truncated says when it happened
 *   tokenizer:          "deepseek-v3" (default), "byte" or "approx" for that count
 *   skip_invalid:       leave invalid records out (listed) instead of refusing the file
 */
import { DsabenchError } from '../../errors.js';
import { getTokenizer, type Tokenizer } from '../../tokenizers/index.js';
import type { Item, ItemLoader, SuiteConfig } from '../../types.js';
import { at, collectRecords, place, readRecords, skipInvalidOption } from '../records.js';

export const LONGBENCH2_TEMPLATE = [
  'Please read the following text and answer the question below.',
  '',
  '<text>',
  '{context}',
  '</text>',
  '',
  'What is the correct answer to this question: {question}',
  'Choices:',
  '(A) {choice_A}',
  '(B) {choice_B}',
  '(C) {choice_C}',
  '(D) {choice_D}',
  '',
  'Format your response as follows: "The correct answer is (insert answer here)".',
].join('\n');

export const LONGBENCH2_CONFIG: Omit<SuiteConfig, 'name'> = {
  kind: 'long-context',
  description: 'LongBench v2 multiple-choice problems',
  scorer: { name: 'longbench_mc' },
  prompt: { template: LONGBENCH2_TEMPLATE },
  generation: { temperature: 0, max_tokens: 128 },
  options: { breakdown_by: ['length', 'difficulty', 'domain'] },
};

const FIELDS = ['question', 'choice_A', 'choice_B', 'choice_C', 'choice_D', 'context'] as const;

/** The first and last `max / 2` tokens of `text` (the middle is what LongBench v2 drops). */
export function truncateMiddle(text: string, max: number, tok: Tokenizer): { text: string; truncated: boolean } {
  if (tok.count(text) <= max) return { text, truncated: false };
  if (tok.encode && tok.decode) {
    const ids = tok.encode(text);
    const half = Math.floor(max / 2);
    return { text: tok.decode(ids.slice(0, half)) + tok.decode(ids.slice(ids.length - (max - half))), truncated: true };
  }
  // no ids (the chars/4 estimate): cut characters in the same proportion
  const keep = Math.floor((text.length * max) / tok.count(text));
  return { text: text.slice(0, Math.floor(keep / 2)) + text.slice(text.length - Math.ceil(keep / 2)), truncated: true };
}

async function truncation(options: Record<string, unknown>): Promise<{ max: number; tok: Tokenizer } | null> {
  const max = options['max_context_tokens'];
  if (max === undefined) return null;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 2) {
    throw new DsabenchError('E_OPTION', `expected an integer ≥ 2, got ${JSON.stringify(max)}`, { field: 'loader.options.max_context_tokens' });
  }
  const name = options['tokenizer'] ?? 'deepseek-v3';
  if (typeof name !== 'string') throw new DsabenchError('E_OPTION', `expected a tokenizer name, got ${JSON.stringify(name)}`, { field: 'loader.options.tokenizer' });
  return { max, tok: await getTokenizer(name, 'loader.options.tokenizer') };
}

export const longbench2Loader: ItemLoader = async (file, options) => {
  const cut = await truncation(options);
  // gzip or not, JSONL or the published JSON array (records.ts); all bad records at once.
  const { items, skipped } = collectRecords(readRecords(file), file, ({ value, index, where }): Item => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new DsabenchError('E_ITEMS_INVALID', 'expected a JSON object', place(where));
    }
    const obj = value as Record<string, unknown>;
    const input: Record<string, string> = {};
    for (const f of FIELDS) {
      const v = obj[f];
      if (typeof v !== 'string') {
        throw new DsabenchError('E_ITEMS_INVALID', `"${f}" must be a string, got ${v === undefined ? 'nothing' : v === null ? 'null' : typeof v} (LongBench v2 layout)`, at(where, f));
      }
      input[f] = v;
    }
    const answer = obj['answer'];
    if (typeof answer !== 'string' || !/^[A-D]$/.test(answer.trim())) {
      throw new DsabenchError('E_ITEMS_INVALID', `"answer" must be one of "A", "B", "C", "D", got ${JSON.stringify(answer)}`, at(where, 'answer'));
    }
    const letter = answer.trim();
    const id = typeof obj['_id'] === 'string' ? obj['_id'] : String(index);
    const metadata: Record<string, unknown> = {};
    for (const k of ['domain', 'sub_domain', 'difficulty', 'length']) if (obj[k] !== undefined) metadata[k] = obj[k];
    if (cut) {
      const t = truncateMiddle(input['context']!, cut.max, cut.tok);
      input['context'] = t.text;
      metadata['truncated'] = t.truncated;
      metadata['tokenizer'] = cut.tok.name;
    }
    return { id, input, target: letter, reference: `The correct answer is (${letter}).`, metadata };
  }, { skipInvalid: skipInvalidOption(options) });
  return { config: LONGBENCH2_CONFIG, items, skipped };
};
