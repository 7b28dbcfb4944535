/**
 * A terminal task's environment inside an attempt's work dir, and its verification.
 *
 *   <workDir>/app/        → /app       the task's files; the agent works here (read-write)
 *   <workDir>/solution/   → /solution  the reference script (oracle only, read-only)
 *   <workDir>/tests/      → /tests     copied in only after the agent stops (read-only)
 *   <workDir>/logs/       → /logs      where Harbor tests write their reward
 *   <workDir>/state.json               host-only bookkeeping, never visible to the sandbox
 *
 * Every step (setup, agent, solution, tests) runs in its own sandbox; the tests run in a
 * FRESH one, so nothing the agent left running can interfere with them.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { runSandboxed, type SandboxLimits, type SandboxResult } from '../../sandbox/index.js';
import { DsabenchError } from '../../errors.js';
import type { FileEntry, TerminalTarget } from './tasks.js';

export const APP = '/app';

export interface EnvState {
  prepared: boolean;
  setup_error?: string;
}

/** Limits for task scripts: generous next to code tests, still bounded. */
export function taskLimits(wallSec: number): Partial<SandboxLimits> {
  return {
    wallMs: Math.round(wallSec * 1000),
    cpuSec: Math.max(1, Math.ceil(wallSec)),
    memoryBytes: 4 * 1024 ** 3,
    nproc: 256,
    fileSizeBytes: 256 * 1024 ** 2,
    openFiles: 1024,
    outputBytes: 256 * 1024,
    tmpBytes: 256 * 1024 ** 2,
  };
}

export function writeFiles(root: string, files: readonly FileEntry[]): void {
  const base = resolve(root);
  for (const f of files) {
    const p = resolve(base, f.path);
    if (!p.startsWith(base + sep)) throw new Error(`task file path escapes its folder: ${f.path}`);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.encoding === 'base64' ? Buffer.from(f.content, 'base64') : f.content);
    if (f.executable) chmodSync(p, 0o755);
  }
}

function statePath(workDir: string): string {
  return join(workDir, 'state.json');
}

export function readState(workDir: string): EnvState | null {
  try {
    return JSON.parse(readFileSync(statePath(workDir), 'utf8')) as EnvState;
  } catch {
    return null;
  }
}

export interface SandboxFlags {
  unsafeNoSandbox?: boolean;
  signal?: AbortSignal;
}

function flags(f: SandboxFlags): { unsafeNoSandbox?: boolean; signal?: AbortSignal } {
  return { ...(f.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}), ...(f.signal ? { signal: f.signal } : {}) };
}

/** Build /app (files, then setup.sh in a sandbox). Idempotent per work dir. */
export async function prepareEnvironment(workDir: string, t: TerminalTarget, f: SandboxFlags = {}): Promise<EnvState> {
  if (f.unsafeNoSandbox) {
    // Without the sandbox there is no /app: the task's paths would point into the host.
    throw new DsabenchError('E_UNSUPPORTED', 'terminal tasks run only inside the sandbox (their files live at /app); drop --unsafe-no-sandbox');
  }
  const existing = readState(workDir);
  if (existing?.prepared) return existing;
  const app = join(workDir, 'app');
  mkdirSync(app, { recursive: true, mode: 0o755 });
  writeFiles(app, t.app_files);
  let state: EnvState = { prepared: true };
  if (t.setup !== undefined) {
    const setupDir = join(workDir, 'setup');
    mkdirSync(setupDir, { recursive: true });
    writeFileSync(join(setupDir, 'setup.sh'), t.setup);
    const r = await runSandboxed({
      argv: ['bash', '/setup/setup.sh'], workDir: app, mountPoint: APP,
      binds: [{ host: setupDir, inside: '/setup', readOnly: true }],
      limits: taskLimits(120), ...flags(f),
    });
    rmSync(setupDir, { recursive: true, force: true });
    if (r.exitCode !== 0) state = { prepared: true, setup_error: `setup.sh failed (${describe(r)}): ${tailText(r.stdout + r.stderr, 1500)}` };
  }
  writeFileSync(statePath(workDir), JSON.stringify(state));
  return state;
}

/** Run the reference solution (the oracle agent) in its own sandbox over /app. */
export async function runSolution(workDir: string, t: TerminalTarget, solution: string, f: SandboxFlags = {}): Promise<SandboxResult> {
  const dir = join(workDir, 'solution');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'solve.sh'), solution);
  return runSandboxed({
    argv: ['bash', '/solution/solve.sh'], workDir: join(workDir, 'app'), mountPoint: APP,
    binds: [{ host: dir, inside: '/solution', readOnly: true }],
    limits: taskLimits(t.agent_timeout_sec), ...flags(f),
  });
}

export interface VerifyResult {
  reward: number;
  passed: boolean;
  verdict: 'passed' | 'failed' | 'timeout' | 'error';
  reason: string;
  exit_code: number | null;
  wall_ms: number;
  output_tail: string;
}

export function describe(r: SandboxResult): string {
  if (r.spawnError) return `sandbox failed: ${r.spawnError}`;
  if (r.timedOut) return `timed out after ${r.wallMs} ms`;
  return `exit ${r.exitCode ?? r.signal ?? '?'}`;
}

export function tailText(s: string, n: number): string {
  return s.length > n ? '…' + s.slice(s.length - n) : s;
}

/** Read a Harbor reward: reward.txt (a number) or reward.json ({"reward": x}); regular files only. */
export function readReward(logsDir: string): number | null {
  const dir = join(logsDir, 'verifier');
  for (const name of ['reward.txt', 'reward.json']) {
    const p = join(dir, name);
    if (!existsSync(p)) continue;
    const st = lstatSync(p);
    if (!st.isFile() || st.size > 4096) continue; // a link planted by the task cannot make us read elsewhere
    const raw = readFileSync(p, 'utf8').trim();
    let v: number;
    if (name === 'reward.json') {
      try {
        const o = JSON.parse(raw) as unknown;
        v = typeof o === 'number' ? o : Number((o as Record<string, unknown>)['reward']);
      } catch {
        continue;
      }
    } else v = Number(raw);
    if (Number.isFinite(v)) return Math.min(1, Math.max(0, v));
  }
  return null;
}

/** Copy the tests in and run them in a fresh sandbox over the same /app. */
export async function verify(workDir: string, t: TerminalTarget, f: SandboxFlags = {}): Promise<VerifyResult> {
  const tests = join(workDir, 'tests');
  const logs = join(workDir, 'logs');
  rmSync(tests, { recursive: true, force: true });
  rmSync(logs, { recursive: true, force: true });
  mkdirSync(tests, { recursive: true, mode: 0o755 });
  mkdirSync(join(logs, 'verifier'), { recursive: true });
  writeFiles(tests, t.test_files);
  const r = await runSandboxed({
    argv: ['bash', '-c', t.test_command], workDir: join(workDir, 'app'), mountPoint: APP,
    binds: [{ host: tests, inside: '/tests', readOnly: true }, { host: logs, inside: '/logs', readOnly: false }],
    env: { TEST_DIR: '/tests' },
    limits: taskLimits(t.test_timeout_sec), ...flags(f),
  });
  const out = tailText(`${r.stdout}${r.stderr ? '\n' + r.stderr : ''}`, 3000);
  const base = { exit_code: r.exitCode, wall_ms: r.wallMs, output_tail: out };
  if (r.spawnError) return { ...base, reward: 0, passed: false, verdict: 'error', reason: describe(r) };
  if (r.timedOut) return { ...base, reward: 0, passed: false, verdict: 'timeout', reason: `tests ${describe(r)}` };
  let reward: number;
  if (t.reward === 'file') {
    const got = readReward(logs);
    if (got === null) return { ...base, reward: 0, passed: false, verdict: 'failed', reason: `no reward written to /logs/verifier/reward.txt (${describe(r)})` };
    reward = got;
  } else {
    reward = r.exitCode === 0 ? 1 : 0;
  }
  const passed = reward >= 1;
  return { ...base, reward, passed, verdict: passed ? 'passed' : 'failed', reason: passed ? '' : `tests ${describe(r)}, reward ${reward}` };
}
