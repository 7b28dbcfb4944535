import { test } from 'node:test';
import assert from 'node:assert/strict';
import { passAtK, stderr, percentile, mcnemarExact, wilson, normalQuantile, sortedCopy } from '../../src/util/stats.js';

test('pass@k matches the combinatorial definition', () => {
  // n=5, c=2, k=2: 1 − C(3,2)/C(5,2) = 1 − 3/10
  assert.ok(Math.abs(passAtK(5, 2, 2) - 0.7) < 1e-12);
  assert.equal(passAtK(5, 4, 2), 1);
  assert.equal(passAtK(5, 0, 1), 0);
  assert.throws(() => passAtK(2, 1, 3), RangeError);
});

test('stderr, percentiles, Wilson, McNemar', () => {
  assert.ok(Math.abs(stderr([0, 1, 0, 1]) - Math.sqrt(1 / 12)) < 1e-12);
  assert.equal(percentile(sortedCopy([4, 1, 3, 2]), 50), 2.5);
  assert.equal(percentile([], 50), null);
  const [lo, hi] = wilson(0, 10);
  assert.equal(lo, 0);
  assert.ok(hi > 0.2 && hi < 0.4);
  assert.ok(Math.abs(mcnemarExact(0, 6) - 2 / 64) < 1e-12);
  assert.equal(mcnemarExact(3, 3), 1);
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-6);
});
