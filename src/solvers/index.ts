/**
 * Solver registry: how an attempt is produced, by name (`suite.json` → `solver`, default
 * `chat`). Add a solver with one import and one entry below.
 */
import { DsabenchError } from '../errors.js';
import type { Solver } from '../types.js';
import { chatSolver } from './chat.js';
import { terminalAgentSolver } from './terminal-agent.js';

export const SOLVERS: Record<string, Solver> = {
  chat: chatSolver,
  'terminal-agent': terminalAgentSolver,
};

export function solverNames(): string[] {
  return Object.keys(SOLVERS).sort();
}

export function getSolver(name: string | undefined): Solver {
  const key = name ?? 'chat';
  const s = SOLVERS[key];
  if (!s) {
    throw new DsabenchError('E_SUITE_INVALID', `unknown solver "${key}" (expected one of: ${solverNames().join(', ')})`, { field: '/solver' });
  }
  return s;
}
