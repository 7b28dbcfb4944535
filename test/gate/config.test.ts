import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import AjvModule from 'ajv';
import { DEFAULT_GATE_CONFIG, parseGateConfig } from '../../src/reports/gate/index.js';
import { packagePath } from '../../src/util/package.js';
import { DsabenchError } from '../../src/errors.js';

const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;

describe('gate.json schema and parser agree', () => {
  const schema = JSON.parse(readFileSync(packagePath('schemas', 'gate.schema.json'), 'utf8')) as object;
  const validate = new (Ajv as unknown as new (o: object) => { compile(s: object): (d: unknown) => boolean })({ allErrors: true }).compile(schema);

  const good: unknown[] = [
    {},
    DEFAULT_GATE_CONFIG,
    { rule: 'ci-below-tolerance', latency: { p90: null }, cost: { per_attempt: null }, suites: { math: { skip: true } } },
  ];
  const bad: Array<[unknown, string]> = [
    [{ alpha: 0 }, '/alpha'],
    [{ rule: 'strict' }, '/rule'],
    [{ latency: { metrics: ['itl_ms'] } }, '/latency/metrics/0'],
    [{ suites: { math: { tolerance: -1 } } }, '/suites/math/tolerance'],
    [{ bootstrap: { resamples: 10 } }, '/bootstrap/resamples'],
    [{ extra: 1 }, '/extra'],
  ];

  for (const g of good) {
    it(`accepts ${JSON.stringify(g).slice(0, 60)}`, () => {
      assert.equal(validate(g), true);
      assert.doesNotThrow(() => parseGateConfig(g));
    });
  }
  for (const [b, field] of bad) {
    it(`rejects ${JSON.stringify(b)} at ${field}`, () => {
      assert.equal(validate(b), false);
      assert.throws(() => parseGateConfig(b, 'g.json'), (e: unknown) => e instanceof DsabenchError && e.code === 'E_CONFIG_INVALID' && e.field === field && e.file === 'g.json');
    });
  }

  it('merges partial sections over the defaults', () => {
    const c = parseGateConfig({ latency: { p50: 0.1 }, suites: { code: { alpha: 0.01 } } });
    assert.deepEqual(c.latency, { metrics: ['e2e_ms', 'ttft_ms', 'tpot_ms'], p50: 0.1, p90: 0.5 });
    assert.deepEqual(c.suites, { code: { alpha: 0.01 } });
    assert.equal(c.tolerance, 0.02);
  });
});
