/**
 * Generator `long-context`: RULER-style items at target lengths counted in a tokenizer.
 *
 * options:
 *   tasks:     task names (default: all 11, see tasks.ts)
 *   lengths:   target lengths in tokens, numbers or "4K"-style strings (K = 1024);
 *              default [1K, 2K, 4K, 8K]
 *   depths:    needle depths: a count of evenly spaced points in [0, 1] (default 5 → 0, .25,
 *              .5, .75, 1) or an explicit list of fractions in [0, 1]
 *   samples:   items per length for tasks without a needle depth (vt, cwe, fwe; default:
 *              as many as depths)
 *   tokenizer: "deepseek-v3" (default), "byte" (built-in model) or "approx" (chars/4,
 *              flagged approximate)
 *
 * The prompt is fitted so prompt tokens + the task's answer budget ≤ the target length;
 * metadata.prompt_tokens is the exact count of the prompt in that tokenizer.
 */
import { DsabenchError } from '../../errors.js';
import { getTokenizer } from '../../tokenizers/index.js';
import type { Item, ItemGenerator } from '../../types.js';
import { mulberry32 } from '../../util/stats.js';
import { fitLayout } from './fit.js';
import { answerBudget, makeTask, TASKS, type TaskName } from './tasks.js';

export const DEFAULT_LENGTHS = [1024, 2048, 4096, 8192];

/** 1024 → "1K", 131072 → "128K", 3000 → "3000". */
export function lengthLabel(n: number): string {
  return n % 1024 === 0 ? `${n / 1024}K` : String(n);
}

export function parseLength(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  if (typeof v === 'string') {
    const m = /^\s*(\d+)\s*([kK])?\s*$/.exec(v);
    if (m && Number(m[1]) > 0) return Number(m[1]) * (m[2] ? 1024 : 1);
  }
  throw new DsabenchError('E_OPTION', `expected a positive token count (e.g. 4096 or "4K"), got ${JSON.stringify(v)}`, { field });
}

export function parseDepths(v: unknown): number[] {
  const field = 'generator.options.depths';
  if (v === undefined) v = 5;
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 1 || v > 100) throw new DsabenchError('E_OPTION', `expected a count of depths in 1..100, got ${v}`, { field });
    return v === 1 ? [0.5] : Array.from({ length: v }, (_, i) => Math.round((i / (v as number - 1)) * 1e4) / 1e4);
  }
  if (Array.isArray(v) && v.length > 0 && v.every((d) => typeof d === 'number' && d >= 0 && d <= 1)) return v as number[];
  throw new DsabenchError('E_OPTION', `expected a count or a list of fractions in [0, 1], got ${JSON.stringify(v)}`, { field });
}

function parseTasks(v: unknown): TaskName[] {
  if (v === undefined) return [...TASKS];
  if (Array.isArray(v) && v.length > 0 && v.every((t) => (TASKS as readonly unknown[]).includes(t))) return v as TaskName[];
  throw new DsabenchError('E_OPTION', `expected a list drawn from ${TASKS.join(', ')}, got ${JSON.stringify(v)}`, { field: 'generator.options.tasks' });
}

/** A stable 32-bit seed per (suite seed, task, length, index). */
function itemSeed(seed: number, task: string, length: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const ch of `${task}|${length}|${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

export const longContextGenerator: ItemGenerator = async (seed, options) => {
  const tasks = parseTasks(options['tasks']);
  const rawLengths = options['lengths'] ?? DEFAULT_LENGTHS;
  if (!Array.isArray(rawLengths) || rawLengths.length === 0) {
    throw new DsabenchError('E_OPTION', `expected a non-empty list of lengths, got ${JSON.stringify(rawLengths)}`, { field: 'generator.options.lengths' });
  }
  const lengths = rawLengths.map((l, i) => parseLength(l, `generator.options.lengths[${i}]`));
  const depths = parseDepths(options['depths']);
  const samples = options['samples'] ?? depths.length;
  if (typeof samples !== 'number' || !Number.isInteger(samples) || samples < 1) {
    throw new DsabenchError('E_OPTION', `expected an integer ≥ 1, got ${JSON.stringify(samples)}`, { field: 'generator.options.samples' });
  }
  const tokName = options['tokenizer'] ?? 'deepseek-v3';
  if (typeof tokName !== 'string') throw new DsabenchError('E_OPTION', `expected a tokenizer name, got ${JSON.stringify(tokName)}`, { field: 'generator.options.tokenizer' });
  const tok = await getTokenizer(tokName, 'generator.options.tokenizer');

  const items: Item[] = [];
  lengths.forEach((length, li) => {
    for (const task of tasks) {
      const hasDepth = task.startsWith('niah_');
      const slots = hasDepth ? depths.length : samples;
      for (let k = 0; k < slots; k++) {
        const rng = mulberry32(itemSeed(seed, task, length, k));
        const depth = hasDepth ? depths[k]! : 0;
        const limit = length - answerBudget(task);
        const inst = makeTask(task, rng, depth, limit);
        const label = lengthLabel(length);
        const fitted = fitLayout(tok, limit, inst.layout, {
          field: `generator.options.lengths[${li}]`,
          what: `${task} at length ${label} (${length} tokens, ${inst.answerBudget} reserved for the answer)`,
        });
        items.push({
          id: `${task}/${label}/${hasDepth ? `d${Math.round(depth * 100)}` : `s${k}`}`,
          input: { prompt: fitted.prompt },
          target: inst.answers,
          reference: inst.answers.join(', '),
          metadata: {
            task,
            length,
            length_label: label,
            // tasks without a needle (vt, cwe, fwe) carry no depth, so depth breakdowns skip them
            ...(inst.depth === null ? {} : { depth: inst.depth, depth_percent: Math.round(inst.depth * 100) }),
            prompt_tokens: fitted.tokens,
            tokenizer: tok.name,
            approximate: tok.approximate,
            answer_budget: inst.answerBudget,
            haystack: inst.haystack,
          },
        });
      }
    }
  });
  return items;
};
