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
  /** Which isolation builds the sandbox: bubblewrap, or the unshare + chroot fallback. */
  kind: 'bwrap' | 'unshare';
  bwrap: string | null;
  unshare: string | null;
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

function probeBwrap(bwrap: string, setpriv: string | null, isRoot: boolean): string | null {
  const common = ['--die-with-parent', '--new-session', '--clearenv', '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--proc', '/proc', '--dev', '/dev'];
  const argv = isRoot && setpriv
    ? [bwrap, '--unshare-pid', '--unshare-net', '--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', ...common, setpriv, '--reuid=65533', '--regid=65533', '--clear-groups', '--', '/usr/bin/true']
    : [bwrap, '--unshare-all', ...common, '/usr/bin/true'];
  const probe = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  if (probe.status === 0) return null;
  return `bubblewrap cannot create namespaces here (${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim()})`;
}

function probeUnshare(unshare: string, isRoot: boolean): string | null {
  const argv = [unshare, ...(isRoot ? [] : ['--user', '--map-root-user']), '--mount', '--pid', '--net', '--ipc', '--uts', '--fork', '--kill-child', '/usr/bin/true'];
  const probe = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  if (probe.status === 0) return null;
  return `unshare cannot create namespaces here (${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim()})`;
}

/**
 * The tools, or an Error saying what is missing/broken (cached per process). Bubblewrap is
 * preferred; without it, `unshare` + chroot gives the same isolation. DSABENCH_SANDBOX=bwrap
 * or =unshare forces one.
 */
export function detectSandbox(): SandboxTools | Error {
  if (cached) return cached;
  const want = process.env['DSABENCH_SANDBOX'];
  const bwrap = want === 'unshare' ? null : which('bwrap');
  const unshare = want === 'bwrap' ? null : which('unshare');
  const prlimit = which('prlimit');
  const setpriv = which('setpriv');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const fail = (why: string): Error => {
    cached = new Error(`sandbox unavailable: ${why}; ${INSTALL_HINT}`);
    return cached;
  };
  if (!prlimit) return fail('prlimit not found on PATH');
  // As root RLIMIT_NPROC is not enforced, so each sandbox drops to a uid of its own (setpriv);
  // the unshare fallback also uses it inside the chroot to drop every capability.
  if (!setpriv) return fail('setpriv not found on PATH');
  const problems: string[] = [];
  if (bwrap) {
    const p = probeBwrap(bwrap, setpriv, isRoot);
    if (p === null) {
      cached = { kind: 'bwrap', bwrap, unshare, prlimit, setpriv: isRoot ? setpriv : null, isRoot };
      return cached;
    }
    problems.push(p);
  } else if (want !== 'unshare') problems.push('bwrap not found on PATH');
  if (unshare && setpriv.startsWith('/usr/') && which('chroot')) {
    const p = probeUnshare(unshare, isRoot);
    if (p === null) {
      cached = { kind: 'unshare', bwrap: null, unshare, prlimit, setpriv: isRoot ? setpriv : null, isRoot };
      return cached;
    }
    problems.push(p);
  } else if (want !== 'bwrap') problems.push('no usable unshare/chroot fallback');
  return fail(problems.join('; ') + ' (enable unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1)');
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
