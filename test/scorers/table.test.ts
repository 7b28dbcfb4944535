/**
 * The scorer table: every entry sits under its own name and documents its options; options
 * are parsed into typed values by the entry, once per distinct options object; a typo'd
 * option stops a suite when it loads (file, line, scorer and option named) and a run before
 * its first attempt.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DsabenchError, formatError } from '../../src/errors.js';
import { DEFAULT_SETTINGS, runEvaluation, type RunSettings } from '../../src/runner/run.js';
import { defineScorer, getScorerEntry, SCORERS, scorerNames, type Scorer } from '../../src/scorers/index.js';
import { scoreFn } from '../../src/scorers/scorer.js';
import { loadSuite } from '../../src/suites/load.js';
import type { Item } from '../../src/types.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-scorer-table-'));
after(() => rmSync(root, { recursive: true, force: true }));

function suiteDir(name: string, scorer: Record<string, unknown>): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'suite.json'), JSON.stringify({ name, kind: 'math', scorer, prompt: { template: 'Say {x}' } }, null, 2));
  writeFileSync(join(dir, 'items.jsonl'), '{"id":"a","input":{"x":1},"target":"1","reference":"1"}\n');
  return dir;
}

const item: Item = { id: 'a', input: {}, target: 'Yes' };

describe('scorer table', () => {
  it('each entry is under its own name and says what each option does', () => {
    for (const name of ['code', 'exact_match', 'longbench_mc', 'math', 'string_match_all', 'string_match_part', 'terminal']) assert.ok(scorerNames().includes(name), name);
    for (const [key, entry] of Object.entries(SCORERS) as Array<[string, Scorer]>) {
      assert.equal(entry.name, key);
      assert.equal(entry.options.type, 'object');
      assert.equal(entry.options.additionalProperties, false);
      for (const [option, schema] of Object.entries(entry.options.properties)) {
        assert.ok(typeof schema.description === 'string' && schema.description.trim() !== '', `${key}.${option} has no description`);
      }
      // No options given: every scorer runs on its defaults.
      entry.parseOptions({});
    }
  });

  it('the entries that run code say so (a run checks for the sandbox before its first attempt)', () => {
    const sandbox = (name: string): string | undefined => getScorerEntry(name).sandbox;
    assert.equal(sandbox('code'), 'runs the model\'s programs in it');
    assert.equal(sandbox('terminal'), 'runs the task\'s tests in it');
    for (const name of ['exact_match', 'math', 'string_match_all', 'string_match_part', 'longbench_mc']) assert.equal(sandbox(name), undefined, name);
  });

  it('parseOptions gives typed options with the defaults filled in', () => {
    assert.deepEqual(getScorerEntry('exact_match').parseOptions({}), { ignoreCase: false });
    assert.deepEqual(getScorerEntry('exact_match').parseOptions({ ignore_case: true }), { ignoreCase: true });
    assert.deepEqual(getScorerEntry('math').parseOptions({ mode: 'strict' }), { mode: 'strict' });
    assert.deepEqual(getScorerEntry('code').parseOptions({ timeout_s: 3, evalplus: 'base' }), {
      timeoutS: 3, memoryMb: undefined, totalMemoryMb: undefined, challenge: false, includePlus: false,
      evalplus: { minTimeS: 4, factor: 4, taskCapS: 60 },
    });
  });

  it('a bad option names the scorer and the option (a JSON pointer inside the options)', () => {
    assert.throws(() => getScorerEntry('longbench_mc').parseOptions({ mdoe: 'strict' }),
      (e: unknown) => e instanceof DsabenchError && e.code === 'E_OPTION' && e.field === '/mdoe'
        && e.message === 'scorer "longbench_mc" option: unknown field (expected one of: mode)');
    assert.throws(() => getScorerEntry('code').parseOptions({ memory_mb: -1 }),
      (e: unknown) => e instanceof DsabenchError && e.field === '/memory_mb' && /^scorer "code" option: /.test(e.message));
    assert.throws(() => getScorerEntry('terminal').parseOptions('fast'),
      (e: unknown) => e instanceof DsabenchError && e.field === '/' && /expected object/.test(e.message));
  });

  it('a score function parses each distinct options object once', async () => {
    let parses = 0;
    const entry = defineScorer({
      name: 'counting',
      options: { fold: { type: 'boolean', description: 'Fold case.' } },
      parse: (o) => {
        parses++;
        return { fold: o['fold'] === true };
      },
      score: (output, it, { fold }) => {
        const pass = (fold ? output.toLowerCase() : output) === (fold ? String(it.target).toLowerCase() : it.target);
        return { value: pass ? 1 : 0, pass };
      },
    });
    const fn = scoreFn(entry);
    for (let i = 0; i < 3; i++) assert.equal((await fn('yes', item, { fold: true }, {})).pass, true);
    assert.equal((await fn('yes', item, {}, {})).pass, false);
    assert.equal(parses, 2);
    await assert.rejects(async () => fn('yes', item, { flod: true }, {}), (e: unknown) => e instanceof DsabenchError && e.field === 'scorer.options.flod');
  });
});

describe('a typo in a scorer option', () => {
  it('is refused when the suite loads, naming suite.json, its line, the scorer and the option', async () => {
    const dir = suiteDir('typo-load', { name: 'math', options: { mdoe: 'strict' } });
    const file = join(dir, 'suite.json');
    await assert.rejects(loadSuite(dir), (e: unknown) => {
      assert.ok(e instanceof DsabenchError);
      assert.equal(e.code, 'E_SUITE_INVALID');
      assert.equal(e.file, file);
      assert.equal(e.line, 7);
      assert.equal(e.field, '/scorer/options/mdoe');
      assert.equal(formatError(e), `E_SUITE_INVALID: ${file}:7: /scorer/options/mdoe: scorer "math" option: unknown field (expected one of: mode)`);
      return true;
    });
  });

  it('stops a run before its first attempt', async () => {
    const dir = suiteDir('typo-run', { name: 'exact_match', options: { ignore_cse: true } });
    const out = join(root, 'typo-run-out');
    const settings: RunSettings = { ...DEFAULT_SETTINGS, suites: [dir], providers: [{ spec: 'oracle' }], workers: 0, cache: null };
    await assert.rejects(runEvaluation(settings, { out }),
      (e: unknown) => e instanceof DsabenchError && e.file === join(dir, 'suite.json') && e.field === '/scorer/options/ignore_cse' && /scorer "exact_match"/.test(e.message));
    assert.ok(!existsSync(join(out, 'samples.jsonl')), 'no attempt ran');
  });
});
