import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_RUN, resolveSettings } from '../../src/cli/run-settings.js';
import { DsabenchError } from '../../src/errors.js';
import { DEFAULT_SETTINGS } from '../../src/runner/run.js';
import { builtinSuiteNames } from '../../src/suites/load.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'dsabench-settings-')));
after(() => rmSync(root, { recursive: true, force: true }));

describe('run settings: flags over --config over defaults', () => {
  it('defaults: every built-in suite; providers from the caller\'s default, never a silent oracle', () => {
    assert.throws(() => resolveSettings({}), (e: unknown) => e instanceof DsabenchError && e.code === 'E_USAGE' && e.field === 'provider' && /no provider given/.test(e.message));
    assert.throws(() => resolveSettings({ suite: ['example'] }), (e: unknown) => e instanceof DsabenchError && e.code === 'E_USAGE');
    assert.deepEqual(Object.keys(DEFAULT_RUN), ['suites']);
    const { settings, out } = resolveSettings({}, undefined, () => [{ spec: 'native:m?attention=dense' }]);
    assert.deepEqual(settings.suites, builtinSuiteNames());
    assert.ok(settings.suites.includes('example'));
    assert.deepEqual(settings.providers, [{ spec: 'native:m?attention=dense' }]);
    // Named providers (flag or config) never consult the default.
    const never = (): never => assert.fail('default providers looked up');
    assert.deepEqual(resolveSettings({ provider: ['oracle'] }, undefined, never).settings.providers, [{ spec: 'oracle' }]);
    assert.deepEqual(resolveSettings({}, { providers: ['nop'] }, never).settings.providers, [{ spec: 'nop' }]);
    assert.deepEqual(
      { limit: settings.limit, repeats: settings.repeats, concurrency: settings.concurrency, workers: settings.workers, seed: settings.seed, no_cache: settings.no_cache },
      { limit: null, repeats: 1, concurrency: 8, workers: DEFAULT_SETTINGS.workers, seed: 0, no_cache: false },
    );
    assert.equal(settings.cache, resolve('.dsabench-cache/responses.sqlite'));
    assert.equal(out, undefined);
  });

  it('config file values, overridden by flags; provider options follow their spec', () => {
    const file = join(root, 'cfg.json');
    writeFileSync(file, JSON.stringify({
      suites: ['math'], providers: [{ spec: 'openai:deepseek-chat', options: { rpm: 60 } }, 'nop'], limit: 5, repeats: 3, seed: 7, out: 'results/x',
      cache: false, generation: { temperature: 0.6 },
    }));
    const a = resolveSettings({ config: file });
    assert.deepEqual(a.settings.providers, [{ spec: 'openai:deepseek-chat', options: { rpm: 60 } }, { spec: 'nop' }]);
    assert.deepEqual([a.settings.suites, a.settings.limit, a.settings.repeats, a.settings.seed, a.settings.no_cache, a.out], [['math'], 5, 3, 7, true, 'results/x']);
    assert.deepEqual(a.settings.generation, { temperature: 0.6 });
    const b = resolveSettings({ config: file, suite: ['example'], provider: ['openai:deepseek-chat'], limit: 2, cache: join(root, 'c.sqlite'), out: 'elsewhere' });
    assert.deepEqual(b.settings.providers, [{ spec: 'openai:deepseek-chat', options: { rpm: 60 } }]);
    assert.deepEqual([b.settings.suites, b.settings.limit, b.settings.repeats, b.settings.no_cache, b.settings.cache, b.out], [['example'], 2, 3, false, join(root, 'c.sqlite'), 'elsewhere']);
  });

  it('relative suite paths become absolute; built-in names stay', () => {
    const dir = join(root, 'suite-here');
    mkdirSync(dir);
    writeFileSync(join(dir, 'suite.json'), '{}');
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const { settings } = resolveSettings({ suite: ['./suite-here', 'example', 'no-such-thing'], provider: ['nop'] });
      assert.deepEqual(settings.suites, [dir, 'example', 'no-such-thing']);
    } finally {
      process.chdir(cwd);
    }
  });

  it('a config file that breaks the schema names the field', () => {
    const file = join(root, 'bad.json');
    const cases: Array<[unknown, string]> = [
      [{ suites: [] }, '/suites'],
      [{ providers: [{ options: {} }] }, '/providers/0'],
      [{ concurency: 3 }, '/concurency'],
      [{ workers: -1 }, '/workers'],
    ];
    for (const [cfg, field] of cases) {
      writeFileSync(file, JSON.stringify(cfg));
      assert.throws(() => resolveSettings({ config: file }), (e: unknown) => e instanceof DsabenchError && e.code === 'E_CONFIG_INVALID' && e.field === field && e.file === file, field);
    }
    writeFileSync(file, '{"suites": [');
    assert.throws(() => resolveSettings({ config: file }), (e: unknown) => e instanceof DsabenchError && e.line === 1);
    assert.throws(() => resolveSettings({ config: join(root, 'nope.json') }), (e: unknown) => e instanceof DsabenchError && e.code === 'E_FILE_NOT_FOUND');
  });
});
