import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attentionFlops, breakEven, indexerFlops, layerCost, modelFlops, nonAttentionFlops } from '../../src/cost/analytic.js';
import { attentionShape, loadProfile } from '../../src/cost/profiles.js';

const v32 = loadProfile('deepseek-v3.2');

test('V3.2 MQA dense attention is 278,528·L FLOPs per layer-token; indexer 16,384·L', () => {
  const shape = attentionShape(v32);
  assert.deepEqual(shape, { form: 'mqa-mla', heads: 128, kvHeads: 1, dqk: 576, dv: 512 });
  for (const L of [1, 1000, 4096, 131072]) {
    assert.equal(attentionFlops(shape, L), 278_528 * L);
    assert.equal(indexerFlops(v32, L), 16_384 * L);
    assert.equal(layerCost(v32, { mode: 'decode', attention: 'dense', position: L }).flops, 278_528 * L);
  }
});

test('DSA at 128K: indexer + attention over k = 2048 (DSA.md: 36.5 vs 2.7 GFLOP, 86 vs 18.6 MB)', () => {
  const d = layerCost(v32, { mode: 'decode', attention: 'dense', position: 131072 });
  const s = layerCost(v32, { mode: 'decode', attention: 'sparse', position: 131072 });
  assert.equal(s.flops, 16_384 * 131072 + 278_528 * 2048);
  assert.equal(s.indexer_flops, 16_384 * 131072);
  assert.equal(d.bytes, 656 * 131072);
  assert.equal(s.bytes, 132 * 131072 + 656 * 2048);
  assert.equal(Math.round(d.flops / 1e8) / 10, 36.5);
  assert.equal(Math.round(s.flops / 1e8) / 10, 2.7);
  assert.equal(Math.round(d.bytes / 1e6), 86);
  assert.equal(Math.round(s.bytes / 1e5) / 10, 18.6);
});

test('DSA equals dense at or below k (indexer skipped)', () => {
  for (const L of [1, 100, 2048]) {
    const d = layerCost(v32, { mode: 'decode', attention: 'dense', position: L });
    const s = layerCost(v32, { mode: 'decode', attention: 'sparse', position: L });
    assert.deepEqual(s, d);
  }
});

test('analytic costs are monotone in position, and sparse is never above dense + indexer', () => {
  for (const mode of ['decode', 'prefill'] as const) {
    for (const attention of ['dense', 'sparse'] as const) {
      let prev = -1;
      for (let L = 1; L <= 131072; L = Math.ceil(L * 1.7)) {
        const c = layerCost(v32, { mode, attention, position: L, chunk: 16 });
        assert.ok(c.flops >= prev, `${mode} ${attention} at ${L}`);
        prev = c.flops;
      }
    }
  }
});

test('prefill chunk averages the FLOPs of its queries', () => {
  const c = layerCost(v32, { mode: 'prefill', attention: 'dense', position: 1000, chunk: 4 });
  assert.equal(c.flops, (278_528 * (997 + 998 + 999 + 1000)) / 4);
  assert.equal(c.bytes, (656 * 1000) / 4);
  // A chunk larger than the position is clamped to it.
  const all = layerCost(v32, { mode: 'prefill', attention: 'dense', position: 3, chunk: 16 });
  assert.equal(all.flops, (278_528 * (1 + 2 + 3)) / 3);
});

test('MLA in MHA form (dense prefill of V3.1): 2·128·(192+128)·L', () => {
  const c = layerCost(v32, { mode: 'prefill', attention: 'dense', position: 8192, chunk: 1, denseForm: 'mha' });
  assert.equal(c.flops, 2 * 128 * 320 * 8192);
});

test('whole model adds layers × attention and 2 × active params', () => {
  assert.equal(nonAttentionFlops(v32), 74e9);
  const q = { mode: 'decode' as const, attention: 'dense' as const, position: 4096 };
  assert.equal(modelFlops(v32, q), 61 * 278_528 * 4096 + 74e9);
});

test('break-even of analytic FLOPs is ≈ 2.2K at V3.2 (DSA.md)', () => {
  const be = breakEven((a, p) => layerCost(v32, { mode: 'decode', attention: a, position: p }).flops, 2048, 1 << 20);
  // 278,528·L > 16,384·L + 278,528·2048  ⇔  L > 2176
  assert.equal(be, 2177);
  assert.equal(breakEven(() => 1, 2048, 1 << 20), null);
});

test('GQA profile: 2·H·(Dqk+Dv)·L with H = 32, head dim 128', () => {
  const p = loadProfile('llama3-8b-dsa');
  assert.deepEqual(attentionShape(p), { form: 'mha', heads: 32, kvHeads: 8, dqk: 128, dv: 128 });
  assert.equal(layerCost(p, { mode: 'decode', attention: 'dense', position: 1000 }).flops, 2 * 32 * 256 * 1000);
  assert.equal(layerCost(p, { mode: 'decode', attention: 'dense', position: 1000 }).bytes, 4096 * 1000);
});
