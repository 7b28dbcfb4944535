/**
 * What a suite needs from this machine before it can be scored, checked once before the
 * first attempt. Without it every attempt would fail the same way and score 0 — a figure
 * that looks like a model result. Today: the sandbox (bubblewrap, or unshare + chroot) for
 * suites that run untrusted code, unless --unsafe-no-sandbox.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DsabenchError } from '../errors.js';
import { describeSandbox, detectSandbox, type SandboxTools } from '../sandbox/detect.js';
import type { Suite } from '../types.js';
import { lineOfPointer } from './schema.js';

/** Why a suite runs code in the sandbox, and the suite.json field that says so; null when it does not. */
export function sandboxNeed(suite: Suite, limit: number | null = null): { field: string; why: string } | null {
  const items = limit === null ? suite.items : suite.items.slice(0, limit);
  // Terminal tasks whose environment is a Docker image are never run (counted unsupported).
  const runnable = items.some((i) => i.metadata?.['unsupported'] !== true);
  if (!runnable) return null;
  const c = suite.config;
  if (c.solver === 'terminal-agent') return { field: '/solver', why: 'solver "terminal-agent" runs the model\'s commands in it' };
  if (c.scorer.name === 'code') return { field: '/scorer/name', why: 'scorer "code" runs the model\'s programs in it' };
  if (c.scorer.name === 'terminal') return { field: '/scorer/name', why: 'scorer "terminal" runs the task\'s tests in it' };
  return null;
}

export interface RequirementOptions {
  unsafeNoSandbox?: boolean;
  /** First N items of each suite (the run's --limit). */
  limit?: number | null;
  /** The sandbox probe (tests pass a fake one). */
  detect?: () => SandboxTools | Error;
}

/**
 * Throws E_SANDBOX naming the first suite (file, line, field) that needs the sandbox when
 * this machine has none. The probe runs only when some suite needs it. Returns the line that
 * says which sandbox path will run (for the start of a run), or null when none is needed.
 */
export function checkSuiteRequirements(suites: readonly Suite[], opts: RequirementOptions = {}): string | null {
  if (opts.unsafeNoSandbox) return null;
  const needing = suites.map((s) => ({ s, need: sandboxNeed(s, opts.limit ?? null) })).filter((x) => x.need !== null);
  if (needing.length === 0) return null;
  const tools = (opts.detect ?? detectSandbox)();
  if (!(tools instanceof Error)) return describeSandbox(tools);
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
