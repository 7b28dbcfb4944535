import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LOCK_FILE } from '../../src/results/run-lock.js';
import type { AttemptRecord, RunManifest, RunSummary } from '../../src/types.js';
import { lastUserContent, start } from '../helpers/fake-openai-server.js';
import { runCli, startCli, writeTrivialSuite } from './cli-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-e2e-resume-'));
after(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitForLines(file: string, minBytes: number, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (existsSync(file) && statSync(file).size >= minBytes) return;
    await sleep(5);
  }
  throw new Error(`no progress in ${file}`);
}

/** Complete lines of samples.jsonl (a line cut by SIGKILL is not a record). */
function completeRecords(file: string): AttemptRecord[] {
  const text = readFileSync(file, 'utf8');
  const whole = text.slice(0, text.lastIndexOf('\n') + 1);
  return whole.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AttemptRecord);
}

function keys(recs: readonly AttemptRecord[]): string[] {
  return recs.map((r) => `${r.suite}/${r.item_id}/${r.provider}/${r.attempt}`);
}

describe('kill and resume (real CLI)', () => {
  it('SIGKILL mid-run, then --resume: every attempt exactly once', async () => {
    const suite = writeTrivialSuite(join(root, 'big'), 1500);
    const out = join(root, 'killed');
    const total = 1500 * 4 * 2;
    const { child, done } = startCli(['run', '-s', suite, '-p', 'oracle', 'nop', '--repeats', '4', '--workers', '1', '--concurrency', '4', '--out', out, '-q']);
    await waitForLines(join(out, 'samples.jsonl'), 20_000);
    child.kill('SIGKILL');
    const killed = await done;
    assert.equal(killed.signal, 'SIGKILL');
    const before = completeRecords(join(out, 'samples.jsonl'));
    assert.ok(before.length > 0 && before.length < total, `killed after ${before.length} of ${total}`);
    const manifest0 = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunManifest;
    assert.equal(manifest0.status, 'running');

    const res = await runCli(['run', '--resume', out, '--workers', '1']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, new RegExp(`${total} attempts .*, ${before.length} already done`));
    const text = readFileSync(join(out, 'samples.jsonl'), 'utf8');
    assert.ok(text.endsWith('\n'));
    const all = text.trim().split('\n').map((l) => JSON.parse(l) as AttemptRecord);
    const k = keys(all);
    assert.equal(k.length, total);
    assert.equal(new Set(k).size, total);
    // Records finished before the kill are kept as they were (same run id, same lines).
    assert.deepEqual(all.slice(0, before.length), before);
    assert.ok(all.every((r) => r.run_id === manifest0.run_id));
    const manifest = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunManifest;
    assert.equal(manifest.status, 'complete');
    assert.equal(manifest.config_hash, manifest0.config_hash);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    assert.deepEqual(summary.suites.map((s) => [s.provider, s.n, s.mean]), [['oracle', 6000, 1], ['nop', 6000, 0]]);
  });

  it('SIGINT stops cleanly (status interrupted, summary written, exit 1) and --resume finishes', async () => {
    const server = await start({ handler: () => ({ text: '7', firstTokenDelayMs: 40 }) });
    try {
      const suite = writeTrivialSuite(join(root, 'slow'), 40);
      const out = join(root, 'interrupted');
      const args = ['run', '-s', suite, '-p', `openai:fake@${server.url}`, '--concurrency', '2', '--workers', '0', '--out', out, '--cache', join(root, 'cache.sqlite')];
      const { child, done } = startCli(args);
      await waitForLines(join(out, 'samples.jsonl'), 1);
      child.kill('SIGINT');
      const res = await done;
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, /stopping: no new attempts/);
      assert.match(res.stderr, new RegExp(`run interrupted: \\d+/40 attempts done; continue with: dsabench run --resume ${out.replace(/[/\\]/g, '.')}`));
      const manifest = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunManifest;
      assert.equal(manifest.status, 'interrupted');
      const partial = completeRecords(join(out, 'samples.jsonl'));
      assert.ok(partial.length < 40, String(partial.length));
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
      assert.equal(summary.suites[0]!.n, partial.length);
      // The item with x = 7 is the only one the fake model gets right.
      const resumed = await runCli(['run', '--resume', out, '-q']);
      assert.equal(resumed.code, 0, resumed.stderr);
      const all = completeRecords(join(out, 'samples.jsonl'));
      assert.equal(new Set(keys(all)).size, 40);
      assert.equal(all.length, 40);
      assert.deepEqual(all.filter((r) => r.score.pass).map((r) => r.item_id), ['t7']);
      assert.ok(all.every((r) => r.timings !== null && (r.timings.ttft_ms ?? 0) >= 30));
    } finally {
      await server.close();
    }
  });

  it('--resume --retry-errors runs failed attempts again, each attempt still once', async () => {
    let failing = true;
    const server = await start({
      handler: (req) => {
        const x = lastUserContent(req).replace('Say ', '');
        return failing && x === '3' ? { status: 400 } : { text: x };
      },
    });
    try {
      const suite = writeTrivialSuite(join(root, 'flaky'), 5);
      const out = join(root, 'flaky-run');
      const first = await runCli(['run', '-s', suite, '-p', `openai:fake@${server.url}`, '--workers', '0', '--out', out, '--no-cache', '--cache', join(root, 'c2.sqlite'), '-q']);
      assert.equal(first.code, 0, first.stderr);
      const before = completeRecords(join(out, 'samples.jsonl'));
      assert.deepEqual(before.filter((r) => r.error !== null).map((r) => r.item_id), ['t3']);
      failing = false;
      const plain = await runCli(['run', '--resume', out, '-q']);
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(completeRecords(join(out, 'samples.jsonl')).length, 5); // errors count as done
      const retried = await runCli(['run', '--resume', out, '--retry-errors']);
      assert.equal(retried.code, 0, retried.stderr);
      assert.match(retried.stderr, /retrying 1 attempts that ended in an error/);
      const after = completeRecords(join(out, 'samples.jsonl'));
      assert.equal(after.length, 5);
      assert.deepEqual(after.map((r) => r.item_id).sort(), ['t0', 't1', 't2', 't3', 't4']);
      assert.ok(after.every((r) => r.error === null && r.score.pass));
      const usage = await runCli(['run', '--retry-errors']);
      assert.equal(usage.code, 2);
    } finally {
      await server.close();
    }
  });

  it('--resume of a folder another live process is writing is refused and changes nothing', async () => {
    const suite = writeTrivialSuite(join(root, 'held'), 5);
    const out = join(root, 'held-run');
    const first = await runCli(['run', '-s', suite, '-p', 'oracle', '--out', out, '-q']);
    assert.equal(first.code, 0, first.stderr);
    const samples = readFileSync(join(out, 'samples.jsonl'), 'utf8');
    const manifest = readFileSync(join(out, 'run.json'), 'utf8');
    // A live process on this host holds the folder's lock (as a run still going would).
    // (it lives far longer than the refused resume takes on a loaded machine; killed below)
    const holder = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: holder.pid, host: hostname(), started_at: 'now' }));
      const res = await runCli(['run', '--resume', out]);
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, new RegExp(`another dsabench process \\(pid ${holder.pid}, since now\\) is writing run folder`));
      assert.equal(readFileSync(join(out, 'samples.jsonl'), 'utf8'), samples);
      assert.equal(readFileSync(join(out, 'run.json'), 'utf8'), manifest);
    } finally {
      holder.kill();
    }
    await new Promise((r) => holder.once('exit', r));
    // Its holder gone, the lock is stale and the resume goes through.
    const again = await runCli(['run', '--resume', out]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(existsSync(join(out, LOCK_FILE)), false);
  });
});
