/**
 * Scorer `code`: extract the program from the reply, assemble it with the task's tests, run
 * it in the sandbox, and give a verdict:
 *
 *   passed   every test passed
 *   failed   a test failed (assertion, wrong output, crash, memory, output flood)
 *   timeout  wall-clock or CPU limit
 *   error    nothing to run (no code, syntax error) or the sandbox could not start
 *
 * details: {verdict, reason, format, language, exit_code, wall_ms, tests_passed,
 * tests_total, stderr_tail, isolation}. Options: timeout_s (10), memory_mb (2048 per
 * process), total_memory_mb (2 × memory_mb, all processes of the attempt together),
 * challenge (MBPP challenge tests), evalplus: 'base' | 'plus' (default plus = base+plus).
 * pass@k over repeats is the runner's summary (unbiased estimator in util/stats).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Item, Score, ScoreContext, ScoreFn } from '../types.js';
import { runSandboxed, type SandboxResult } from '../sandbox/index.js';
import { extractCode, type CodeLanguage } from './code-extract.js';
import {
  evalplusProgram, functionalProgram, humanevalProgram, mbppProgram, parseCodeTarget, stdoutMatches, type CodeTarget,
} from './code-program.js';

export type CodeVerdict = 'passed' | 'failed' | 'timeout' | 'error';

const FILE: Record<CodeLanguage, string> = { python: 'main.py', javascript: 'main.js' };
/**
 * Function-style tasks run main.py under another module name, as the reference harnesses
 * exec the program in a fresh namespace: a reply's `if __name__ == "__main__":` demo block
 * (often reading input()) must not run. stdin/stdout tasks are scripts and run as __main__.
 */
function argv(lang: CodeLanguage, asScript: boolean): string[] {
  if (lang === 'javascript') return ['node', '--max-old-space-size=1024', 'main.js'];
  if (asScript) return ['python3', '-X', 'utf8', 'main.py'];
  // Relative path: the cwd is the work dir both inside the sandbox and in the unsafe mode.
  return ['python3', '-X', 'utf8', '-c', "import runpy, sys; sys.argv = ['main.py']; runpy.run_path('main.py', run_name='__dsabench__')"];
}

interface RunSettings {
  timeoutMs: number;
  memoryBytes: number;
  totalMemoryBytes: number;
  ctx: ScoreContext;
  dir: string;
}

async function runProgram(lang: CodeLanguage, source: string, stdin: string | undefined, s: RunSettings): Promise<SandboxResult> {
  writeFileSync(join(s.dir, FILE[lang]), source);
  return runSandboxed({
    argv: argv(lang, stdin !== undefined),
    workDir: s.dir,
    ...(stdin !== undefined ? { stdin } : {}),
    limits: {
      wallMs: s.timeoutMs,
      cpuSec: Math.ceil(s.timeoutMs / 1000),
      memoryBytes: s.memoryBytes,
      totalMemoryBytes: s.totalMemoryBytes,
      nproc: 64,
      outputBytes: 256 * 1024,
    },
    ...(s.ctx.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}),
    ...(s.ctx.signal ? { signal: s.ctx.signal } : {}),
  });
}

const SIGXCPU_EXIT = 128 + 24;

function lastLine(s: string): string {
  const lines = s.trim().split('\n').filter((l) => l.trim() !== '');
  return (lines[lines.length - 1] ?? '').slice(0, 500);
}

/** The innermost `File "…"` line of a Python traceback: where the error was raised. */
function lastFileLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => /^\s*File "/.test(l));
  return lines[lines.length - 1] ?? '';
}

/** Classify a finished run that was expected to exit 0. */
export function classifyRun(r: SandboxResult, lang: CodeLanguage): { verdict: CodeVerdict; reason: string } {
  if (r.spawnError) return { verdict: 'error', reason: `sandbox failed: ${r.spawnError}` };
  if (r.timedOut) return { verdict: 'timeout', reason: `wall-clock limit (${r.wallMs} ms)` };
  if (r.exitCode === SIGXCPU_EXIT || r.signal === 'SIGXCPU') return { verdict: 'timeout', reason: 'CPU time limit' };
  if (r.exitCode === 0) return { verdict: 'passed', reason: '' };
  if (r.outputLimitExceeded) return { verdict: 'failed', reason: 'output limit exceeded' };
  if (r.memoryExceeded) return { verdict: 'failed', reason: 'memory limit exceeded' };
  const syntax = lang === 'python'
    ? /^\s*(SyntaxError|IndentationError|TabError)\b/m.test(r.stderr) && /^\s*File "((\/work\/)?main\.py|candidate\.py)"/.test(lastFileLine(r.stderr))
    : /^SyntaxError\b/m.test(r.stderr) && /main\.js:\d+/.test(r.stderr);
  const reason = lastLine(r.stderr) || `exit ${r.exitCode ?? r.signal ?? 'unknown'}`;
  if (syntax) return { verdict: 'error', reason };
  if (r.exitCode !== null && r.exitCode > 128) return { verdict: 'failed', reason: `killed by signal ${r.exitCode - 128}${reason ? `: ${reason}` : ''}` };
  return { verdict: 'failed', reason };
}

function score(verdict: CodeVerdict, reason: string, t: CodeTarget, extra: Record<string, unknown>): Score {
  const pass = verdict === 'passed';
  return { value: pass ? 1 : 0, pass, details: { verdict, reason, format: t.format, language: t.language, ...extra } };
}

function tail(s: string, n = 2000): string {
  return s.length > n ? s.slice(s.length - n) : s;
}

export async function scoreCode(output: string, item: Item, options: Record<string, unknown>, ctx: ScoreContext): Promise<Score> {
  const t = parseCodeTarget(item.target, item.id);
  const code = extractCode(output, t.language, t.entry_point ?? t.func_name);
  if (code.trim() === '') return score('error', 'no code found in the reply', t, { tests_passed: 0, tests_total: null });
  const timeoutS = Number(t.timeout_s ?? options['timeout_s'] ?? 10);
  const memoryMb = Number(options['memory_mb'] ?? 2048);
  const totalMemoryMb = Number(options['total_memory_mb'] ?? memoryMb * 2);
  const ownDir = ctx.workDir === undefined;
  const dir = ctx.workDir ?? mkdtempSync(join(tmpdir(), 'dsabench-code-'));
  const s: RunSettings = { timeoutMs: Math.max(100, timeoutS * 1000), memoryBytes: memoryMb * 1024 * 1024, totalMemoryBytes: totalMemoryMb * 1024 * 1024, ctx, dir };
  try {
    if (t.format === 'stdio') return await scoreStdio(t, code, s);
    let program: string;
    if (t.format === 'humaneval') program = humanevalProgram(t, code);
    else if (t.format === 'mbpp') program = mbppProgram(t, code, options['challenge'] === true);
    else if (t.format === 'evalplus') program = evalplusProgram(t, code, options['evalplus'] !== 'base');
    else program = functionalProgram(t, code);
    const r = await runProgram(t.language, program, undefined, s);
    const { verdict, reason } = classifyRun(r, t.language);
    const extra: Record<string, unknown> = {
      exit_code: r.exitCode, wall_ms: r.wallMs, stderr_tail: tail(r.stderr), isolation: r.isolation,
    };
    if (t.format === 'evalplus') {
      const m = /\{"base": (true|false), "plus": (true|false)\}/.exec(r.stdout);
      extra['base_passed'] = m ? m[1] === 'true' : false;
      extra['plus_passed'] = m ? m[2] === 'true' : false;
    }
    return score(verdict, reason, t, extra);
  } finally {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  }
}

async function scoreStdio(t: CodeTarget, code: string, s: RunSettings): Promise<Score> {
  const tests = t.tests ?? [];
  let wall = 0;
  for (let i = 0; i < tests.length; i++) {
    const r = await runProgram(t.language, code, tests[i]!.input, s);
    wall += r.wallMs;
    const base = { tests_passed: i, tests_total: tests.length, wall_ms: wall, isolation: r.isolation, failed_test: i };
    const c = classifyRun(r, t.language);
    if (c.verdict !== 'passed') return score(c.verdict, `test ${i}: ${c.reason}`, t, { ...base, exit_code: r.exitCode, stderr_tail: tail(r.stderr) });
    if (!stdoutMatches(r.stdout, tests[i]!.output)) {
      return score('failed', `test ${i}: wrong output`, t, { ...base, expected: tail(tests[i]!.output, 500), got: tail(r.stdout, 500) });
    }
  }
  return score('passed', '', t, { tests_passed: tests.length, tests_total: tests.length, wall_ms: wall });
}

export const codeScorer: ScoreFn = (output, item, options, ctx) => scoreCode(output, item, options, ctx);
