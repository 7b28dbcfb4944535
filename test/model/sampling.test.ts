import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { argmax, createSampler, normalizeStops, StopTextStream } from '../../src/model/sampling.js';
import { EOS, USER, BOS } from '../../src/model/tokens.js';

const bytes = (s: string): number[] => [...Buffer.from(s, 'utf8')];

/** Feeds text byte by byte; returns the deltas and whether a stop happened. */
function feed(stream: StopTextStream, tokens: number[]): { deltas: string[]; stoppedAt: number } {
  const deltas: string[] = [];
  let stoppedAt = -1;
  tokens.forEach((t, i) => {
    const s = stream.push(t);
    if (s.delta) deltas.push(s.delta);
    if (s.stopped && stoppedAt < 0) stoppedAt = i;
  });
  return { deltas, stoppedAt };
}

describe('sampler', () => {
  it('greedy picks the largest logit, the first one on ties', () => {
    assert.equal(argmax(Float32Array.of(1, 5, 3, 5)), 1);
    const s = createSampler({ temperature: 0, top_p: 1, seed: 1 });
    assert.equal(s(Float32Array.of(-1, -2, 7, 0)), 2);
  });

  it('temperature sampling follows the softmax and is reproducible per seed', () => {
    const logits = Float32Array.of(Math.log(0.5), Math.log(0.3), Math.log(0.2));
    const draw = (seed: number, n: number): number[] => {
      const s = createSampler({ temperature: 1, top_p: 1, seed });
      return Array.from({ length: n }, () => s(logits));
    };
    const a = draw(7, 6000);
    assert.deepEqual(a.slice(0, 50), draw(7, 50));
    assert.notDeepEqual(a.slice(0, 50), draw(8, 50));
    const freq = [0, 1, 2].map((k) => a.filter((x) => x === k).length / a.length);
    assert.ok(Math.abs(freq[0]! - 0.5) < 0.03 && Math.abs(freq[1]! - 0.3) < 0.03 && Math.abs(freq[2]! - 0.2) < 0.03, String(freq));
  });

  it('low temperature sharpens, high flattens', () => {
    const logits = Float32Array.of(1, 0);
    const share0 = (t: number): number => {
      const s = createSampler({ temperature: t, top_p: 1, seed: 3 });
      let c = 0;
      for (let i = 0; i < 4000; i++) if (s(logits) === 0) c++;
      return c / 4000;
    };
    assert.ok(share0(0.1) > 0.99);
    assert.ok(Math.abs(share0(100) - 0.5) < 0.05);
  });

  it('top_p keeps only the nucleus', () => {
    // probs 0.5, 0.3, 0.15, 0.05: top_p 0.75 keeps {0, 1}.
    const logits = Float32Array.of(Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05));
    const s = createSampler({ temperature: 1, top_p: 0.75, seed: 11 });
    const seen = new Set<number>();
    let zero = 0;
    for (let i = 0; i < 3000; i++) {
      const t = s(logits);
      seen.add(t);
      if (t === 0) zero++;
    }
    assert.deepEqual([...seen].sort(), [0, 1]);
    assert.ok(Math.abs(zero / 3000 - 0.625) < 0.04);
    // A tiny top_p is greedy.
    const g = createSampler({ temperature: 1, top_p: 1e-6, seed: 1 });
    for (let i = 0; i < 50; i++) assert.equal(g(logits), 0);
  });

  it('rejects bad settings', () => {
    assert.throws(() => createSampler({ temperature: -1, top_p: 1, seed: 0 }), /temperature/);
    assert.throws(() => createSampler({ temperature: 1, top_p: 0, seed: 0 }), /top_p/);
  });
});

describe('StopTextStream', () => {
  it('streams text, stops at <|eos|> and <|user|>, ignores other special tokens', () => {
    const s = new StopTextStream();
    const { deltas, stoppedAt } = feed(s, [...bytes('hi'), BOS, ...bytes('!'), EOS, ...bytes('x')]);
    assert.deepEqual(deltas, ['h', 'i', '!']);
    assert.equal(stoppedAt, 4);
    assert.equal(s.text, 'hi!');
    const u = new StopTextStream();
    feed(u, [...bytes('a'), USER, ...bytes('b')]);
    assert.equal(u.text, 'a');
  });

  it('excludes the stop sequence and holds back its possible start', () => {
    const s = new StopTextStream(['END', '\n\n']);
    const { deltas, stoppedAt } = feed(s, bytes('abEx ENsEND tail'));
    assert.equal(s.text, 'abEx ENs');
    assert.equal(deltas.join(''), 'abEx ENs');
    assert.equal(stoppedAt, 10);
    // "E" was held until "x" showed it was not a stop.
    assert.ok(deltas.includes('Ex'));
  });

  it('earliest stop wins; held text is flushed at the budget end', () => {
    const s = new StopTextStream(['bc', 'abcd']);
    feed(s, bytes('xabcd'));
    assert.equal(s.text, 'xa');
    const t = new StopTextStream(['STOP']);
    const { deltas } = feed(t, bytes('go ST'));
    assert.equal(deltas.join(''), 'go ');
    const end = t.finish();
    assert.equal(end.delta, 'ST');
    assert.equal(end.stopped, false);
    assert.equal(t.text, 'go ST');
  });

  it('keeps multi-byte UTF-8 characters whole', () => {
    const s = new StopTextStream();
    const { deltas } = feed(s, bytes('é€'));
    assert.deepEqual(deltas, ['é', '€']);
    const cut = new StopTextStream();
    feed(cut, bytes('€').slice(0, 2));
    assert.equal(cut.finish().delta, '\uFFFD');
  });

  it('normalizes stop lists', () => {
    assert.deepEqual(normalizeStops('x'), ['x']);
    assert.deepEqual(normalizeStops(['a', '', 'a', 'b']), ['a', 'b']);
    assert.deepEqual(normalizeStops(undefined), []);
  });
});
