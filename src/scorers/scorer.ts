/**
 * One entry of the scorer table (index.ts): a name, the options it takes, `parseOptions`
 * and `score`.
 *
 *   options       JSON Schema of each option ({type|enum, default, description}); the one
 *                 list of what `scorer.options` may hold for this scorer
 *   parseOptions  raw `scorer.options` → typed options, or DsabenchError E_OPTION whose
 *                 field is the bad option's JSON pointer inside the options ("/mode")
 *   score         (output, item, typed options, ctx) → Score
 *
 * A suite's options are parsed when the suite loads (suites/load.ts), so a typo or a wrong
 * type stops the run before its first attempt, naming suite.json, its line and the option.
 * The worker parses them again per distinct options object (cheap, cached) because they
 * cross a thread boundary as plain JSON.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { DsabenchError } from '../errors.js';
import type { Item, Score, ScoreContext, ScoreFn } from '../types.js';
import { explainAjvError } from '../util/schema-errors.js';

/** The schema of one option: a JSON Schema fragment that must say what the option does. */
export type OptionSchema = Readonly<Record<string, unknown>> & { readonly description: string };

/** The schema of a scorer's whole options object (what `dsabench score --options` and suite.json take). */
/**
 * The `mode` option of the scorers that extract an answer two ways (math, longbench_mc): which
 * extraction decides value/pass; details.metrics reports both.
 */
export type ExtractionMode = 'flexible' | 'strict';
export const EXTRACTION_MODE_OPTION = {
  mode: { enum: ['flexible', 'strict'], default: 'flexible', description: 'Which extraction decides value/pass (details.metrics has both).' },
} as const;
export const parseExtractionMode = (o: Readonly<Record<string, unknown>>): { mode: ExtractionMode } => ({ mode: o['mode'] === 'strict' ? 'strict' : 'flexible' });

export interface OptionsSchema {
  readonly type: 'object';
  readonly additionalProperties: false;
  readonly properties: Readonly<Record<string, OptionSchema>>;
}

export interface Scorer<O = unknown, N extends string = string> {
  readonly name: N;
  readonly options: OptionsSchema;
  /** Set when it runs code in the sandbox: why ("runs the model's programs in it"); a run checks for a sandbox first. */
  readonly sandbox?: string;
  /** Throws DsabenchError('E_OPTION', 'scorer "<name>" option: …', {field: '/<option>'}). */
  parseOptions(raw: unknown): O;
  // Method syntax: a Scorer<MathOptions> is a Scorer<unknown> in the table (parseOptions
  // feeds score of the same entry, so the options always have the right shape).
  score(output: string, item: Item, options: O, ctx: ScoreContext): Score | Promise<Score>;
}

export interface ScorerDefinition<O, N extends string> {
  name: N;
  /** Each option's schema; none = the scorer takes no options (any key is refused). */
  options?: Record<string, OptionSchema>;
  /** Why it runs code in the sandbox, when it does. */
  sandbox?: string;
  /** Options already checked against `options` → the typed options `score` gets (defaults filled in). */
  parse?: (valid: Readonly<Record<string, unknown>>) => O;
  score: Scorer<O, N>['score'];
}

const ajv = new Ajv({ allErrors: false, verbose: true, strict: false });

/**
 * A table entry from its definition: `parseOptions` checks the raw options against the
 * option schemas (ajv, compiled on first use), then `parse` types them.
 */
export function defineScorer<O = Record<string, never>, N extends string = string>(def: ScorerDefinition<O, N>): Scorer<O, N> {
  const options: OptionsSchema = { type: 'object', additionalProperties: false, properties: def.options ?? {} };
  const parse = def.parse ?? ((): O => ({}) as O);
  let check: ValidateFunction | undefined;
  return {
    name: def.name,
    options,
    ...(def.sandbox !== undefined ? { sandbox: def.sandbox } : {}),
    parseOptions(raw: unknown): O {
      check ??= ajv.compile(options);
      if (!check(raw)) {
        const { field, message } = explainAjvError(check.errors ?? []);
        throw new DsabenchError('E_OPTION', `scorer "${def.name}" option: ${message}`, { field });
      }
      return parse(raw as Record<string, unknown>);
    },
    score: def.score,
  };
}

/** Most distinct options objects a ScoreFn keeps parsed (a run has one per suite). */
const PARSED_CACHE_SIZE = 64;

/**
 * The entry as a plain function of raw options (what the scoring worker and `dsabench score`
 * call): options parsed once per distinct JSON and reused; a bad option throws E_OPTION with
 * field `scorer.options.<option>`.
 */
export function scoreFn<O>(entry: Scorer<O>): ScoreFn {
  const parsed = new Map<string, O>();
  const optionsOf = (raw: Record<string, unknown>): O => {
    const key = JSON.stringify(raw);
    let o = parsed.get(key);
    if (o === undefined) {
      try {
        o = entry.parseOptions(raw);
      } catch (err) {
        if (!(err instanceof DsabenchError) || err.field === undefined) throw err;
        const path = err.field.split('/').filter((k) => k !== '').join('.');
        throw new DsabenchError(err.code, err.message, { field: path === '' ? 'scorer.options' : `scorer.options.${path}`, cause: err });
      }
      if (parsed.size >= PARSED_CACHE_SIZE) parsed.clear();
      parsed.set(key, o);
    }
    return o;
  };
  return (output, item, options, ctx) => entry.score(output, item, optionsOf(options), ctx);
}
