import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DsabenchError } from '../../src/errors.js';
import { listHardware, loadHardware } from '../../src/cost/hardware.js';
import { listProfiles, loadProfile, validateProfile } from '../../src/cost/profiles.js';

test('shipped profiles and hardware load and validate', () => {
  assert.deepEqual(listProfiles(), ['builtin-small', 'deepseek-v3.2', 'llama3-8b-dsa']);
  for (const n of listProfiles()) assert.equal(loadProfile(n).name, n);
  assert.deepEqual(listHardware(), ['b200', 'h100', 'h200', 'h800']);
  for (const n of listHardware()) {
    const h = loadHardware(n);
    assert.ok(h.peak_fp8_flops > h.peak_bf16_flops);
    assert.ok(h.source.length > 20);
    assert.ok(h.price_per_hour > 0);
  }
  assert.equal(loadHardware('H800').price_per_hour, 2);
});

function expectError(fn: () => unknown, code: string, field?: string): DsabenchError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DsabenchError, String(e));
    assert.equal(e.code, code);
    if (field !== undefined) assert.equal(e.field, field);
    return e;
  }
  assert.fail('expected an error');
}

test('unknown profile names the known ones', () => {
  const e = expectError(() => loadProfile('gpt-17'), 'E_PROFILE', 'profile');
  assert.match(e.message, /unknown profile "gpt-17".*deepseek-v3\.2/);
  expectError(() => loadHardware('tpu9'), 'E_PROFILE', 'hardware');
  expectError(() => loadProfile('./nope/missing.json'), 'E_FILE_NOT_FOUND');
});

test('invalid profile fields are named', () => {
  const base = JSON.parse(JSON.stringify(loadProfile('builtin-small'))) as Record<string, unknown>;
  const cases: Array<[(o: Record<string, any>) => void, string]> = [
    [(o) => { o.layers = 0; }, '/layers'],
    [(o) => { o.attention.kind = 'linear'; }, '/attention/kind'],
    [(o) => { o.attention.heads = 2.5; }, '/attention/heads'],
    [(o) => { delete o.indexer; }, '/indexer'],
    [(o) => { o.indexer.topk = -1; }, '/indexer/topk'],
    [(o) => { o.cache.bytes_per_token = 'x'; }, '/cache/bytes_per_token'],
    [(o) => { o.active_params = 0; }, '/active_params'],
    [(o) => { o.name = ''; }, '/name'],
    [(o) => { o.weights_dtype = 'int4'; }, '/weights_dtype'],
  ];
  for (const [mutate, field] of cases) {
    const o = JSON.parse(JSON.stringify(base));
    mutate(o);
    expectError(() => validateProfile(o, 'p.json'), 'E_PROFILE', field);
  }
  const gqa = { ...JSON.parse(JSON.stringify(loadProfile('llama3-8b-dsa'))) };
  gqa.attention.kv_heads = 5;
  expectError(() => validateProfile(gqa, 'p.json'), 'E_PROFILE', '/attention/kv_heads');
});

test('a profile file by path, and a broken JSON file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsab-prof-'));
  const good = join(dir, 'mine.json');
  writeFileSync(good, JSON.stringify({ ...loadProfile('builtin-small'), name: 'mine' }));
  assert.equal(loadProfile(good).name, 'mine');
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"name": ');
  const e = expectError(() => loadProfile(bad), 'E_PROFILE');
  assert.equal(e.file, bad);
});
