/**
 * `dsabench score`: re-score outputs offline. Input lines `{id, output, target}` (optionally
 * `input` and `metadata`); output one JSON line per input `{id, value, pass, details}` (plus
 * `error` when the scorer failed), in input order.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DsabenchError } from '../errors.js';
import { defaultWorkers } from '../runner/defaults.js';
import type { Item } from '../types.js';
import { readJsonl } from '../util/jsonl.js';
import type { CommandModule } from './command.js';
import { intFlag } from './flags.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseOptions(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let v: unknown;
  const raw = text.trim().startsWith('{') ? text : readFileSync(text, 'utf8');
  try {
    v = JSON.parse(raw);
  } catch (err) {
    throw new DsabenchError('E_USAGE', `--options: not valid JSON (${(err as Error).message}); expected a JSON object or a file holding one`, { field: 'options' });
  }
  if (!isObject(v)) throw new DsabenchError('E_USAGE', '--options: expected a JSON object', { field: 'options' });
  return v;
}

/** Predictions file → items and outputs; every line checked with file, line and field. */
export function readPredictions(file: string): Array<{ item: Item; output: string }> {
  return readJsonl(file, { code: 'E_INPUT_INVALID' }).map(({ line, index, value }) => {
    if (!isObject(value)) throw new DsabenchError('E_INPUT_INVALID', 'expected a JSON object {id, output, target}', { file, line });
    const id = value['id'] ?? String(index);
    if (typeof id !== 'string' && typeof id !== 'number') throw new DsabenchError('E_INPUT_INVALID', 'expected a string or number', { file, line, field: '/id' });
    if (typeof value['output'] !== 'string') throw new DsabenchError('E_INPUT_INVALID', 'expected a string "output"', { file, line, field: '/output' });
    if (!('target' in value)) throw new DsabenchError('E_INPUT_INVALID', 'missing required field "target"', { file, line, field: '/target' });
    const item: Item = { id: String(id), input: isObject(value['input']) ? value['input'] : {}, target: value['target'] };
    if (typeof value['reference'] === 'string') item.reference = value['reference'];
    if (isObject(value['metadata'])) item.metadata = value['metadata'];
    return { item, output: value['output'] };
  });
}

const cmd: CommandModule = {
  register(program: Command): void {
    program
      .command('score')
      .description('Score recorded outputs offline: one JSON line {id, value, pass, details} per input line')
      .requiredOption('--scorer <name>', 'scorer name (dsabench list scorers)')
      .requiredOption('--in <file>', 'JSONL predictions: {"id", "output", "target"} per line')
      .option('--options <json>', 'scorer options: a JSON object or a file holding one')
      .option('--workers <n>', 'scoring worker threads; 0 scores on the main thread', intFlag(0))
      .addHelpText('after', `
Examples:
  $ dsabench score --scorer exact_match --in predictions.jsonl
  $ dsabench score --scorer exact_match --in preds.jsonl --options '{"ignore_case": true}'
  $ echo '{"id":"1","output":"42","target":"42"}' > p.jsonl && dsabench score --scorer exact_match --in p.jsonl`)
      .action(async (opts: { scorer: string; in: string; options?: string; workers?: number }) => {
        const [{ getScorer, validateScorerOptions }, { ScoringPool }] = await Promise.all([import('../scorers/index.js'), import('../runner/pool.js')]);
        getScorer(opts.scorer); // unknown scorer → exit 2 before reading anything
        const options = parseOptions(opts.options);
        // A typo in an option is an error, not a silently ignored key (the scorer entry's list).
        validateScorerOptions(opts.scorer, options, 'E_USAGE', { field: '--options' });
        const preds = readPredictions(opts.in);
        // Small inputs score on the main thread; larger ones in the pool.
        const workers = opts.workers ?? (preds.length >= 256 ? defaultWorkers() : 0);
        const pool = new ScoringPool({ workers });
        try {
          const outcomes = await Promise.all(preds.map((p) => pool.score({ scorer: opts.scorer, options, output: p.output, item: p.item })));
          let out = '';
          outcomes.forEach((o, i) => {
            const line: Record<string, unknown> = { id: preds[i]!.item.id, value: o.score.value, pass: o.score.pass, details: o.score.details ?? {} };
            if (o.error) line['error'] = o.error;
            out += JSON.stringify(line) + '\n';
          });
          process.stdout.write(out);
        } finally {
          await pool.close();
        }
      });
  },
};

export default cmd;
