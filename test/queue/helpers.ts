/** Shared pieces of the queue tests: a suite, a deterministic model on loopback, worker processes. */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AttemptRecord } from '../../src/types.js';
import { startCli, type CliResult } from '../e2e/cli-helpers.js';
import { lastUserContent, start, type FakeOpenAiServer, type FakeReply } from '../helpers/fake-openai-server.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `n` items "Say {x}" with a metadata field to break down by (so metadata travels too). */
export function writeQueueSuite(dir: string, n: number, name = 'queued'): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'suite.json'), JSON.stringify({ name, kind: 'math', scorer: { name: 'exact_match' }, prompt: { template: 'Say {x}' }, options: { breakdown_by: ['parity'] } }));
  let lines = '';
  for (let i = 0; i < n; i++) lines += JSON.stringify({ id: `t${i}`, input: { x: i }, target: String(i), reference: String(i), metadata: { parity: i % 2 === 0 ? 'even' : 'odd' } }) + '\n';
  writeFileSync(join(dir, 'items.jsonl'), lines);
  return dir;
}

/**
 * A model whose answers depend only on the prompt: right for most x, wrong for x % 4 == 0,
 * an HTTP 500 (an error record) for x % 7 == 3. Its latency is `latency.ms` at the time of
 * each request (a test may slow it down to hold attempts in flight).
 */
export async function startModel(latency: { ms: number }): Promise<FakeOpenAiServer> {
  return start({
    handler: (req): FakeReply => {
      const x = Number(lastUserContent(req).replace('Say ', ''));
      if (x % 7 === 3) return { status: 500, firstTokenDelayMs: latency.ms };
      return { text: x % 4 === 0 ? 'nope' : String(x), firstTokenDelayMs: latency.ms };
    },
  });
}

/** Provider entry for that model: no retries (an error stays an error), short timeouts. */
export function modelProvider(server: FakeOpenAiServer): { spec: string; options: Record<string, unknown> } {
  return { spec: `openai:fake-model@${server.url}`, options: { max_retries: 0, timeout_ms: 10_000 } };
}

/** Complete lines of samples.jsonl (a line cut by SIGKILL is not a record). */
export function completeRecords(file: string): AttemptRecord[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const whole = text.slice(0, text.lastIndexOf('\n') + 1);
  return whole.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AttemptRecord);
}

export async function waitForRecords(file: string, n: number, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (completeRecords(file).length >= n) return;
    await sleep(20);
  }
  throw new Error(`fewer than ${n} records in ${file} after ${timeoutMs} ms`);
}

export function keyOf(r: Pick<AttemptRecord, 'suite' | 'item_id' | 'provider' | 'attempt'>): string {
  return JSON.stringify([r.suite, r.item_id, r.provider, r.attempt]);
}

export interface WorkerProc {
  child: ChildProcess;
  done: Promise<CliResult>;
}

/** A `dsabench worker` process (exits by itself after 60 idle seconds should a test leave it behind). */
export function startWorker(url: string, extra: readonly string[] = [], env: NodeJS.ProcessEnv = {}): WorkerProc {
  return startCli(['worker', '--queue', url, '--workers', '0', '--idle-exit', '60', ...extra], { env: { DSABENCH_PROGRESS_MS: '100000', ...env } });
}

/** Stop a worker this test started: SIGKILL by its PID, wait for the exit. */
export async function killWorker(w: WorkerProc, signal: NodeJS.Signals = 'SIGKILL'): Promise<CliResult> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill(signal);
  return w.done;
}

/** The process's result, or (after `ms`) SIGKILL it and fail with its output: a hung run must not hang the suite. */
export async function bounded(p: { child: ChildProcess; done: Promise<CliResult> }, ms: number, what: string): Promise<CliResult> {
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
