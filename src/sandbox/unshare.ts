/**
 * Fallback when bubblewrap is missing: util-linux `unshare` + a small /bin/sh script that
 * builds the same view bwrap would, then chroots into it.
 *
 *   prlimit <limits> --
 *     unshare [--user --map-root-user (non-root)] --mount --pid --net --ipc --uts --fork --kill-child
 *       /bin/sh -c SETUP sh <root> <workdir> <mountpoint> <cwd> <tmp size> <etc dir> <nbinds> (host inside ro)… --
 *         argv
 *
 * SETUP mounts a tmpfs root with /usr (read-only), the /bin /lib* links, a minimal /etc, a
 * fresh /proc (the new pid namespace), /dev with null/zero/full/random/urandom/tty, a
 * size-capped /tmp, the work dir and the binds; remounts the root read-only; then
 * `chroot` → `setpriv` (root hosts: the sandbox's own uid; every host: no capabilities,
 * no_new_privs) → `env -i` (cleared environment) → cd → the command, which runs as pid 1
 * of the namespace: when it exits, or when unshare is killed (--kill-child), the kernel
 * kills everything else in the namespace. The network namespace has only a loopback that
 * is down.
 */
import { prlimitArgs, rootLinkSpecs, sharedReadOnlyPaths, syntheticEtc, type BuildArgs, type BuiltCommand } from './command.js';

const SETUP = String.raw`set -eu
R=$1; W=$2; MP=$3; CWD=$4; TMPSZ=$5; ETC=$6; NB=$7; shift 7
mount -t tmpfs -o mode=755 none "$R"
mkdir -p "$R/usr" "$R/proc" "$R/dev" "$R/tmp" "$R/etc" "$R$MP"
mount --bind /usr "$R/usr"
mount -o remount,bind,ro,nosuid "$R/usr"
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount -t tmpfs -o mode=755,nosuid none "$R/dev"
for n in null zero full random urandom tty; do touch "$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"; done
ln -s /proc/self/fd "$R/dev/fd"; ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
mkdir "$R/dev/shm"; mount -t tmpfs -o mode=1777,nosuid,nodev,size=16m none "$R/dev/shm"
mount -t tmpfs -o "mode=1777,nosuid,nodev,size=$TMPSZ" none "$R/tmp"
mkdir -m 777 "$R/tmp/home"
while [ "$1" != "--links" ]; do shift; done; shift
while [ "$1" != "--etc" ]; do
  case "$1" in
    link) ln -s "$2" "$R$3"; shift 3 ;;
    dir) mkdir -p "$R$2"; mount --bind "$2" "$R$2"; mount -o remount,bind,ro,nosuid "$R$2"; shift 2 ;;
  esac
done
shift
while [ "$1" != "--binds" ]; do
  if [ -d "$1" ]; then mkdir -p "$R$1"; else touch "$R$1"; fi
  mount --bind "$1" "$R$1"; mount -o remount,bind,ro,nosuid "$R$1"; shift
done
shift
for f in passwd group hosts; do touch "$R/etc/$f"; mount --bind "$ETC/$f" "$R/etc/$f"; mount -o remount,bind,ro "$R/etc/$f"; done
mount --bind "$W" "$R$MP"
i=0
while [ "$i" -lt "$NB" ]; do
  if [ -d "$1" ]; then mkdir -p "$R$2"; else touch "$R$2"; fi
  mount --bind "$1" "$R$2"
  if [ "$3" = ro ]; then mount -o remount,bind,ro,nosuid "$R$2"; fi
  shift 3; i=$((i + 1))
done
[ "$1" = "--" ] && shift
mount -o remount,ro,bind "$R"
exec chroot "$R" "$@"
`;

export function buildUnshareCommand(b: BuildArgs, rootDir: string): BuiltCommand {
  if (!b.tools.unshare) throw new Error('unshare not available');
  const etc = syntheticEtc();
  const dropUid = b.uid !== null && b.tools.setpriv !== null;
  const unshareArgs = [
    ...(dropUid ? [] : ['--user', '--map-root-user']),
    '--mount', '--propagation', 'private', '--pid', '--net', '--ipc', '--uts', '--fork', '--kill-child',
  ];
  const setupArgs: string[] = [rootDir, b.workDir, b.mountPoint, b.cwd, String(Math.floor(b.limits.tmpBytes)), etc, String(b.binds.length)];
  setupArgs.push('--links');
  for (const l of rootLinkSpecs()) setupArgs.push(...(l.kind === 'link' ? ['link', l.target, l.path] : ['dir', l.path]));
  setupArgs.push('--etc', ...sharedReadOnlyPaths(), '--binds');
  for (const x of b.binds) setupArgs.push(x.host, x.inside, x.readOnly ? 'ro' : 'rw');
  setupArgs.push('--');
  const inner: string[] = [
    '/usr/bin/setpriv',
    ...(dropUid ? [`--reuid=${b.uid}`, `--regid=${b.uid}`, '--clear-groups'] : []),
    '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--',
    '/usr/bin/env', '-i', ...Object.entries(b.env).map(([k, v]) => `${k}=${v}`),
    '/bin/sh', '-c', 'cd "$1" || exit 126; shift; exec "$@"', 'sh', b.cwd, ...b.argv,
  ];
  const args = [...prlimitArgs(b.limits), '--', b.tools.unshare, ...unshareArgs, '/bin/sh', '-c', SETUP, 'sh', ...setupArgs, ...inner];
  return { file: b.tools.prlimit, args, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } };
}
