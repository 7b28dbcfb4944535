import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineAvailable, engineInfo } from '../../src/engine/index.js';
import { loadEngine } from '../../src/cost/engine-timer.js';
import { attentionShape, loadProfile } from '../../src/cost/profiles.js';
import { mulberry32 } from '../../src/util/stats.js';
import { measureQuality, tsQualityOps } from '../../src/cost/quality.js';
import { runStudy } from '../../src/cost/study.js';
import { makeSynthetic } from '../../src/cost/synthetic.js';

const skip = engineAvailable() ? false : 'native engine not built';

test('engine-timed curves at small shapes: every point measured, structure only', { skip }, async () => {
  const e = await loadEngine(1);
  assert.ok(e.timer, e.reason);
  const r = await runStudy({
    profile: loadProfile('builtin-small'), modes: ['decode', 'prefill'], positions: [32, 128, 512], chunk: 8, repeats: 1, threads: 1, timer: e.timer,
  });
  e.timer.close?.();
  assert.equal(r.points.length, 12);
  for (const p of r.points) {
    assert.ok(typeof p.ms_median === 'number' && p.ms_median > 0, `${p.mode} ${p.position} ${p.attention}`);
    assert.ok(typeof p.model_ms === 'number' && p.model_ms > p.ms_median!);
    if (p.attention === 'sparse') assert.ok(p.indexer_share! >= 0 && p.indexer_share! <= 1);
  }
  assert.match(r.timer, /native engine/);
  assert.ok(r.break_even && 'decode' in r.break_even);
});

test('the timer stores its caches on the fastest correct path by default and says which; f32 on request', { skip }, async () => {
  const info = engineInfo();
  const auto = await loadEngine(1), f32 = await loadEngine(1, 'f32');
  const dot = info.bf16Dot.includes(info.simd);
  assert.match(auto.timer!.name, dot ? /bf16 caches on bf16 dot products/ : /fp32 caches/);
  assert.match(f32.timer!.name, /fp32 caches/);
  for (const e of [auto, f32]) {
    const p = loadProfile('builtin-small');
    for (const attention of ['dense', 'sparse'] as const)
      assert.ok((await e.timer!.measure({ mode: 'decode', attention, position: 300, chunk: 1, profile: p, repeats: 1, threads: 1 })).ms_median > 0);
    e.timer!.close?.();
  }
});

test('GQA profile runs through the MHA path of the engine', { skip }, async () => {
  const e = await loadEngine(1);
  const p = loadProfile('llama3-8b-dsa');
  const r = await runStudy({ profile: p, modes: ['decode'], positions: [256], chunk: 1, repeats: 1, threads: 1, timer: e.timer });
  e.timer!.close?.();
  assert.ok(r.points.every((x) => x.ms_median! > 0));
});

test('engine fidelity ops agree with the TypeScript reference', { skip }, async () => {
  const e = await loadEngine(1);
  const x = makeSynthetic({ L: 1024, T: 3, H: 4, dc: 32, dp: 16, dv: 32, hi: 4, di: 48 }, 5);
  const [a, b] = [await measureQuality(x, e.ops!, [32, 256]), await measureQuality(x, tsQualityOps(), [32, 256])];
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i]!.mass_recall - b[i]!.mass_recall) < 1e-2);
    assert.ok(Math.abs(a[i]!.rel_error - b[i]!.rel_error) < 1e-2);
  }
});

test('the fused op times its selection phase inside the call, and the timer takes the share from it', { skip }, async () => {
  const { dsaAttention } = await import('../../src/engine/index.js');
  const rnd = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5);
  const [T, H, D, L, HI, DI, k] = [4, 4, 32, 512, 4, 32, 64];
  const args = {
    q: rnd(T * H * D, 1), kv: rnd(L * D, 2), T, H, L, Dqk: D, Dv: 16, qStart: L - T, threads: 1,
    indexer: { q: rnd(T * HI * DI, 3), k: rnd(L * DI, 4), w: rnd(T * HI, 5), heads: HI, dim: DI }, topk: k,
  };
  assert.equal(dsaAttention(args).phases, undefined); // only when asked
  const t0 = performance.now();
  const r = dsaAttention({ ...args, timePhases: true });
  const wall = performance.now() - t0;
  assert.equal(r.skippedIndexer, false);
  assert.ok(r.phases && r.phases.selectMs > 0 && r.phases.attentionMs > 0);
  // Both phases lie inside the call (structure, not speed).
  assert.ok(r.phases.selectMs + r.phases.attentionMs <= wall + 1e-3);
  // Every query sees ≤ k keys: the op skips the indexer and its selection phase is empty.
  const short = dsaAttention({ ...args, L: 32, kv: args.kv.subarray(0, 32 * D), qStart: 28, indexer: { ...args.indexer, k: args.indexer.k.subarray(0, 32 * DI) }, timePhases: true });
  assert.equal(short.skippedIndexer, true);
  assert.equal(short.phases!.selectMs, 0);

  const e = await loadEngine(1);
  const profile = loadProfile('builtin-small');
  const long = await e.timer!.measure({ mode: 'decode', attention: 'sparse', position: 512, chunk: 1, profile, repeats: 3, threads: 1 });
  assert.ok(long.indexer_share! > 0 && long.indexer_share! <= 1, String(long.indexer_share));
  assert.ok(long.selection_ms_median! > 0);
  const below = await e.timer!.measure({ mode: 'decode', attention: 'sparse', position: 32, chunk: 1, profile, repeats: 3, threads: 1 });
  assert.equal(below.indexer_share, 0);
  const dense = await e.timer!.measure({ mode: 'decode', attention: 'dense', position: 512, chunk: 1, profile, repeats: 3, threads: 1 });
  assert.equal(dense.indexer_share, undefined);
  e.timer!.close?.();
});

test('given a model\'s own inputs the timer slices them where they reach and fills random ones past them; MQA (MLA) profiles only', { skip }, async () => {
  const e = await loadEngine(1);
  const p = loadProfile('builtin-small');
  const s = attentionShape(p);
  const n = 300, r = mulberry32(5);
  const rand = (m: number) => Float32Array.from({ length: m }, () => 2 * r() - 1);
  e.timer!.useInputs!({
    profile: p, length: n, source: 'test',
    q: rand(n * s.heads * s.dqk), kv: rand(n * s.dqk), qI: rand(n * p.indexer.heads * p.indexer.dim), kI: rand(n * p.indexer.dim), w: rand(n * p.indexer.heads),
  });
  // within the inputs (a wrong slice length would be refused by the engine) and past them
  for (const position of [100, 300, 600])
    for (const mode of ['decode', 'prefill'] as const)
      for (const attention of ['dense', 'sparse'] as const)
        assert.ok((await e.timer!.measure({ mode, attention, position, chunk: 16, profile: p, repeats: 1, threads: 1 })).ms_median > 0, `${mode} ${attention} ${position}`);
  const gqa = loadProfile('llama3-8b-dsa');
  assert.throws(() => e.timer!.useInputs!({ profile: gqa, length: 1, source: 'x', q: rand(1), kv: rand(1), qI: rand(1), kI: rand(1), w: rand(1) }), /MQA form/);
  e.timer!.close?.();
});
