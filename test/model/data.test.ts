/** Training batches: deterministic per (seed, index), shapes, padding, loss weights, fitting. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DsabenchError } from '../../src/errors.js';
import { BatchStream, exampleStream, makeExample, mixSeed, type DataSpec } from '../../src/model/data.js';
import { ASSISTANT, BOS, EOS, USER, decodeTokens } from '../../src/model/tokens.js';

const spec: DataSpec = {
  seed: 1_000_001,
  lengths: [384, 512],
  mixture: { niah_single_1: 2, niah_multikey_1: 1, vt: 1, arithmetic: 1 },
  batch: 4,
  promptWeight: 0.1,
  answerWeight: 1,
};

test('the same seed and index give the same batch; other indices and seeds differ', () => {
  const a = new BatchStream(spec).batch(5);
  const b = new BatchStream(spec).batch(5);
  assert.deepEqual(a, b);
  const c = new BatchStream(spec).batch(6);
  assert.notDeepEqual(a.tokens, c.tokens);
  const d = new BatchStream({ ...spec, seed: 7 }).batch(5);
  assert.notDeepEqual(a.tokens, d.tokens);
});

test('rows: chat tokens, next-token targets, weights, padding to the longest row', () => {
  const s = new BatchStream(spec);
  for (let i = 0; i < 6; i++) {
    const { bucket, examples } = s.examples(i);
    const b = s.batch(i);
    assert.ok(spec.lengths.includes(bucket));
    assert.equal(b.batch, 4);
    assert.ok(b.length <= bucket, `row length ${b.length} ≤ bucket ${bucket}`);
    assert.equal(b.tokens.length, b.batch * b.length);
    assert.equal(b.length, Math.max(...examples.map((e) => e.promptTokens.length + e.answerTokens.length - 1)));
    let real = 0;
    examples.forEach((e, r) => {
      const row = (x: ArrayLike<number>): number[] => Array.from(x).slice(r * b.length, (r + 1) * b.length);
      const tok = row(b.tokens), tgt = row(b.targets), w = row(b.weights);
      const p = e.promptTokens.length, n = p + e.answerTokens.length - 1;
      real += n;
      assert.deepEqual(tok.slice(0, 2), [BOS, USER]);
      assert.equal(tok[p - 1], ASSISTANT);
      assert.equal(tgt[n - 1], EOS);
      assert.equal(decodeTokens(tgt.slice(p - 1, n - 1)), e.answer);
      for (let j = 0; j < n - 1; j++) assert.equal(tgt[j], tok[j + 1]);
      for (let j = 0; j < n; j++) assert.equal(w[j], j >= p - 1 ? 1 : Math.fround(0.1), `weight at ${j}`);
      for (let j = n; j < b.length; j++) {
        assert.equal(tok[j], -1);
        assert.equal(tgt[j], -1);
        assert.equal(w[j], 0);
      }
      if (e.task.startsWith('niah')) for (const a of e.answers) assert.ok(e.prompt.includes(a), 'the needle is in the prompt');
    });
    assert.equal(b.realTokens, real);
  }
});

test('long-context examples fill most of the bucket; too-short buckets skip tasks that cannot fit', () => {
  const ex = makeExample('niah_single_1', 1, 1024)!;
  const n = ex.promptTokens.length + ex.answerTokens.length - 1;
  assert.ok(n <= 1024 && n > 0.8 * 1024, `${n} tokens`);
  assert.equal(makeExample('niah_multiquery', 1, 200), null);
  const s = new BatchStream({ ...spec, lengths: [160], mixture: { niah_single_1: 1, arithmetic: 1 } });
  for (let i = 0; i < 3; i++) assert.ok(s.examples(i).examples.every((e) => e.task === 'arithmetic'));
});

test('copy examples repeat the prompt\'s string and fit the row', () => {
  for (const L of [64, 384, 1024]) {
    for (let seed = 0; seed < 5; seed++) {
      const e = makeExample('copy', seed, L)!;
      assert.ok(e.prompt.endsWith('\n' + e.answer), 'the answer is the string in the prompt');
      const n = e.promptTokens.length + e.answerTokens.length - 1;
      assert.ok(n <= L && n > 0.4 * L, `${n} tokens in a ${L} row`);
    }
  }
  assert.equal(makeExample('copy', 1, 30), null);
});

test('repeat examples are only the string; repeat_hex draws hex digits and dashes', () => {
  for (let seed = 0; seed < 5; seed++) {
    const r = makeExample('repeat', seed, 128)!;
    assert.equal(r.task, 'repeat');
    assert.equal(r.prompt, r.answer);
    const h = makeExample('repeat_hex', seed, 128)!;
    assert.equal(h.task, 'repeat_hex');
    assert.equal(h.prompt, h.answer);
    assert.match(h.answer, /^[0-9a-f-][0-9a-f -]*[0-9a-f-]$/);
    assert.ok(h.promptTokens.length + h.answerTokens.length - 1 <= 128);
  }
});

test('config errors name the field', () => {
  assert.throws(() => new BatchStream({ ...spec, mixture: { niah_single_9: 1 } as DataSpec['mixture'] }, 'stages[1]'),
    (e: unknown) => e instanceof DsabenchError && e.code === 'E_CONFIG_INVALID' && e.field === 'stages[1].mixture.niah_single_9');
  assert.throws(() => new BatchStream({ ...spec, lengths: [100], mixture: { niah_single_1: 1 } }, 'stages[0]'),
    (e: unknown) => e instanceof DsabenchError && e.field === 'stages[0].lengths');
});

test('held-out stream is deterministic and cycles over tasks and lengths', () => {
  const take = (k: number): string[] => {
    const out: string[] = [];
    for (const e of exampleStream({ seed: 3, lengths: [512, 1024], tasks: ['niah_single_2', 'vt'] })) {
      out.push(`${e.task}:${e.promptTokens.length}:${e.answer}`);
      if (out.length === k) break;
    }
    return out;
  };
  const a = take(8);
  assert.deepEqual(a, take(8));
  assert.deepEqual(a.map((x) => x.split(':')[0]), ['niah_single_2', 'niah_single_2', 'vt', 'vt', 'niah_single_2', 'niah_single_2', 'vt', 'vt']);
  assert.notEqual(mixSeed(1, 2), mixSeed(2, 1));
});

test('generation is fast enough to feed training (≥ 20k tokens/s)', () => {
  const s = new BatchStream({ ...spec, lengths: [1024], batch: 8 });
  const t0 = performance.now();
  let tokens = 0;
  for (let i = 0; i < 10; i++) tokens += s.batch(i).realTokens;
  const rate = tokens / ((performance.now() - t0) / 1000);
  assert.ok(rate > 20_000, `${Math.round(rate)} tokens/s`);
});
