/**
 * Scorer registry: name → pure function. `suite.json`'s `scorer.name` picks one.
 * Add a scorer by importing it here; the name is what suites and `dsabench score` use.
 */
import type { ScoreFn } from '../types.js';
import { DsabenchError } from '../errors.js';
import { exactMatch } from './exact-match.js';
import { mathScorer } from './math/index.js';
import { stringMatchAll, stringMatchPart } from './string-match.js';
import { longbenchMc } from './longbench-mc.js';
import { codeScorer } from './code.js';
import { terminalScorer } from './terminal.js';

export const SCORERS = {
  exact_match: exactMatch,
  math: mathScorer,
  string_match_all: stringMatchAll,
  string_match_part: stringMatchPart,
  longbench_mc: longbenchMc,
  code: codeScorer,
  terminal: terminalScorer,
} satisfies Record<string, ScoreFn>;

export type ScorerName = keyof typeof SCORERS;

export function scorerNames(): string[] {
  return Object.keys(SCORERS).sort();
}

export function getScorer(name: string): ScoreFn {
  const fn = (SCORERS as Record<string, ScoreFn>)[name];
  if (!fn) {
    throw new DsabenchError('E_SCORER_UNKNOWN', `unknown scorer "${name}" (expected one of: ${scorerNames().join(', ')})`, { field: 'scorer.name' });
  }
  return fn;
}
