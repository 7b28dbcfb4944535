/**
 * Loaders for user files in the standard math layouts:
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
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DsabenchError } from '../../errors.js';
import { lastBoxed } from '../../scorers/math/extract.js';
import type { Item, ItemLoader, SuiteConfig } from '../../types.js';
import { readJsonl } from '../../util/jsonl.js';

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

interface Where {
  file: string;
  line?: number;
}

function asObject(value: unknown, where: Where): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DsabenchError('E_ITEMS_INVALID', `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`, where);
  }
  return value as Record<string, unknown>;
}

function requireString(obj: Record<string, unknown>, key: string, where: Where): string {
  const v = obj[key];
  if (v === undefined) {
    throw new DsabenchError('E_ITEMS_INVALID', `missing "${key}" (fields present: ${Object.keys(obj).join(', ') || 'none'})`, { ...where, field: `/${key}` });
  }
  if (typeof v !== 'string' || v.trim() === '') {
    throw new DsabenchError('E_ITEMS_INVALID', `"${key}" must be a non-empty string, got ${v === null ? 'null' : typeof v}`, { ...where, field: `/${key}` });
  }
  return v;
}

/** An answer field: a non-empty string, or an integer/finite number (AIME files store 204, not "204"). */
function requireAnswer(obj: Record<string, unknown>, key: string, where: Where): string {
  const v = obj[key];
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (v === undefined) {
    throw new DsabenchError('E_ITEMS_INVALID', `missing "${key}" (fields present: ${Object.keys(obj).join(', ') || 'none'})`, { ...where, field: `/${key}` });
  }
  throw new DsabenchError('E_ITEMS_INVALID', `"${key}" must be a string (or a number), got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`, { ...where, field: `/${key}` });
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

export const gsm8kLoader: ItemLoader = (file) => {
  const items = readJsonl(file, { code: 'E_ITEMS_INVALID' }).map(({ value, line, index }) => {
    const where = { file, line };
    const obj = asObject(value, where);
    const question = requireString(obj, 'question', where);
    const answer = requireString(obj, 'answer', where);
    const gold = gsm8kGold(answer);
    if (gold === null) {
      throw new DsabenchError('E_ITEMS_INVALID', 'the answer has no final "#### <number>" line (GSM8K layout)', { ...where, field: '/answer' });
    }
    const id = typeof obj['id'] === 'string' || typeof obj['id'] === 'number' ? String(obj['id']) : String(index);
    return mathItem(id, question, gold, { source: 'gsm8k' });
  });
  return { config: mathConfig('GSM8K-layout problems (gold = the number after ####)'), items };
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

function mathTreeItems(root: string): Item[] {
  const files = listJsonFiles(root);
  if (files.length === 0) {
    throw new DsabenchError('E_ITEMS_INVALID', 'no .json problem files under this folder (MATH layout: <split>/<type>/<n>.json)', { file: root });
  }
  return files.map((file) => {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new DsabenchError('E_ITEMS_INVALID', `not valid JSON (${(e as Error).message})`, { file });
    }
    const where = { file };
    const obj = asObject(value, where);
    const problem = requireString(obj, 'problem', where);
    const solution = requireString(obj, 'solution', where);
    const gold = lastBoxed(solution);
    if (gold === null || gold === '') {
      throw new DsabenchError('E_ITEMS_INVALID', 'the solution has no \\boxed{} answer (MATH layout)', { ...where, field: '/solution' });
    }
    const id = relative(root, file).replace(/\\/g, '/').replace(/\.json$/, '');
    return mathItem(id, problem, gold, { source: 'math', level: levelNumber(obj['level']), type: obj['type'] ?? null });
  });
}

function math500Items(file: string): Item[] {
  return readJsonl(file, { code: 'E_ITEMS_INVALID' }).map(({ value, line, index }) => {
    const where = { file, line };
    const obj = asObject(value, where);
    const problem = requireString(obj, 'problem', where);
    let answer: string;
    if (obj['answer'] !== undefined) answer = requireAnswer(obj, 'answer', where);
    else {
      const gold = lastBoxed(requireString(obj, 'solution', where));
      if (gold === null) throw new DsabenchError('E_ITEMS_INVALID', 'no "answer" and the solution has no \\boxed{} answer', { ...where, field: '/answer' });
      answer = gold;
    }
    const id = typeof obj['unique_id'] === 'string' ? obj['unique_id'] : String(index);
    return mathItem(id, problem, answer, { source: 'math500', level: levelNumber(obj['level']), subject: obj['subject'] ?? obj['type'] ?? null });
  });
}

export const mathLoader: ItemLoader = (file) => {
  let isDir: boolean;
  try {
    isDir = statSync(file).isDirectory();
  } catch (e) {
    throw new DsabenchError('E_FILE_NOT_FOUND', `cannot read: ${(e as Error).message}`, { file });
  }
  if (isDir) return { config: mathConfig('MATH-layout problems (gold = last \\boxed{} of the solution)'), items: mathTreeItems(file) };
  return math500Loader(file, {}) as { config: Omit<SuiteConfig, 'name'>; items: Item[] };
};

export const math500Loader: ItemLoader = (file) => ({
  config: mathConfig('MATH-500-layout problems'),
  items: math500Items(file),
});

// ---------------------------------------------------------------- AIME

export const aimeLoader: ItemLoader = (file) => {
  const items = readJsonl(file, { code: 'E_ITEMS_INVALID' }).map(({ value, line, index }) => {
    const where = { file, line };
    const obj = asObject(value, where);
    const pKey = 'problem' in obj ? 'problem' : 'Problem' in obj ? 'Problem' : 'problem';
    const aKey = 'answer' in obj ? 'answer' : 'Answer' in obj ? 'Answer' : 'answer';
    const problem = requireString(obj, pKey, where);
    const answer = requireAnswer(obj, aKey, where);
    const rawId = obj['id'] ?? obj['ID'] ?? obj['unique_id'];
    const id = typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : String(index);
    return mathItem(id, problem, answer, { source: 'aime' });
  });
  return { config: mathConfig('AIME-layout problems (integer answers 0-999)'), items };
};
