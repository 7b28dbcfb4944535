/**
 * Loader `longbench2`: LongBench v2 files, jsonl (one object per line) or the published
 * JSON array, each `{_id, domain, sub_domain, difficulty, length, question, choice_A..D,
 * answer, context}`. The prompt is LongBench v2's zero-shot template; the scorer is
 * `longbench_mc` ("The correct answer is (A)" and fallbacks).
 *
 * options (suite.json `loader.options`):
 *   max_context_tokens: keep the first and last half of that many context tokens, as
 *                       LongBench v2's pred.py does for the whole prompt (it uses 120000 for
 *                       128K models); metadata.truncated says when it happened
 *   tokenizer:          "deepseek-v3" (default), "byte" or "approx" for that count
 */
import { readFileSync } from 'node:fs';
import { DsabenchError } from '../../errors.js';
import { getTokenizer, type Tokenizer } from '../../tokenizers/index.js';
import type { Item, ItemLoader, SuiteConfig } from '../../types.js';
import { parseJsonl } from '../../util/jsonl.js';

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

const FIELDS = ['question', 'choice_A', 'choice_B', 'choice_C', 'choice_D', 'context'] as const;

function rows(file: string): Array<{ value: unknown; line: number; index: number }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DsabenchError('E_FILE_NOT_FOUND', `cannot read file: ${(e as Error).message}`, { file });
  }
  if (text.trimStart().startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(text);
    } catch (e) {
      throw new DsabenchError('E_ITEMS_INVALID', `not valid JSON (${(e as Error).message})`, { file });
    }
    if (!Array.isArray(arr) || arr.length === 0) throw new DsabenchError('E_ITEMS_INVALID', 'expected a non-empty JSON array of problems', { file });
    // a JSON array has no useful line numbers: report the 1-based position instead
    return arr.map((value, index) => ({ value, line: index + 1, index }));
  }
  return parseJsonl(text, file, { code: 'E_ITEMS_INVALID' });
}

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
  const items: Item[] = rows(file).map(({ value, line, index }) => {
    const where = { file, line };
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new DsabenchError('E_ITEMS_INVALID', 'expected a JSON object', where);
    }
    const obj = value as Record<string, unknown>;
    const input: Record<string, string> = {};
    for (const f of FIELDS) {
      const v = obj[f];
      if (typeof v !== 'string') {
        throw new DsabenchError('E_ITEMS_INVALID', `"${f}" must be a string, got ${v === undefined ? 'nothing' : v === null ? 'null' : typeof v} (LongBench v2 layout)`, { ...where, field: `/${f}` });
      }
      input[f] = v;
    }
    const answer = obj['answer'];
    if (typeof answer !== 'string' || !/^[A-D]$/.test(answer.trim())) {
      throw new DsabenchError('E_ITEMS_INVALID', `"answer" must be one of "A", "B", "C", "D", got ${JSON.stringify(answer)}`, { ...where, field: '/answer' });
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
  });
  const config: Omit<SuiteConfig, 'name'> = {
    kind: 'long-context',
    description: 'LongBench v2 multiple-choice problems',
    scorer: { name: 'longbench_mc' },
    prompt: { template: LONGBENCH2_TEMPLATE },
    generation: { temperature: 0, max_tokens: 128 },
    options: { breakdown_by: ['length', 'difficulty', 'domain'] },
  };
  return { config, items };
};
