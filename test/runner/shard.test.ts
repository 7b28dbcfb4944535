import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { keysOutsideShard, parseShard, shardOf } from '../../src/runner/shard.js';
import { attemptKey } from '../../src/results/store.js';
import type { Item, Suite } from '../../src/types.js';

function suite(name: string, ids: readonly string[]): Suite {
  const items: Item[] = ids.map((id) => ({ id, input: {}, target: id }));
  return { config: { name, kind: 'math', scorer: { name: 'exact_match' }, prompt: { template: 'x' } }, spec: name, items };
}

function allKeys(suites: readonly Suite[], providers: readonly string[], repeats: number): string[] {
  return suites.flatMap((s) => s.items.flatMap((i) => providers.flatMap((p) => Array.from({ length: repeats }, (_, a) => attemptKey({ suite: s.config.name, item_id: i.id, provider: p, attempt: a })))));
}

const ids = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `item-${i + from}`);

describe('--shard i/n', () => {
  it('parses i/n and refuses anything else', () => {
    assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
    assert.deepEqual(parseShard(' 1 / 1 '), { index: 1, count: 1 });
    for (const bad of ['0/4', '5/4', '1/0', '2', 'a/b', '1/4/2', '-1/4']) assert.throws(() => parseShard(bad), /expected i\/n/, bad);
  });

  it('the shards partition the attempts: each in exactly one, none left out', () => {
    const suites = [suite('a', ids(50)), suite('b', ids(30))];
    const providers = ['oracle', 'openai:m@http://h/v1'];
    const keys = allKeys(suites, providers, 3);
    const n = 4;
    const inShard = Array.from({ length: n }, (_, i) => {
      const out = keysOutsideShard(suites, providers, 3, null, { index: i + 1, count: n });
      return keys.filter((k) => !out.has(k));
    });
    assert.equal(inShard.reduce((a, s) => a + s.length, 0), keys.length);
    assert.equal(new Set(inShard.flat()).size, keys.length);
    // --limit applies before sharding.
    const limited = keysOutsideShard(suites, providers, 3, 10, { index: 1, count: n });
    assert.ok([...limited].every((k) => /"item-\d"/.test(k)), 'only the first 10 items of each suite are planned');
  });

  it('stable under item order: reordering, inserting or removing items moves no other attempt', () => {
    const base = ids(200);
    const before = new Map(allKeys([suite('s', base)], ['p'], 2).map((k) => [k, shardOf(k, 5)]));
    const shuffled = [...base].reverse();
    shuffled.splice(17, 0, 'new-item');
    shuffled.splice(100, 3);
    for (const k of allKeys([suite('s', shuffled)], ['p'], 2)) {
      if (before.has(k)) assert.equal(shardOf(k, 5), before.get(k), k);
    }
  });

  it('splits evenly up to hashing noise', () => {
    const keys = allKeys([suite('s', ids(2000))], ['p', 'q'], 1);
    const counts = [0, 0, 0, 0];
    for (const k of keys) counts[shardOf(k, 4) - 1]!++;
    for (const c of counts) assert.ok(Math.abs(c - 1000) < 100, String(counts));
  });
});
