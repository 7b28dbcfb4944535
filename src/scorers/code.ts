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
 * tests_total, stderr_tail, isolation}. Options: the entry's `options` below (timeout_s,
 * memory_mb, total_memory_mb, challenge, evalplus and EvalPlus's per-input limits).
 * pass@k over repeats is the runner's summary (unbiased estimator in util/stats).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Item, Score, ScoreContext, ScoreFn } from '../types.js';
import { defineScorer, scoreFn, type OptionSchema } from './scorer.js';
import { runSandboxed, type SandboxResult } from '../sandbox/index.js';
import { extractCode, type CodeLanguage } from './code-extract.js';
import {
  candidateSource, functionalProgram, humanevalProgram, mbppProgram, parseCodeTarget, stdoutMatches, type CodeTarget,
} from './code-program.js';
import { EVALPLUS_DEFAULTS, evalplusProgram, parseEvalplusResult, type EvalplusDataset } from './code-evalplus.js';

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

/** The code scorer's options, parsed: undefined = the default that depends on the task. */
export interface CodeOptions {
  /** Wall clock of one program run (an item's target.timeout_s wins; default 10, EvalPlus: its limits' safety net). */
  timeoutS?: number;
  /** Per process (default 2048; EvalPlus tasks 4096) and all processes together (default 2 × memoryMb). */
  memoryMb?: number;
  totalMemoryMb?: number;
  challenge: boolean;
  /** EvalPlus: plus inputs too (option evalplus "plus", the default), and the per-input limits. */
  includePlus: boolean;
  evalplus: { minTimeS: number; factor: number; taskCapS: number };
}

const positive = (description: string, dflt?: number): OptionSchema => ({ type: 'number', exclusiveMinimum: 0, ...(dflt !== undefined ? { default: dflt } : {}), description });
const numberOr = <T>(v: unknown, dflt: T): number | T => (typeof v === 'number' ? v : dflt);

export const codeEntry = defineScorer({
  name: 'code',
  sandbox: 'runs the model\'s programs in it',
  options: {
    timeout_s: positive('Wall-clock limit per program run, seconds (an item\'s target.timeout_s wins).', 10),
    memory_mb: positive('Memory limit per process, MiB (EvalPlus tasks: 4096, as EvalPlus allows).', 2048),
    total_memory_mb: positive('Memory limit of all processes of an attempt together, MiB (default 2 x memory_mb).'),
    challenge: { type: 'boolean', default: false, description: 'MBPP: also run the challenge tests.' },
    evalplus: { enum: ['base', 'plus'], default: 'plus', description: 'EvalPlus: base tests only, or base + plus.' },
    evalplus_min_time_s: positive('EvalPlus: the least time limit of one input, seconds (its min_time_limit).', EVALPLUS_DEFAULTS.minTimeS),
    evalplus_time_factor: positive('EvalPlus: an input\'s time limit is this many times the canonical solution\'s time on it (its gt_time_limit_factor).', EVALPLUS_DEFAULTS.factor),
    evalplus_task_timeout_s: positive('EvalPlus: the most time of all base (or all plus) inputs together, seconds (its EVALPLUS_TIMEOUT_PER_TASK).', EVALPLUS_DEFAULTS.taskCapS),
  },
  parse: (o): CodeOptions => ({
    timeoutS: numberOr(o['timeout_s'], undefined),
    memoryMb: numberOr(o['memory_mb'], undefined),
    totalMemoryMb: numberOr(o['total_memory_mb'], undefined),
    challenge: o['challenge'] === true,
    includePlus: o['evalplus'] !== 'base',
    evalplus: {
      minTimeS: numberOr(o['evalplus_min_time_s'], EVALPLUS_DEFAULTS.minTimeS),
      factor: numberOr(o['evalplus_time_factor'], EVALPLUS_DEFAULTS.factor),
      taskCapS: numberOr(o['evalplus_task_timeout_s'], EVALPLUS_DEFAULTS.taskCapS),
    },
  }),
  score: (output, item, options, ctx) => scoreCodeWith(output, item, options, ctx),
});

/** The entry as a function of raw options. */
export const codeScorer: ScoreFn = scoreFn(codeEntry);

/** codeScorer, always asynchronous. */
export async function scoreCode(output: string, item: Item, options: Record<string, unknown>, ctx: ScoreContext): Promise<Score> {
  return codeScorer(output, item, options, ctx);
}

async function scoreCodeWith(output: string, item: Item, options: CodeOptions, ctx: ScoreContext): Promise<Score> {
  const t = parseCodeTarget(item.target, item.id);
  const code = extractCode(output, t.language, t.entry_point ?? t.func_name);
  if (code.trim() === '') return score('error', 'no code found in the reply', t, { tests_passed: 0, tests_total: null });
  // EvalPlus lets a candidate use 4 GiB (EVALPLUS_MAX_MEMORY_BYTES), and here the canonical
  // outputs share the process (Mbpp/255's plus input 85 makes 1.1 GB of tuples on each side).
  const memoryMb = options.memoryMb ?? (t.format === 'evalplus' ? 4096 : 2048);
  const totalMemoryMb = options.totalMemoryMb ?? memoryMb * 2;
  const evalplus = t.format === 'evalplus' ? evalplusLimits(options.evalplus) : undefined;
  const timeoutS = Number(t.timeout_s ?? options.timeoutS ?? evalplus?.wallS ?? 10);
  const ownDir = ctx.workDir === undefined;
  const dir = ctx.workDir ?? mkdtempSync(join(tmpdir(), 'dsabench-code-'));
  const s: RunSettings = { timeoutMs: Math.max(100, timeoutS * 1000), memoryBytes: memoryMb * 1024 * 1024, totalMemoryBytes: totalMemoryMb * 1024 * 1024, ctx, dir };
  try {
    if (t.format === 'stdio') return await scoreStdio(t, code, s);
    if (t.format === 'evalplus') return await scoreEvalplus(t, code, options.includePlus, evalplus!, s);
    let program: string;
    if (t.format === 'humaneval') program = humanevalProgram(t, code);
    else if (t.format === 'mbpp') program = mbppProgram(t, code, options.challenge);
    else program = functionalProgram(t, code);
    const r = await runProgram(t.language, program, undefined, s);
    const { verdict, reason } = classifyRun(r, t.language);
    const extra: Record<string, unknown> = {
      exit_code: r.exitCode, wall_ms: r.wallMs, stderr_tail: tail(r.stderr), isolation: r.isolation,
    };
    return score(verdict, reason, t, extra);
  } finally {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  }
}

interface EvalplusLimits {
  minTimeS: number;
  factor: number;
  taskCapS: number;
  /** Wall clock of the whole program: the canonical solution's run, then base and plus. */
  wallS: number;
}

function evalplusLimits(o: CodeOptions['evalplus']): EvalplusLimits {
  // Each group may take its cap (+2 s) and the canonical solution about as long again.
  return { ...o, wallS: 4 * (o.taskCapS + 2) + 10 };
}

function evalplusDataset(v: unknown): EvalplusDataset {
  return v === 'humaneval' || v === 'mbpp' ? v : 'other';
}

/** EvalPlus tasks: the harness of code-evalplus.ts; its result line decides (an exit without one fails). */
async function scoreEvalplus(t: CodeTarget, code: string, includePlus: boolean, lim: EvalplusLimits, s: RunSettings): Promise<Score> {
  const inputsJson = t.inputs_json ?? JSON.stringify({ base: t.base_input ?? [], plus: t.plus_input ?? [] });
  const program = evalplusProgram({
    entryPoint: t.entry_point!, dataset: evalplusDataset(t.dataset), atol: Number(t.atol ?? 0),
    candidate: candidateSource(t.prompt!, code, t.entry_point!, 'python'),
    reference: `${t.prompt}${t.canonical_solution}\n`,
    inputsJson, ...(t.conversion ? { conversion: t.conversion } : {}),
    includePlus, minTimeS: lim.minTimeS, factor: lim.factor, taskCapS: lim.taskCapS,
  });
  const r = await runProgram('python', program, undefined, s);
  const res = parseEvalplusResult(r.stdout);
  const extra: Record<string, unknown> = {
    exit_code: r.exitCode, wall_ms: r.wallMs, stderr_tail: tail(r.stderr), isolation: r.isolation,
    // plus_passed is null when only the base inputs were checked (option evalplus: base).
    base_passed: res ? res.base : false, plus_passed: res ? res.plus : false,
  };
  if (res && r.exitCode === (res.verdict === 'passed' ? 0 : 1) && !r.timedOut) return score(res.verdict, res.reason, t, extra);
  const c = classifyRun(r, 'python');
  // Exit 0 without a result line: the code ended the process itself (os._exit) before the checks finished.
  if (c.verdict === 'passed') return score('failed', 'the program ended before every input was checked', t, extra);
  return score(c.verdict, c.reason, t, extra);
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

