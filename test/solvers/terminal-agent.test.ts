import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSuite } from '../../src/suites/load.js';
import { terminalAgentSolver, BASH_TOOL } from '../../src/solvers/terminal-agent.js';
import { terminalScorer } from '../../src/scorers/terminal.js';
import { getSolver } from '../../src/solvers/index.js';
import type { ChatMessage, Completion, CompletionRequest, Provider, Suite } from '../../src/types.js';

/** A provider that plays a fixed script of replies and records what it was sent. */
class ScriptedProvider implements Provider {
  readonly id = 'scripted';
  readonly model = 'scripted';
  readonly seen: ChatMessage[][] = [];
  readonly tools: unknown[] = [];
  private i = 0;
  constructor(private readonly script: Array<Partial<Completion> & { commands?: string[] }>) {}
  complete(req: CompletionRequest): Promise<Completion> {
    this.seen.push(req.messages.map((m) => ({ ...m })));
    this.tools.push(req.tools);
    const step = this.script[Math.min(this.i++, this.script.length - 1)]!;
    const tool_calls = (step.commands ?? []).map((command, k) => ({
      id: `call_${this.i}_${k}`, type: 'function' as const, function: { name: 'bash', arguments: JSON.stringify({ command }) },
    }));
    return Promise.resolve({
      text: step.text ?? '',
      ...(step.reasoning ? { reasoning: step.reasoning } : {}),
      ...(tool_calls.length ? { tool_calls } : {}),
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 7 },
      error: step.error ?? null,
    });
  }
}

async function solve(suite: Suite, itemId: string, provider: Provider, options: Record<string, unknown> = {}) {
  const item = suite.items.find((i) => i.id === itemId)!;
  const wd = mkdtempSync(join(tmpdir(), 'dsabench-agent-test-'));
  const s: Suite = { ...suite, config: { ...suite.config, options: { ...suite.config.options, ...options } } };
  const messages: ChatMessage[] = [{ role: 'system', content: 'sys' }, { role: 'user', content: String(item.input['instruction']) }];
  try {
    const r = await terminalAgentSolver({ suite: s, item, provider, messages, settings: {}, attempt: 0, workDir: wd });
    const score = await terminalScorer(r.output, item, {}, { workDir: wd });
    return { r, score };
  } finally {
    rmSync(wd, { recursive: true, force: true });
  }
}

test('registered as the terminal-agent solver', () => {
  assert.equal(getSolver('terminal-agent'), terminalAgentSolver);
});

test('agent loop: bash tool calls run in one persistent shell; reasoning_content is sent back; transcript and usage are kept', async () => {
  const suite = await loadSuite('terminal');
  const p = new ScriptedProvider([
    { reasoning: 'look first', commands: ['cd /app && ls', 'export N=$(grep -c " ERROR " service.log)'] },
    { reasoning: 'now write', text: 'writing', commands: ['echo "$N" > answer.txt; pwd'] },
    { text: 'Done: wrote the count.' },
  ]);
  const { r, score } = await solve(suite, 'count-error-lines', p);
  assert.equal(score.pass, true, String(score.details?.['reason']));
  assert.equal(r.output, 'Done: wrote the count.');
  assert.deepEqual(p.tools[0], [BASH_TOOL]);
  // the second request carries the first assistant turn with its reasoning_content and tool results
  const second = p.seen[1]!;
  const a1 = second.find((m) => m.role === 'assistant')!;
  assert.equal(a1.reasoning_content, 'look first');
  assert.equal(a1.tool_calls?.length, 2);
  const toolMsgs = second.filter((m) => m.role === 'tool');
  assert.equal(toolMsgs.length, 2);
  assert.match(String(toolMsgs[0]!.content), /service\.log[\s\S]*\[exit code: 0\]/);
  const third = p.seen[2]!;
  assert.deepEqual(third.filter((m) => m.role === 'assistant').map((m) => m.reasoning_content), ['look first', 'now write']);
  assert.match(String(third[third.length - 1]!.content), /^\/app\n\[exit code: 0\]$/, 'cwd persisted across calls');
  const md = r.metadata as { stop: string; turns: number; commands: Array<{ command: string; exit_code: number; wall_ms: number }> };
  assert.equal(md.stop, 'done');
  assert.equal(md.turns, 3);
  assert.equal(md.commands.length, 3);
  assert.ok(md.commands.every((c) => c.exit_code === 0 && c.wall_ms >= 0));
  assert.equal(r.transcript?.length, 2 + 3 + 3);
  assert.deepEqual(r.completion.usage, { prompt_tokens: 30, completion_tokens: 15, total_tokens: 45 });
  assert.equal(r.completion.timings.e2e_ms, 21);
  assert.equal(r.completion.reasoning, 'look first\n\nnow write');
});

test('limits: max turns, per-command timeout, bad tool arguments, provider errors', async () => {
  const suite = await loadSuite('terminal');
  const loop = new ScriptedProvider([{ commands: ['true'] }]);
  const a = await solve(suite, 'count-error-lines', loop, { max_turns: 3 });
  assert.equal((a.r.metadata as { stop: string }).stop, 'max_turns');
  assert.equal(loop.seen.length, 3);
  assert.equal(a.score.pass, false);

  const slow = new ScriptedProvider([{ commands: ['sleep 20'] }, { text: 'gave up' }]);
  const t = Date.now();
  const b = await solve(suite, 'count-error-lines', slow, { command_timeout_sec: 1 });
  assert.ok(Date.now() - t < 10_000);
  const tool = slow.seen[1]!.find((m) => m.role === 'tool')!;
  assert.match(String(tool.content), /timed out after 1 s/);
  assert.equal((b.r.metadata as { commands: Array<{ timed_out: boolean }> }).commands[0]!.timed_out, true);

  const bad: Provider = {
    id: 'bad', model: 'bad',
    complete: (req) => Promise.resolve(req.messages.some((m) => m.role === 'tool')
      ? { text: 'ok', timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 1 }, error: null }
      : { text: '', tool_calls: [{ id: 'x', type: 'function', function: { name: 'bash', arguments: '{not json' } }, { id: 'y', type: 'function', function: { name: 'python', arguments: '{}' } }], timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 1 }, error: null }),
  };
  const c = await solve(suite, 'count-error-lines', bad);
  const tools = (c.r.transcript ?? []).filter((m) => m.role === 'tool').map((m) => String(m.content));
  assert.match(tools[0]!, /not valid JSON/);
  assert.match(tools[1]!, /unknown tool "python"/);

  const failing = new ScriptedProvider([{ error: 'HTTP 500' }]);
  const d = await solve(suite, 'count-error-lines', failing);
  assert.equal(d.r.completion.error, 'HTTP 500');
  assert.equal((d.r.metadata as { stop: string }).stop, 'provider_error');
});

test('the agent cannot tamper with the tests: they are copied in after it stops and run in a fresh sandbox', async () => {
  const suite = await loadSuite('terminal');
  // The agent leaves a process that would rewrite the answer later, and plants a fake /tests.
  const p = new ScriptedProvider([
    { commands: ['grep -c " ERROR " service.log > answer.txt; (sleep 1; echo 0 > /app/answer.txt) & mkdir -p /tmp/tests; echo "exit 0" > /tmp/tests/run-tests.sh; ls /tests 2>&1 | head -1'] },
    { text: 'done' },
  ]);
  const { r, score } = await solve(suite, 'count-error-lines', p);
  const out = String((r.transcript ?? []).find((m) => m.role === 'tool')?.content);
  assert.match(out, /No such file or directory/, '/tests must not exist while the agent runs');
  await new Promise((res) => setTimeout(res, 1200));
  assert.equal(score.pass, true, String(score.details?.['reason']));
});

test('a fork bomb in the agent shell is contained: the command times out, the next one runs in a fresh shell', async () => {
  const suite = await loadSuite('terminal');
  const p = new ScriptedProvider([
    { commands: ['bomb() { bomb | bomb & }; bomb; sleep 30'] },
    { commands: ['echo still-here; grep -c " ERROR " service.log > answer.txt'] },
    { text: 'done' },
  ]);
  const t = Date.now();
  const { r, score } = await solve(suite, 'count-error-lines', p, { command_timeout_sec: 2 });
  assert.ok(Date.now() - t < 20_000, `took ${Date.now() - t} ms`);
  const tools = (r.transcript ?? []).filter((m) => m.role === 'tool').map((m) => String(m.content));
  assert.match(tools[0]!, /timed out after 2 s/);
  assert.match(tools[1]!, /^still-here\n\[exit code: 0\]$/);
  assert.equal(score.pass, true, String(score.details?.['reason']));
});

test('across turns: tries summed, cached only when every turn came from the cache, usage unknown when a turn lacked it', async () => {
  const suite = await loadSuite('terminal');
  /** Two turns (one command, then a final answer), with the given cache/tries/usage per turn. */
  const provider = (turns: Array<Pick<Completion, 'cached' | 'tries' | 'usage_unknown'>>): Provider => {
    let i = 0;
    return {
      id: 'turns', model: 'turns',
      complete: () => {
        const t = turns[Math.min(i, turns.length - 1)]!;
        const first = i++ === 0;
        return Promise.resolve({
          text: first ? '' : 'done',
          ...(first ? { tool_calls: [{ id: 'c0', type: 'function' as const, function: { name: 'bash', arguments: JSON.stringify({ command: 'true' }) } }] } : {}),
          ...(t.usage_unknown ? { usage_unknown: true } : { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }),
          ...(t.cached ? { cached: true } : {}),
          ...(t.tries !== undefined ? { tries: t.tries } : {}),
          timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 3 },
          error: null,
        });
      },
    };
  };
  const fresh = await solve(suite, 'count-error-lines', provider([{ tries: 3 }, { usage_unknown: true }]));
  assert.deepEqual([fresh.r.completion.tries, fresh.r.completion.cached, fresh.r.completion.usage_unknown], [4, undefined, true]);
  const replayed = await solve(suite, 'count-error-lines', provider([{ cached: true, tries: 2 }, { cached: true }]));
  assert.deepEqual([replayed.r.completion.tries, replayed.r.completion.cached, replayed.r.completion.usage_unknown], [0, true, undefined]);
});
