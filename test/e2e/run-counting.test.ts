/**
 * What `dsabench run` counts, end to end against a real loopback server and the real CLI:
 * cached attempts apart from fresh ones (and out of the gate's latency), failed attempts out
 * of latency with their tries recorded, empty streamed replies as errors that
 * --retry-errors reruns, replies without usage counted, and unsupported tasks apart from the
 * mean with a non-zero exit unless allowed.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { GateResult } from '../../src/reports/gate/index.js';
import type { AttemptRecord, RunSummary } from '../../src/types.js';
import { lastUserContent, start, type FakeReply } from '../helpers/fake-openai-server.js';
import { runCli, writeTrivialSuite } from './cli-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-e2e-counting-'));
after(() => rmSync(root, { recursive: true, force: true }));

function samples(dir: string): Map<string, AttemptRecord> {
  const recs = readFileSync(join(dir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AttemptRecord);
  return new Map(recs.map((r) => [r.item_id, r]));
}

function summaryOf(dir: string): RunSummary['suites'][number] {
  return (JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary).suites[0]!;
}

/** A stream of chunks that all have `choices: []` (and usage): no answer at all. */
function emptyChoicesStream(): string {
  const chunk = (extra: Record<string, unknown>) => `data: ${JSON.stringify({ id: 'e', object: 'chat.completion.chunk', choices: [], ...extra })}\n\n`;
  return chunk({}) + chunk({ usage: { prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 } }) + 'data: [DONE]\n\n';
}

describe('dsabench run: what the figures count (loopback server, real CLI)', () => {
  it('cached apart, failures out of latency with tries, empty streams as errors, missing usage counted; the gate ignores cached latency', async () => {
    let emptyFixed = false;
    let firstTokenDelayMs = 5;
    const server = await start({
      handler: (req): FakeReply => {
        switch (lastUserContent(req).replace('Say ', '')) {
          case '2':
            return { text: '2', usage: null, firstTokenDelayMs }; // a server that sends no usage chunk
          case '3':
            return emptyFixed ? { text: '3' } : { rawBody: emptyChoicesStream(), rawContentType: 'text/event-stream' };
          case '4':
            return { status: 500, firstTokenDelayMs: 60 }; // fails every try, each after 60 ms
          default:
            return { text: lastUserContent(req).replace('Say ', ''), firstTokenDelayMs };
        }
      },
    });
    try {
      const suite = writeTrivialSuite(join(root, 'suite'), 5);
      const cfg = join(root, 'config.json');
      const spec = `openai:deepseek-chat@${server.url}`;
      writeFileSync(cfg, JSON.stringify({ suites: [suite], providers: [{ spec, options: { max_retries: 2, backoff_base_ms: 10, backoff_max_ms: 20, timeout_ms: 5000 } }] }));
      const cache = join(root, 'cache.sqlite');
      const run = (out: string, ...extra: string[]) => runCli(['run', '--config', cfg, '--out', out, '--cache', cache, '--workers', '0', '-q', ...extra], { env: { DEEPSEEK_API_KEY: '' } });

      // 1. Fresh run: items 0-2 answer, 3 (empty choices) and 4 (500s) fail.
      const fresh = join(root, 'fresh');
      const r1 = await run(fresh);
      assert.equal(r1.code, 0, r1.stderr);
      const s1 = samples(fresh);
      assert.match(s1.get('t3')!.error ?? '', /no chunk carried choices\[0\]/);
      assert.equal(s1.get('t3')!.score.pass, false);
      const t4 = s1.get('t4')!;
      assert.match(t4.error ?? '', /after 3 tries/);
      assert.equal(t4.tries, 3);
      assert.ok(t4.timings!.e2e_ms >= 50, `a failed try takes its time: ${t4.timings!.e2e_ms}`);
      assert.ok(t4.timings!.total_ms! >= 150, `three tries of ≥ 60 ms: ${t4.timings!.total_ms}`);
      assert.deepEqual(['t0', 't1', 't2'].map((id) => s1.get(id)!.tries), [1, 1, 1]);
      assert.equal(s1.get('t2')!.usage, null);
      assert.equal(s1.get('t2')!.usage_unknown, true);
      const sum1 = summaryOf(fresh);
      assert.deepEqual([sum1.n, sum1.n_errors, sum1.n_cached, sum1.n_no_usage, sum1.n_unsupported], [5, 2, 0, 1, 0]);
      assert.equal(sum1.latency.e2e_ms.n, 3, 'failed attempts are not response times');
      assert.ok(sum1.latency.e2e_ms.p50! > 0);
      assert.ok(sum1.cost.total! > 0);
      assert.match(r1.stdout, /errors\s+unsupported\s+cached/);
      assert.match(r1.stdout, /1 answered attempts without usage/);

      // 2. The same run again, against a server that is now much slower: answers 0-2 come
      // from the cache, with the first run's (fast) timings and money.
      firstTokenDelayMs = 400;
      const again = join(root, 'again');
      const r2 = await run(again);
      assert.equal(r2.code, 0, r2.stderr);
      const s2 = samples(again);
      assert.deepEqual(['t0', 't1', 't2'].map((id) => [s2.get(id)!.cached, s2.get(id)!.tries]), [[true, 0], [true, 0], [true, 0]]);
      const sum2 = summaryOf(again);
      assert.deepEqual([sum2.n, sum2.n_cached, sum2.n_errors, sum2.mean], [5, 3, 2, 0.6]);
      assert.deepEqual([sum2.latency.e2e_ms.n, sum2.latency.e2e_ms.p50, sum2.latency.ttft_ms.p50], [0, null, null], 'no stale latency');
      assert.equal(sum2.cost.total, null, 'no money spent again');
      assert.equal(sum2.tokens.total, 0);
      assert.match(r2.stdout, /3 attempts replayed from the response cache: not in latency, tokens or cost/);

      // --count-cached: as if fresh (the user's choice, kept in run.json).
      const counted = join(root, 'counted');
      const r3 = await run(counted, '--count-cached');
      assert.equal(r3.code, 0, r3.stderr);
      const sum3 = summaryOf(counted);
      assert.deepEqual([sum3.n_cached, sum3.latency.e2e_ms.n], [3, 3]);
      assert.ok(Math.abs(sum3.cost.total! - sum1.cost.total!) < 1e-12);

      // 3. The gate does not compare the replayed latency with the baseline's: the current run
      // measured none, and it says so instead of passing it.
      const gateJson = join(root, 'gate.json');
      const g = await runCli(['gate', '-b', fresh, '-c', again, '--json', gateJson, '--config', writeGateConfig()]);
      const res = JSON.parse(readFileSync(gateJson, 'utf8')) as GateResult;
      const lat = res.checks.filter((c) => c.kind === 'latency');
      assert.ok(lat.length > 0, g.stdout);
      assert.ok(lat.every((c) => c.status === 'skipped' && /response cache/.test(c.reason)), JSON.stringify(lat.map((c) => [c.metric, c.status, c.reason])));
      assert.equal(res.current.n_cached, 3);
      assert.match(g.stderr, /current run \S+ has 3 attempts replayed from the response cache/);
      assert.ok(!res.checks.some((c) => c.kind === 'cost' && c.status === 'pass'), 'no cost compared against money not spent');

      // 4. --retry-errors reruns the empty-choices attempt (an error now), and it answers.
      emptyFixed = true;
      const r4 = await runCli(['run', '--resume', again, '--retry-errors', '--workers', '0', '-q'], { env: { DEEPSEEK_API_KEY: '' } });
      assert.equal(r4.code, 0, r4.stderr);
      const s4 = samples(again);
      assert.deepEqual([s4.get('t3')!.error, s4.get('t3')!.score.pass, s4.get('t3')!.cached ?? false], [null, true, false]);
    } finally {
      await server.close();
    }
  });

  it('unsupported tasks: counted apart, out of the mean, in the table, summary.json and report; exit 1 unless allowed', async () => {
    // A Terminal-Bench task whose environment is a Docker image, next to a suite that runs.
    const tasks = join(root, 'docker-tasks', 'tasks');
    const task = join(tasks, 'needs-docker');
    mkdirSync(join(task, 'tests'), { recursive: true });
    writeFileSync(join(task, 'task.yaml'), 'instruction: |-\n  Do the thing.\ndifficulty: easy\ncategory: demo\n');
    writeFileSync(join(task, 'Dockerfile'), 'FROM ubuntu:24.04\n');
    writeFileSync(join(task, 'solution.sh'), 'echo done > /app/x\n');
    writeFileSync(join(task, 'run-tests.sh'), 'test -f /app/x\n');
    writeFileSync(join(root, 'docker-tasks', 'suite.json'), JSON.stringify({
      name: 'docker-terminal', kind: 'terminal', scorer: { name: 'terminal' }, prompt: { template: '{instruction}' },
      solver: 'terminal-agent', loader: { name: 'terminal', file: 'tasks' },
    }));
    const math = writeTrivialSuite(join(root, 'math-suite'), 3, 'plain');

    const out = join(root, 'unsupported');
    const r = await runCli(['run', '-s', join(root, 'docker-tasks'), math, '-p', 'oracle', '--out', out, '--workers', '0', '-q']);
    assert.equal(r.code, 1, `unsupported attempts fail the run by default\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /1 attempts could not run here .*--allow-unsupported/);
    assert.match(r.stdout, /unsupported/);
    assert.match(r.stdout, /docker-terminal\s+oracle\s+1\s+-\s.*\s1\s+0\s/, r.stdout);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    const term = summary.suites.find((s) => s.suite === 'docker-terminal')!;
    assert.deepEqual([term.n, term.n_unsupported, term.n_errors, term.n_items], [1, 1, 0, 0]);
    const rec = samples(out).get('needs-docker')!;
    assert.match(rec.unsupported ?? '', /Docker|container|base image/);  // no engine here, or the image is not loaded
    assert.equal(summary.suites.find((s) => s.suite === 'plain')!.mean, 1);

    // The report shows them too.
    const rep = await runCli(['report', out, '--out', join(root, 'report'), '--format', 'md,csv']);
    assert.equal(rep.code, 0, rep.stderr);
    const md = readFileSync(join(root, 'report', 'report.md'), 'utf8');
    assert.match(md, /oracle: 1 attempts unsupported here \(not in the mean\)/);
    assert.match(md, /\| Unsupported \| Cached \|/);

    // Allowed: same figures, exit 0.
    const ok = await runCli(['run', '-s', join(root, 'docker-tasks'), '-p', 'oracle', '--out', join(root, 'allowed'), '--workers', '0', '-q', '--allow-unsupported']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /1 attempts unsupported here/);
  });
});

/** Gate config: latency p50 only, cost on, everything else default. */
function writeGateConfig(): string {
  const f = join(root, 'gate-config.json');
  writeFileSync(f, JSON.stringify({ latency: { metrics: ['e2e_ms', 'ttft_ms'], p50: 0.25, p90: null }, cost: { per_attempt: 0.25 } }));
  return f;
}
