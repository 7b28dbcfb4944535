/**
 * One task container: started from the task's image with no network, the sandbox's
 * resource limits (ulimits; --memory and --pids-limit where cgroups work, else the host
 * watches the container's processes), and a bounded lifetime (its init is `sleep N`, and
 * `--rm` removes it when that ends, so a container this process could not remove does not
 * outlive a run by much). The agent's commands, the reference solution and the tests run in
 * it through `exec`; each exec's processes carry a random marker in their environment, so a
 * command that runs past its limit is killed with everything it started, from the host.
 *
 * Everything here is plain data (ContainerRef), so the solver (main thread) can start the
 * container and the scorer (a worker thread) can run the tests in it and remove it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { collect } from '../run.js';
import type { Launched } from '../launch.js';
import type { SandboxLimits, SandboxResult } from '../types.js';
import { engineCli, type ContainerEngine } from './engine.js';
import { killMarked, processesInNamespace } from './nsproc.js';

export interface ContainerRef {
  engine: ContainerEngine;
  id: string;
  /** Host pid of the container's init (its pid namespace is the container's). */
  initPid: number;
  /** PATH of the image's environment. */
  path: string;
  /** The image's WORKDIR ("/" when it sets none): where commands run, as in the task's harness. */
  workdir: string;
  limits: SandboxLimits;
}

export type StartResult = { ok: true; ref: ContainerRef } | { ok: false; reason: string };

const live = new Map<string, ContainerEngine>();
let exitHook = false;

function rmArgs(e: ContainerEngine, ids: string[]): string[] {
  // podman would wait 10 s for an init (sleep) that ignores SIGTERM; docker rm -f kills at once.
  return [...e.global, 'rm', '-f', ...(e.name === 'podman' ? ['-t', '0'] : []), ...ids];
}

function removeLeftovers(): void {
  const byCli = new Map<string, { e: ContainerEngine; ids: string[] }>();
  for (const [id, e] of live) {
    const k = `${e.cli} ${e.global.join(' ')}`;
    const g = byCli.get(k) ?? { e, ids: [] };
    g.ids.push(id);
    byCli.set(k, g);
  }
  for (const { e, ids } of byCli.values()) spawnSync(e.cli, rmArgs(e, ids), { stdio: 'ignore', timeout: 30_000 });
  live.clear();
}

function ulimits(l: SandboxLimits): string[] {
  const pair = (n: number): string => `${Math.floor(n)}:${Math.floor(n)}`;
  const cpu = Math.max(1, Math.ceil(l.cpuSec));
  return ['--ulimit', `nofile=${pair(l.openFiles)}`, '--ulimit', `nproc=${pair(l.nproc)}`, '--ulimit', `fsize=${pair(l.fileSizeBytes)}`,
    '--ulimit', 'core=0:0', '--ulimit', `cpu=${cpu}:${cpu + 1}`];
}

function tail(s: string, n: number): string {
  const t = s.trim();
  return t.length > n ? '…' + t.slice(t.length - n) : t;
}

export interface StartOptions {
  limits: SandboxLimits;
  /** Environment of every process in the container (Terminal-Bench: TEST_DIR). */
  env?: Record<string, string>;
  /** Seconds until the container's init ends and the engine removes it. */
  lifetimeSec: number;
}

export async function startContainer(e: ContainerEngine, image: string, o: StartOptions): Promise<StartResult> {
  const name = `dsabench-${process.pid}-${randomBytes(6).toString('hex')}`;
  const args = [
    'run', '-d', '--rm', '--name', name, '--label', 'dsabench=1', '--network', 'none', '--hostname', 'sandbox',
    ...ulimits(o.limits),
    ...(e.cgroupLimits ? ['--memory', String(Math.floor(o.limits.totalMemoryBytes)), '--pids-limit', String(Math.floor(o.limits.nproc))] : []),
    ...Object.entries(o.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    // The image's ENTRYPOINT stays (as with Terminal-Bench's and Harbor's compose files); the command only waits.
    image, 'sh', '-c', `sleep ${Math.ceil(o.lifetimeSec)}`,
  ];
  const r = await engineCli(e, args, { timeoutMs: 120_000 });
  if (r.code !== 0) return { ok: false, reason: `the task's container did not start: ${tail(r.stderr || r.stdout, 800)}` };
  const id = r.stdout.trim().split('\n').pop()!.trim();
  live.set(id, e);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', removeLeftovers);
  }
  const info = await engineCli(e, ['inspect', '--format', '{{.State.Pid}}\t{{json .Config.Env}}\t{{.Config.WorkingDir}}', id], { timeoutMs: 60_000 });
  const [pidText, envJson, workdir] = info.stdout.trim().split('\t');
  const initPid = Number(pidText);
  if (info.code !== 0 || !Number.isInteger(initPid) || initPid <= 0) {
    await removeContainer({ engine: e, id });
    return { ok: false, reason: `the task's container stopped at once (its image may lack sh or sleep): ${tail(info.stderr || info.stdout, 400)}` };
  }
  let path = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  try {
    const env = JSON.parse(envJson ?? '[]') as unknown;
    const p = Array.isArray(env) ? env.find((x): x is string => typeof x === 'string' && x.startsWith('PATH=')) : undefined;
    if (p) path = p.slice(5);
  } catch {
    // keep the default PATH
  }
  return { ok: true, ref: { engine: e, id, initPid, path, workdir: workdir?.trim() || '/', limits: o.limits } };
}

export async function removeContainer(c: Pick<ContainerRef, 'engine' | 'id'>): Promise<void> {
  await engineCli(c.engine, rmArgs(c.engine, [c.id]).slice(c.engine.global.length), { timeoutMs: 60_000 });
  live.delete(c.id);
}

/** Copy the contents of host dir `from` into the container at `to` (merged with what is there). */
export async function copyInto(c: ContainerRef, from: string, to: string): Promise<string | null> {
  const r = await engineCli(c.engine, ['cp', `${from}/.`, `${c.id}:${to}`], { timeoutMs: 120_000 });
  return r.code === 0 ? null : `copy into the container failed: ${tail(r.stderr || r.stdout, 400)}`;
}

export interface ExecOptions {
  /** Wall-clock limit of this command. */
  timeoutMs: number;
  outputBytes?: number;
  env?: Record<string, string>;
  /** Working directory (default: the image's WORKDIR). */
  cwd?: string;
  signal?: AbortSignal;
}

/** Start `argv` in the container; the handle kills what it started (and only that). */
export function launchExec(c: ContainerRef, argv: readonly string[], o: ExecOptions & { stdin: boolean }): Launched {
  const marker = `DSABENCH_EXEC=${randomBytes(8).toString('hex')}`;
  const limits: SandboxLimits = { ...c.limits, wallMs: o.timeoutMs, ...(o.outputBytes !== undefined ? { outputBytes: o.outputBytes } : {}) };
  const args = [
    ...c.engine.global, 'exec', ...(o.stdin ? ['-i'] : []), '-e', marker,
    ...Object.entries(o.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    ...(o.cwd ? ['-w', o.cwd] : []), c.id, ...argv,
  ];
  const child: ChildProcess = spawn(c.engine.cli, args, { detached: true, stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let overMemory = false;
  let watchdog: NodeJS.Timeout | undefined;
  const killClient = (): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  };
  const killAll = (): void => {
    killMarked(c.initPid, marker);
    killClient();
  };
  if (!c.engine.cgroupLimits) {
    // No cgroup limits here: the container's processes together are watched from the host,
    // like the sandbox's; over the limit, everything but its init is killed.
    watchdog = setInterval(() => {
      const procs = processesInNamespace(c.initPid);
      const rss = procs.reduce((a, p) => a + p.rssBytes, 0);
      if (rss > limits.totalMemoryBytes || procs.length > limits.nproc) {
        overMemory = true;
        for (const p of procs) if (p.pid !== c.initPid) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
        killClient();
      }
    }, 200);
    watchdog.unref();
  }
  const stop = (): void => {
    if (watchdog) clearInterval(watchdog);
    watchdog = undefined;
  };
  return {
    child, limits, isolation: 'container',
    memoryExceeded: () => overMemory,
    killAll: () => {
      stop();
      killAll();
    },
    ended: stop,
    dispose: () => {
      // A shell ends at end of input; what it started in the background keeps running.
      stop();
      child.stdin?.end();
      if (child.exitCode === null && child.signalCode === null) setTimeout(killClient, 2000).unref();
    },
  };
}

/** Run one command in the container and wait for it (output capped, killed at its limit). */
export function execIn(c: ContainerRef, argv: readonly string[], o: ExecOptions & { stdin?: string | Buffer }): Promise<SandboxResult> {
  const started = Date.now();
  const h = launchExec(c, argv, { ...o, stdin: o.stdin !== undefined });
  return collect(h, { ...(o.stdin !== undefined ? { stdin: o.stdin } : {}), ...(o.signal ? { signal: o.signal } : {}) }, started);
}

/** A small file from the container (a reward), or null when it cannot be read. */
export async function readContainerFile(c: ContainerRef, path: string, maxBytes = 4096): Promise<string | null> {
  const r = await execIn(c, ['cat', path], { timeoutMs: 30_000, outputBytes: maxBytes });
  return r.exitCode === 0 && !r.truncated ? r.stdout : null;
}
