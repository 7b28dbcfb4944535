/**
 * Shapes of the sandbox: what to run, under which limits, and what came back.
 *
 * Everything that executes model output or suite scripts goes through `runSandboxed`
 * (one process) or `SandboxShell` (a long-lived bash for agent loops).
 */

export interface SandboxLimits {
  /** Wall-clock limit (ms); on expiry the whole process group and pid namespace die. */
  wallMs: number;
  /** RLIMIT_CPU (seconds of CPU per process). */
  cpuSec: number;
  /** RLIMIT_AS (bytes of address space per process). */
  memoryBytes: number;
  /**
   * Resident memory of ALL the sandbox's processes together, sampled every 100 ms (root
   * hosts: by the sandbox's own uid; others: the process tree under it); killed above it. RLIMIT_AS alone bounds one process,
   * not a swarm of forks each just under it; cgroups are not relied upon.
   */
  totalMemoryBytes: number;
  /** RLIMIT_NPROC (processes + threads of the sandbox's own uid). */
  nproc: number;
  /** RLIMIT_FSIZE (largest file a process may write, bytes). */
  fileSizeBytes: number;
  /** RLIMIT_NOFILE. */
  openFiles: number;
  /** Captured bytes per stream; the rest is counted and dropped. */
  outputBytes: number;
  /** Size of the private /tmp (tmpfs, lives in host memory). */
  tmpBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  wallMs: 10_000,
  cpuSec: 10,
  memoryBytes: 2 * 1024 ** 3,
  totalMemoryBytes: 4 * 1024 ** 3,
  nproc: 64,
  fileSizeBytes: 64 * 1024 ** 2,
  openFiles: 256,
  outputBytes: 1024 * 1024,
  tmpBytes: 64 * 1024 ** 2,
};

/** A host path made visible inside the sandbox. */
export interface SandboxBind {
  host: string;
  inside: string;
  readOnly: boolean;
}

export interface SandboxSpec {
  /** Program and arguments, resolved inside the sandbox (use absolute paths or PATH names). */
  argv: string[];
  /** Host directory mounted read-write at `mountPoint`; chowned to the sandbox uid. */
  workDir: string;
  /** Where the work dir appears inside (default `/work`). */
  mountPoint?: string;
  /** Working directory inside (default `mountPoint`). */
  cwd?: string;
  /** Further binds (tests, logs). Writable binds are chowned like the work dir. */
  binds?: SandboxBind[];
  /** Environment inside; PATH, HOME, LANG and TMPDIR have defaults. */
  env?: Record<string, string>;
  stdin?: string | Buffer;
  limits?: Partial<SandboxLimits>;
  /** Run without namespaces (rlimits and the group kill still apply). Logged loudly. */
  unsafeNoSandbox?: boolean;
  signal?: AbortSignal;
}

export interface SandboxResult {
  /** Exit status of the command (null when killed by a signal or by us). */
  exitCode: number | null;
  signal: string | null;
  /** The wall-clock limit fired. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Total bytes written to each stream (captured or not). */
  stdoutBytes: number;
  stderrBytes: number;
  /** The command wrote far more than `outputBytes` and was killed. */
  outputLimitExceeded?: boolean;
  /** The sandbox's processes together went over `totalMemoryBytes` and were killed. */
  memoryExceeded?: boolean;
  /** Some output was dropped at `outputBytes`. */
  truncated: boolean;
  wallMs: number;
  /** How it ran: `bwrap`, `unshare` (fallback without bubblewrap), `container` (a task's own image) or `none` (unsafe opt-out). */
  isolation: 'bwrap' | 'unshare' | 'none' | 'container';
  /** The sandbox itself failed to start (not the command). */
  spawnError?: string;
}

/** The isolation tools found on this machine (detect.ts probes them once per process). */
export interface SandboxTools {
  /** Which isolation builds the sandbox: bubblewrap, or the unshare + chroot fallback. */
  kind: 'bwrap' | 'unshare';
  bwrap: string | null;
  unshare: string | null;
  prlimit: string;
  /** Present and usable when we run as root: drops to a per-sandbox uid. */
  setpriv: string | null;
  isRoot: boolean;
  /** unshare path: perl mounts everything in one process (fast); absent or null: the sh script. */
  perl?: string | null;
}
