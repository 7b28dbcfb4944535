/**
 * The graded math fixture (test/fixtures/math-graded.jsonl): model-style outputs with a
 * reference answer and a human verdict, split into a `tune` part (used while writing the
 * scorer's rules) and a `heldout` part (only measured). Shared by the agreement test and
 * bench/math-agreement.ts.
 */
import { readFileSync } from 'node:fs';
import { packagePath } from '../../src/util/package.js';
import { mathScorer } from '../../src/scorers/math/index.js';

export interface GradedRecord {
  id: string;
  split: 'tune' | 'heldout';
  style: 'gsm8k' | 'math';
  /** What the record exercises: the listed cases and other tags. */
  cases: string[];
  output: string;
  reference: string;
  /** The human verdict: is the output's final answer correct? */
  human: boolean;
  note: string;
}

export interface GradedResult {
  record: GradedRecord;
  scorer: boolean;
  extracted: string | null;
}

/** The cases every math scorer must handle (the list), as fixture tags. */
export const LISTED_CASES = [
  'mbox_units',
  'matrix',
  'thousands_braces',
  'answer_is_cue',
  'trailing_chatter',
  'markdown_bold',
  'unicode_minus',
  'empty_boxed',
] as const;

export const GRADED_FIXTURE = 'test/fixtures/math-graded.jsonl';

function parseRecord(line: string, n: number): GradedRecord {
  const r = JSON.parse(line) as Record<string, unknown>;
  const where = `${GRADED_FIXTURE}:${n}`;
  for (const k of ['id', 'output', 'reference', 'note'] as const) {
    if (typeof r[k] !== 'string') throw new Error(`${where}: "${k}" must be a string`);
  }
  if (r['split'] !== 'tune' && r['split'] !== 'heldout') throw new Error(`${where}: "split" must be tune or heldout`);
  if (r['style'] !== 'gsm8k' && r['style'] !== 'math') throw new Error(`${where}: "style" must be gsm8k or math`);
  if (typeof r['human'] !== 'boolean') throw new Error(`${where}: "human" must be a boolean`);
  if (!Array.isArray(r['cases']) || !r['cases'].every((c) => typeof c === 'string')) throw new Error(`${where}: "cases" must be a list of strings`);
  return r as unknown as GradedRecord;
}

export function loadGraded(): GradedRecord[] {
  return readFileSync(packagePath(GRADED_FIXTURE), 'utf8')
    .split('\n')
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, n }) => parseRecord(line, n));
}

/** Score every record with the math scorer's default (flexible) mode. */
export async function gradeAll(records: GradedRecord[]): Promise<GradedResult[]> {
  const out: GradedResult[] = [];
  for (const record of records) {
    const s = await mathScorer(record.output, { id: record.id, input: {}, target: record.reference }, {}, {});
    const extracted = (s.details?.['extracted'] as { flexible: string | null } | undefined)?.flexible ?? null;
    out.push({ record, scorer: s.pass === true, extracted });
  }
  return out;
}

export interface Agreement {
  n: number;
  agree: number;
  rate: number;
  disagreements: GradedResult[];
}

export function agreement(results: GradedResult[]): Agreement {
  const disagreements = results.filter((r) => r.scorer !== r.record.human);
  const n = results.length;
  return { n, agree: n - disagreements.length, rate: n === 0 ? 0 : (n - disagreements.length) / n, disagreements };
}
