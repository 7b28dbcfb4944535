/** Running the real `dsabench` CLI (bin/dsabench.js) as a child process, for end-to-end tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../../src/util/package.js';

export const BIN = packagePath('bin', 'dsabench.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Start the CLI; `done` resolves when it exits. Async, so a loopback server in this process keeps answering. */
export function startCli(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? process.cwd(),
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** A suite folder with `n` items "Say {x}" → target/reference String(x). */
export function writeTrivialSuite(dir: string, n: number, name = 'trivial'): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'suite.json'), JSON.stringify({ name, kind: 'math', scorer: { name: 'exact_match' }, prompt: { template: 'Say {x}' } }));
  let lines = '';
  for (let i = 0; i < n; i++) lines += JSON.stringify({ id: `t${i}`, input: { x: i }, target: String(i), reference: String(i) }) + '\n';
  writeFileSync(join(dir, 'items.jsonl'), lines);
  return dir;
}
