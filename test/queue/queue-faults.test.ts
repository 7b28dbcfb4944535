/**
 * Faults of a queued run, on a real Redis with real worker and coordinator processes, in one
 * run of 80 attempts against a model with 100 ms latency:
 *
 *   1. kill -9 of a worker mid-attempt: its attempts go to another worker after the stall check;
 *   2. Redis restarted (without persistence: every job and input is gone): both sides
 *      reconnect, the coordinator queues the lost jobs again;
 *   3. kill -9 of the coordinator: the workers go on; `run --resume DIR` re-attaches and
 *      completes the run.
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
import { startCli } from '../e2e/cli-helpers.js';
import type { FakeOpenAiServer } from '../helpers/fake-openai-server.js';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis-server.js';
import { bounded, completeRecords, keyOf, killWorker, modelProvider, sleep, startModel, startWorker, waitForRecords, writeQueueSuite, type WorkerProc } from './helpers.js';

const skip = redisMissing();

/** Resolves once some worker's stderr matches `re`. */
function waitForOutput(ws: readonly WorkerProc[], re: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const seen = ws.map(() => '');
    const timer = setTimeout(() => reject(new Error(`no worker said ${re} in ${timeoutMs} ms:\n${seen.join('\n')}`)), timeoutMs);
    ws.forEach((w, i) => {
      w.child.stderr!.on('data', (d: Buffer) => {
        seen[i] += d.toString();
        if (re.test(seen[i]!)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  });
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
    const latency = { ms: 100 };
    [redis, model] = await Promise.all([startRedis(), startModel(latency)]);
    const suite = writeQueueSuite(join(root, 'suite'), 40);
    const cfg = join(root, 'config.json');
    writeFileSync(cfg, JSON.stringify({ suites: [suite], providers: [modelProvider(model)], repeats: 2 }));
    const out = join(root, 'run');
    const samples = join(out, 'samples.jsonl');
    const total = 80;
    // Short locks so a dead worker's attempts move on in about 3 s, not the default 30-60 s.
    const workerArgs = (name: string): string[] => ['--concurrency', '3', '--cache', join(root, `${name}.sqlite`), '--lock-duration', '2000', '--stalled-interval', '1000', '--name', name];
    // Temp dirs under root: a process killed with -9 cannot remove its own.
    const env = { DSABENCH_PROGRESS_MS: '100000', TMPDIR: root };
    const coordinator = startCli(['run', '--config', cfg, '--cache', join(root, 'c.sqlite'), '--workers', '0', '--out', out, '--queue', redis.url], { env });
    workers.push(startWorker(redis.url, workerArgs('w1'), env), startWorker(redis.url, workerArgs('w2'), env));

    // 1. A worker dies with attempts in flight; a fresh one joins. The model slows down
    //    meanwhile, so the run is still far from done when the stall check has acted.
    await waitForRecords(samples, 8, 60_000);
    latency.ms = 3000;
    const w1 = await killWorker(workers[0]!);
    assert.equal(w1.signal, 'SIGKILL');
    workers.push(startWorker(redis.url, workerArgs('w3'), env));
    // Its attempts in flight are found by the others' stall check (lock 2 s, checked every 1 s).
    await waitForOutput(workers.slice(1), /an attempt of a lost worker is queued again/, 60_000);

    // 2. Redis loses everything; the records that follow come from jobs queued again.
    await redis.restart();
    latency.ms = 100;
    const atRestart = completeRecords(samples).length;
    assert.ok(atRestart < total - 10, `restarted after ${atRestart}`);

    // 3. The coordinator dies; the workers go on without it.
    await waitForRecords(samples, atRestart + 5, 60_000);
    coordinator.child.kill('SIGKILL');
    const killed = await coordinator.done;
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.match(killed.stderr, /Redis no longer holds \d+ queued attempt\(s\) .*: queuing them again/);
    const atKill = completeRecords(samples).length;
    assert.ok(atKill < total, `killed after ${atKill}`);
    assert.equal((JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunManifest).status, 'running');
    await sleep(500);

    // Re-attach: the resumed coordinator collects what the workers did meanwhile, and the rest.
    const res = await bounded(startCli(['run', '--resume', out, '--workers', '0'], { env }), 90_000, 'the resumed coordinator');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, new RegExp(`, ${atKill} already done`));

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
