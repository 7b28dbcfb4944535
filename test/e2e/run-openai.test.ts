import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AttemptRecord, RunSummary } from '../../src/types.js';
import { lastUserContent, start, type FakeReply } from '../helpers/fake-openai-server.js';
import { runCli, writeTrivialSuite } from './cli-helpers.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-e2e-openai-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('dsabench run against an OpenAI-compatible server on loopback (real CLI)', () => {
  it('streaming, reasoning, tool calls, 429 + Retry-After, a dropped connection and a malformed chunk', async () => {
    const seen = new Map<string, number>();
    const server = await start({
      handler: (req): FakeReply => {
        const x = lastUserContent(req).replace('Say ', '');
        const n = (seen.get(x) ?? 0) + 1;
        seen.set(x, n);
        switch (x) {
          case '0':
            return { text: '0', reasoning: 'two plus two minus four', usage: { prompt_tokens: 1000, completion_tokens: 500, reasoning_tokens: 400 } };
          case '1':
            return n === 1 ? { status: 429, retryAfter: 1 } : { text: '1' };
          case '2':
            return { text: 'two is the answer', dropAfterChunks: 1 }; // every try drops: an error value
          case '3':
            return { text: '3', malformedAfterChunks: 0 };
          case '4':
            return { text: '', toolCalls: [{ name: 'calculator', arguments: '{"expr":"2+2"}' }] };
          default:
            return { text: `${x}`, firstTokenDelayMs: 5, tokenDelayMs: 2 };
        }
      },
    });
    try {
      const suite = writeTrivialSuite(join(root, 'suite'), 8);
      const cfg = join(root, 'config.json');
      const spec = `openai:deepseek-chat@${server.url}`;
      writeFileSync(cfg, JSON.stringify({ suites: [suite], providers: [{ spec, options: { max_retries: 1, backoff_base_ms: 10, backoff_max_ms: 20, timeout_ms: 5000 } }] }));
      const out = join(root, 'run');
      const res = await runCli(['run', '--config', cfg, '--out', out, '--cache', join(root, 'cache.sqlite'), '--concurrency', '4', '--workers', '1', '-q'], { env: { DEEPSEEK_API_KEY: '' } });
      assert.equal(res.code, 0, res.stderr); // failed attempts do not fail the run
      const recs = readFileSync(join(out, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AttemptRecord);
      assert.equal(recs.length, 8);
      const by = new Map(recs.map((r) => [r.item_id, r]));
      assert.equal(new Set(recs.map((r) => r.provider)).size, 1);
      assert.equal(recs[0]!.provider, spec);

      const r0 = by.get('t0')!;
      assert.deepEqual([r0.output, r0.score.pass, r0.reasoning], ['0', true, 'two plus two minus four']);
      assert.deepEqual(r0.usage, { prompt_tokens: 1000, completion_tokens: 500, reasoning_tokens: 400, total_tokens: 1500 });
      assert.ok(Math.abs(r0.cost! - (1000 * 0.28 + 500 * 0.42) / 1e6) < 1e-12); // data/prices.json deepseek-chat
      assert.ok(r0.timings!.ttft_ms !== null && r0.timings!.e2e_ms >= r0.timings!.ttft_ms);

      const r1 = by.get('t1')!;
      assert.equal(r1.score.pass, true);
      assert.ok(r1.timings!.e2e_ms >= 900 || r1.error === null, 'Retry-After honoured');
      assert.equal(seen.get('1'), 2);

      const r2 = by.get('t2')!;
      assert.equal(r2.score.pass, false);
      assert.equal(typeof r2.error, 'string');
      assert.equal(seen.get('2'), 2); // first try + one retry

      const r3 = by.get('t3')!;
      assert.ok(r3.score.pass || typeof r3.error === 'string', 'a malformed chunk is skipped or an error value');

      const r4 = by.get('t4')!;
      assert.equal(r4.score.pass, false);
      assert.deepEqual((r4.metadata?.['solve'] as { tool_calls: Array<{ function: { name: string } }> }).tool_calls.map((t) => t.function.name), ['calculator']);

      for (const id of ['t5', 't6', 't7']) {
        const r = by.get(id)!;
        assert.equal(r.score.pass, true, id);
        assert.ok(r.timings!.tpot_ms === null || r.timings!.tpot_ms >= 0);
      }

      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
      const s = summary.suites[0]!;
      assert.equal(s.n, 8);
      assert.ok(s.n_errors >= 1);
      assert.ok(s.latency.ttft_ms.n >= 5 && s.latency.ttft_ms.p50 !== null);
      assert.ok(s.tokens.prompt >= 1000 && s.tokens.reasoning >= 400);
      assert.ok(s.cost.total !== null && s.cost.total > 0);
      // Every request streamed and carried the suite's prompt.
      assert.ok(server.requests.every((r) => r.body?.['stream'] === true && r.body?.['model'] === 'deepseek-chat'));

      // A second run hits the response cache: no new requests for the answered items.
      const before = server.requests.length;
      const again = await runCli(['run', '--config', cfg, '--out', join(root, 'run2'), '--cache', join(root, 'cache.sqlite'), '--workers', '0', '-q']);
      assert.equal(again.code, 0, again.stderr);
      const cached = readFileSync(join(root, 'run2', 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AttemptRecord);
      assert.ok(cached.filter((r) => r.cached).length >= 5);
      assert.ok(server.requests.length - before <= 3, `${server.requests.length - before} new requests`);
    } finally {
      await server.close();
    }
  });
});
