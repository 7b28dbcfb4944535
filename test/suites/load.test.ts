import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DsabenchError, formatError } from '../../src/errors.js';
import { listSuites, loadSuite } from '../../src/suites/load.js';
import { GENERATORS, LOADERS } from '../../src/suites/registry.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-load-'));
after(() => rmSync(root, { recursive: true, force: true }));

const GOOD_CONFIG = {
  name: 'tiny',
  kind: 'math',
  scorer: { name: 'exact_match' },
  prompt: { template: 'What is {a} + {b}?' },
};
const GOOD_ITEMS = '{"id":"x1","input":{"a":1,"b":2},"target":"3","reference":"3"}\n{"id":"x2","input":{"a":2,"b":2},"target":"4","reference":"4"}\n';

let n = 0;
/** A suite folder from a suite.json value (object or raw text) and items.jsonl text (null = no file). */
function makeSuite(config: unknown, items: string | null = GOOD_ITEMS): string {
  const dir = join(root, `s${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'suite.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  if (items !== null) writeFileSync(join(dir, 'items.jsonl'), items);
  return dir;
}

async function loadError(dir: string): Promise<DsabenchError> {
  try {
    await loadSuite(dir);
  } catch (err) {
    assert.ok(err instanceof DsabenchError, `expected a DsabenchError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the suite to be rejected');
}

interface Broken {
  name: string;
  config?: unknown;
  items?: string | undefined;
  noItems?: boolean;
  file: 'suite.json' | 'items.jsonl';
  line?: number;
  field?: string;
  code: string;
  message: RegExp;
}

const BROKEN: Broken[] = [
  { name: 'suite.json is not JSON', config: '{\n  "name": "tiny",\n  "kind": "math",,\n}', file: 'suite.json', line: 3, code: 'E_SUITE_INVALID', message: /not valid JSON/ },
  { name: 'missing required field', config: { ...GOOD_CONFIG, kind: undefined }, file: 'suite.json', field: '/kind', code: 'E_SUITE_INVALID', message: /missing required field/ },
  { name: 'wrong type', config: { ...GOOD_CONFIG, scorer: { name: 5 } }, file: 'suite.json', line: 5, field: '/scorer/name', code: 'E_SUITE_INVALID', message: /expected string, got 5/ },
  { name: 'unknown kind', config: { ...GOOD_CONFIG, kind: 'chemistry' }, file: 'suite.json', line: 3, field: '/kind', code: 'E_SUITE_INVALID', message: /expected one of "math", "code", "terminal", "long-context", got "chemistry"/ },
  { name: 'unknown scorer', config: { ...GOOD_CONFIG, scorer: { name: 'telepathy' } }, file: 'suite.json', field: '/scorer/name', code: 'E_SCORER_UNKNOWN', message: /unknown scorer "telepathy".*exact_match/ },
  { name: 'misspelt field', config: { ...GOOD_CONFIG, promt: 'x' }, file: 'suite.json', line: 10, field: '/promt', code: 'E_SUITE_INVALID', message: /unknown field \(expected one of: .*prompt/ },
  { name: 'bad generation setting', config: { ...GOOD_CONFIG, generation: { max_tokens: 0 } }, file: 'suite.json', line: 11, field: '/generation/max_tokens', code: 'E_SUITE_INVALID', message: /must be >= 1/ },
  { name: 'unknown generator', config: { ...GOOD_CONFIG, generator: { name: 'no-such-generator' } }, file: 'suite.json', field: '/generator/name', code: 'E_SUITE_INVALID', message: /unknown generator "no-such-generator"/ },
  { name: 'two item sources', config: { ...GOOD_CONFIG, items: 'a.jsonl', generator: { name: 'g' } }, file: 'suite.json', field: '/generator', code: 'E_SUITE_INVALID', message: /only one of items, generator, loader/ },
  { name: 'empty items file', items: '\n\n', file: 'items.jsonl', code: 'E_ITEMS_INVALID', message: /no items/ },
  { name: 'missing items file', noItems: true, file: 'items.jsonl', code: 'E_FILE_NOT_FOUND', message: /cannot read items file/ },
  { name: 'non-object line', items: GOOD_ITEMS + '42\n', file: 'items.jsonl', line: 3, field: '/', code: 'E_ITEMS_INVALID', message: /expected object, got 42/ },
  { name: 'item line not JSON', items: '{"input":{"a":1,"b":2},"target":"3"}\n{"input": {"a": 1,, }\n', file: 'items.jsonl', line: 2, code: 'E_ITEMS_INVALID', message: /not valid JSON/ },
  { name: 'truncated file', items: GOOD_ITEMS + '{"id":"x3","input":{"a":1,"b":', file: 'items.jsonl', line: 3, code: 'E_ITEMS_INVALID', message: /not valid JSON/ },
  { name: 'item missing target', items: '{"id":"x1","input":{"a":1,"b":2}}\n', file: 'items.jsonl', line: 1, field: '/target', code: 'E_ITEMS_INVALID', message: /missing required field/ },
  { name: 'item input wrong type', items: GOOD_ITEMS + '{"id":"x3","input":"1+2","target":"3"}\n', file: 'items.jsonl', line: 3, field: '/input', code: 'E_ITEMS_INVALID', message: /expected object, got "1\+2" \(string\)/ },
  { name: 'item id wrong type', items: '{"id":true,"input":{"a":1,"b":2},"target":"3"}\n', file: 'items.jsonl', line: 1, field: '/id', code: 'E_ITEMS_INVALID', message: /expected string or integer, got true/ },
  { name: 'duplicate ids', items: GOOD_ITEMS + '\n{"id":"x1","input":{"a":5,"b":5},"target":"10"}\n', file: 'items.jsonl', line: 4, field: '/id', code: 'E_ITEMS_INVALID', message: /duplicate item id "x1" \(first used on line 1\)/ },
  { name: 'template variable missing from item', items: '{"id":"x1","input":{"a":1,"c":2},"target":"3"}\n', file: 'items.jsonl', line: 1, field: '/input/b', code: 'E_ITEMS_INVALID', message: /template uses \{b\}.*input has: a, c/ },
  { name: 'unknown item field', items: '{"id":"x1","input":{"a":1,"b":2},"target":"3","answer":"3"}\n', file: 'items.jsonl', line: 1, field: '/answer', code: 'E_ITEMS_INVALID', message: /unknown field/ },
];

describe('loadSuite rejects broken suites, naming file, line and field', () => {
  for (const b of BROKEN) {
    it(b.name, async () => {
      const dir = makeSuite(b.config ?? GOOD_CONFIG, b.noItems ? null : (b.items ?? GOOD_ITEMS));
      const err = await loadError(dir);
      assert.equal(err.code, b.code, formatError(err));
      assert.equal(err.file, join(dir, b.file), formatError(err));
      assert.equal(err.line, b.line, formatError(err));
      assert.equal(err.field, b.field, formatError(err));
      assert.match(err.message, b.message);
      // The one-line rendering starts with the place, so editors can jump to it.
      const text = formatError(err);
      assert.ok(text.includes(`${join(dir, b.file)}${b.line ? `:${b.line}` : ''}:`), text);
      if (b.field) assert.ok(text.includes(b.field), text);
    });
  }

  it('unknown suite names list the built-in suites', async () => {
    const err = await loadError('no-such-suite-anywhere');
    assert.equal(err.code, 'E_SUITE_NOT_FOUND');
    assert.match(err.message, /built-in name \(.*example/);
  });

  it('a folder without suite.json', async () => {
    const dir = join(root, 'empty-folder');
    mkdirSync(dir);
    const err = await loadError(dir);
    assert.equal(err.code, 'E_SUITE_NOT_FOUND');
    assert.equal(err.file, dir);
  });

  it('an unknown loader prefix', async () => {
    const err = await loadError('nosuchloader:file.jsonl');
    assert.equal(err.code, 'E_SUITE_NOT_FOUND');
    assert.match(err.message, /unknown loader "nosuchloader"/);
  });
});

describe('loadSuite resolves specs', () => {
  it('a built-in name', async () => {
    const s = await loadSuite('example');
    assert.equal(s.config.name, 'example');
    assert.equal(s.items.length, 20);
    assert.equal(s.spec, 'example');
    assert.deepEqual(s.items[0], { id: 'sum-00', input: { a: 5, b: 2 }, target: '7', reference: '7', metadata: { digits: 1 } });
  });

  it('a folder path and the path of its suite.json', async () => {
    const dir = makeSuite(GOOD_CONFIG);
    const a = await loadSuite(dir);
    const b = await loadSuite(join(dir, 'suite.json'));
    assert.deepEqual(a.items, b.items);
    assert.deepEqual(a.items.map((i) => i.id), ['x1', 'x2']);
    assert.equal(a.dir, dir);
  });

  it('items without an id get their 0-based line index; integer ids become strings', async () => {
    const dir = makeSuite(GOOD_CONFIG, '{"input":{"a":1,"b":2},"target":"3"}\n\n{"input":{"a":1,"b":3},"target":"4"}\n{"id":7,"input":{"a":3,"b":4},"target":"7"}\n');
    const s = await loadSuite(dir);
    assert.deepEqual(s.items.map((i) => i.id), ['0', '1', '7']);
  });

  it('{{ and }} are literal braces, not variables', async () => {
    const dir = makeSuite({ ...GOOD_CONFIG, prompt: { template: 'Put it in \\boxed{{}}: {a} + {b}, not {{c}}', system: 'sys {a}' } });
    const s = await loadSuite(dir);
    assert.equal(s.items.length, 2);
  });

  it('a seeded generator from GENERATORS: suite.json\'s seed offset by the run\'s, or the run\'s alone', async () => {
    const seen: number[] = [];
    GENERATORS['test-gen'] = (seed, options) => {
      seen.push(seed);
      return Array.from({ length: Number(options['n']) }, (_, i) => ({ id: `g${i}`, input: { a: i, b: seed }, target: String(i + seed) }));
    };
    try {
      const withSeed = await loadSuite(makeSuite({ ...GOOD_CONFIG, generator: { name: 'test-gen', seed: 5, options: { n: 3 } } }, null), { seed: 9 });
      const runSeed = await loadSuite(makeSuite({ ...GOOD_CONFIG, generator: { name: 'test-gen', options: { n: 2 } } }, null), { seed: 9 });
      const pinned = await loadSuite(makeSuite({ ...GOOD_CONFIG, generator: { name: 'test-gen', seed: 5, options: { n: 1 } } }, null));
      // Run seed 0 (the default) keeps suite.json's items; another run seed draws a new set.
      assert.deepEqual(seen, [14, 9, 5]);
      assert.equal(pinned.items[0]!.target, '5');
      assert.equal(withSeed.items.length, 3);
      assert.equal(runSeed.items[1]!.target, '10');
      // Generated items are checked like file items.
      GENERATORS['test-gen'] = () => [{ id: 'a', input: { a: 1 }, target: '1' }];
      const err = await loadError(makeSuite({ ...GOOD_CONFIG, generator: { name: 'test-gen' } }, null));
      assert.equal(err.field, '/input/b');
      assert.equal(err.line, 1);
    } finally {
      delete GENERATORS['test-gen'];
    }
  });

  it('<loader>:<file> through LOADERS, named after loader and file', async () => {
    const file = join(root, 'qa.jsonl');
    writeFileSync(file, '{"q":"2+2","a":"4"}\n');
    LOADERS['testqa'] = (f) => ({
      config: { kind: 'math', scorer: { name: 'exact_match' }, prompt: { template: '{q}' } },
      items: [{ id: '0', input: { q: f.endsWith('qa.jsonl') ? '2+2' : '?' }, target: '4', reference: '4' }],
    });
    try {
      const s = await loadSuite(`testqa:${file}`);
      assert.equal(s.config.name, 'testqa:qa.jsonl');
      assert.equal(s.items[0]!.input['q'], '2+2');
      assert.equal(s.dir, undefined);
      const err = await loadError(`testqa:${join(root, 'missing.jsonl')}`);
      assert.equal(err.code, 'E_FILE_NOT_FOUND');
    } finally {
      delete LOADERS['testqa'];
    }
  });
});

describe('listSuites', () => {
  it('lists built-in suites and user folders, marking invalid ones', () => {
    const userRoot = join(root, 'user-suites');
    mkdirSync(userRoot);
    mkdirSync(join(userRoot, 'good'));
    writeFileSync(join(userRoot, 'good', 'suite.json'), JSON.stringify({ ...GOOD_CONFIG, name: 'good' }));
    writeFileSync(join(userRoot, 'good', 'items.jsonl'), GOOD_ITEMS);
    mkdirSync(join(userRoot, 'bad'));
    writeFileSync(join(userRoot, 'bad', 'suite.json'), '{');
    const all = listSuites([userRoot]);
    const example = all.find((s) => s.name === 'example');
    assert.deepEqual({ kind: example?.kind, builtin: example?.builtin, items: example?.items }, { kind: 'math', builtin: true, items: 20 });
    const good = all.find((s) => s.dir === join(userRoot, 'good'));
    assert.deepEqual({ builtin: good?.builtin, items: good?.items, error: good?.error }, { builtin: false, items: 2, error: undefined });
    const bad = all.find((s) => s.dir === join(userRoot, 'bad'));
    assert.match(bad?.error ?? '', /not valid JSON/);
  });
});
