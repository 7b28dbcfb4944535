/**
 * A terminal task's host-tools environment inside an attempt's work dir (the sandbox
 * backend; Dockerfile environments are in container-env.ts), and its verification.
 *
 *   <workDir>/app/        → /app       the task's files; the agent works here (read-write)
 *   <workDir>/solution/   → /solution  the reference solution's folder (oracle only)
 *   <workDir>/tests/      → /tests     copied in only after the agent stops (read-only)
 *   <workDir>/logs/       → /logs      where Harbor tests write their reward
 *   (test tooling)        → /opt/dsabench-tools (tests only, read-only; tools.ts)
 *   <workDir>/state.json               host-only bookkeeping, never visible to the sandbox
 *
 * Every step (setup, agent, solution, tests) runs in its own sandbox; the tests run in a
 * FRESH one, so nothing the agent left running can interfere with them.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { runSandboxed, type SandboxLimits, type SandboxResult } from '../index.js';
import { defaultEnv } from '../command.js';
import type { ContainerRef } from '../container/container.js';
import { DsabenchError } from '../../errors.js';
import type { FileEntry, TerminalTarget } from './target.js';
import { parsePytestSummary } from './pytest-summary.js';
import { TOOLS_DIR, testTools, toolsEnv } from './tools.js';

export const APP = '/app';

export interface EnvState {
  prepared: boolean;
  setup_error?: string;
  /** The task runs in this container (container-env.ts), started from this image. */
  container?: ContainerRef;
  image?: string;
  /** The task cannot run here (no container engine, image not buildable…). */
  unsupported?: string;
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

export function writeState(workDir: string, state: EnvState): void {
  writeFileSync(statePath(workDir), JSON.stringify(state));
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
  writeState(workDir, state);
  return state;
}

/** The reference solution's files: its folder, or (older items) just the script. */
export function solutionFiles(t: TerminalTarget, solution: string): FileEntry[] {
  const files = t.solution_files && t.solution_files.length > 0 ? [...t.solution_files] : [];
  const i = files.findIndex((f) => f.path === 'solve.sh');
  const script: FileEntry = { path: 'solve.sh', content: solution, encoding: 'utf8', executable: true };
  if (i >= 0) files[i] = script; // the reference given is what runs (tests swap it)
  else files.push(script);
  return files;
}

/** Run the reference solution (the oracle agent) in its own sandbox over /app, its folder at /solution. */
export async function runSolution(workDir: string, t: TerminalTarget, solution: string, f: SandboxFlags = {}): Promise<SandboxResult> {
  const dir = join(workDir, 'solution');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFiles(dir, solutionFiles(t, solution));
  return runSandboxed({
    argv: ['bash', '/solution/solve.sh'], workDir: join(workDir, 'app'), mountPoint: APP,
    // Writable, as Harbor uploads it: a solution may build things next to its script.
    binds: [{ host: dir, inside: '/solution', readOnly: false }],
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

/** A Harbor reward file's value in 0..1: reward.txt holds a number, reward.json {"reward": x} (or a number). */
export function parseReward(name: 'reward.txt' | 'reward.json', raw: string): number | null {
  let v: number;
  if (name === 'reward.json') {
    try {
      const o = JSON.parse(raw.trim()) as unknown;
      v = typeof o === 'number' ? o : o !== null && typeof o === 'object' ? Number((o as Record<string, unknown>)['reward']) : NaN;
    } catch {
      return null;
    }
  } else v = raw.trim() === '' ? NaN : Number(raw.trim());
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : null;
}

/** Read a Harbor reward: reward.txt (a number) or reward.json ({"reward": x}); regular files only. */
export function readReward(logsDir: string): number | null {
  const dir = join(logsDir, 'verifier');
  for (const name of ['reward.txt', 'reward.json'] as const) {
    const p = join(dir, name);
    if (!existsSync(p)) continue;
    const st = lstatSync(p);
    if (!st.isFile() || st.size > 4096) continue; // a link planted by the task cannot make us read elsewhere
    const v = parseReward(name, readFileSync(p, 'utf8'));
    if (v !== null) return v;
  }
  return null;
}

/**
 * The verdict of one test run, shared by both backends. TB 1.x: pytest's summary when the
 * output has one (every test PASSED), else the exit status; Harbor: the reward file.
 */
export function judge(t: TerminalTarget, r: SandboxResult, reward: () => number | null): VerifyResult {
  const out = tailText(`${r.stdout}${r.stderr ? '\n' + r.stderr : ''}`, 3000);
  const base = { exit_code: r.exitCode, wall_ms: r.wallMs, output_tail: out };
  if (r.spawnError) return { ...base, reward: 0, passed: false, verdict: 'error', reason: describe(r) };
  if (r.timedOut) return { ...base, reward: 0, passed: false, verdict: 'timeout', reason: `tests ${describe(r)}` };
  let value: number;
  let why = '';
  if (t.reward === 'file') {
    const got = reward();
    if (got === null) return { ...base, reward: 0, passed: false, verdict: 'failed', reason: `no reward written to /logs/verifier/reward.txt (${describe(r)})` };
    value = got;
  } else {
    const summary = t.format === 'tb1' ? parsePytestSummary(r.stdout) : null;
    if (summary) {
      value = summary.resolved ? 1 : 0;
      const bad = summary.tests.filter((x) => x.outcome !== 'PASSED');
      why = `${bad.length} of ${summary.tests.length} tests not passed (${bad.slice(0, 5).map((x) => `${x.outcome} ${x.name}`).join(', ')})`;
    } else value = r.exitCode === 0 ? 1 : 0;
  }
  const passed = value >= 1;
  return { ...base, reward: value, passed, verdict: passed ? 'passed' : 'failed', reason: passed ? '' : why || `tests ${describe(r)}, reward ${value}` };
}

/** Copy the tests in and run them in a fresh sandbox over the same /app, with the test tooling. */
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
    binds: [
      { host: tests, inside: '/tests', readOnly: true },
      { host: logs, inside: '/logs', readOnly: false },
      { host: testTools().dir, inside: TOOLS_DIR, readOnly: true },
    ],
    env: { TEST_DIR: '/tests', ...toolsEnv(defaultEnv(APP)['PATH']!) },
    limits: taskLimits(t.test_timeout_sec), ...flags(f),
  });
  return judge(t, r, () => readReward(logs));
}
