/** Warm-up + cosine learning-rate schedule. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRate } from '../../src/model/schedule.js';

const s = { lr: 1e-3, minLr: 1e-4, warmupSteps: 10, steps: 110 };

test('linear warm-up reaches lr at the end of warm-up', () => {
  assert.equal(learningRate(s, 0), 1e-4);
  assert.ok(Math.abs(learningRate(s, 4) - 5e-4) < 1e-12);
  assert.equal(learningRate(s, 9), 1e-3);
});

test('cosine decay: lr right after warm-up, midpoint halfway, min_lr at the last step, monotone', () => {
  assert.equal(learningRate(s, 10), 1e-3);
  assert.ok(Math.abs(learningRate(s, 10 + 49.5) - 5.5e-4) < 1e-12);
  assert.ok(Math.abs(learningRate(s, 109) - 1e-4) < 1e-15);
  for (let i = 10; i < 109; i++) assert.ok(learningRate(s, i + 1) <= learningRate(s, i));
  assert.ok(Math.abs(learningRate(s, 500) - 1e-4) < 1e-15, 'past the end stays at min_lr');
});

test('no warm-up and single-step stages', () => {
  assert.equal(learningRate({ ...s, warmupSteps: 0 }, 0), 1e-3);
  assert.equal(learningRate({ lr: 2e-3, minLr: 0, warmupSteps: 0, steps: 1 }, 0), 2e-3);
});
