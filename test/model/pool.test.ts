import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import { GenerationPool } from '../../src/model/pool.js';

const loader = new URL('../helpers/fake-model-loader.js', import.meta.url).href;
const pools: GenerationPool[] = [];
after(async () => {
  await Promise.all(pools.map((p) => p.close()));
});
function pool(model: string, workers = 2): GenerationPool {
  const p = new GenerationPool({ model, loader, run: { attention: 'sparse', threads: 1 }, workers });
  pools.push(p);
  return p;
}

describe('GenerationPool (worker threads, fake model)', () => {
  it('answers concurrent requests and streams every delta before resolving', async () => {
    const p = pool('echo-slow');
    const deltas: string[][] = [[], [], []];
    const res = await Promise.all(['a', 'bb', 'ccc'].map((x, i) => p.generate({ messages: [{ role: 'user', content: x }] }, { onDelta: (d) => deltas[i]!.push(d) })));
    assert.deepEqual(res.map((r) => r.text), ['echo: a', 'echo: bb', 'echo: ccc']);
    assert.deepEqual(res.map((r) => r.finish_reason), ['stop', 'stop', 'stop']);
    assert.deepEqual(deltas.map((d) => d.join('')), ['echo: a', 'echo: bb', 'echo: ccc']);
    assert.equal(deltas[2]!.length, 'echo: ccc'.length); // one chunk per token
    assert.ok(res.every((r) => r.usage!.completion_tokens === r.text.length + 1));
    // Non-streaming too.
    const plain = await p.generate({ messages: [{ role: 'user', content: 'z' }], max_tokens: 3 });
    assert.deepEqual([plain.text, plain.finish_reason], ['ech', 'length']);
  });

  it('an abort stops a running generation; load failures are error values', async () => {
    const p = pool('echo-slow', 1);
    const ctrl = new AbortController();
    let n = 0;
    const r = await p.generate({ messages: [{ role: 'user', content: 'x'.repeat(400) }] }, { signal: ctrl.signal, onDelta: () => { if (++n === 5) ctrl.abort(); } });
    assert.equal(r.error, 'aborted');
    assert.ok(r.usage!.completion_tokens < 100, String(r.usage!.completion_tokens));
    const bad = pool('fail', 1);
    const f = await bad.generate({ messages: [{ role: 'user', content: 'x' }] });
    assert.match(f.error!, /cannot load model fail: no such fake model/);
    assert.match((await bad.warm())!, /no such fake model/);
    await bad.close();
    assert.equal((await bad.generate({ messages: [{ role: 'user', content: 'x' }] })).error, 'generation pool closed');
  });
});

describe('GenerationPool core budget', () => {
  it('pools of one process never run more generations at once than there are cores', async () => {
    const { availableParallelism } = await import('node:os');
    const n = availableParallelism();
    // Two pools, each as wide as the machine: together they must still stay within n cores.
    const a = pool('echo-slow', n);
    const b = pool('echo-slow', n);
    const spans: Array<[number, number]> = [];
    const one = async (p: GenerationPool, i: number): Promise<void> => {
      let first = 0;
      const c = await p.generate({ messages: [{ role: 'user', content: `r${i}`.padEnd(20, '.') }] }, { onDelta: () => { first ||= performance.now(); } });
      spans.push([first, performance.now()]);
      assert.equal(c.error, null);
    };
    await Promise.all([0, 1, 2, 3].flatMap((i) => [one(a, i), one(b, i)]));
    // Count overlap at each start: how many generations were streaming at that moment.
    const peak = Math.max(...spans.map(([s]) => spans.filter(([s2, e2]) => s2 <= s && s < e2).length));
    assert.ok(peak <= n, `peak ${peak} > ${n} cores`);
  });
});
