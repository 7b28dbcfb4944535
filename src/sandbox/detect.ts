/**
 * Finds the tools the sandbox needs (bwrap, prlimit, setpriv) and checks once per process
 * that bubblewrap can actually create namespaces here. Missing tools are an environment
 * problem: `requireSandbox` throws E_SANDBOX with the install hint.
 */
import { accessSync, constants, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { DsabenchError } from '../errors.js';
import type { SandboxTools } from './types.js';
import { mountSyscall } from './unshare.js';

// Declared in types.ts (command.ts builds argv from it without importing the probe).
export type { SandboxTools } from './types.js';

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
 * The perl helper of the unshare path, when perl can mount here: one tmpfs mount through
 * syscall() in a throwaway mount namespace. DSABENCH_UNSHARE_HELPER=sh forces the script.
 */
function probePerl(unshare: string, isRoot: boolean): string | null {
  if (process.env['DSABENCH_UNSHARE_HELPER'] === 'sh') return null;
  const perl = which('perl');
  const sys = mountSyscall();
  if (!perl || !perl.startsWith('/usr/') || sys === null) return null;
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-probe-'));
  try {
    const argv = [unshare, ...(isRoot ? [] : ['--user', '--map-root-user']), '--mount', '--propagation', 'private',
      perl, '-e', 'my ($s, $d, $n, $t, $o) = ($ARGV[0] + 0, $ARGV[1], "none", "tmpfs", "size=4k"); exit(syscall($s, $n, $d, $t, 0, $o) == 0 ? 0 : 1)', String(sys), dir];
    const probe = spawnSync(argv[0]!, argv.slice(1), { timeout: 10_000 });
    return probe.status === 0 ? perl : null;
  } finally {
    try {
      rmdirSync(dir);
    } catch {
      // left for the temp dir's cleaner
    }
  }
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
      cached = { kind: 'unshare', bwrap: null, unshare, prlimit, setpriv: isRoot ? setpriv : null, isRoot, perl: probePerl(unshare, isRoot) };
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

/**
 * One line for the start of a run: which isolation runs untrusted code, and how to get the
 * fast one where the fallback is in use.
 */
export function describeSandbox(t: SandboxTools): string {
  if (t.kind === 'bwrap') return `sandbox: bubblewrap (${t.bwrap})${t.isRoot ? ', one uid per sandbox' : ''}`;
  const how = t.perl ? 'unshare + chroot, mounts by perl' : 'unshare + chroot, mounts by a shell script (slow: about 0.5 s per sandbox)';
  return `sandbox: ${how}; bubblewrap is the faster path: apt-get install -y bubblewrap (dnf install bubblewrap)`;
}

/** For tests: forget the cached probe. */
export function resetSandboxDetection(): void {
  cached = undefined;
}
