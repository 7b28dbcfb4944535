/**
 * Runs one command in a fresh sandbox and waits for it: output captured up to a cap,
 * wall-clock kill of the whole group, and cleanup of anything it left behind.
 */
import type { Readable } from 'node:stream';
import { launch, type Launched } from './launch.js';
import type { SandboxResult, SandboxSpec } from './types.js';

/** Keeps the first `cap` bytes of a stream and counts the rest. */
export class CappedBuffer {
  private chunks: Buffer[] = [];
  private kept = 0;
  total = 0;
  constructor(private readonly cap: number) {}
  push(b: Buffer): void {
    this.total += b.length;
    if (this.kept >= this.cap) return;
    const take = Math.min(b.length, this.cap - this.kept);
    this.chunks.push(take === b.length ? b : b.subarray(0, take));
    this.kept += take;
  }
  get truncated(): boolean {
    return this.total > this.kept;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Output beyond this many times the cap kills the command: a program printing a gigabyte
 * should fail fast, not keep two cores busy until its wall-clock limit.
 */
const OUTPUT_KILL_FACTOR = 4;

export async function runSandboxed(spec: SandboxSpec): Promise<SandboxResult> {
  const started = Date.now();
  const h = launch(spec, { stdin: spec.stdin !== undefined });
  return collect(h, { ...(spec.stdin !== undefined ? { stdin: spec.stdin } : {}), ...(spec.signal ? { signal: spec.signal } : {}) }, started);
}

/**
 * Wait for a launched command: output capped, the wall-clock limit and an abort kill
 * everything it made, and nothing of it outlives it (the container backend's `exec` shares
 * this with the sandbox).
 */
export async function collect(h: Launched, io: { stdin?: string | Buffer; signal?: AbortSignal }, started: number): Promise<SandboxResult> {
  const { child, limits } = h;
  const out = new CappedBuffer(limits.outputBytes);
  const err = new CappedBuffer(limits.outputBytes);
  let timedOut = false;
  let outputKilled = false;
  let spawnError: string | undefined;

  const onData = (buf: CappedBuffer) => (b: Buffer): void => {
    buf.push(b);
    if (!outputKilled && buf.total > limits.outputBytes * OUTPUT_KILL_FACTOR) {
      outputKilled = true;
      h.killAll();
    }
  };
  (child.stdout as Readable).on('data', onData(out));
  (child.stderr as Readable).on('data', onData(err));

  if (io.stdin !== undefined && child.stdin) {
    child.stdin.on('error', () => undefined); // EPIPE when the program ignores stdin
    child.stdin.end(io.stdin);
  }

  const timer = setTimeout(() => {
    timedOut = true;
    h.killAll();
  }, limits.wallMs);
  const onAbort = (): void => h.killAll();
  io.signal?.addEventListener('abort', onAbort, { once: true });

  const status = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let grace: NodeJS.Timeout | undefined;
    child.on('error', (e) => {
      spawnError = e.message;
      resolve({ code: null, signal: null });
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // The command is done: nothing of it may outlive it (background jobs included;
      // a container keeps what the task's own harness would keep: see Launched.ended).
      h.ended();
      // Pipes close once every holder is dead; do not wait forever on a straggler.
      grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve(exit!);
      }, 2000);
    });
    child.on('close', (code, signal) => {
      if (grace) clearTimeout(grace);
      resolve(exit ?? { code, signal });
    });
  });
  clearTimeout(timer);
  io.signal?.removeEventListener('abort', onAbort);
  h.dispose();

  const stderr = err.text();
  // bwrap reports its own setup failures on stderr with exit 1 before the command runs;
  // the container engine's own failures (container gone) are exit 125 with "Error: …".
  if (!spawnError && status.code === 1 && /^bwrap: /m.test(stderr) && out.total === 0) {
    spawnError = stderr.trim();
  }
  if (!spawnError && h.isolation === 'container' && status.code === 125 && /^Error: /m.test(stderr) && out.total === 0) {
    spawnError = stderr.trim();
  }
  const memoryExceeded = h.memoryExceeded();
  return {
    exitCode: timedOut || outputKilled || memoryExceeded ? null : status.code,
    signal: status.signal,
    timedOut,
    stdout: out.text(),
    stderr: outputKilled ? stderr + `\n[output limit: more than ${limits.outputBytes * OUTPUT_KILL_FACTOR} bytes, killed]`
      : memoryExceeded ? stderr + `\n[memory limit: the sandbox's processes together used more than ${limits.totalMemoryBytes} bytes, killed]` : stderr,
    stdoutBytes: out.total,
    stderrBytes: err.total,
    truncated: out.truncated || err.truncated,
    ...(memoryExceeded ? { memoryExceeded: true } : {}),
    ...(outputKilled ? { outputLimitExceeded: true } : {}),
    wallMs: Date.now() - started,
    isolation: h.isolation,
    ...(spawnError ? { spawnError } : {}),
  };
}
