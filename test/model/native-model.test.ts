/**
 * The C++ model against finite differences (gradients of every stage), and the KV-cache
 * session against the full-sequence forward (dense and sparse).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QUICK_CONFIG, type ModelConfig } from '../../src/model/config.js';
import { createNativeModel, modelLayout, numParams, type TrainStage } from '../../src/model/native.js';
import { mulberry32 } from '../../src/util/stats.js';

const TINY: ModelConfig = {
  ...QUICK_CONFIG,
  hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, q_lora_rank: 8, kv_lora_rank: 8,
  qk_nope_head_dim: 4, qk_rope_head_dim: 4, v_head_dim: 4, intermediate_size: 12, index_n_heads: 2,
  index_head_dim: 8, index_rope_head_dim: 4, index_topk: 3, initializer_range: 0.3,
};

function batch(B: number, L: number, seed: number): { tokens: Int32Array; targets: Int32Array; weights: Float32Array } {
  const rnd = mulberry32(seed);
  const tokens = new Int32Array(B * L), targets = new Int32Array(B * L), weights = new Float32Array(B * L);
  for (let i = 0; i < B * L; i++) {
    tokens[i] = Math.floor(rnd() * 260);
    targets[i] = Math.floor(rnd() * 260);
    weights[i] = 0.5 + rnd();
  }
  tokens[B * L - 1] = -1; // padding at the end of the last row
  targets[B * L - 1] = -1;
  targets[3] = -1;
  return { tokens, targets, weights };
}

test('layout names every tensor once and covers the flat vector', () => {
  const lay = modelLayout(QUICK_CONFIG);
  const names = new Set(lay.map((t) => t.name));
  assert.equal(names.size, lay.length);
  let off = 0;
  for (const t of lay) {
    assert.equal(t.offset, off, t.name);
    assert.equal(t.size, t.shape.reduce((a, b) => a * b, 1), t.name);
    off += t.size;
  }
  assert.ok(lay.some((t) => t.name === 'layers.1.attn.indexer.wq.weight' && t.group === 'indexer'));
  assert.ok(lay.some((t) => t.name === 'head.weight' && t.group === 'main'));
});

// The last field: log-n attention scaling from position 4 on (0 = off).
const GRAD_CASES: Array<[TrainStage, number, number]> = [
  ['pretrain', 7, 0], ['warmup', 7, 0], ['sparse', 7, 0], ['pretrain', 150, 0], ['warmup', 150, 0], ['sparse', 70, 0],
  ['pretrain', 7, 4], ['sparse', 40, 4],
];
for (const [stage, L, logn] of GRAD_CASES) {
  test(`${stage}, L = ${L}${logn ? `, log-n scaling from ${logn}` : ''}: analytic gradients match central finite differences`, () => {
    const cfg: ModelConfig = { ...TINY, logn_attention_base: logn };
    const lay = modelLayout(cfg);
    const P = numParams(lay);
    const params = new Float32Array(P);
    const model = createNativeModel(cfg, params);
    model.initParams(7);
    const B = 2;
    const { tokens, targets, weights } = batch(B, L, 11);
    const grad = new Float32Array(P);
    const args = { tokens, targets, weights, batch: B, length: L, stage, topk: 3, grad };
    const base = model.lossAndGrad(args);
    assert.ok(Number.isFinite(base.loss) && base.loss > 0);
    const scratch = new Float32Array(P);
    // Sparse training differentiates two losses separately (the indexer's input is detached
    // and top-k selection has no gradient): main weights follow the LM loss, the indexer the KL.
    const lossAt = (group: 'main' | 'indexer'): number => {
      const r = model.lossAndGrad({ ...args, grad: scratch });
      return stage === 'sparse' ? (group === 'main' ? r.lmLoss : r.klLoss) : r.loss;
    };
    // Sample coordinates from every tensor the stage trains.
    const rnd = mulberry32(3);
    let checked = 0, worst = 0, jumps = 0;
    for (const t of lay) {
      const trained = stage === 'pretrain' ? t.group === 'main' : stage === 'warmup' ? t.group === 'indexer' : true;
      for (let r = 0; r < 3; r++) {
        const i = t.offset + Math.floor(rnd() * t.size);
        const keep = params[i]!;
        const centralDiff = (h: number): number => {
          params[i] = keep + h;
          const up = lossAt(t.group);
          params[i] = keep - h;
          const down = lossAt(t.group);
          params[i] = keep;
          return (up - down) / (2 * h);
        };
        const fd = centralDiff(2e-3);
        if (!trained) {
          assert.equal(grad[i], 0, `${stage}: ${t.name} must get no gradient`);
          continue;
        }
        // A top-k selection that flips inside ±h makes the loss jump; such a coordinate has
        // no derivative there, so it is skipped (and counted) instead of compared.
        if (stage === 'sparse' && Math.abs(centralDiff(1e-3) - fd) > 0.05 * (Math.abs(fd) + 1e-2)) {
          jumps++;
          continue;
        }
        const err = Math.abs(fd - grad[i]!) / Math.max(1e-2, Math.abs(fd) + Math.abs(grad[i]!));
        worst = Math.max(worst, err);
        assert.ok(err < 3e-2, `${stage}: ${t.name}[${i - t.offset}] analytic ${grad[i]} vs finite difference ${fd}`);
        checked++;
      }
    }
    assert.ok(checked > 20 && jumps <= checked / 5, `checked ${checked} coordinates, ${jumps} at selection flips`);
  });
}

test('sparse training ignores the indexer in the LM gradient path and uses the KL over the selection', () => {
  const lay = modelLayout(TINY);
  const params = new Float32Array(numParams(lay));
  const model = createNativeModel(TINY, params);
  model.initParams(5);
  const { tokens, targets } = batch(1, 9, 2);
  const grad = new Float32Array(params.length);
  const r = model.lossAndGrad({ tokens, targets, batch: 1, length: 9, stage: 'sparse', topk: 2, grad });
  assert.ok(r.klLoss > 0 && Math.abs(r.loss - (r.lmLoss + r.klLoss)) < 1e-9);
  const w = model.lossAndGrad({ tokens, targets, batch: 1, length: 9, stage: 'warmup', grad });
  assert.ok(Math.abs(w.loss - w.klLoss) < 1e-12);
});

for (const attention of ['dense', 'sparse'] as const) {
  test(`${attention}: KV-cache session (prefill + decode) reproduces the full-sequence logits`, () => {
    const cfg = { ...QUICK_CONFIG, index_topk: 5, logn_attention_base: 32 };
    const lay = modelLayout(cfg);
    const params = new Float32Array(numParams(lay));
    const model = createNativeModel(cfg, params);
    model.initParams(1);
    const L = 150; // more than one causal row block
    const tokens = new Int32Array(L);
    const rnd = mulberry32(9);
    for (let i = 0; i < L; i++) tokens[i] = Math.floor(rnd() * 256);
    const full = model.logits({ tokens, batch: 1, length: L, attention, topk: 5 });
    const s = model.session({ maxLength: 160, attention, topk: 5 });
    const check = (pos: number, got: Float32Array): void => {
      let maxDiff = 0;
      for (let v = 0; v < cfg.vocab_size; v++) maxDiff = Math.max(maxDiff, Math.abs(got[v]! - full[pos * cfg.vocab_size + v]!));
      assert.ok(maxDiff < 1e-3, `position ${pos}: max |Δlogit| ${maxDiff}`);
    };
    check(9, s.forward(tokens.subarray(0, 10)));
    for (let p = 10; p < L; p++) check(p, s.forward(tokens.subarray(p, p + 1)));
    assert.equal(s.length, L);
    s.truncate(10);
    check(10, s.forward(tokens.subarray(10, 11)));
    assert.throws(() => s.forward(new Int32Array(200)), /maxLength/);
  });
}

test('bad arguments throw coded errors, never crash', () => {
  const lay = modelLayout(QUICK_CONFIG);
  assert.throws(() => createNativeModel(QUICK_CONFIG, new Float32Array(10)), (e: Error & { code?: string }) => e.code === 'E_SHAPE' && /config needs/.test(e.message));
  const params = new Float32Array(numParams(lay));
  const model = createNativeModel(QUICK_CONFIG, params);
  const grad = new Float32Array(params.length);
  assert.throws(() => model.lossAndGrad({ tokens: new Int32Array(4), targets: new Int32Array(3), batch: 1, length: 4, stage: 'pretrain', grad }), (e: Error & { code?: string }) => e.code === 'E_SHAPE');
  assert.throws(() => model.lossAndGrad({ tokens: Int32Array.from([1, 2, 999, 3]), targets: new Int32Array(4), batch: 1, length: 4, stage: 'pretrain', grad }), (e: Error & { code?: string }) => e.code === 'E_INDEX');
  assert.throws(() => model.lossAndGrad({ tokens: new Int32Array(4), targets: new Int32Array(4), batch: 1, length: 4, stage: 'bogus' as TrainStage, grad }), (e: Error & { code?: string }) => e.code === 'E_OPTION');
  assert.throws(() => model.session({ maxLength: 10 ** 9, attention: 'dense' }), (e: Error & { code?: string }) => e.code === 'E_OPTION');
});

test('capture: a session exposes the attention inputs the engine saw (MQA form)', () => {
  const cfg = QUICK_CONFIG;
  const params = new Float32Array(numParams(modelLayout(cfg)));
  const model = createNativeModel(cfg, params);
  model.initParams(2);
  const s = model.session({ maxLength: 64, attention: 'dense', capture: true });
  s.forward(Int32Array.from([256, 258, 72, 105, 259]));
  s.forward(Int32Array.from([65, 66]));
  const c = s.captured!(1);
  const D = cfg.kv_lora_rank + cfg.qk_rope_head_dim;
  assert.deepEqual([c.T, c.L, c.qStart, c.H, c.D, c.dv], [2, 7, 5, cfg.num_attention_heads, D, cfg.kv_lora_rank]);
  assert.equal(c.q.length, 2 * cfg.num_attention_heads * D);
  assert.equal(c.kv.length, 7 * D);
  assert.equal(c.kI.length, 7 * cfg.index_head_dim);
  assert.equal(c.w.length, 2 * cfg.index_n_heads);
  assert.ok(c.kv.some((x) => x !== 0) && c.qI.some((x) => x !== 0));
  assert.throws(() => model.session({ maxLength: 8, attention: 'dense' }).captured!(0), /nothing captured/);
});
