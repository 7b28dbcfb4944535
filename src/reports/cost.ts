/**
 * Reading the cost study's `cost.json` ({ profile, hardware?, points[], quality?[] }).
 * `--cost DIR` points at its output folder (or at the file itself).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DsabenchError } from '../errors.js';
import type { CostStudy } from './types.js';

function bad(file: string, field: string, expected: string): never {
  throw new DsabenchError('E_INPUT_INVALID', `cost study: expected ${expected}`, { file, field });
}

export function loadCostStudy(path: string): CostStudy {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new DsabenchError('E_FILE_NOT_FOUND', 'cost study directory or file does not exist', { file: abs });
  const file = statSync(abs).isDirectory() ? join(abs, 'cost.json') : abs;
  if (!existsSync(file)) throw new DsabenchError('E_FILE_NOT_FOUND', 'no cost.json in the cost study directory', { file });
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    throw new DsabenchError('E_INPUT_INVALID', `not valid JSON (${(e as Error).message})`, { file });
  }
  if (typeof v !== 'object' || v === null) bad(file, '/', 'an object { profile, points }');
  const c = v as CostStudy;
  if (typeof c.profile !== 'string') bad(file, '/profile', 'a string');
  if (c.hardware !== undefined && c.hardware !== null && typeof c.hardware !== 'string') bad(file, '/hardware', 'a string');
  if (!Array.isArray(c.points)) bad(file, '/points', 'an array');
  c.points.forEach((p, i) => {
    if (p.mode !== 'decode' && p.mode !== 'prefill') bad(file, `/points/${i}/mode`, '"decode" or "prefill"');
    if (p.attention !== 'dense' && p.attention !== 'sparse') bad(file, `/points/${i}/attention`, '"dense" or "sparse"');
    for (const k of ['position', 'flops'] as const) {
      if (typeof p[k] !== 'number') bad(file, `/points/${i}/${k}`, 'a number');
    }
    if (p.ms_median !== null && typeof p.ms_median !== 'number') bad(file, `/points/${i}/ms_median`, 'a number or null');
  });
  if (c.quality !== undefined) {
    if (!Array.isArray(c.quality)) bad(file, '/quality', 'an array');
    c.quality.forEach((q, i) => {
      for (const k of ['k', 'mass_recall', 'rel_error'] as const) {
        if (typeof q[k] !== 'number') bad(file, `/quality/${i}/${k}`, 'a number');
      }
    });
  }
  return { ...c, file };
}
