/**
 * A local base image for container tests, made offline (no registry is reachable): a rootfs
 * from this machine's busybox (static), bash and Python 3 (interpreter, its shared
 * libraries, the standard library without its tests; NOT pytest, which the tests get from
 * dsabench's test tooling), imported with `<engine> import`. Tagged by the content it is
 * made from, so a machine builds it once.
 *
 * `containerTestSetup()` says why container tests cannot run here; with
 * DSABENCH_TEST_STRICT=1 (CI) they must run, and a missing piece fails them instead.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { detectContainerEngine, engineCli, type ContainerEngine } from '../../src/sandbox/container/engine.js';
import { which } from '../../src/sandbox/detect.js';

export const STRICT = process.env['DSABENCH_TEST_STRICT'] === '1';

const BUSYBOX_APPLETS = ['sh', 'ls', 'cat', 'echo', 'mkdir', 'rm', 'cp', 'mv', 'grep', 'sed', 'sleep', 'kill', 'true', 'false',
  'test', 'env', 'wc', 'sort', 'head', 'tail', 'tr', 'printf', 'chmod', 'id', 'base64', 'touch', 'find', 'dirname', 'basename',
  'uname', 'ps', 'ln', 'pwd', 'xargs', 'date', 'cut', 'tee', 'stat', 'readlink', 'setsid', 'nohup'];

function ldd(file: string): string[] {
  const r = spawnSync('ldd', [file], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  const out: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s+(\/\S+)\s+\(/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

function copyInto(root: string, file: string): void {
  const to = join(root, file);
  if (existsSync(to)) return;
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(realpathSync(file), to);
}

function pythonBinary(): string | null {
  try {
    return realpathSync('/usr/bin/python3');
  } catch {
    return null;
  }
}

/** What the base image is made of, or why it cannot be made here. */
function ingredients(): { busybox: string; bash: string; python: string; stdlib: string } | string {
  const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) return 'busybox not found (apt-get install -y busybox-static)';
  if (spawnSync('ldd', [busybox], { encoding: 'utf8' }).stdout.includes('=>')) return `${busybox} is not static (apt-get install -y busybox-static)`;
  const bash = ['/usr/bin/bash', '/bin/bash'].find((p) => existsSync(p));
  if (!bash) return 'bash not found';
  const python = pythonBinary();
  if (!python) return '/usr/bin/python3 not found';
  const stdlib = `/usr/lib/${basename(python)}`;
  if (!existsSync(join(stdlib, 'os.py'))) return `${stdlib} not found`;
  if (!which('ldd') || !which('tar')) return 'ldd and tar are needed';
  return { busybox, bash, python, stdlib };
}

const SKIP_STDLIB = new Set(['test', 'tests', 'idlelib', 'tkinter', 'turtledemo', 'ensurepip', 'lib2to3', 'site-packages', 'dist-packages', '__pycache__', 'config-3.11-x86_64-linux-gnu']);

async function makeBase(e: ContainerEngine, tag: string, parts: { busybox: string; bash: string; python: string; stdlib: string }): Promise<string | null> {
  const root = mkdtempSync(join(tmpdir(), 'dsabench-base-rootfs-'));
  try {
    for (const d of ['bin', 'usr/bin', 'tmp', 'etc', 'root', 'app']) mkdirSync(join(root, d), { recursive: true });
    copyFileSync(parts.busybox, join(root, 'bin', 'busybox'));
    for (const a of BUSYBOX_APPLETS) symlinkSync('busybox', join(root, 'bin', a));
    copyFileSync(parts.bash, join(root, 'bin', 'bash'));
    copyFileSync(parts.python, join(root, 'usr', 'bin', basename(parts.python)));
    symlinkSync(basename(parts.python), join(root, 'usr', 'bin', 'python3'));
    symlinkSync(basename(parts.python), join(root, 'usr', 'bin', 'python'));
    cpSync(parts.stdlib, join(root, parts.stdlib.slice(1)), {
      recursive: true, dereference: true, filter: (src) => !SKIP_STDLIB.has(basename(src)),
    });
    const bins = [parts.bash, parts.python];
    const dyn = join(parts.stdlib, 'lib-dynload');
    if (existsSync(dyn)) for (const n of readdirSync(dyn)) bins.push(join(dyn, n));
    const libs = new Set<string>();
    for (const b of bins) for (const l of ldd(b)) libs.add(l);
    for (const l of libs) copyInto(root, l);
    execFileSync('chmod', ['-R', 'a+rX', root]);
    const tar = join(root, '..', `${basename(root)}.tar`);
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    try {
      const r = await engineCli(e, ['import', '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', tar, tag], { timeoutMs: 300_000 });
      return r.code === 0 ? null : `import failed: ${r.stderr.trim()}`;
    } finally {
      rmSync(tar, { force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export interface ContainerSetup {
  engine: ContainerEngine;
  /** The base image, FROM in the test tasks' Dockerfiles. */
  base: string;
}

let setup: Promise<ContainerSetup | string> | undefined;

/** The engine and a base image, or why container tests cannot run here. */
export function containerTestSetup(): Promise<ContainerSetup | string> {
  setup ??= (async () => {
    const e = detectContainerEngine();
    if (e instanceof Error) return e.message;
    const parts = ingredients();
    if (typeof parts === 'string') return parts;
    const h = createHash('sha256').update(JSON.stringify([BUSYBOX_APPLETS, [...SKIP_STDLIB]]));
    for (const f of [parts.busybox, parts.bash, parts.python]) h.update(f).update(String(statSync(f).size)).update(String(statSync(f).mtimeMs));
    const tag = `${e.name === 'podman' ? 'localhost/' : ''}dsabench-test-base:${h.digest('hex').slice(0, 16)}`;
    const have = await engineCli(e, e.name === 'podman' ? ['image', 'exists', tag] : ['image', 'inspect', tag], { timeoutMs: 60_000 });
    if (have.code !== 0) {
      const err = await makeBase(e, tag, parts);
      if (err) return err;
    }
    return { engine: e, base: tag };
  })();
  return setup;
}

/** node:test `skip` value: false to run; a reason to skip; throws under DSABENCH_TEST_STRICT. */
export async function containerSkip(): Promise<false | string> {
  const s = await containerTestSetup();
  if (typeof s !== 'string') return false;
  if (STRICT) throw new Error(`container tests must run here (DSABENCH_TEST_STRICT=1) but cannot: ${s}`);
  return s;
}
