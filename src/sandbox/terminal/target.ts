/**
 * What a terminal task's environment is made from: an item's `target` as the terminal loader
 * (src/suites/terminal/tasks.ts) writes it, and its check. The environment (env.ts,
 * backend.ts), the terminal scorer and the terminal agent all read it through here.
 */
import { DsabenchError } from '../../errors.js';

export interface FileEntry {
  path: string;
  content: string;
  encoding: 'utf8' | 'base64';
  executable?: boolean;
}

/** Where a task's environment comes from when it is not built with host tools. */
export type ContainerSpec =
  | { kind: 'dockerfile'; /** Path of the Dockerfile inside `context`. */ dockerfile: string; context: FileEntry[]; build_timeout_sec: number; /** Where commands run (Harbor's [environment] workdir; default: the image's WORKDIR). */ workdir?: string }
  | { kind: 'image'; image: string; workdir?: string }
  /** A layout this backend cannot run (several services in docker-compose.yaml). */
  | { kind: 'unrunnable'; reason: string };

export interface TerminalTarget {
  format: 'tb1' | 'harbor';
  /** Files copied into /app before setup (host-tools environment). */
  app_files: FileEntry[];
  /** Script run in /app (inside the sandbox) to build the environment with host tools. */
  setup?: string;
  /** The task's container environment (Dockerfile or image). */
  container?: ContainerSpec;
  /** Files copied into /tests after the agent stops. */
  test_files: FileEntry[];
  /** Run by bash in the task's working dir with /tests (and the test tooling) in place. */
  test_command: string;
  /** `exit`: resolved iff the test command exits 0 (TB 1.x: iff every test in pytest's summary passed, where there is one); `file`: reward from /logs/verifier/reward.{txt,json}. */
  reward: 'exit' | 'file';
  /** The reference solution's folder (Harbor: all of solution/; TB: solution.sh as solve.sh), copied to /solution for the oracle. */
  solution_files?: FileEntry[];
  agent_timeout_sec: number;
  test_timeout_sec: number;
  /** Why this task can never run here, whatever the machine (it needs the internet). */
  unsupported?: string;
}

/** Validate an item's target (the scorer and the solver both need it). */
export function parseTerminalTarget(raw: unknown, itemId: string): TerminalTarget {
  const t = raw as Partial<TerminalTarget> | null;
  if (!t || typeof t !== 'object' || !Array.isArray(t.test_files) || !Array.isArray(t.app_files) || typeof t.test_command !== 'string') {
    throw new DsabenchError('E_ITEMS_INVALID', `item ${itemId}: terminal target needs app_files, test_files and test_command`, { field: '/target' });
  }
  return {
    ...t,
    format: t.format ?? 'tb1',
    reward: t.reward ?? 'exit',
    agent_timeout_sec: Number(t.agent_timeout_sec ?? 360),
    test_timeout_sec: Number(t.test_timeout_sec ?? 60),
  } as TerminalTarget;
}
