/** The training charts' data: the KL chart leaves out the dense steps of a sparse stage (no KL there). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { klChart } from '../../src/model/metrics-chart.js';
import type { MetricsLine } from '../../src/model/train.js';

const line = (step: number, stage: MetricsLine['stage'], kl: number, dense = false): MetricsLine => ({
  step, stage, loss: 1, lm_loss: 1, kl_loss: kl, lr: 1e-3, grad_norm: 1, tokens: step * 100, tokens_per_s: 1000, elapsed_s: step, length: 64,
  ...(dense ? { dense: true as const } : {}),
});

test('KL chart: warm-up and sparse steps, without the dense steps of the sparse stage', () => {
  const lines = [line(1, 'pretrain', 0), line(2, 'warmup', 0.9), line(3, 'warmup', 0.5), line(4, 'sparse', 0.4), line(5, 'sparse', 0, true), line(6, 'sparse', 0.3)];
  const cfg = klChart(lines)!;
  const perStep = cfg.data.datasets.filter((d) => String(d.label).endsWith('(per step)'));
  const xs = perStep.map((d) => (d.data as Array<{ x: number }>).map((p) => p.x));
  assert.deepEqual(xs, [[2, 3], [4, 6]]);
  assert.equal(klChart([line(1, 'pretrain', 0)]), null);
});
