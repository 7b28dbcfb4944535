import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { passAtKs, summarize, summarizeGroup } from '../../src/results/summary.js';
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
    // The failed attempt (e2e 50) is not a response time: latency over the other four.
    const e = s.latency.e2e_ms;
    assert.deepEqual([e.n, e.mean, e.p50, e.p90], [4, 25, 25, 37]);
    assert.ok(Math.abs(e.p99! - 39.7) < 1e-9);
    assert.equal(s.latency.tpot_ms.n, 3);
    assert.deepEqual(s.tokens, { prompt: 500, completion: 50, reasoning: 20, total: 550 });
    assert.deepEqual(s.cost, { total: 2.5, per_item: 0.5, currency: 'USD' });
    assert.equal(s.n_errors, 1);
    assert.deepEqual(summarizeGroup('s', 'p', [rec({ item_id: 'a', value: 1 })]).cost, { total: null, per_item: null, currency: 'USD' });
  });

  it('failed attempts: counted as errors and in the mean, never as latency (a 5 s timeout is not "e2e p50 0")', () => {
    const ok = [100, 110, 120].map((e2e, i) => rec({ item_id: `ok${i}`, value: 1, timings: { ttft_ms: 10, tpot_ms: 1, e2e_ms: e2e } }));
    // Timeouts and errors as the provider records them: zero or the time until the failure.
    const failed = [0, 0, 5000].map((e2e, i) => rec({ item_id: `bad${i}`, value: 0, error: 'timeout after 5000 ms', timings: { ttft_ms: null, tpot_ms: null, e2e_ms: e2e } }));
    const s = summarizeGroup('s', 'p', [...ok, ...failed]);
    assert.equal(s.n_errors, 3);
    assert.equal(s.mean, 0.5);
    const e = s.latency.e2e_ms;
    assert.deepEqual([e.n, e.mean, e.p50], [3, 110, 110]);
    assert.ok(Math.abs(e.p90! - 118) < 1e-9 && Math.abs(e.p99! - 119.8) < 1e-9);
    assert.equal(s.latency.ttft_ms.n, 3);
  });

  it('cached attempts: counted apart (n_cached), scored, out of latency, tokens and cost unless counted', () => {
    const usage = { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 };
    const fresh = [200, 220].map((e2e, i) => rec({ item_id: `f${i}`, value: 1, timings: { ttft_ms: 50, tpot_ms: 5, e2e_ms: e2e }, usage, cost: 0.01 }));
    // Replayed from the cache: an earlier run's timings (fast machine) and money.
    const cached = [1, 2, 3].map((i) => rec({ item_id: `c${i}`, value: i === 1 ? 0 : 1, cached: true, timings: { ttft_ms: 1, tpot_ms: 1, e2e_ms: 5 }, usage, cost: 0.01 }));
    const s = summarizeGroup('s', 'p', [...fresh, ...cached]);
    assert.equal(s.n, 5);
    assert.equal(s.n_cached, 3);
    assert.equal(s.mean, 0.8); // scores of cached answers count
    assert.deepEqual([s.latency.e2e_ms.n, s.latency.e2e_ms.p50], [2, 210]);
    assert.equal(s.latency.ttft_ms.p50, 50);
    assert.deepEqual(s.tokens, { prompt: 200, completion: 20, reasoning: 0, total: 220 });
    assert.ok(Math.abs(s.cost.total! - 0.02) < 1e-12);
    assert.ok(Math.abs(s.cost.per_item! - 0.01) < 1e-12, 'per item of the attempts paid for');
    // --count-cached: as if fresh.
    const c = summarizeGroup('s', 'p', [...fresh, ...cached], {}, { countCached: true });
    assert.equal(c.n_cached, 3);
    assert.deepEqual([c.latency.e2e_ms.n, c.latency.e2e_ms.p50], [5, 5]);
    assert.equal(c.tokens.total, 550);
    assert.ok(Math.abs(c.cost.total! - 0.05) < 1e-12);
    // All cached: no latency and no cost at all, rather than the old run's.
    const all = summarizeGroup('s', 'p', cached);
    assert.deepEqual([all.latency.e2e_ms.n, all.latency.e2e_ms.p50, all.cost.total, all.tokens.total], [0, null, null, 0]);
  });

  it('unsupported attempts: counted apart (n_unsupported), out of mean, CI, pass rate, pass@k and breakdowns', () => {
    const recs = [
      rec({ item_id: 'a', value: 1, metadata: { category: 'x' } }),
      rec({ item_id: 'b', value: 0, metadata: { category: 'x' } }),
      rec({ item_id: 'd1', value: 0, unsupported: 'environment is a Docker image', metadata: { category: 'x' }, timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 0 } }),
      rec({ item_id: 'd2', value: 0, unsupported: 'environment is a Docker image', metadata: { category: 'y' } }),
    ];
    const s = summarizeGroup('s', 'p', recs, { breakdownBy: ['category'] });
    assert.equal(s.n, 4);
    assert.equal(s.n_unsupported, 2);
    assert.equal(s.n_errors, 0);
    assert.equal(s.n_items, 2);
    assert.equal(s.mean, 0.5);
    assert.equal(s.pass_rate, 0.5);
    assert.equal(s.latency.e2e_ms.n, 0);
    assert.deepEqual(s.breakdowns, { by_metadata: { category: { x: { n: 2, mean: 0.5 } } } });
  });

  it('answers without usage: counted (n_no_usage) so the token and cost totals say what they miss', () => {
    const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
    const recs = [
      rec({ item_id: 'a', value: 1, usage, cost: 0.001 }),
      rec({ item_id: 'b', value: 1, usage: null, usage_unknown: true }),
      rec({ item_id: 'c', value: 1, usage: null, usage_unknown: true }),
      rec({ item_id: 'o', value: 1, usage: null }), // a local answer (oracle): no model, nothing unknown
    ];
    const s = summarizeGroup('s', 'p', recs);
    assert.equal(s.n_no_usage, 2);
    assert.equal(s.tokens.total, 15);
    const v = validator('summary');
    assert.ok(v(summarize(manifest, recs)), JSON.stringify(v.errors));
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
