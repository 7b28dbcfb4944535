/** One terminal attempt as the runner makes it: the solver, then (unless it ended in an error or could not run) the scorer, in one work dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { terminalScorer } from '../../src/scorers/terminal.js';
import { solverFor } from '../../src/solvers/index.js';
import type { ChatMessage, Completion, Item, Provider, SolveArgs, SolveResult, Suite } from '../../src/types.js';

/**
 * A provider that must not be called. `oracle` and `nop` are the stand-ins of those names, as
 * `-p oracle` / `-p nop` make them: their attempts go to the stand-in solvers, never to complete().
 */
export function fakeProvider(id: string): Provider {
  const standIn = id === 'oracle' || id === 'nop' ? { standIn: id } as const : {};
  return { id, model: id, ...standIn, complete: () => Promise.reject(new Error(`${id} must not be called`)) };
}

/** A terminal-agent attempt with the solver the runner picks for its provider (the stand-ins' own for oracle and nop). */
export function terminalAttemptSolver(args: SolveArgs): Promise<SolveResult> {
  return solverFor('terminal-agent', args.provider)(args);
}

/** A provider that answers with these bash commands, one per turn, then stops. */
export function scriptedProvider(commands: readonly string[]): Provider & { seen: ChatMessage[][] } {
  const seen: ChatMessage[][] = [];
  return {
    id: 'scripted', model: 'scripted', seen,
    complete: (req) => {
      seen.push(req.messages.map((m) => ({ ...m })));
      const turn = seen.length - 1;
      const c: Completion = { text: turn < commands.length ? '' : 'done', timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 1 }, error: null };
      if (turn < commands.length) c.tool_calls = [{ id: `call_${turn}`, type: 'function', function: { name: 'bash', arguments: JSON.stringify({ command: commands[turn] }) } }];
      return Promise.resolve(c);
    },
  };
}

export function suiteOf(items: Item[], options: Record<string, unknown> = {}): Suite {
  return { config: { name: 'tmp', kind: 'terminal', scorer: { name: 'terminal' }, prompt: { template: '{instruction}' }, solver: 'terminal-agent', options }, spec: '', items };
}

export interface AttemptOutcome {
  pass: boolean;
  value: number;
  /** The scorer's details, or { verdict: 'unsupported' | 'error', reason }. */
  details: Record<string, unknown>;
  solved: SolveResult;
}

export async function runAttempt(suite: Suite, item: Item, provider: Provider): Promise<AttemptOutcome> {
  const wd = mkdtempSync(join(tmpdir(), 'dsabench-term-attempt-'));
  try {
    const solved = await terminalAttemptSolver({ suite, item, provider, messages: [{ role: 'user', content: String(item.input['instruction']) }], settings: {}, attempt: 0, workDir: wd });
    const u = solved.metadata?.['unsupported'];
    if (typeof u === 'string') return { pass: false, value: 0, details: { verdict: 'unsupported', reason: u }, solved };
    if (solved.completion.error) return { pass: false, value: 0, details: { verdict: 'error', reason: solved.completion.error, output: solved.output }, solved };
    const s = await terminalScorer(solved.output, item, {}, { workDir: wd });
    return { pass: s.pass, value: s.value, details: s.details ?? {}, solved };
  } finally {
    rmSync(wd, { recursive: true, force: true });
  }
}
