/**
 * `run --shard i/4` × 4 + `merge` against the unsharded run (real CLI): the same summary, a
 * folder the gate passes against the unsharded run, and the refusals (different
 * configurations, the same shard twice, overlapping attempts, a missing shard).
 */
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AttemptRecord, RunManifest, RunSummary } from '../../src/types.js';
import { writeQueueSuite } from '../queue/helpers.js';
import { runCli } from './cli-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-shard-'));
after(() => rmSync(root, { recursive: true, force: true }));

const read = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const samples = (dir: string): AttemptRecord[] => readFileSync(join(dir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AttemptRecord);

describe('run --shard i/n and merge (real CLI)', () => {
  const suite = writeQueueSuite(join(root, 'suite'), 40, 'sharded');
  const base = ['run', '-s', suite, '-p', 'oracle', 'nop', '--repeats', '3', '--workers', '0', '--cache', join(root, 'c.sqlite'), '-q'];
  const whole = join(root, 'whole');
  const shard = (i: number): string => join(root, `shard-${i}`);

  it('4 shards + merge = the unsharded run', async () => {
    const runs = await Promise.all([runCli([...base, '--out', whole]), ...[1, 2, 3, 4].map((i) => runCli([...base, '--shard', `${i}/4`, '--out', shard(i)]))]);
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const sizes = [1, 2, 3, 4].map((i) => samples(shard(i)).length);
    assert.equal(sizes.reduce((a, b) => a + b, 0), 240);
    assert.ok(sizes.every((n) => n > 30 && n < 90), `shards of ${sizes}`);
    const m1 = read<RunManifest>(join(shard(1), 'run.json'));
    assert.equal((m1.config as { shard?: string }).shard, '1/4');
    assert.equal(m1.config_hash, read<RunManifest>(join(whole, 'run.json')).config_hash, 'shards share the configuration hash');

    const merged = join(root, 'merged');
    const res = await runCli(['merge', shard(3), shard(1), shard(4), shard(2), '--out', merged]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /merged 4 folder\(s\), 240 attempts/);
    const ms = read<RunSummary>(join(merged, 'summary.json'));
    const ws = read<RunSummary>(join(whole, 'summary.json'));
    assert.deepEqual(ms.suites, ws.suites);
    const mm = read<RunManifest & { merged_from: Array<{ shard: string }> }>(join(merged, 'run.json'));
    assert.equal(mm.status, 'complete');
    assert.equal(mm.config_hash, ws.manifest.config_hash);
    assert.equal((mm.config as { shard?: string }).shard, undefined);
    assert.deepEqual(mm.merged_from.map((m) => m.shard), ['1/4', '2/4', '3/4', '4/4']);
    const recs = samples(merged);
    assert.equal(new Set(recs.map((r) => JSON.stringify([r.suite, r.item_id, r.provider, r.attempt]))).size, 240);
    assert.ok(recs.every((r) => r.run_id === mm.run_id));
    // The gate reads it as the unsharded run: nothing missing, nothing changed.
    const gate = await runCli(['gate', '--baseline', whole, '--current', merged]);
    assert.equal(gate.code, 0, gate.stdout + gate.stderr);
  });

  it('refuses different configurations, a shard twice, overlapping attempts; a missing shard is incomplete', async () => {
    const other = join(root, 'other-config');
    const twin = join(root, 'shard-1-copy');
    cpSync(shard(1), twin, { recursive: true });
    const [diff] = await Promise.all([runCli([...base, '--limit', '10', '--shard', '2/4', '--out', other])]);
    assert.equal(diff!.code, 0, diff!.stderr);
    const [a, b, c, d] = await Promise.all([
      runCli(['merge', shard(1), other, '--out', join(root, 'm-a')]),
      runCli(['merge', shard(1), twin, '--out', join(root, 'm-b')]),
      runCli(['merge', whole, shard(2), '--out', join(root, 'm-c')]),
      runCli(['merge', shard(1), shard(2), shard(3), '--out', join(root, 'm-d')]),
    ]);
    assert.equal(a!.code, 2);
    assert.match(a!.stderr, /different configurations/);
    assert.equal(b!.code, 2);
    assert.match(b!.stderr, /both shard 1\/4/);
    assert.equal(c!.code, 2);
    assert.match(c!.stderr, /is in both .* the folders overlap/);
    assert.equal(d!.code, 1, d!.stderr);
    assert.match(d!.stderr, /shard 4\/4 missing/);
    assert.equal(read<RunManifest>(join(root, 'm-d', 'run.json')).status, 'interrupted');
    const resumeShard = await runCli(['run', '--resume', shard(1), '--shard', '2/4']);
    assert.equal(resumeShard.code, 2);
  });
});
