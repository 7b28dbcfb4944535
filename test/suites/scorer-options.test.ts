/**
 * Scorer options are checked when a suite is loaded (schema allOf per scorer): a typo or a
 * wrong type names file, line and field; every registered scorer has an entry; and a suite
 * that needs the sandbox on a machine without one stops the run before its first attempt.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DsabenchError } from '../../src/errors.js';
import { DEFAULT_SETTINGS, runEvaluation, type RunSettings } from '../../src/runner/run.js';
import { scorerNames, scorerOptionsSchema, validateScorerOptions } from '../../src/scorers/index.js';
import { builtinSuiteNames, loadSuite } from '../../src/suites/load.js';
import { checkSuiteRequirements, sandboxNeed } from '../../src/suites/requirements.js';
import { lineOfPointer } from '../../src/suites/schema.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-scorer-options-'));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function suiteDir(scorer: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const dir = join(root, `s${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'suite.json'), JSON.stringify({ name: `s${n}`, kind: 'math', scorer, prompt: { template: 'Say {x}' }, ...extra }, null, 2));
  writeFileSync(join(dir, 'items.jsonl'), '{"id":"a","input":{"x":1},"target":"1","reference":"1"}\n{"id":"b","input":{"x":2},"target":"2","reference":"2"}\n');
  return dir;
}

async function loadError(dir: string): Promise<DsabenchError> {
  try {
    await loadSuite(dir);
  } catch (err) {
    assert.ok(err instanceof DsabenchError, String(err));
    return err;
  }
  return assert.fail('expected the suite to be refused');
}

describe('scorer options are checked at load', () => {
  it('an unknown key names the file, line, field and the known keys', async () => {
    const dir = suiteDir({ name: 'exact_match', options: { ignore_cse: true } });
    const e = await loadError(dir);
    assert.equal(e.code, 'E_SUITE_INVALID');
    assert.equal(e.file, join(dir, 'suite.json'));
    assert.equal(e.field, '/scorer/options/ignore_cse');
    assert.equal(e.line, 7);
    assert.equal(e.message, 'scorer "exact_match" option: unknown field (expected one of: ignore_case)');
  });

  it('a wrong type or value says what was expected', async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ name: 'exact_match', options: { ignore_case: 'yes' } }, '/scorer/options/ignore_case', /expected boolean, got "yes"/],
      [{ name: 'math', options: { mode: 'loose' } }, '/scorer/options/mode', /expected one of "flexible", "strict", got "loose"/],
      [{ name: 'code', options: { timeout_s: '10' } }, '/scorer/options/timeout_s', /expected number, got "10"/],
      [{ name: 'code', options: { timeout_s: 0 } }, '/scorer/options/timeout_s', /exclusiveMinimum/],
      [{ name: 'string_match_all', options: { mode: 'strict' } }, '/scorer/options/mode', /unknown field \(expected none here\)/],
    ];
    for (const [scorer, field, re] of cases) {
      const e = await loadError(suiteDir(scorer));
      assert.equal(e.field, field, JSON.stringify(scorer));
      assert.match(e.message, re);
      assert.ok(e.line !== undefined && e.line > 1, `line of ${field}`);
    }
  });

  it('valid options and every built-in suite load', async () => {
    await loadSuite(suiteDir({ name: 'exact_match', options: { ignore_case: true } }));
    await loadSuite(suiteDir({ name: 'code', options: { timeout_s: 2.5, memory_mb: 512, total_memory_mb: 1024, challenge: true, evalplus: 'base' } }));
    for (const name of builtinSuiteNames()) await loadSuite(name);
  });

  it('every registered scorer has an options entry in suite.schema.json', () => {
    for (const name of scorerNames()) assert.ok(scorerOptionsSchema(name), `suite.schema.json allOf has no entry for scorer "${name}"`);
  });

  it('`dsabench score --options` is checked against the same list', () => {
    assert.throws(() => validateScorerOptions('exact_match', { ignorecase: true }, 'E_USAGE', { field: '--options' }),
      (e: unknown) => e instanceof DsabenchError && e.code === 'E_USAGE' && e.field === '--options/ignorecase' && /expected one of: ignore_case/.test(e.message));
    validateScorerOptions('exact_match', { ignore_case: true }, 'E_USAGE');
  });

  it('lineOfPointer finds nested keys in order', () => {
    const text = '{\n  "name": "x",\n  "scorer": {\n    "name": "code",\n    "options": { "timeout_s": 1 }\n  }\n}';
    assert.equal(lineOfPointer(text, '/scorer/name'), 4);
    assert.equal(lineOfPointer(text, '/scorer/options/timeout_s'), 5);
    assert.equal(lineOfPointer(text, '/nothing'), undefined);
  });
});

describe('a suite that needs the sandbox, on a machine without one', () => {
  const noSandbox = (): Error => new Error('sandbox unavailable: bwrap not found on PATH; install bubblewrap');
  const codeSuite = (): string => suiteDir({ name: 'code' }, { kind: 'code' });

  it('which suites need it: code and terminal scorers, the terminal-agent solver; not unsupported-only ones', async () => {
    const s = await loadSuite(codeSuite());
    assert.deepEqual(sandboxNeed(s), { field: '/scorer/name', why: 'scorer "code" runs the model\'s programs in it' });
    assert.equal(sandboxNeed(await loadSuite('example')), null);
    const unsupported = { ...s, items: s.items.map((i) => ({ ...i, metadata: { unsupported: true } })) };
    assert.equal(sandboxNeed(unsupported), null);
  });

  it('stops the run before its first attempt, naming suite.json, line and field', async () => {
    const dir = codeSuite();
    const out = join(root, 'no-sandbox-run');
    const settings: RunSettings = { ...DEFAULT_SETTINGS, suites: [dir], providers: [{ spec: 'oracle' }], workers: 0, cache: null };
    await assert.rejects(
      runEvaluation(settings, { out }, { detectSandbox: noSandbox }),
      (e: unknown) => e instanceof DsabenchError && e.code === 'E_SANDBOX' && e.file === join(dir, 'suite.json') && e.line === 5 && e.field === '/scorer/name'
        && /^suite "s\d+" needs the sandbox \(scorer "code" runs the model's programs in it\), and this machine has none: sandbox unavailable: bwrap not found/.test(e.message),
    );
    assert.ok(!existsSync(join(out, 'samples.jsonl')), 'no attempt ran');
  });

  it('is not probed with --unsafe-no-sandbox, nor for suites that do not need it', () => {
    let probed = 0;
    const probe = (): Error => {
      probed++;
      return noSandbox();
    };
    return (async () => {
      const code = await loadSuite(codeSuite());
      checkSuiteRequirements([code], { unsafeNoSandbox: true, detect: probe });
      checkSuiteRequirements([await loadSuite('example')], { detect: probe });
      assert.equal(probed, 0);
      assert.throws(() => checkSuiteRequirements([code], { detect: probe }), (e: unknown) => e instanceof DsabenchError && e.code === 'E_SANDBOX');
      assert.equal(probed, 1);
    })();
  });
});
