/**
 * Published reference scores (data/published-scores.json): shown in reports as rows that
 * are clearly marked "published, not measured" and never mixed into measured statistics.
 */
import { readFileSync } from 'node:fs';
import { DsabenchError } from '../errors.js';
import { packagePath } from '../util/package.js';
import type { PublishedScores } from './types.js';

export const PUBLISHED_LABEL = 'published, not measured';

export function loadPublishedScores(file: string = packagePath('data', 'published-scores.json')): PublishedScores {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    throw new DsabenchError('E_INPUT_INVALID', `cannot read published scores: ${(e as Error).message}`, { file });
  }
  const p = v as PublishedScores;
  if (typeof p !== 'object' || p === null || !Array.isArray(p.models) || typeof p.benchmarks !== 'object') {
    throw new DsabenchError('E_INPUT_INVALID', 'expected { source, note, benchmarks, models: [] }', { file });
  }
  p.models.forEach((m, i) => {
    if (typeof m.model !== 'string' || typeof m.scores !== 'object' || m.scores === null) {
      throw new DsabenchError('E_INPUT_INVALID', 'expected { model: string, scores: { benchmark: number } }', { file, field: `/models/${i}` });
    }
  });
  return p;
}
