/**
 * `dsabench run --shard i/n`: one n-th of a run's attempts, for CI matrices that split a
 * suite across jobs (`dsabench merge` joins the shard folders into one run).
 *
 * An attempt belongs to shard 1 + (sha256(attempt key) mod n). The key names the suite, item
 * id, provider and repeat, never a position, so the split is deterministic and stable under
 * item order: reordering, inserting or removing items moves no other attempt to another
 * shard. Shards are equal in size up to hashing noise (about √(N/n) attempts).
 */
import { createHash } from 'node:crypto';
import { DsabenchError } from '../errors.js';
import type { Suite } from '../types.js';
import { attemptKey } from '../results/store.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    throw new DsabenchError('E_USAGE', `--shard ${JSON.stringify(text)}: expected i/n with 1 <= i <= n, e.g. --shard 2/4`, { field: 'shard' });
  }
  return { index, count };
}

export function formatShard(s: Shard): string {
  return `${s.index}/${s.count}`;
}

/** The 1-based shard (of `count`) an attempt key belongs to. */
export function shardOf(key: string, count: number): number {
  const h = createHash('sha256').update(key).digest();
  // 48 bits are plenty for an even split and stay exact in a double.
  return 1 + (h.readUIntBE(0, 6) % count);
}

/**
 * Keys of the attempts suites × items × providers × repeats that are NOT in `shard` (what the
 * run skips), in no particular order.
 */
export function keysOutsideShard(suites: readonly Suite[], providerIds: readonly string[], repeats: number, limit: number | null, shard: Shard): Set<string> {
  const out = new Set<string>();
  if (shard.count === 1) return out;
  for (const s of suites) {
    const items = limit === null ? s.items : s.items.slice(0, limit);
    for (const item of items) {
      for (const provider of providerIds) {
        for (let attempt = 0; attempt < repeats; attempt++) {
          const key = attemptKey({ suite: s.config.name, item_id: item.id, provider, attempt });
          if (shardOf(key, shard.count) !== shard.index) out.add(key);
        }
      }
    }
  }
  return out;
}
