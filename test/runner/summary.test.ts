import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { passAtKs, summarize, summarizeGroup } from '../../src/runner/summary.js';
import { validator } from '../../src/suites/schema.js';
import type { AttemptRecord, RunManifest } from '../../src/types.js';

/** Factory: one attempt record with sensible defaults. */
function rec(over: Partial<AttemptRecord> & { item_id: string; value: number }): AttemptRecord {
  const { value, ...rest } = over;
  return {
    run_id: 'r',
    suite: 's',
    provider: 'p',
    attempt: 0,
    input_hash: 'h',
    output: '',
    score: { value, pass: value === 1 },
    usage: null,
    timings: null,
    cost: null,
    error: null,
    ...rest,
  };
}

const manifest: RunManifest = {
  run_id: 'r', created_at: '2026-01-01T00:00:00.000Z', finished_at: null, status: 'complete', package_version: '0.1.0', git_sha: null,
  config: {}, config_hash: 'abc', seed: 0, engine: null, machine: { cpus: 2 }, suites: ['s'], providers: ['p'],
};

describe('summary', () => {
  it('mean over attempts, stderr/ci over per-item means, pass@k unbiased', () => {
    // item a: 2 of 4 pass, item b: 0 of 4, item c: 4 of 4
    const recs: AttemptRecord[] = [];
    const passes: Record<string, number> = { a: 2, b: 0, c: 4 };
    for (const [id, c] of Object.entries(passes)) for (let k = 0; k < 4; k++) recs.push(rec({ item_id: id, attempt: k, value: k < c ? 1 : 0 }));
    const s = summarizeGroup('s', 'p', recs, { kind: 'math' });
    assert.equal(s.n, 12);
    assert.equal(s.n_items, 3);
    assert.equal(s.mean, 0.5);
    assert.equal(s.pass_rate, 0.5);
    // item means 0.5, 0, 1 → sd 0.5, stderr 0.5/sqrt(3)
    assert.ok(Math.abs(s.stderr - 0.5 / Math.sqrt(3)) < 1e-12);
    assert.deepEqual(s.ci95, [0, 1]); // 0.5 ± 0.566, clamped
    // pass@1 = mean c/n = 0.5; pass@2: a 1 − C(2,2)/C(4,2) = 5/6, b 0, c 1; pass@4: a 1, b 0, c 1
    assert.deepEqual(Object.keys(s.pass_at_k!), ['1', '2', '4']);
    assert.ok(Math.abs(s.pass_at_k!['1']! - 0.5) < 1e-12);
    assert.ok(Math.abs(s.pass_at_k!['2']! - (5 / 6 + 0 + 1) / 3) < 1e-12);
    assert.ok(Math.abs(s.pass_at_k!['4']! - 2 / 3) < 1e-12);
    assert.equal(s.kind, 'math');
  });

  it('no pass@k with one attempt per item; empty groups are zeros', () => {
    assert.equal(summarizeGroup('s', 'p', [rec({ item_id: 'a', value: 1 })]).pass_at_k, null);
    const empty = summarizeGroup('s', 'p', []);
    assert.deepEqual({ n: empty.n, mean: empty.mean, ci95: empty.ci95, pass_at_k: empty.pass_at_k }, { n: 0, mean: 0, ci95: [0, 0], pass_at_k: null });
  });

  it('pass@k for k = 1 and powers of two up to the repeats', () => {
    assert.deepEqual(passAtKs(1), [1]);
    assert.deepEqual(passAtKs(8), [1, 2, 4, 8]);
    assert.deepEqual(passAtKs(5), [1, 2, 4, 5]);
  });

  it('latency percentiles, tokens, cost and errors', () => {
    const recs = [10, 20, 30, 40, 50].map((e2e, i) =>
      rec({
        item_id: String(i),
        value: 1,
        timings: { ttft_ms: e2e / 10, tpot_ms: i === 0 ? null : 2, e2e_ms: e2e },
        usage: { prompt_tokens: 100, completion_tokens: 10, reasoning_tokens: 4, total_tokens: 110 },
        cost: 0.5,
        error: i === 4 ? 'boom' : null,
      }),
    );
    const s = summarizeGroup('s', 'p', recs);
    assert.deepEqual(s.latency.e2e_ms, { n: 5, mean: 30, p50: 30, p90: 46, p99: 49.6 });
    assert.equal(s.latency.tpot_ms.n, 4);
    assert.deepEqual(s.tokens, { prompt: 500, completion: 50, reasoning: 20, total: 550 });
    assert.deepEqual(s.cost, { total: 2.5, per_item: 0.5, currency: 'USD' });
    assert.equal(s.n_errors, 1);
    assert.deepEqual(summarizeGroup('s', 'p', [rec({ item_id: 'a', value: 1 })]).cost, { total: null, per_item: null, currency: 'USD' });
  });

  it('breakdowns by metadata (with a pair table) and details.metrics means', () => {
    const recs = [
      rec({ item_id: '1', value: 1, metadata: { length: 4096, depth: 0.1 }, score: { value: 1, pass: true, details: { metrics: { strict: 1, flexible: 1 } } } }),
      rec({ item_id: '2', value: 0, metadata: { length: 4096, depth: 0.9 }, score: { value: 0, pass: false, details: { metrics: { strict: 0, flexible: 1 } } } }),
      rec({ item_id: '3', value: 1, metadata: { length: 8192, depth: 0.1 }, score: { value: 1, pass: true, details: { metrics: { strict: 1, flexible: true, label: 'x' } } } }),
      rec({ item_id: '4', value: 1, metadata: { length: 8192 } }),
    ];
    const s = summarizeGroup('s', 'p', recs, { breakdownBy: ['length', 'depth'] });
    assert.deepEqual(s.breakdowns, {
      by_metadata: {
        length: { '4096': { n: 2, mean: 0.5 }, '8192': { n: 2, mean: 1 } },
        depth: { '0.1': { n: 2, mean: 1 }, '0.9': { n: 1, mean: 0 } },
        'length×depth': {
          rows: 'length',
          cols: 'depth',
          cells: { '4096': { '0.1': { n: 1, mean: 1 }, '0.9': { n: 1, mean: 0 } }, '8192': { '0.1': { n: 1, mean: 1 } } },
        },
      },
      metrics: { strict: { n: 3, mean: 2 / 3 }, flexible: { n: 3, mean: 1 } },
    });
    assert.equal(summarizeGroup('s', 'p', [rec({ item_id: 'a', value: 1 })]).breakdowns, undefined);
  });

  it('one row per suite × provider in run order, valid against summary.schema.json', () => {
    const recs = [rec({ item_id: 'a', value: 1, provider: 'q' }), rec({ item_id: 'a', value: 0 }), rec({ item_id: 'b', value: 1 })];
    const sum = summarize(manifest, recs, { s: { kind: 'math' } }, [{ suite: 's', provider: 'p' }, { suite: 's', provider: 'q' }, { suite: 't', provider: 'p' }]);
    assert.deepEqual(sum.suites.map((x) => [x.suite, x.provider, x.n]), [['s', 'p', 2], ['s', 'q', 1], ['t', 'p', 0]]);
    const v = validator('summary');
    assert.ok(v(sum), JSON.stringify(v.errors));
    assert.ok(!v({ ...sum, suites: [{ ...sum.suites[0], mean: 2 }] }));
  });
});
