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
