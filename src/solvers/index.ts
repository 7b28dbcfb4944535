/**
 * The solver table: how an attempt is produced, by name (`suite.json` → `solver`, default
 * `chat`). Each entry may say how the stand-ins (`oracle`, `nop`: solvers that need no model)
 * answer its tasks; `solverFor` picks the solver of one attempt. A new solver is one file and
 * one line below.
 */
import { DsabenchError } from '../errors.js';
import type { Provider, Solver, SolverEntry, StandIn } from '../types.js';
import { chatSolver } from './chat.js';
import { nopSolver, referenceSolver } from './stand-ins.js';
import { terminalAgentSolver } from './terminal-agent.js';

export const SOLVERS: Record<string, SolverEntry> = {
  chat: chatSolver,
  'terminal-agent': terminalAgentSolver,
};

/** The stand-ins' answer on a solver that names none of its own: the reference text, or nothing. */
const STAND_INS: Record<StandIn, Solver> = { oracle: referenceSolver, nop: nopSolver };

export function solverNames(): string[] {
  return Object.keys(SOLVERS).sort();
}

export function getSolver(name: string | undefined): SolverEntry {
  const key = name ?? 'chat';
  const s = SOLVERS[key];
  if (!s) {
    throw new DsabenchError('E_SUITE_INVALID', `unknown solver "${key}" (expected one of: ${solverNames().join(', ')})`, { field: '/solver' });
  }
  return s;
}

/**
 * The solver of an attempt of `provider` on a suite whose solver is `name`: that solver, or
 * for a stand-in provider (`-p oracle`, `-p nop`) the stand-in solver for the same tasks.
 */
export function solverFor(name: string | undefined, provider: Provider): Solver {
  const entry = getSolver(name);
  if (provider.standIn === undefined) return entry;
  return entry[provider.standIn] ?? STAND_INS[provider.standIn];
}
