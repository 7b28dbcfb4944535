/**
 * A worker over TLS with AUTH (real redis-server with a throwaway CA), in this process: it
 * makes an attempt a job asks for, and refuses — with the reason as its result — jobs of
 * other code, of a changed suite, with tampered inputs or a prompt that does not hash to the
 * job's input_hash. The coordinator puts a refusal into the sample as the attempt's error.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { OracleProvider } from '../../src/providers/index.js';
import { blobOf } from '../../src/runner/queue/blobs.js';
import { executeQueued } from '../../src/runner/queue/coordinator.js';
import { blobKey, jobIdOf, PREFIX, REGISTRY_KEY } from '../../src/runner/queue/names.js';
import { PROTOCOL, type AttemptJob, type JobResult, type RunRegistration } from '../../src/runner/queue/protocol.js';
import { bullConnection, connectRedis } from '../../src/runner/queue/redis.js';
import { WorkerStats } from '../../src/runner/queue/stats.js';
import { parseRedisUrl, type RedisTarget } from '../../src/runner/queue/url.js';
import { codeVersion } from '../../src/runner/queue/version.js';
import { providerRefusal, runQueueWorker } from '../../src/runner/queue/worker.js';
import { renderMessages } from '../../src/solvers/template.js';
import type { AttemptRecord, Suite, SuiteConfig } from '../../src/types.js';
import { hashJson } from '../../src/util/hash.js';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis-server.js';

const skip = redisMissing();
const PASSWORD = 'tls-test-secret';

const config: SuiteConfig = { name: 's', kind: 'math', scorer: { name: 'exact_match' }, prompt: { template: 'Say {x}' } };
const item = { id: 'i1', input: { x: 7 }, target: '7', reference: '7' };
const messages = renderMessages(config, item);
const settings = {};

function register(client: Redis, qname: string, runId: string, version: string): Promise<number> {
  const reg: RunRegistration = { protocol: PROTOCOL, run_id: runId, version, suite_hashes: { s: 'h1' }, coordinator: 'test', heartbeat: new Date().toISOString() };
  return client.hset(REGISTRY_KEY, qname, JSON.stringify(reg));
}

function job(runId: string, over: Partial<AttemptJob> = {}): AttemptJob {
  return {
    protocol: PROTOCOL,
    run_id: runId,
    key: JSON.stringify(['s', 'i1', 'oracle', 0]),
    version: codeVersion(),
    suite: 's',
    suite_hash: 'h1',
    config: blobOf(config).hash,
    input: blobOf({ item, messages }).hash,
    provider: { spec: 'oracle' },
    no_cache: true,
    attempt: 0,
    settings,
    input_hash: hashJson({ messages, settings }),
    ...over,
  };
}

async function results(queue: Queue, ids: readonly string[], timeoutMs = 30_000): Promise<Map<string, unknown>> {
  const t0 = Date.now();
  for (;;) {
    const done = await queue.getJobs(['completed'], 0, -1);
    if (ids.every((id) => done.some((j) => j.id === id)) || Date.now() - t0 > timeoutMs) return new Map(done.map((j) => [j.id!, j.returnvalue as unknown]));
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('queue worker over TLS with AUTH: makes attempts, refuses what it cannot match', { skip: skip ?? false }, () => {
  let redis: TestRedis;
  let target: RedisTarget;
  let client: Redis;
  before(async () => {
    redis = await startRedis({ tls: true, password: PASSWORD });
    target = parseRedisUrl(`${redis.url}?ca=${redis.tls!.caFile}`, { DSABENCH_REDIS_PASSWORD: PASSWORD });
    client = await connectRedis(target);
  });
  after(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('a wrong password and a missing CA are errors at connect, naming the cause', async () => {
    await assert.rejects(connectRedis({ ...target, password: 'wrong' }, 5000), /cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+.*(WRONGPASS|NOAUTH|invalid).*DSABENCH_REDIS_PASSWORD/i);
    await assert.rejects(connectRedis(parseRedisUrl(redis.url, { DSABENCH_REDIS_PASSWORD: PASSWORD }), 3000), /cannot reach Redis/);
  });

  it('one attempt made as a local run would, four refusals with their reasons', async () => {
    const q1 = 'run-refusal-ok';
    const q2 = 'run-refusal-other-code';
    for (const b of [blobOf(config), blobOf({ item, messages })]) {
      for (const q of [q1, q2]) await client.set(blobKey(q, b.hash), b.text);
    }
    // Tampered: stored under the hash of something else.
    const tampered = blobOf({ item: { ...item, target: '8' }, messages });
    await client.set(blobKey(q1, blobOf('tampered').hash), tampered.text);
    await register(client, q1, 'refusal-ok', codeVersion());
    await register(client, q2, 'refusal-other-code', 'other+0000000000000000');

    const queue1 = new Queue(q1, { connection: bullConnection(target), prefix: PREFIX });
    const queue2 = new Queue(q2, { connection: bullConnection(target), prefix: PREFIX });
    const jobs: Array<[Queue, string, AttemptJob]> = [
      [queue1, 'good', job('refusal-ok')],
      [queue1, 'stale-suite', job('refusal-ok', { suite_hash: 'h0' })],
      [queue1, 'tampered', job('refusal-ok', { input: blobOf('tampered').hash })],
      [queue1, 'wrong-input-hash', job('refusal-ok', { input_hash: 'ffffffffffffffff' })],
      [queue2, 'other-code', job('refusal-other-code', { version: 'other+0000000000000000' })],
    ];
    for (const [q, id, data] of jobs) await q.add('attempt', data, { jobId: id });

    const stop = new AbortController();
    const lines: string[] = [];
    const worker = runQueueWorker({ target, concurrency: 2, scoringWorkers: 0, unsafeNoSandbox: false, cache: null, noCache: true, name: 'tls-worker', discoverMs: 100, stop: stop.signal, log: (l) => lines.push(l) });
    try {
      const r1 = await results(queue1, ['good', 'stale-suite', 'tampered', 'wrong-input-hash']);
      const r2 = await results(queue2, ['other-code']);
      const good = r1.get('good') as { record: AttemptRecord };
      assert.equal(good.record.score.pass, true);
      assert.equal(good.record.output, '7');
      assert.equal(good.record.run_id, 'refusal-ok');
      assert.equal(good.record.input_hash, job('refusal-ok').input_hash);
      assert.match((r1.get('stale-suite') as { refused: string }).refused, /queued before the suite files changed/);
      assert.match((r1.get('tampered') as { refused: string }).refused, /does not match its content hash/);
      assert.match((r1.get('wrong-input-hash') as { refused: string }).refused, /do not hash to the job's input_hash/);
      assert.match((r2.get('other-code') as { refused: string }).refused, /this worker runs dsabench .*, the run was queued by other\+0000000000000000/);
      assert.ok(lines.some((l) => /leaving run-refusal-other-code/.test(l)), lines.join('\n'));
    } finally {
      stop.abort();
      const out = await worker;
      assert.equal(out.refused, 4);
      await queue1.close();
      await queue2.close();
    }
  });

  it('--allow-provider: only the listed specs, and no option that redirects requests or keys', () => {
    assert.equal(providerRefusal({ spec: 'nop' }, undefined), null);
    assert.equal(providerRefusal({ spec: 'openai:m@https://api.example/v1' }, ['openai:m@https://api.example/v1']), null);
    assert.match(providerRefusal({ spec: 'openai:m@https://evil.example/v1' }, ['openai:m@https://api.example/v1']) ?? '', /not in this worker's --allow-provider list/);
    assert.match(providerRefusal({ spec: 'openai:m', options: { base_url: 'https://evil.example/v1' } }, ['openai:m']) ?? '', /base_url would send/);
    assert.match(providerRefusal({ spec: 'openai:m', options: { api_key_env: 'AWS_SECRET_ACCESS_KEY' } }, ['openai:m']) ?? '', /api_key_env would send/);
  });

  it('the coordinator writes a refusal into the sample, as the attempt\'s error', async () => {
    const suite: Suite = { config, spec: 's', items: [item, { id: 'i2', input: { x: 8 }, target: '8', reference: '8' }] };
    const provider = new OracleProvider();
    const runId = 'refusal-coordinator';
    // A worker that refuses every job (what a worker without a GPU, say, would answer).
    const refuser = new Worker<unknown, JobResult>(`run-${runId}`, async () => ({ refused: 'no GPU on this machine' }), { connection: bullConnection(target), prefix: PREFIX, name: 'refuser' });
    const recs: AttemptRecord[] = [];
    const log: string[] = [];
    try {
      const res = await executeQueued({
        target, runId, suites: [suite], providers: [provider], providerEntries: [{ spec: 'oracle' }], repeats: 1, limit: null, skip: new Set(),
        suiteHashes: { s: 'h1' }, noCache: false, onRecord: (r) => recs.push(r), log: (l) => log.push(l), stats: new WorkerStats(), pollMs: 20,
      });
      assert.deepEqual(res, { recorded: 2, stopped: false });
    } finally {
      await refuser.close();
    }
    assert.deepEqual(recs.map((r) => [r.item_id, r.error, r.score.pass]).sort(), [['i1', 'refused by worker refuser: no GPU on this machine', false], ['i2', 'refused by worker refuser: no GPU on this machine', false]]);
    assert.deepEqual(Object.keys(recs[0]!), ['run_id', 'suite', 'item_id', 'provider', 'attempt', 'input_hash', 'output', 'score', 'usage', 'timings', 'cost', 'error', 'tries', 'started_at', 'ended_at']);
    assert.ok(log.some((l) => /warning: refused by worker refuser: no GPU/.test(l)));
    // Finished: the run's jobs and announcement are gone from Redis.
    assert.equal(await client.hexists(REGISTRY_KEY, `run-${runId}`), 0);
    assert.equal(await client.exists(`${PREFIX}:run-${runId}:${jobIdOf(JSON.stringify(['s', 'i1', 'oracle', 0]))}`), 0);
  });
});
