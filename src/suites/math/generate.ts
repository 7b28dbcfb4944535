/**
 * Generator `math`: `per_level` problems of each family at each of the 3 levels
 * (default 12 → 9 families × 3 × 12 = 324 items), plus the hand-written
 * competition-style problems shipped in data/suites/math/competition.jsonl.
 *
 * options: { per_level?: int ≥ 1, levels?: (1|2|3)[], families?: string[], competition?: boolean }
 */
import { DsabenchError } from '../../errors.js';
import type { Item, ItemGenerator } from '../../types.js';
import { readJsonl } from '../../util/jsonl.js';
import { packagePath } from '../../util/package.js';
import { mulberry32 } from '../../util/stats.js';
import { FAMILIES, type Level } from './generators.js';

function intOption(options: Record<string, unknown>, key: string, dflt: number, min: number): number {
  const v = options[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new DsabenchError('E_OPTION', `expected an integer ≥ ${min}, got ${JSON.stringify(v)}`, { field: `generator.options.${key}` });
  }
  return v;
}

function listOption<T>(options: Record<string, unknown>, key: string, allowed: readonly T[]): T[] {
  const v = options[key];
  if (v === undefined) return [...allowed];
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => !allowed.includes(x as T))) {
    throw new DsabenchError('E_OPTION', `expected a non-empty list drawn from ${JSON.stringify(allowed)}, got ${JSON.stringify(v)}`, { field: `generator.options.${key}` });
  }
  return v as T[];
}

export const COMPETITION_FILE = 'data/suites/math/competition.jsonl';

/** The hand-written problems: {id, question, answer (LaTeX string), topic}. */
export function loadCompetition(file = packagePath(COMPETITION_FILE)): Item[] {
  return readJsonl(file, { code: 'E_ITEMS_INVALID' }).map(({ value, line }) => {
    const v = value as Record<string, unknown>;
    for (const key of ['id', 'question', 'answer'] as const) {
      if (typeof v[key] !== 'string' || (v[key] as string).trim() === '') {
        throw new DsabenchError('E_ITEMS_INVALID', `"${key}" must be a non-empty string`, { file, line, field: `/${key}` });
      }
    }
    const answer = v['answer'] as string;
    return {
      id: `comp-${v['id'] as string}`,
      input: { question: v['question'] as string },
      target: answer,
      reference: `\\boxed{${answer}}`,
      metadata: { source: 'handwritten', family: 'competition', topic: v['topic'] ?? null, level: 3 },
    };
  });
}

export const mathGenerator: ItemGenerator = (seed, options) => {
  const perLevel = intOption(options, 'per_level', 12, 1);
  const levels = listOption<Level>(options, 'levels', [1, 2, 3]);
  const families = listOption(options, 'families', Object.keys(FAMILIES));
  const competition = options['competition'] ?? true;
  if (typeof competition !== 'boolean') {
    throw new DsabenchError('E_OPTION', `expected true or false, got ${JSON.stringify(competition)}`, { field: 'generator.options.competition' });
  }
  const items: Item[] = [];
  families.forEach((name, f) => {
    for (const level of levels) {
      // one stream per (family, level): adding a family does not change the others' items
      const rng = mulberry32((seed * 1009 + f * 97 + level * 13) >>> 0);
      const seen = new Set<string>();
      for (let k = 0, tries = 0; k < perLevel && tries < perLevel * 20; tries++) {
        const p = FAMILIES[name]!(rng, level);
        if (seen.has(p.question)) continue;
        seen.add(p.question);
        items.push({
          id: `${name}-L${level}-${String(k).padStart(3, '0')}`,
          input: { question: p.question },
          target: p.answer,
          reference: `\\boxed{${p.answer}}`,
          metadata: { source: 'generated', family: name, level, seed },
        });
        k++;
      }
    }
  });
  if (competition) items.push(...loadCompetition());
  return items;
};
