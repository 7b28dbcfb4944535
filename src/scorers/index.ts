/**
 * The scorer table: name → entry {name, options, parseOptions, score} (scorer.ts).
 * `suite.json`'s `scorer.name` and `dsabench score --scorer` pick one; its options are
 * parsed when the suite loads. A new scorer is one file that exports `defineScorer({…})`
 * and one line below (the key must equal the entry's name: checked when this compiles).
 */
import { DsabenchError, type ErrorCode } from '../errors.js';
import type { ScoreFn } from '../types.js';
import { codeEntry } from './code.js';
import { exactMatchEntry } from './exact-match.js';
import { longbenchMcEntry } from './longbench-mc.js';
import { mathEntry } from './math/index.js';
import { scoreFn, type OptionsSchema, type Scorer } from './scorer.js';
import { stringMatchAllEntry, stringMatchPartEntry } from './string-match.js';
import { terminalEntry } from './terminal.js';

export type { OptionSchema, OptionsSchema, Scorer } from './scorer.js';
export { defineScorer } from './scorer.js';

/** Each entry under its own name: a key that differs from the entry's name does not compile. */
function table<T extends { [K in keyof T]: Scorer<unknown, K & string> }>(t: T): T {
  return t;
}

export const SCORERS = table({
  exact_match: exactMatchEntry,
  math: mathEntry,
  string_match_all: stringMatchAllEntry,
  string_match_part: stringMatchPartEntry,
  longbench_mc: longbenchMcEntry,
  code: codeEntry,
  terminal: terminalEntry,
});

export type ScorerName = keyof typeof SCORERS;

export function scorerNames(): string[] {
  return Object.keys(SCORERS).sort();
}

/** The entry named, or undefined. */
export function findScorer(name: string): Scorer | undefined {
  return Object.prototype.hasOwnProperty.call(SCORERS, name) ? (SCORERS as Record<string, Scorer>)[name] : undefined;
}

/** The entry named, or E_SCORER_UNKNOWN listing the names. */
export function getScorerEntry(name: string): Scorer {
  const entry = findScorer(name);
  if (!entry) {
    throw new DsabenchError('E_SCORER_UNKNOWN', `unknown scorer "${name}" (expected one of: ${scorerNames().join(', ')})`, { field: 'scorer.name' });
  }
  return entry;
}

const fns = new Map<Scorer, ScoreFn>();

/** The named scorer as a function of raw options (the scoring worker's view); one function per entry. */
export function getScorer(name: string): ScoreFn {
  const entry = getScorerEntry(name);
  let fn = fns.get(entry);
  if (!fn) {
    fn = scoreFn(entry);
    fns.set(entry, fn);
  }
  return fn;
}

/** The options schema of scorer `name` (what its `scorer.options` may hold), or null when there is no such scorer. */
export function scorerOptionsSchema(name: string): OptionsSchema | null {
  return findScorer(name)?.options ?? null;
}

/**
 * Checks a scorer's options with its entry (`dsabench score --options`); throws
 * DsabenchError(code) whose field is `where.field` + the option's pointer (`--options/ignorecase`).
 */
export function validateScorerOptions(name: string, options: unknown, code: ErrorCode, where: { file?: string; field?: string } = {}): void {
  try {
    getScorerEntry(name).parseOptions(options);
  } catch (err) {
    if (!(err instanceof DsabenchError) || err.code !== 'E_OPTION') throw err;
    const field = err.field === undefined || err.field === '/' ? '' : err.field;
    throw new DsabenchError(code, err.message, { file: where.file, field: `${where.field ?? ''}${field}` || '/' });
  }
}
