import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ScoringPool } from '../../src/runner/pool.js';
import { SCORERS } from '../helpers/scorer-table.js';
import { poolExecArgv } from '../../src/util/worker-flags.js';
import type { Item, ScoreFn } from '../../src/types.js';

const item = (target: string): Item => ({ id: target, input: {}, target });

describe('scoring pool', () => {
  it('scores in worker threads, in order, batching a burst', async () => {
    const pool = new ScoringPool({ workers: 2, maxBatch: 16 });
    try {
      const outs = await Promise.all(Array.from({ length: 500 }, (_, i) => pool.score({ scorer: 'exact_match', options: {}, output: String(i % 3 === 0 ? i : -1), item: item(String(i)) })));
      assert.equal(outs.length, 500);
      outs.forEach((o, i) => assert.deepEqual(o, { score: { value: i % 3 === 0 ? 1 : 0, pass: i % 3 === 0 }, error: null }));
      assert.equal(pool.backlog, 0);
    } finally {
      await pool.close();
      await pool.close(); // idempotent
    }
    const late = await pool.score({ scorer: 'exact_match', options: {}, output: '1', item: item('1') });
    assert.match(late.error ?? '', /closed/);
  });

  it('pools closed while their threads are still starting shut down cleanly', async () => {
    // Workers load their task file with require(esm) off where Node has the flag, so a
    // terminate mid-load cannot abort the process (it would take this test file down).
    if (process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module')) {
      assert.ok(poolExecArgv().includes('--no-experimental-require-module'));
    }
    for (let i = 0; i < 12; i++) {
      const pool = new ScoringPool({ workers: 2 });
      await new Promise((r) => setTimeout(r, (i * 7) % 80));
      if (i % 3 === 0) {
        const o = await pool.score({ scorer: 'exact_match', options: {}, output: 'a', item: item('a') });
        assert.deepEqual(o, { score: { value: 1, pass: true }, error: null });
      }
      await pool.close();
    }
  });

  it('a scorer that throws or returns a bad score gives value 0 and an error, not a rejection', async () => {
    const reg = SCORERS as Record<string, ScoreFn>;
    reg['test_throws'] = () => {
      throw new Error('kaboom');
    };
    reg['test_async_bad'] = () => Promise.resolve({ value: 2, pass: true });
    const pool = new ScoringPool({ workers: 0 }); // inline: sees the test-only scorers
    try {
      const [a, b, c, d] = await Promise.all([
        pool.score({ scorer: 'test_throws', options: {}, output: 'x', item: item('x') }),
        pool.score({ scorer: 'test_async_bad', options: {}, output: 'x', item: item('x') }),
        pool.score({ scorer: 'exact_match', options: { ignore_case: true }, output: ' X ', item: item('x') }),
        pool.score({ scorer: 'no_such_scorer', options: {}, output: 'x', item: item('x') }),
      ]);
      assert.deepEqual(a, { score: { value: 0, pass: false }, error: 'scorer test_throws failed: kaboom' });
      assert.deepEqual(b, { score: { value: 0, pass: false }, error: 'scorer returned value 2 (expected a number in [0, 1])' });
      assert.deepEqual(c, { score: { value: 1, pass: true }, error: null });
      assert.match(d.error ?? '', /unknown scorer "no_such_scorer"/);
    } finally {
      delete reg['test_throws'];
      delete reg['test_async_bad'];
      await pool.close();
    }
  });
});
