/**
 * Which backend runs an attempt of a terminal task, decided once per attempt and kept in the
 * work dir's state.json (the solver decides; the scorer, maybe in another thread, follows):
 *
 *   container  the task has a Dockerfile / image and a container engine is here
 *   sandbox    the task's environment is built with host tools (setup.sh, app/); also the
 *              fallback of a task that has both when its container cannot run here (no
 *              engine, base image missing, build failed): the reason is kept in state.json
 *   unsupported  neither: the reason is recorded and the attempt is counted apart
 */
import type { SandboxResult, SandboxShell } from '../index.js';
import { SandboxShell as Shell } from '../index.js';
import { detectContainerEngine } from '../container/engine.js';
import { APP, prepareEnvironment, readState, runSolution, taskLimits, verify, writeState, type SandboxFlags, type VerifyResult } from './env.js';
import { containerShell, removeTaskContainer, runSolutionIn, startTaskContainer, verifyIn } from './container-env.js';
import type { TerminalTarget } from './target.js';
import { join } from 'node:path';

export interface TaskEnv {
  backend: 'sandbox' | 'container';
  /** The image the container runs (container backend). */
  image?: string;
  runSolution(solution: string): Promise<SandboxResult>;
  /** A persistent shell for the agent; its commands' limits are the caller's. */
  shell(totalSec: number): SandboxShell;
  verify(): Promise<VerifyResult>;
  /** Release the environment (container: remove it). Idempotent. */
  close(): Promise<void>;
}

export type Opened = { ok: true; env: TaskEnv } | { ok: false; unsupported: string } | { ok: false; setupError: string };

/** The container to use, or why the task cannot run at all; null: the sandbox backend. */
function wantsContainer(t: TerminalTarget): { use: true } | { use: false; unsupported?: string } {
  if (t.unsupported) return { use: false, unsupported: t.unsupported };
  if (!t.container) return { use: false };
  if (t.container.kind === 'unrunnable') return t.setup !== undefined ? { use: false } : { use: false, unsupported: t.container.reason };
  const engine = detectContainerEngine();
  if (engine instanceof Error) return t.setup !== undefined ? { use: false } : { use: false, unsupported: `environment is a container image and ${engine.message}` };
  return { use: true };
}

function sandboxEnv(workDir: string, t: TerminalTarget, f: SandboxFlags): TaskEnv {
  return {
    backend: 'sandbox',
    runSolution: (solution) => runSolution(workDir, t, solution, f),
    shell: (totalSec) => new Shell({
      workDir: join(workDir, 'app'), mountPoint: APP, limits: taskLimits(totalSec),
      ...(f.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}), ...(f.signal ? { signal: f.signal } : {}),
    }),
    verify: () => verify(workDir, t, f),
    close: () => Promise.resolve(),
  };
}

/**
 * The attempt's environment: the one state.json records (the solver made it), else a new
 * one (built, started, written to state.json).
 */
export async function openTaskEnv(workDir: string, t: TerminalTarget, f: SandboxFlags = {}): Promise<Opened> {
  let state = readState(workDir);
  if (!state) {
    const want = wantsContainer(t);
    if (want.use && t.container) {
      const p = await startTaskContainer(t, t.container);
      if (p.ok) state = { prepared: true, container: p.ref, image: p.image };
      else if (t.setup === undefined) state = { prepared: true, unsupported: p.unsupported };
      if (state) writeState(workDir, state);
      else state = await prepareEnvironment(workDir, t, f);
    } else if (want.use === false && want.unsupported !== undefined) {
      state = { prepared: true, unsupported: want.unsupported };
      writeState(workDir, state);
    } else {
      state = await prepareEnvironment(workDir, t, f);
    }
  }
  if (state.unsupported !== undefined) return { ok: false, unsupported: state.unsupported };
  if (state.setup_error !== undefined) return { ok: false, setupError: state.setup_error };
  const ref = state.container;
  if (!ref) return { ok: true, env: sandboxEnv(workDir, t, f) };
  let closed = false;
  const image = state.image;
  return {
    ok: true,
    env: {
      backend: 'container',
      ...(image ? { image } : {}),
      runSolution: (solution) => runSolutionIn(ref, t, solution, f.signal),
      shell: () => containerShell(ref),
      verify: () => verifyIn(ref, t, f.signal),
      close: async () => {
        if (closed) return;
        closed = true;
        await removeTaskContainer(ref);
        writeState(workDir, { prepared: true, unsupported: 'the attempt\'s container was removed' });
      },
    },
  };
}
