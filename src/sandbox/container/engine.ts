/**
 * The container engine for tasks whose environment is a Dockerfile: the docker-compatible
 * CLI (podman first, then docker), found and checked once per process.
 *
 * podman is checked by starting a throwaway container from a temp rootfs with the host's
 * /usr bound read-only (no image needed, nothing pulled) under the flags a task container
 * gets: no network, ulimits, and cgroup limits (--memory, --pids-limit). Flag sets are tried
 * in order, because the default runtime does not work everywhere (crun refuses hybrid
 * cgroup hierarchies; without systemd the cgroup manager must be cgroupfs):
 *   (none) → --cgroup-manager cgroupfs → --runtime runc → --runtime runc --cgroup-manager cgroupfs
 * and, if no set accepts cgroup limits, the same again without them (memory and process
 * count are then watched from the host instead). docker is used when its daemon answers.
 *
 * DSABENCH_CONTAINER_ENGINE=podman|docker picks one; =none turns the backend off.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootLinkSpecs } from '../command.js';
import { which } from '../detect.js';

export interface ContainerEngine {
  name: 'podman' | 'docker';
  /** Absolute path of the CLI. */
  cli: string;
  version: string;
  /** Global flags, before the subcommand. */
  global: string[];
  /** --memory and --pids-limit work here; otherwise the host watches the container. */
  cgroupLimits: boolean;
}

let cached: ContainerEngine | Error | undefined;

function firstLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).pop()?.slice(0, 300) ?? '';
}

/** Start `true` from a rootfs made of the host's /usr under `global` flags; null when it ran. */
function probePodman(cli: string, global: string[], limits: boolean): string | null {
  const root = mkdtempSync(join(tmpdir(), 'dsabench-engine-probe-'));
  try {
    mkdirSync(join(root, 'usr'));
    const binds = ['-v', '/usr:/usr:ro'];
    for (const l of rootLinkSpecs()) {
      if (l.kind === 'link') symlinkSync(l.target, join(root, l.path.slice(1)));
      else binds.push('-v', `${l.path}:${l.path}:ro`); // a real /lib64 (not merged into /usr) holds the loader
    }
    const args = [...global, 'run', '--rm', '--network', 'none', '--ulimit', 'nofile=64:64', '--ulimit', 'nproc=64:64',
      ...(limits ? ['--memory', String(64 * 1024 * 1024), '--pids-limit', '64'] : []),
      ...binds, '--rootfs', root, '/usr/bin/true'];
    const r = spawnSync(cli, args, { encoding: 'utf8', timeout: 60_000 });
    return r.status === 0 ? null : firstLine(r.stderr || r.error?.message || `exit ${r.status}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function detectPodman(cli: string): ContainerEngine | string {
  const v = spawnSync(cli, ['version', '--format', '{{.Client.Version}}'], { encoding: 'utf8', timeout: 30_000 });
  if (v.status !== 0) return `podman: ${firstLine(v.stderr || v.error?.message || `exit ${v.status}`)}`;
  const sets: string[][] = [[], ['--cgroup-manager', 'cgroupfs']];
  if (which('runc')) sets.push(['--runtime', 'runc'], ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs']);
  let why = '';
  for (const limits of [true, false]) {
    for (const global of sets) {
      const p = probePodman(cli, global, limits);
      if (p === null) return { name: 'podman', cli, version: v.stdout.trim(), global, cgroupLimits: limits };
      why ||= p;
    }
  }
  return `podman cannot start a container here: ${why}`;
}

function detectDocker(cli: string): ContainerEngine | string {
  const v = spawnSync(cli, ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 30_000 });
  if (v.status !== 0 || v.stdout.trim() === '') return `docker: cannot reach the daemon (${firstLine(v.stderr || v.error?.message || `exit ${v.status}`)})`;
  return { name: 'docker', cli, version: v.stdout.trim(), global: [], cgroupLimits: true };
}

/** The engine, or an Error saying why there is none (cached per process). */
export function detectContainerEngine(): ContainerEngine | Error {
  if (cached) return cached;
  const want = process.env['DSABENCH_CONTAINER_ENGINE'];
  if (want === 'none') return (cached = new Error('the container backend is turned off (DSABENCH_CONTAINER_ENGINE=none)'));
  const names = want === 'podman' || want === 'docker' ? [want] : ['podman', 'docker'];
  const problems: string[] = [];
  for (const name of names) {
    const cli = which(name);
    if (!cli) {
      problems.push(`${name} not found on PATH`);
      continue;
    }
    const e = name === 'podman' ? detectPodman(cli) : detectDocker(cli);
    if (typeof e !== 'string') return (cached = e);
    problems.push(e);
  }
  return (cached = new Error(`no container engine: ${problems.join('; ')}; install podman (Debian/Ubuntu: apt-get install -y podman runc)`));
}

export function describeEngine(e: ContainerEngine): string {
  const flags = e.global.length ? ` ${e.global.join(' ')}` : '';
  return `containers: ${e.name} ${e.version}${flags}, no network${e.cgroupLimits ? '' : ', memory and processes watched from the host (no cgroup limits)'}`;
}

/** For tests: forget the cached engine. */
export function resetContainerEngine(): void {
  cached = undefined;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Run the engine's CLI (our own commands: build, run, cp, rm — never the model's output,
 * which goes through `exec` with its limits). Output is kept up to `maxBytes` per stream.
 */
export function engineCli(e: ContainerEngine, args: readonly string[], opts: { timeoutMs?: number; maxBytes?: number; stdin?: string } = {}): Promise<CliResult> {
  const max = opts.maxBytes ?? 256 * 1024;
  return new Promise((resolve) => {
    const child = spawn(e.cli, [...e.global, ...args], { stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    // Keep the tail: build logs end with the error.
    const keep = (acc: string, b: Buffer): string => {
      const s = acc + b.toString('utf8');
      return s.length > max ? s.slice(s.length - max) : s;
    };
    child.stdout!.on('data', (b: Buffer) => (stdout = keep(stdout, b)));
    child.stderr!.on('data', (b: Buffer) => (stderr = keep(stderr, b)));
    if (opts.stdin !== undefined) {
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.stdin);
    }
    const timer = opts.timeoutMs ? setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs) : undefined;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + err.message, timedOut });
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}
