/**
 * End to end: `dsabench run` on a built-in terminal task with the openai provider against a
 * loopback fake server that plays a tool-calling model. Checks the wire format (bash tool in
 * OpenAI schema, reasoning_content sent back, tool results with their call ids) and the
 * attempt record (score, transcript, command timings).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start } from '../helpers/fake-openai-server.js';
import { packagePath } from '../../src/util/package.js';

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [packagePath('bin', 'dsabench.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('dsabench run: terminal agent over an OpenAI-compatible server with tool calls and reasoning_content', async () => {
  const server = await start();
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-agent-e2e-'));
  try {
    server.script(
      { reasoning: 'Inspect the data dir.', toolCalls: [{ id: 'call_a', name: 'bash', arguments: JSON.stringify({ command: 'find data -type f | sort' }) }] },
      { reasoning: 'Exclude the tmp files.', toolCalls: [{ id: 'call_b', name: 'bash', arguments: JSON.stringify({ command: "tar --exclude='*.tmp' -czf backup.tar.gz data && tar -tzf backup.tar.gz | wc -l" }) }] },
      { text: 'Created /app/backup.tar.gz without the .tmp files.' },
    );
    const out = join(dir, 'run');
    const r = await runCli(
      ['run', '-s', 'terminal', '--limit', '1', '-p', `openai:fake-model@${server.url}`, '--out', out, '--no-cache', '--cache', join(dir, 'c.sqlite'), '-q'],
      { ...process.env, OPENAI_API_KEY: 'test-key' },
    );
    assert.equal(r.code, 0, r.out);
    const rec = JSON.parse(readFileSync(join(out, 'samples.jsonl'), 'utf8').trim().split('\n')[0]!) as {
      item_id: string; score: { value: number; pass: boolean }; output: string;
      transcript: Array<{ role: string; content: string | null; reasoning_content?: string; tool_call_id?: string }>;
      metadata: { solve: { commands: Array<{ command: string; exit_code: number; wall_ms: number }>; stop: string } };
    };
    assert.equal(rec.item_id, 'archive-without-tmp');
    assert.equal(rec.score.pass, true);
    assert.equal(rec.output, 'Created /app/backup.tar.gz without the .tmp files.');
    assert.equal(rec.metadata.solve.stop, 'done');
    assert.deepEqual(rec.metadata.solve.commands.map((c) => c.exit_code), [0, 0]);
    const toolOut = rec.transcript.filter((m) => m.role === 'tool');
    assert.match(String(toolOut[0]!.content), /data\/junk\.tmp/);
    assert.match(String(toolOut[1]!.content), /^\d+\n\[exit code: 0\]$/);

    assert.equal(server.requests.length, 3);
    const body1 = server.requests[0]!.body!;
    const tools = body1['tools'] as Array<{ type: string; function: { name: string; parameters: { required: string[] } } }>;
    assert.equal(tools[0]!.type, 'function');
    assert.equal(tools[0]!.function.name, 'bash');
    assert.deepEqual(tools[0]!.function.parameters.required, ['command']);
    const msgs3 = server.requests[2]!.body!['messages'] as Array<{ role: string; reasoning_content?: string; tool_call_id?: string; tool_calls?: unknown[] }>;
    assert.deepEqual(msgs3.filter((m) => m.role === 'assistant').map((m) => m.reasoning_content), ['Inspect the data dir.', 'Exclude the tmp files.']);
    assert.deepEqual(msgs3.filter((m) => m.role === 'tool').map((m) => m.tool_call_id), ['call_a', 'call_b']);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
