/**
 * A queued run (`run --queue` + 3 `worker` processes, real Redis with AUTH) against a local
 * run of the same configuration: the same attempts with the same scores, outputs and errors,
 * records with the same fields in the same order, and the same summary figures.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { RunManifest, RunSummary, SuiteSummary } from '../../src/types.js';
import { runCli, startCli } from '../e2e/cli-helpers.js';
import type { FakeOpenAiServer } from '../helpers/fake-openai-server.js';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis-server.js';
import { bounded, completeRecords, keyOf, killWorker, modelProvider, startModel, startWorker, writeQueueSuite, type WorkerProc } from './helpers.js';

const skip = redisMissing();
const PASSWORD = 'queue-test-secret';

describe('queued run = local run (real Redis with AUTH, 3 worker processes)', { skip: skip ?? false }, () => {
  const root = mkdtempSync(join(tmpdir(), 'dsabench-queue-run-'));
  let redis: TestRedis;
  let model: FakeOpenAiServer;
  const workers: WorkerProc[] = [];

  before(async () => {
    [redis, model] = await Promise.all([startRedis({ password: PASSWORD }), startModel({ ms: 15 })]);
    // The workers get the password from the environment; the coordinator from its URL.
    for (let i = 0; i < 3; i++) workers.push(startWorker(redis.url, ['--concurrency', '4', '--cache', join(root, `cache-w${i}.sqlite`), '--name', `w${i}`], { DSABENCH_REDIS_PASSWORD: PASSWORD, TMPDIR: root }));
  });
  after(async () => {
    await Promise.all(workers.map((w) => killWorker(w, 'SIGTERM')));
    await Promise.all([redis?.stop(), model?.close()]);
    rmSync(root, { recursive: true, force: true });
  });

  it('same attempts, scores, outputs, errors and record shape; summary equal but for latency', async () => {
    const suite = writeQueueSuite(join(root, 'suite'), 15);
    const cfg = join(root, 'config.json');
    writeFileSync(cfg, JSON.stringify({ suites: [suite], providers: [modelProvider(model), 'oracle'], repeats: 2 }));
    const common = ['run', '--config', cfg, '--workers', '0'];
    const local = join(root, 'local');
    const queued = join(root, 'queued');
    const [l, q] = await Promise.all([
      runCli([...common, '--cache', join(root, 'cache-local.sqlite'), '--out', local]),
      bounded(startCli([...common, '--cache', join(root, 'cache-coord.sqlite'), '--out', queued, '--queue', `redis://:${PASSWORD}@127.0.0.1:${redis.port}`], { env: { DSABENCH_PROGRESS_MS: '100000' } }), 120_000, 'the queued run'),
    ]);
    assert.equal(l.code, 0, l.stderr);
    assert.equal(q.code, 0, q.stderr + workers.map((w) => w.child.pid).join(','));

    const lr = completeRecords(join(local, 'samples.jsonl'));
    const qr = completeRecords(join(queued, 'samples.jsonl'));
    assert.equal(lr.length, 60);
    assert.equal(qr.length, 60);
    const view = (r: (typeof lr)[number]): unknown => [r.score.value, r.score.pass, r.output, r.error, r.input_hash, r.metadata, r.usage];
    const lm = new Map(lr.map((r) => [keyOf(r), r]));
    const qm = new Map(qr.map((r) => [keyOf(r), r]));
    assert.equal(qm.size, 60, 'no attempt twice');
    assert.deepEqual([...qm.keys()].sort(), [...lm.keys()].sort());
    for (const [k, r] of lm) {
      const other = qm.get(k)!;
      assert.deepEqual(view(other), view(r), k);
      // Same fields, same order: downstream readers see one shape.
      assert.deepEqual(Object.keys(other), Object.keys(r), k);
    }
    assert.ok(qr.some((r) => r.error !== null) && qr.some((r) => !r.score.pass) && qr.some((r) => r.score.pass), 'the suite has passes, failures and errors');
    const qManifest = JSON.parse(readFileSync(join(queued, 'run.json'), 'utf8')) as RunManifest;
    assert.ok(qr.every((r) => r.run_id === qManifest.run_id));

    // Summaries: every figure but latency (timed separately on each side).
    const strip = (s: SuiteSummary): unknown => ({ ...s, latency: null });
    const ls = JSON.parse(readFileSync(join(local, 'summary.json'), 'utf8')) as RunSummary;
    const qs = JSON.parse(readFileSync(join(queued, 'summary.json'), 'utf8')) as RunSummary;
    assert.deepEqual(qs.suites.map(strip), ls.suites.map(strip));
    assert.equal(qManifest.config_hash, (JSON.parse(readFileSync(join(local, 'run.json'), 'utf8')) as RunManifest).config_hash);

    // The password is nowhere in the run folder; the queue is named there without it.
    assert.equal((qManifest.config as { queue?: string }).queue, `redis://127.0.0.1:${redis.port}`);
    for (const f of ['run.json', 'samples.jsonl', 'summary.json', 'results.csv']) assert.ok(!readFileSync(join(queued, f), 'utf8').includes(PASSWORD), f);
    // Progress names the workers (3 started; one may get no job on a loaded machine).
    assert.match(q.stderr, /queue: 60 attempts recorded in .* coordinator CPU [\d.]+ ms per attempt; [123] workers?: w\d/);  // how many of the 3 get jobs depends on their start-up times
    // Redis keeps neither the run's announcement nor its inputs.
    const client = new Redis({ port: redis.port, password: PASSWORD });
    try {
      assert.equal(await client.hexists('dsabench:runs', `run-${qManifest.run_id}`), 0);
      assert.deepEqual(await client.keys(`dsabench:run-${qManifest.run_id}:blob:*`), []);
      assert.equal(await client.exists(`dsabench:run-${qManifest.run_id}:completed`), 0);
    } finally {
      client.disconnect();
    }
  });
});
