/**
 * Faults of a queued run, on a real Redis with real worker and coordinator processes, in one
 * run of 80 attempts against a model with 100 ms latency:
 *
 *   1. kill -9 of a worker mid-attempt: its attempts go to another worker after the stall check;
 *   2. kill -9 of the coordinator: the workers go on; `run --resume DIR` re-attaches;
 *   3. Redis restarted (without persistence: every job and input is gone) under the resumed
 *      coordinator: both sides reconnect, the lost jobs are queued again, the run completes.
 *
 * The bar: every attempt recorded exactly once (0 lost, 0 duplicated), with the score the
 * model's answer deserves, and no attempt left as an error by the faults.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RunManifest } from '../../src/types.js';
import { startCli, type CliResult } from '../e2e/cli-helpers.js';
import type { FakeOpenAiServer } from '../helpers/fake-openai-server.js';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis-server.js';
import { completeRecords, keyOf, killWorker, modelProvider, sleep, startModel, startWorker, waitForRecords, writeQueueSuite, type WorkerProc } from './helpers.js';

const skip = redisMissing();

/** A coordinator process that is killed (and its output shown) if it outlives `ms`. */
async function bounded(p: { child: { kill: (s: NodeJS.Signals) => boolean }; done: Promise<CliResult> }, ms: number, what: string): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      p.child.kill('SIGKILL');
      void p.done.then((r) => reject(new Error(`${what} still running after ${ms} ms:\n${r.stderr}`)));
    }, ms);
  });
  try {
    return await Promise.race([p.done, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('queued run: kill -9 a worker and the coordinator, restart Redis (real processes)', { skip: skip ?? false }, () => {
  const root = mkdtempSync(join(tmpdir(), 'dsabench-queue-faults-'));
  let redis: TestRedis | undefined;
  let model: FakeOpenAiServer | undefined;
  const workers: WorkerProc[] = [];
  after(async () => {
    await Promise.all(workers.map((w) => killWorker(w)));
    await Promise.all([redis?.stop(), model?.close()]);
    rmSync(root, { recursive: true, force: true });
  });

  it('0 lost, 0 duplicated', async () => {
    [redis, model] = await Promise.all([startRedis(), startModel(100)]);
    const suite = writeQueueSuite(join(root, 'suite'), 40);
    const cfg = join(root, 'config.json');
    writeFileSync(cfg, JSON.stringify({ suites: [suite], providers: [modelProvider(model)], repeats: 2 }));
    const out = join(root, 'run');
    const samples = join(out, 'samples.jsonl');
    const total = 80;
    // Short locks so a dead worker's attempts move on in about 3 s, not the default 30-60 s.
    const workerArgs = (name: string): string[] => ['--concurrency', '3', '--no-cache', '--cache', join(root, `${name}.sqlite`), '--lock-duration', '2000', '--stalled-interval', '1000', '--name', name];
    const env = { DSABENCH_PROGRESS_MS: '100000' };
    const coordinator = startCli(['run', '--config', cfg, '--no-cache', '--cache', join(root, 'c.sqlite'), '--workers', '0', '--out', out, '--queue', redis.url], { env });
    workers.push(startWorker(redis.url, workerArgs('w1')), startWorker(redis.url, workerArgs('w2')));

    // 1. A worker dies with attempts in flight; a fresh one joins.
    await waitForRecords(samples, 10, 60_000);
    const w1 = await killWorker(workers[0]!);
    assert.equal(w1.signal, 'SIGKILL');
    workers.push(startWorker(redis.url, workerArgs('w3')));

    // 2. The coordinator dies; the workers go on without it.
    await waitForRecords(samples, 25, 60_000);
    coordinator.child.kill('SIGKILL');
    const killed = await coordinator.done;
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const atKill = completeRecords(samples).length;
    assert.ok(atKill < total, `killed after ${atKill}`);
    assert.equal((JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunManifest).status, 'running');
    await sleep(500);

    // 3. Re-attach; Redis loses everything under the resumed coordinator.
    const resumed = startCli(['run', '--resume', out, '--workers', '0'], { env });
    await waitForRecords(samples, Math.max(atKill + 5, 45), 60_000);
    await redis.restart();
    const res = await bounded(resumed, 90_000, 'the resumed coordinator');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /, \d+ already done/);
    // The restart took queued jobs with it, and they were queued again.
    assert.match(res.stderr, /Redis no longer holds \d+ queued attempt\(s\) .*: queuing them again/);

    const recs = completeRecords(samples);
    const keys = recs.map(keyOf);
    assert.equal(new Set(keys).size, total, 'every attempt recorded');
    assert.equal(keys.length, total, 'none recorded twice');
    const manifest = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunManifest;
    assert.equal(manifest.status, 'complete');
    for (const r of recs) {
      const x = Number(r.item_id.slice(1));
      // Only the model's own HTTP 500s are errors: no fault left an attempt failed.
      if (x % 7 === 3) assert.match(r.error ?? '', /500/, `${r.item_id}: ${r.error}`);
      else {
        assert.equal(r.error, null, `${r.item_id}#${r.attempt}: ${r.error}`);
        assert.equal(r.score.pass, x % 4 !== 0, r.item_id);
      }
    }
  });
});
