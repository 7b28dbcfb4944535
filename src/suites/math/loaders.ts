/**
 * Loaders for user files in the standard math layouts (each file JSONL or a JSON array,
 * gzip-compressed or not; records.ts; all take the option `skip_invalid`):
 *
 * - `gsm8k`:   jsonl `{question, answer}`, the answer's last line `#### <number>`.
 * - `math`:    a folder tree of MATH problems, one JSON per problem
 *              `{problem, level: "Level 1".."Level 5", type, solution}` (gold = last `\boxed{}`
 *              of the solution), or a MATH-500 jsonl (same as `math500`).
 * - `math500`: jsonl `{problem, solution, answer, subject, level, unique_id}`.
 * - `aime`:    jsonl `{problem, answer}`, `{Problem, Answer}` or `{id, problem, solution, answer}`.
 *
 * Every problem names the file, the line (or the problem file) and the field.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DsabenchError } from '../../errors.js';
import { lastBoxed } from '../../scorers/math/extract.js';
import type { Item, ItemLoader, LoadedItems, SuiteConfig } from '../../types.js';
import { parsePlainJson } from '../../util/lossless-json.js';
import { at, collectRecords, place, readDataText, readRecords, skipInvalidOption, type ReadRecords, type Where } from '../records.js';

export const MATH_PROMPT = '{question}\nPlease reason step by step, and put your final answer within \\boxed{}.';

function mathConfig(description: string): Omit<SuiteConfig, 'name'> {
  return {
    kind: 'math',
    description,
    scorer: { name: 'math' },
    prompt: { template: MATH_PROMPT },
    generation: { temperature: 0, max_tokens: 4096 },
  };
}

export const MATH_CONFIGS = {
  gsm8k: mathConfig('GSM8K-layout problems (gold = the number after ####)'),
  math: mathConfig('MATH-layout problems (gold = last \\boxed{} of the solution)'),
  math500: mathConfig('MATH-500-layout problems'),
  aime: mathConfig('AIME-layout problems (integer answers 0-999)'),
} as const;

function asObject(value: unknown, where: Where): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DsabenchError('E_ITEMS_INVALID', `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`, place(where));
  }
  return value as Record<string, unknown>;
}

function requireString(obj: Record<string, unknown>, key: string, where: Where): string {
  const v = obj[key];
  if (v === undefined) {
    throw new DsabenchError('E_ITEMS_INVALID', `missing "${key}" (fields present: ${Object.keys(obj).join(', ') || 'none'})`, at(where, key));
  }
  if (typeof v !== 'string' || v.trim() === '') {
    throw new DsabenchError('E_ITEMS_INVALID', `"${key}" must be a non-empty string, got ${v === null ? 'null' : typeof v}`, at(where, key));
  }
  return v;
}

/** An answer field: a non-empty string, or an integer/finite number (AIME files store 204, not "204"). */
function requireAnswer(obj: Record<string, unknown>, key: string, where: Where): string {
  const v = obj[key];
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (v === undefined) {
    throw new DsabenchError('E_ITEMS_INVALID', `missing "${key}" (fields present: ${Object.keys(obj).join(', ') || 'none'})`, at(where, key));
  }
  throw new DsabenchError('E_ITEMS_INVALID', `"${key}" must be a string (or a number), got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`, at(where, key));
}

function mathItem(id: string, question: string, answer: string, metadata: Record<string, unknown>): Item {
  return { id, input: { question }, target: answer, reference: `\\boxed{${answer}}`, metadata };
}

// ---------------------------------------------------------------- GSM8K

/** Gold of a GSM8K answer: the text after the last `####`, commas removed (the official rule). */
export function gsm8kGold(answer: string): string | null {
  const m = /####\s*([^\n]*)$/.exec(answer.trim());
  if (!m) return null;
  const gold = m[1]!.replace(/,/g, '').replace(/\$/g, '').trim();
  return gold === '' ? null : gold;
}

export const gsm8kLoader: ItemLoader = (file, options) => {
  const { items, skipped } = collectRecords(readRecords(file), file, ({ value, index, where }) => {
    const obj = asObject(value, where);
    const question = requireString(obj, 'question', where);
    const answer = requireString(obj, 'answer', where);
    const gold = gsm8kGold(answer);
    if (gold === null) {
      throw new DsabenchError('E_ITEMS_INVALID', 'the answer has no final "#### <number>" line (GSM8K layout)', at(where, 'answer'));
    }
    const id = typeof obj['id'] === 'string' || typeof obj['id'] === 'number' ? String(obj['id']) : String(index);
    return mathItem(id, question, gold, { source: 'gsm8k' });
  }, { skipInvalid: skipInvalidOption(options) });
  return { config: MATH_CONFIGS.gsm8k, items, skipped };
};

// ---------------------------------------------------------------- MATH / MATH-500

function listJsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listJsonFiles(p));
    else if (e.isFile() && e.name.endsWith('.json')) out.push(p);
  }
  return out.sort();
}

function levelNumber(level: unknown): number | null {
  if (typeof level === 'number') return level;
  if (typeof level === 'string') {
    const m = /(\d+)/.exec(level);
    return m ? Number(m[1]) : null;
  }
  return null;
}

/** One record per problem file of a MATH tree; a file that is not JSON is a problem of its own. */
function readMathTree(root: string): ReadRecords {
  const files = listJsonFiles(root);
  if (files.length === 0) {
    throw new DsabenchError('E_ITEMS_INVALID', 'no .json problem files under this folder (MATH layout: <split>/<type>/<n>.json)', { file: root });
  }
  const out: ReadRecords = { rows: [], problems: [], format: 'jsonl' };
  files.forEach((file, index) => {
    try {
      out.rows.push({ value: parsePlainJson(readDataText(file)), index, where: { file } });
    } catch (e) {
      out.problems.push(e instanceof DsabenchError ? e : new DsabenchError('E_ITEMS_INVALID', `not valid JSON (${(e as Error).message})`, { file }));
    }
  });
  return out;
}

function mathTreeItems(root: string, skipInvalid: boolean): { items: Item[]; skipped: string[] } {
  return collectRecords(readMathTree(root), root, ({ value, where }) => {
    const file = where.file;
    const obj = asObject(value, where);
    const problem = requireString(obj, 'problem', where);
    const solution = requireString(obj, 'solution', where);
    const gold = lastBoxed(solution);
    if (gold === null || gold === '') {
      throw new DsabenchError('E_ITEMS_INVALID', 'the solution has no \\boxed{} answer (MATH layout)', at(where, 'solution'));
    }
    const id = relative(root, file).replace(/\\/g, '/').replace(/\.json$/, '');
    return mathItem(id, problem, gold, { source: 'math', level: levelNumber(obj['level']), type: obj['type'] ?? null });
  }, { skipInvalid });
}

function math500Items(file: string, skipInvalid: boolean): { items: Item[]; skipped: string[] } {
  return collectRecords(readRecords(file), file, ({ value, index, where }) => {
    const obj = asObject(value, where);
    const problem = requireString(obj, 'problem', where);
    let answer: string;
    if (obj['answer'] !== undefined) answer = requireAnswer(obj, 'answer', where);
    else {
      const gold = lastBoxed(requireString(obj, 'solution', where));
      if (gold === null) throw new DsabenchError('E_ITEMS_INVALID', 'no "answer" and the solution has no \\boxed{} answer', at(where, 'answer'));
      answer = gold;
    }
    const id = typeof obj['unique_id'] === 'string' ? obj['unique_id'] : String(index);
    return mathItem(id, problem, answer, { source: 'math500', level: levelNumber(obj['level']), subject: obj['subject'] ?? obj['type'] ?? null });
  }, { skipInvalid });
}

export const mathLoader: ItemLoader = (file, options) => {
  let isDir: boolean;
  try {
    isDir = statSync(file).isDirectory();
  } catch (e) {
    throw new DsabenchError('E_FILE_NOT_FOUND', `cannot read: ${(e as Error).message}`, { file });
  }
  if (isDir) return { config: MATH_CONFIGS.math, ...mathTreeItems(file, skipInvalidOption(options)) };
  return math500Loader(file, options) as LoadedItems;
};

export const math500Loader: ItemLoader = (file, options) => ({
  config: MATH_CONFIGS.math500,
  ...math500Items(file, skipInvalidOption(options)),
});

// ---------------------------------------------------------------- AIME

export const aimeLoader: ItemLoader = (file, options) => {
  const { items, skipped } = collectRecords(readRecords(file), file, ({ value, index, where }) => {
    const obj = asObject(value, where);
    const pKey = 'problem' in obj ? 'problem' : 'Problem' in obj ? 'Problem' : 'problem';
    const aKey = 'answer' in obj ? 'answer' : 'Answer' in obj ? 'Answer' : 'answer';
    const problem = requireString(obj, pKey, where);
    const answer = requireAnswer(obj, aKey, where);
    const rawId = obj['id'] ?? obj['ID'] ?? obj['unique_id'];
    const id = typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : String(index);
    return mathItem(id, problem, answer, { source: 'aime' });
  }, { skipInvalid: skipInvalidOption(options) });
  return { config: MATH_CONFIGS.aime, items, skipped };
};
