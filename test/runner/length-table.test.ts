import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { table } from '../../src/cli/flags.js';
import { lengthTables, renderLengthTable } from '../../src/runner/length-table.js';
import type { AttemptRecord } from '../../src/types.js';

const DENSE = 'native:dsa-mini?attention=dense';
const SPARSE = 'native:dsa-mini?attention=sparse&topk=128';

function rec(provider: string, length: number, value: number, e2e: number | null, error: string | null = null): AttemptRecord {
  return {
    run_id: 'r', suite: 'long-context', item_id: `x/${length}/${Math.random()}`, provider, attempt: 0, input_hash: 'h', output: '',
    score: { value, pass: value === 1 }, usage: null,
    timings: e2e === null ? null : { ttft_ms: null, tpot_ms: null, e2e_ms: e2e },
    cost: null, error, metadata: { length },
  };
}

describe('accuracy and time per item by context length', () => {
  it('one row per length, a cell per provider, and the sparse/dense time ratio of one native model', () => {
    const recs = [
      rec(DENSE, 1024, 1, 100), rec(DENSE, 1024, 0, 300), rec(DENSE, 1024, 1, 200),
      rec(SPARSE, 1024, 1, 50), rec(SPARSE, 1024, 1, 70), rec(SPARSE, 1024, 0, 60),
      rec(DENSE, 16384, 1, 4000), rec(SPARSE, 16384, 0.5, 1000),
      // an attempt that failed has no time of a finished reply and counts 0 in the accuracy
      rec(SPARSE, 16384, 0, null, 'timeout'),
      { ...rec(DENSE, 1024, 1, 5), suite: 'math', metadata: {} },
    ];
    const [t, ...rest] = lengthTables(recs);
    assert.equal(rest.length, 0, 'only suites whose records carry a length');
    assert.equal(t!.suite, 'long-context');
    assert.deepEqual(t!.rows.map((r) => r.length), [1024, 16384]);
    assert.deepEqual(t!.densePair, { dense: 0, sparse: 1 });
    const [d1, s1] = t!.rows[0]!.cells;
    assert.deepEqual([d1!.n, d1!.mean, d1!.e2e_p50_ms], [3, 2 / 3, 200]);
    assert.deepEqual([s1!.n, s1!.e2e_p50_ms], [3, 60]);
    const s16 = t!.rows[1]!.cells[1]!;
    assert.deepEqual([s16.n, s16.mean, s16.e2e_p50_ms], [2, 0.25, 1000]);
    const text = renderLengthTable(t!, table);
    assert.match(text, /^length\s+dense accuracy\s+dense ms\/item\s+sparse k=128 accuracy\s+sparse k=128 ms\/item\s+sparse k=128 \/ dense time$/m);
    assert.match(text, /^1K\s+66\.7% \(3\)\s+200\s+66\.7% \(3\)\s+60\s+0\.30×$/m);
    assert.match(text, /^16K\s+100\.0% \(1\)\s+4000\s+25\.0% \(2\)\s+1000\s+0\.25×$/m);
  });

  it('a cached attempt scores but its (earlier run\'s) time is not in the median unless counted', () => {
    const recs = [rec('openai:x', 2048, 1, 900), rec('openai:x', 2048, 1, 1000), { ...rec('openai:x', 2048, 1, 5), cached: true }, { ...rec('openai:x', 2048, 1, 7), cached: true }];
    const c = lengthTables(recs)[0]!.rows[0]!.cells[0]!;
    assert.deepEqual([c.n, c.mean, c.e2e_p50_ms], [4, 1, 950]);
    assert.equal(lengthTables(recs, { countCached: true })[0]!.rows[0]!.cells[0]!.e2e_p50_ms, 453.5);
  });

  it('no ratio column when the providers are not one native model dense and sparse', () => {
    const [t] = lengthTables([rec('oracle', 2048, 1, 1), rec('openai:x', 2048, 0, 9)]);
    assert.equal(t!.densePair, undefined);
    assert.doesNotMatch(renderLengthTable(t!, table), /\/ dense time/);
  });
});
