/**
 * What a suite needs from this machine before it can be scored, checked once before the
 * first attempt. Without it every attempt would fail the same way and score 0 — a figure
 * that looks like a model result. Today: the sandbox (bubblewrap, or unshare + chroot) for
 * suites that run untrusted code, unless --unsafe-no-sandbox. Terminal tasks whose
 * environment is a container image need a container engine instead; without one they are
 * counted unsupported (with the reason), which the run's start line says.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DsabenchError } from '../errors.js';
import { describeSandbox, detectSandbox, type SandboxTools } from '../sandbox/detect.js';
import { describeEngine, detectContainerEngine, type ContainerEngine } from '../sandbox/container/engine.js';
import { findScorer } from '../scorers/index.js';
import { SOLVERS } from '../solvers/index.js';
import type { Suite } from '../types.js';
import { lineOfPointer } from './schema.js';

/** Why a suite runs code in the sandbox, and the suite.json field that says so; null when it does not. */
export function sandboxNeed(suite: Suite, limit: number | null = null): { field: string; why: string } | null {
  const items = limit === null ? suite.items : suite.items.slice(0, limit);
  // Terminal tasks that can never run here (counted unsupported) and those that run in a
  // container of their own need no sandbox.
  const runnable = items.some((i) => i.metadata?.['unsupported'] !== true && i.metadata?.['environment'] !== 'container');
  if (!runnable) return null;
  // The solver and scorer entries say whether (and why) they run code in the sandbox.
  const c = suite.config;
  const solver = c.solver === undefined ? undefined : SOLVERS[c.solver];
  if (solver?.sandbox) return { field: '/solver', why: `solver "${c.solver}" ${solver.sandbox}` };
  const scorer = findScorer(c.scorer.name);
  if (scorer?.sandbox) return { field: '/scorer/name', why: `scorer "${c.scorer.name}" ${scorer.sandbox}` };
  return null;
}

/** How many of a suite's items run in a container (terminal tasks with a Dockerfile or image). */
export function containerItems(suite: Suite, limit: number | null = null): number {
  const items = limit === null ? suite.items : suite.items.slice(0, limit);
  return items.filter((i) => i.metadata?.['environment'] === 'container').length;
}

export interface RequirementOptions {
  unsafeNoSandbox?: boolean;
  /** First N items of each suite (the run's --limit). */
  limit?: number | null;
  /** The sandbox probe (tests pass a fake one). */
  detect?: () => SandboxTools | Error;
  /** The container engine probe (tests pass a fake one). */
  detectEngine?: () => ContainerEngine | Error;
}

/** The start-of-run line about containers, when some item runs in one (null otherwise). */
function containerLine(suites: readonly Suite[], opts: RequirementOptions): string | null {
  const n = suites.reduce((a, s) => a + containerItems(s, opts.limit ?? null), 0);
  if (n === 0) return null;
  const e = (opts.detectEngine ?? detectContainerEngine)();
  if (!(e instanceof Error)) return describeEngine(e);
  return `containers: none — ${n} task${n === 1 ? '' : 's'} whose environment is a container image will be counted unsupported (${e.message})`;
}

/**
 * Throws E_SANDBOX naming the first suite (file, line, field) that needs the sandbox when
 * this machine has none. The probe runs only when some suite needs it. Returns the line that
 * says which sandbox path will run (for the start of a run), or null when none is needed.
 */
export function checkSuiteRequirements(suites: readonly Suite[], opts: RequirementOptions = {}): string | null {
  const lines = (sandbox: string | null): string | null => {
    const all = [sandbox, containerLine(suites, opts)].filter((l): l is string => l !== null);
    return all.length > 0 ? all.join('\n') : null;
  };
  if (opts.unsafeNoSandbox) return lines(null);
  const needing = suites.map((s) => ({ s, need: sandboxNeed(s, opts.limit ?? null) })).filter((x) => x.need !== null);
  if (needing.length === 0) return lines(null);
  const tools = (opts.detect ?? detectSandbox)();
  if (!(tools instanceof Error)) return lines(describeSandbox(tools));
  const { s, need } = needing[0]!;
  const file = s.dir ? join(s.dir, 'suite.json') : undefined;
  const line = file && existsSync(file) ? lineOfPointer(readFileSync(file, 'utf8'), need!.field) : undefined;
  const others = needing.length > 1 ? ` (and ${needing.slice(1).map((x) => `"${x.s.config.name}"`).join(', ')})` : '';
  throw new DsabenchError(
    'E_SANDBOX',
    `suite "${s.config.name}"${others} needs the sandbox (${need!.why}), and this machine has none: ${tools.message}. Or leave the suite out of the run`,
    { ...(file ? { file } : {}), ...(line !== undefined ? { line } : {}), field: need!.field },
  );
}
