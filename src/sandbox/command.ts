/**
 * Builds the process line of one sandbox:
 *
 *   prlimit --as --cpu --nproc --fsize --nofile --
 *     bwrap --unshare-{ipc,pid,net,uts,cgroup} [non-root: --unshare-user --disable-userns]
 *           --die-with-parent --new-session --clearenv
 *           ro /usr (+ /bin /lib* links), a minimal /etc, --proc /proc, --dev /dev,
 *           tmpfs /tmp (size-capped), the work dir bound read-write at a fixed path
 *       -- [root hosts: setpriv --reuid=U --regid=U --clear-groups --bounding-set=-all --]
 *       argv
 *
 * As root, bwrap runs privileged (no user namespace: it may bind any path) and keeps only
 * CAP_SETUID/CAP_SETGID so that setpriv can drop the command to the sandbox's own uid U;
 * the command then has no capabilities, no_new_privs, and a process limit that bites.
 * prlimit execs into bwrap, so the spawned pid IS the outer bwrap: killing its
 * process group kills bwrap, whose pid-namespace init then dies (--die-with-parent), and
 * the kernel kills every process left in that namespace.
 */
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { SandboxBind, SandboxLimits, SandboxTools } from './types.js';

/** uid/gid the command sees inside on non-root hosts (a user namespace maps it to ours). */
export const INSIDE_UID = 1000;

export interface BuiltCommand {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** Read-only bits of /etc that dynamic linking, locales and TLS need; nothing else. */
export const ETC_FILES = [
  '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/alternatives', '/etc/localtime',
  '/etc/nsswitch.conf', '/etc/ssl', '/etc/ca-certificates', '/etc/mime.types',
];

let etcDir: string | undefined;

const ETC_CONTENT: Record<string, string> = {
  passwd: `root:x:0:0:root:/root:/bin/sh\nsandbox:x:${INSIDE_UID}:${INSIDE_UID}:sandbox:/tmp/home:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
  group: `root:x:0:\nsandbox:x:${INSIDE_UID}:\nnogroup:x:65534:\n`,
  hosts: '127.0.0.1 localhost\n::1 localhost\n',
};

/** The dir is ours, not a link, not writable by others, and holds exactly our files. */
function etcDirIsGood(d: string): boolean {
  try {
    const st = lstatSync(d);
    if (!st.isDirectory() || st.uid !== (process.getuid?.() ?? st.uid) || (st.mode & 0o022) !== 0) return false;
    return Object.entries(ETC_CONTENT).every(([name, text]) => {
      const f = lstatSync(join(d, name));
      return f.isFile() && f.uid === st.uid && readFileSync(join(d, name), 'utf8') === text;
    });
  } catch {
    return false;
  }
}

/**
 * A passwd/group/hosts naming the sandbox user, shared by every process of this uid (a
 * fixed, content-addressed path under the temp dir, so nothing piles up); a dir at that
 * path that we did not make exactly so is never trusted (a private one is made instead).
 */
export function syntheticEtc(): string {
  if (etcDir) return etcDir;
  const tag = createHash('sha256').update(JSON.stringify(ETC_CONTENT)).digest('hex').slice(0, 12);
  const shared = join(tmpdir(), `dsabench-etc-${process.getuid?.() ?? 'u'}-${tag}`);
  if (etcDirIsGood(shared)) return (etcDir = shared);
  const d = mkdtempSync(join(tmpdir(), 'dsabench-etc-'));
  for (const [name, text] of Object.entries(ETC_CONTENT)) writeFileSync(join(d, name), text, { mode: 0o644 });
  chmodSync(d, 0o755);
  try {
    renameSync(d, shared); // atomic publish; fails if another process got there first
    if (etcDirIsGood(shared)) return (etcDir = shared);
  } catch {
    if (etcDirIsGood(shared)) {
      rmSync(d, { recursive: true, force: true });
      return (etcDir = shared);
    }
  }
  etcDir = d;
  process.once('exit', () => rmSync(d, { recursive: true, force: true }));
  return d;
}

export type RootLink = { kind: 'link'; path: string; target: string } | { kind: 'dir'; path: string };

/** Top-level dirs that are links into /usr on merged-/usr systems, real dirs otherwise. */
export function rootLinkSpecs(): RootLink[] {
  const out: RootLink[] = [];
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const p = `/${name}`;
    try {
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.push({ kind: 'link', path: p, target: readlinkSync(p) });
      else if (st.isDirectory()) out.push({ kind: 'dir', path: p });
    } catch {
      // absent on this system
    }
  }
  return out;
}

function rootLinks(): string[] {
  return rootLinkSpecs().flatMap((l) => (l.kind === 'link' ? ['--symlink', l.target, l.path] : ['--ro-bind', l.path, l.path]));
}

/**
 * The install prefix of the node running us when it lives outside /usr (nvm, a tarball in
 * /opt): bound read-only at the same path so JavaScript tasks find the same `node`.
 */
export function nodePrefix(): string | null {
  let exe: string;
  try {
    exe = realpathSync(process.execPath);
  } catch {
    return null;
  }
  if (exe.startsWith('/usr/')) return null;
  const prefix = dirname(dirname(exe));
  return prefix === '/' ? null : prefix;
}

/** Host paths bound read-only at the same place, besides /usr: /etc bits and node's prefix. */
export function sharedReadOnlyPaths(): string[] {
  const out = ETC_FILES.filter((f) => existsSync(f));
  const np = nodePrefix();
  if (np) out.push(np);
  return out;
}

export function defaultEnv(mountPoint: string): Record<string, string> {
  const np = nodePrefix();
  return {
    PATH: `${np ? `${np}/bin:` : ''}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: '/tmp/home',
    USER: 'sandbox',
    LOGNAME: 'sandbox',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TMPDIR: '/tmp',
    TERM: 'dumb',
    PWD: mountPoint,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'sandbox',
    GIT_AUTHOR_EMAIL: 'sandbox@localhost',
    GIT_COMMITTER_NAME: 'sandbox',
    GIT_COMMITTER_EMAIL: 'sandbox@localhost',
  };
}

export function prlimitArgs(limits: SandboxLimits): string[] {
  const cpu = Math.max(1, Math.ceil(limits.cpuSec));
  return [
    `--as=${Math.floor(limits.memoryBytes)}`,
    // soft:hard — SIGXCPU at the soft limit, SIGKILL one second later.
    `--cpu=${cpu}:${cpu + 1}`,
    `--nproc=${Math.floor(limits.nproc)}`,
    `--fsize=${Math.floor(limits.fileSizeBytes)}`,
    `--nofile=${Math.floor(limits.openFiles)}`,
    '--core=0',
  ];
}

export interface BuildArgs {
  tools: SandboxTools;
  /** Outside uid (root hosts) or null to stay as ourselves. */
  uid: number | null;
  argv: string[];
  workDir: string;
  mountPoint: string;
  cwd: string;
  binds: SandboxBind[];
  env: Record<string, string>;
  limits: SandboxLimits;
}

export function buildSandboxCommand(b: BuildArgs): BuiltCommand {
  const bind = (host: string, inside: string, ro: boolean): string[] => [ro ? '--ro-bind' : '--bind', host, inside];
  const etc = syntheticEtc();
  const dropUid = b.uid !== null && b.tools.setpriv !== null;
  const bw: string[] = [
    '--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts', '--unshare-cgroup-try',
    ...(dropUid
      ? ['--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID']
      : ['--unshare-user', '--disable-userns', '--uid', String(INSIDE_UID), '--gid', String(INSIDE_UID)]),
    '--die-with-parent', '--new-session', '--clearenv', '--hostname', 'sandbox',
    '--ro-bind', '/usr', '/usr', ...rootLinks(),
    // bwrap would create /etc 0700 as a side effect of the first bind below.
    '--perms', '0755', '--dir', '/etc',
  ];
  const made = new Set<string>(['/', '/etc', '/usr']);
  for (const f of sharedReadOnlyPaths()) {
    // bwrap would create missing parents 0700, unreadable to the sandbox's uid
    const parents: string[] = [];
    for (let d = dirname(f); !made.has(d); d = dirname(d)) parents.unshift(d);
    for (const d of parents) {
      bw.push('--perms', '0755', '--dir', d);
      made.add(d);
    }
    bw.push('--ro-bind', f, f);
  }
  bw.push(...bind(join(etc, 'passwd'), '/etc/passwd', true));
  bw.push(...bind(join(etc, 'group'), '/etc/group', true));
  bw.push(...bind(join(etc, 'hosts'), '/etc/hosts', true));
  bw.push('--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--size', String(16 * 1024 * 1024), '--tmpfs', '/dev/shm');
  // /tmp is world-writable (sticky) because the command runs as a uid that owns nothing.
  bw.push('--perms', '1777', '--size', String(Math.floor(b.limits.tmpBytes)), '--tmpfs', '/tmp', '--perms', '0777', '--dir', '/tmp/home');
  bw.push(...bind(b.workDir, b.mountPoint, false));
  for (const d of ['/tmp', '/tmp/home', '/proc', '/dev', b.mountPoint]) made.add(d);
  for (const x of b.binds) {
    // Missing parents (/opt of /opt/x) would otherwise be made 0700, closed to the sandbox's uid.
    const parents: string[] = [];
    for (let d = dirname(x.inside); !made.has(d); d = dirname(d)) parents.unshift(d);
    for (const d of parents) {
      bw.push('--perms', '0755', '--dir', d);
      made.add(d);
    }
    bw.push(...bind(x.host, x.inside, x.readOnly));
  }
  bw.push('--chdir', b.cwd);
  for (const [k, v] of Object.entries(b.env)) bw.push('--setenv', k, v);

  if (!b.tools.bwrap) throw new Error('bwrap not available');
  const args: string[] = [...prlimitArgs(b.limits), '--', b.tools.bwrap, ...bw, '--'];
  if (dropUid) {
    args.push(b.tools.setpriv!, `--reuid=${b.uid}`, `--regid=${b.uid}`, '--clear-groups',
      '--inh-caps=-all', '--bounding-set=-all', '--');
  }
  args.push(...b.argv);
  return { file: b.tools.prlimit, args, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } };
}
