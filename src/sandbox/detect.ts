/**
 * Finds the tools the sandbox needs (bwrap, prlimit, setpriv) and checks once per process
 * that bubblewrap can actually create namespaces here. Missing tools are an environment
 * problem: `requireSandbox` throws E_SANDBOX with the install hint.
 */
import { accessSync, constants } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { DsabenchError } from '../errors.js';

export interface SandboxTools {
  bwrap: string;
  prlimit: string;
  /** Present and usable when we run as root: drops to a per-sandbox uid. */
  setpriv: string | null;
  isRoot: boolean;
}

export const INSTALL_HINT =
  'install bubblewrap (Debian/Ubuntu: `apt-get install -y bubblewrap`; Fedora: `dnf install bubblewrap`) ' +
  'and util-linux (prlimit, setpriv); or pass --unsafe-no-sandbox to run untrusted code without isolation';

export function which(name: string): string | null {
  const dirs = (process.env['PATH'] ?? '/usr/bin:/bin').split(delimiter).concat(['/usr/bin', '/bin', '/usr/sbin', '/sbin']);
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

let cached: SandboxTools | Error | undefined;

/** The tools, or an Error saying what is missing/broken (cached per process). */
export function detectSandbox(): SandboxTools | Error {
  if (cached) return cached;
  const bwrap = which('bwrap');
  const prlimit = which('prlimit');
  const setpriv = which('setpriv');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!bwrap || !prlimit) {
    cached = new Error(`sandbox unavailable: ${!bwrap ? 'bwrap' : 'prlimit'} not found on PATH; ${INSTALL_HINT}`);
    return cached;
  }
  if (isRoot && !setpriv) {
    // As root RLIMIT_NPROC is not enforced, so a fork bomb would be unbounded.
    cached = new Error(`sandbox unavailable: running as root needs setpriv (util-linux) to drop to an unprivileged uid; ${INSTALL_HINT}`);
    return cached;
  }
  const probeArgs = [...(isRoot ? ['--unshare-pid', '--unshare-net'] : ['--unshare-all']), '--die-with-parent', '--new-session', '--clearenv', '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--proc', '/proc', '--dev', '/dev',
    '/usr/bin/true'];
  const argv = isRoot && setpriv
    ? [bwrap, '--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', ...probeArgs.slice(0, -1), setpriv, '--reuid=65533', '--regid=65533', '--clear-groups', '--', '/usr/bin/true']
    : [bwrap, ...probeArgs];
  const probe = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  if (probe.status !== 0) {
    cached = new Error(`sandbox unavailable: bubblewrap cannot create namespaces here (${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim()}); ` +
      'enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or ' + INSTALL_HINT);
    return cached;
  }
  cached = { bwrap, prlimit, setpriv: isRoot ? setpriv : null, isRoot };
  return cached;
}

/** The tools, or throw E_SANDBOX with the install hint. */
export function requireSandbox(): SandboxTools {
  const t = detectSandbox();
  if (t instanceof Error) throw new DsabenchError('E_SANDBOX', t.message);
  return t;
}

/** For tests: forget the cached probe. */
export function resetSandboxDetection(): void {
  cached = undefined;
}
