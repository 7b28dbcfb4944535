/**
 * Starts one sandboxed process and hands back a handle that can kill everything it made.
 * Shared by `runSandboxed` (one command, wait for it) and `SandboxShell` (long-lived bash).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildUnshareCommand } from './unshare.js';
import { DEFAULT_LIMITS, type SandboxLimits, type SandboxSpec } from './types.js';
import { buildSandboxCommand, defaultEnv, prlimitArgs } from './command.js';
import { requireSandbox, which } from './detect.js';
import { allocateUid, chownTree, killUid, releaseUid, rssOfTree, rssOfUid, threadsOfUid } from './uid.js';
import { DsabenchError } from '../errors.js';

export interface Launched {
  child: ChildProcess;
  limits: SandboxLimits;
  isolation: 'bwrap' | 'unshare' | 'none' | 'container';
  /** Set when the memory watchdog killed the sandbox. */
  memoryExceeded(): boolean;
  /** Kill the process group, and (root hosts) every process of the sandbox uid. Idempotent. */
  killAll(): void;
  /**
   * The command exited: clean up what must not outlive it. A sandbox kills everything it
   * left (= killAll); a container exec leaves background processes running, as the task's
   * own harness does (a service the agent started is still up for the tests).
   */
  ended(): void;
  /** Release what the handle holds (sandbox: killAll + give the uid back); call once the child has exited. */
  dispose(): void;
}

let warnedUnsafe = false;
function warnUnsafe(): void {
  if (warnedUnsafe) return;
  warnedUnsafe = true;
  process.stderr.write(
    '\n' + '!'.repeat(78) + '\n' +
    '!! WARNING: --unsafe-no-sandbox: untrusted code runs WITHOUT namespaces, with your\n' +
    '!! user, your files and your network. Only rlimits and the wall-clock kill apply.\n' +
    '!'.repeat(78) + '\n\n',
  );
}

export function resolveLimits(partial?: Partial<SandboxLimits>): SandboxLimits {
  return { ...DEFAULT_LIMITS, ...(partial ?? {}) };
}

export function launch(spec: SandboxSpec, stdio: { stdin: boolean }): Launched {
  if (spec.argv.length === 0) throw new DsabenchError('E_SANDBOX', 'sandbox: empty argv');
  const limits = resolveLimits(spec.limits);
  const mountPoint = spec.mountPoint ?? '/work';
  const env = { ...defaultEnv(mountPoint), ...(spec.env ?? {}) };
  const stdinMode = stdio.stdin ? 'pipe' : 'ignore';

  if (spec.unsafeNoSandbox) {
    warnUnsafe();
    const prlimit = which('prlimit');
    const hostEnv = { ...env, HOME: spec.workDir, PWD: spec.workDir, TMPDIR: spec.workDir };
    const file = prlimit ?? spec.argv[0]!;
    const args = prlimit ? [...prlimitArgs(limits), '--', ...spec.argv] : spec.argv.slice(1);
    const child = spawn(file, args, { cwd: spec.workDir, env: hostEnv, detached: true, stdio: [stdinMode, 'pipe', 'pipe'] });
    const killAll = (): void => killGroup(child);
    return { child, limits, isolation: 'none', killAll, ended: killAll, dispose: killAll, memoryExceeded: () => false };
  }

  const tools = requireSandbox();
  let uid: number | null = null;
  if (tools.isRoot) {
    uid = allocateUid();
    chownTree(spec.workDir, uid, uid);
    for (const b of spec.binds ?? []) if (!b.readOnly) chownTree(b.host, uid, uid);
  } else {
    // Non-root: NPROC counts all of our own threads, so grant the sandbox its share on top.
    const mine = typeof process.getuid === 'function' ? threadsOfUid(process.getuid()) : 0;
    limits.nproc = limits.nproc + mine;
  }
  const buildArgs = {
    tools, uid, argv: spec.argv, workDir: spec.workDir, mountPoint, cwd: spec.cwd ?? mountPoint,
    binds: spec.binds ?? [], env, limits,
  };
  // The unshare fallback mounts its root on an empty host dir (private mount namespace).
  const rootDir = tools.kind === 'unshare' ? mkdtempSync(join(tmpdir(), 'dsabench-root-')) : null;
  const built = rootDir ? buildUnshareCommand(buildArgs, rootDir) : buildSandboxCommand(buildArgs);
  const child: ChildProcess = spawn(built.file, built.args, { env: built.env, detached: true, stdio: [stdinMode, 'pipe', 'pipe'] });
  let disposed = false;
  let overMemory = false;
  let watchdog: NodeJS.Timeout | undefined;
  // Set once the command has exited and a scan found no process of the uid left: dispose
  // then skips its own scan (one /proc walk, a few ms, per sandbox).
  let exitedClean = false;
  const killAll = (): boolean => {
    if (watchdog) clearInterval(watchdog);
    watchdog = undefined;
    killGroup(child);
    return uid === null || killUid(uid).clean;
  };
  // Root hosts count the sandbox's own uid; others the process tree under the sandbox.
  const sandboxUid = uid;
  const rootPid = child.pid;
  const measure = sandboxUid !== null ? (): number => rssOfUid(sandboxUid) : rootPid !== undefined ? (): number => rssOfTree(rootPid) : null;
  if (measure) {
    watchdog = setInterval(() => {
      if (measure() > limits.totalMemoryBytes) {
        overMemory = true;
        killAll();
      }
    }, 100);
    watchdog.unref();
  }
  const ended = (): void => {
    exitedClean = killAll() && (child.exitCode !== null || child.signalCode !== null);
  };
  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    if (exitedClean) killGroup(child);
    else killAll();
    if (uid !== null) releaseUid(uid);
    if (rootDir) {
      try {
        rmdirSync(rootDir);
      } catch {
        // still a mount point for a moment if the namespace is being torn down: leave it
      }
    }
  };
  return { child, limits, isolation: tools.kind, killAll: () => void killAll(), ended, dispose, memoryExceeded: () => overMemory };
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // group already gone
  }
}
