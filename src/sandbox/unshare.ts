/**
 * Fallback when bubblewrap is missing: util-linux `unshare` + a setup helper that builds
 * the same view bwrap would, then chroots into it.
 *
 *   prlimit <limits> --
 *     unshare [--user --map-root-user (non-root)] --mount --pid --net --ipc --uts --fork --kill-child
 *       HELPER <root> <workdir> <mountpoint> <cwd> <tmp size> <etc dir> <nbinds> --links … --etc … --binds (host inside ro)… --
 *         argv
 *
 * The helper mounts a tmpfs root with /usr (read-only), the /bin /lib* links, a minimal
 * /etc, a fresh /proc (the new pid namespace), /dev with null/zero/full/random/urandom/tty,
 * a size-capped /tmp, the work dir and the binds; remounts the root read-only; then
 * `chroot` → `setpriv` (root hosts: the sandbox's own uid; every host: no capabilities,
 * no_new_privs) → the command with a cleared environment, which runs as pid 1 of the
 * namespace: when it exits, or when unshare is killed (--kill-child), the kernel kills
 * everything else in the namespace. The network namespace has only a loopback that is down.
 *
 * Two helpers do the same mounts:
 * - `perl` (perl-base is on every Debian/Ubuntu system): one process calls mount(2)
 *   directly, then chroot, chdir, environment and exec — about as cheap as bwrap.
 * - `sh`: a shell script running the mount/mkdir/ln tools, ~70 processes per sandbox
 *   (≈ 0.5–0.8 s on a loaded 2-core machine); used where perl or the syscall number is missing.
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

/**
 * The same setup in one perl process: mount(2) through `syscall`, so no tool is spawned per
 * mount. Flags: MS_RDONLY 1, MS_NOSUID 2, MS_NODEV 4, MS_NOEXEC 8, MS_REMOUNT 32, MS_BIND 4096.
 * A read-only remount of a bind keeps the flags the kernel locked on the source mount
 * (nosuid/nodev/noexec/atime, read from /proc/self/mountinfo): inside a user namespace
 * (non-root hosts) dropping them is refused. Exit 125: the setup failed (stderr says where).
 */
export const PERL_SETUP = String.raw`use strict;
my $SYS = 0 + shift @ARGV;
my ($R, $W, $MP, $CWD, $TMPSZ, $ETC, $NB) = splice(@ARGV, 0, 7);
sub fail { print STDERR "sandbox setup: $_[0]: $!\n"; exit 125; }
sub mnt { my ($s, $t, $ty, $f, $d) = @_; syscall($SYS, $s, $t, $ty, 0 + $f, $d) == 0 or fail("mount $t"); }
my %OPT = (nosuid => 2, nodev => 4, noexec => 8, noatime => 1024, nodiratime => 2048, relatime => 2097152);
sub kept { my ($t) = @_; my $f = 0; open(my $mi, '<', '/proc/self/mountinfo') or return 0;
  while (<$mi>) { my @x = split / /; next unless $x[4] eq $t; $f = 0; $f |= ($OPT{$_} || 0) for split /,/, $x[5]; }
  close $mi; return $f; }
sub ro { my ($t) = @_; mnt('none', $t, 'none', 1 | 2 | 32 | 4096 | kept($t), ''); }
sub mkp { my $p = ''; for (grep { length } split m{/}, $_[0]) { $p .= "/$_"; mkdir $p unless -d $p; } }
sub touch { open(my $h, '>>', $_[0]) or fail("create $_[0]"); close $h; }
sub node { my ($src, $dst) = @_; if (-d $src) { mkp($dst); } else { mkp($1) if $dst =~ m{^(.+)/[^/]+$}; touch($dst); } }
mnt('none', $R, 'tmpfs', 0, 'mode=755');
mkp("$R$_") for ('/usr', '/proc', '/dev', '/tmp', '/etc', $MP);
mnt('/usr', "$R/usr", 'none', 4096, ''); ro("$R/usr");
mnt('proc', "$R/proc", 'proc', 2 | 4 | 8, '');
mnt('none', "$R/dev", 'tmpfs', 2, 'mode=755');
for my $n (qw(null zero full random urandom tty)) { touch("$R/dev/$n"); mnt("/dev/$n", "$R/dev/$n", 'none', 4096, ''); }
symlink('/proc/self/fd', "$R/dev/fd"); symlink('/proc/self/fd/0', "$R/dev/stdin");
symlink('/proc/self/fd/1', "$R/dev/stdout"); symlink('/proc/self/fd/2', "$R/dev/stderr");
mkdir "$R/dev/shm"; mnt('none', "$R/dev/shm", 'tmpfs', 2 | 4, 'mode=1777,size=16m');
mnt('none', "$R/tmp", 'tmpfs', 2 | 4, "mode=1777,size=$TMPSZ");
mkdir "$R/tmp/home"; chmod 0777, "$R/tmp/home";
shift @ARGV while @ARGV && $ARGV[0] ne '--links'; shift @ARGV;
while ($ARGV[0] ne '--etc') {
  if ($ARGV[0] eq 'link') { symlink($ARGV[1], "$R$ARGV[2]") or fail("link $ARGV[2]"); splice(@ARGV, 0, 3); }
  else { mkp("$R$ARGV[1]"); mnt($ARGV[1], "$R$ARGV[1]", 'none', 4096, ''); ro("$R$ARGV[1]"); splice(@ARGV, 0, 2); }
}
shift @ARGV;
while ($ARGV[0] ne '--binds') { my $p = shift @ARGV; node($p, "$R$p"); mnt($p, "$R$p", 'none', 4096, ''); ro("$R$p"); }
shift @ARGV;
for my $f (qw(passwd group hosts)) { touch("$R/etc/$f"); mnt("$ETC/$f", "$R/etc/$f", 'none', 4096, ''); ro("$R/etc/$f"); }
mnt($W, "$R$MP", 'none', 4096, '');
for (1 .. $NB) { my ($h, $i, $m) = splice(@ARGV, 0, 3); node($h, "$R$i"); mnt($h, "$R$i", 'none', 4096, ''); ro("$R$i") if $m eq 'ro'; }
shift @ARGV if $ARGV[0] eq '--env';
my %env; while ($ARGV[0] ne '--') { my ($k, $v) = split /=/, shift(@ARGV), 2; $env{$k} = $v; }
shift @ARGV;
mnt('none', $R, 'none', 1 | 32 | 4096, '');
chroot($R) or fail('chroot');
%ENV = %env;
chdir($CWD) or do { print STDERR "sandbox setup: cd $CWD: $!\n"; exit 126; };
exec { $ARGV[0] } @ARGV;
print STDERR "sandbox setup: exec $ARGV[0]: $!\n"; exit 127;
`;

/** mount(2)'s number for the perl helper; null where we do not know it (the sh helper runs). */
export function mountSyscall(arch: string = process.arch): number | null {
  return arch === 'x64' ? 165 : arch === 'arm64' ? 40 : null;
}

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
  const setpriv = [
    '/usr/bin/setpriv',
    ...(dropUid ? [`--reuid=${b.uid}`, `--regid=${b.uid}`, '--clear-groups'] : []),
    '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--',
  ];
  const sys = mountSyscall();
  let helper: string[];
  if (b.tools.perl && sys !== null) {
    // perl sets the environment and the cwd itself, then execs setpriv → the command.
    setupArgs.push('--env', ...Object.entries(b.env).map(([k, v]) => `${k}=${v}`), '--');
    helper = [b.tools.perl, '-e', PERL_SETUP, String(sys), ...setupArgs, ...setpriv, ...b.argv];
  } else {
    setupArgs.push('--');
    const inner = [
      ...setpriv,
      '/usr/bin/env', '-i', ...Object.entries(b.env).map(([k, v]) => `${k}=${v}`),
      '/bin/sh', '-c', 'cd "$1" || exit 126; shift; exec "$@"', 'sh', b.cwd, ...b.argv,
    ];
    helper = ['/bin/sh', '-c', SETUP, 'sh', ...setupArgs, ...inner];
  }
  const args = [...prlimitArgs(b.limits), '--', b.tools.unshare, ...unshareArgs, ...helper];
  return { file: b.tools.prlimit, args, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } };
}
