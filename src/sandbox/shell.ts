/**
 * A persistent bash inside one sandbox, for agent loops: each `exec` runs one command in the
 * same shell (cwd and variables persist), framed by a random end marker:
 *
 *   eval "$(printf %s <base64 of command> | base64 -d)" </dev/null 2>&1
 *   printf '\n<marker>%d\n' $?
 *
 * The command is base64-encoded so unbalanced quotes or heredocs cannot desynchronise the
 * framing, and reads /dev/null so it cannot swallow the next command. A command that runs
 * past its time limit takes the whole sandbox down with it; the next `exec` starts a fresh
 * shell (files in the work dir survive, shell state does not) and says so.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { launch, type Launched } from './launch.js';
import type { SandboxSpec } from './types.js';

export type ShellOptions = Omit<SandboxSpec, 'argv' | 'stdin'>;

export interface ShellResult {
  output: string;
  exitCode: number | null;
  timedOut: boolean;
  /** Output was cut in the middle (head and tail kept). */
  truncated: boolean;
  wallMs: number;
  /** The shell ended (timeout, `exit`, crash); the next command gets a fresh one. */
  shellEnded: boolean;
}

/** Keeps the first and last `cap/2` bytes of a stream. */
export class HeadTail {
  private head: Buffer[] = [];
  private headLen = 0;
  private tail: Buffer = Buffer.alloc(0);
  total = 0;
  constructor(private readonly cap: number) {}
  push(b: Buffer): void {
    this.total += b.length;
    const half = Math.floor(this.cap / 2);
    if (this.headLen < half) {
      const take = Math.min(half - this.headLen, b.length);
      this.head.push(b.subarray(0, take));
      this.headLen += take;
      b = b.subarray(take);
    }
    if (b.length === 0) return;
    const t = Buffer.concat([this.tail, b]);
    this.tail = t.length > half ? t.subarray(t.length - half) : t;
  }
  get truncated(): boolean {
    return this.total > this.headLen + this.tail.length;
  }
  text(): string {
    const h = Buffer.concat(this.head).toString('utf8');
    if (!this.truncated) return h + this.tail.toString('utf8');
    const dropped = this.total - this.headLen - this.tail.length;
    return `${h}\n[... ${dropped} bytes omitted ...]\n${this.tail.toString('utf8')}`;
  }
}

export class SandboxShell {
  private h: Launched | null = null;
  private pending: ((chunk: Buffer | null) => void) | null = null;
  private starts = 0;

  /** `spec`: a sandbox over a work dir; or a function that starts the shell elsewhere (a container). */
  constructor(private readonly spec: ShellOptions | (() => Launched)) {}

  /** How many shells were started so far (restarts after timeouts count). */
  get startCount(): number {
    return this.starts;
  }

  private ensure(): Launched {
    if (this.h && this.h.child.exitCode === null && this.h.child.signalCode === null) return this.h;
    this.h?.dispose();
    const h = typeof this.spec === 'function' ? this.spec() : launch({ ...this.spec, argv: ['/bin/bash', '--noprofile', '--norc'] }, { stdin: true });
    this.starts++;
    // Events of a shell that was already replaced must not reach the new one's reader.
    const feed = (b: Buffer | null): void => {
      if (this.h === h) this.pending?.(b);
    };
    (h.child.stdout as Readable).on('data', (b: Buffer) => feed(b));
    (h.child.stderr as Readable).on('data', (b: Buffer) => feed(b));
    h.child.on('exit', () => {
      h.ended();
      feed(null);
    });
    h.child.stdin?.on('error', () => undefined);
    h.child.stdin?.write('exec 2>&1\n');
    this.h = h;
    return h;
  }

  async exec(command: string, opts: { timeoutMs: number; outputBytes?: number }): Promise<ShellResult> {
    const started = Date.now();
    const h = this.ensure();
    const marker = `__DSABENCH_END_${randomBytes(8).toString('hex')}__`;
    const cap = opts.outputBytes ?? 16 * 1024;
    const buf = new HeadTail(cap);
    // Unflushed tail of the output (latin1 keeps bytes 1:1), long enough to hold a marker
    // split across chunks; everything before it goes to `buf`.
    let acc = '';
    const keep = marker.length + 24;
    const b64 = Buffer.from(command, 'utf8').toString('base64');
    const line = `eval "$(printf %s '${b64}' | base64 -d)" </dev/null 2>&1; printf '\\n${marker}%d\\n' "$?"\n`;

    const result = await new Promise<{ exitCode: number | null; timedOut: boolean; ended: boolean }>((resolve) => {
      const timer = setTimeout(() => {
        this.pending = null;
        h.killAll();
        h.dispose();
        if (this.h === h) this.h = null;
        resolve({ exitCode: null, timedOut: true, ended: true });
      }, opts.timeoutMs);
      this.pending = (chunk) => {
        if (chunk === null) {
          clearTimeout(timer);
          this.pending = null;
          resolve({ exitCode: null, timedOut: false, ended: true });
          return;
        }
        acc += chunk.toString('latin1');
        const idx = acc.indexOf(marker);
        if (idx < 0) {
          if (acc.length > keep) {
            buf.push(Buffer.from(acc.slice(0, acc.length - keep), 'latin1'));
            acc = acc.slice(acc.length - keep);
          }
          return;
        }
        const m = /^(\d+)\n/.exec(acc.slice(idx + marker.length));
        if (!m) return; // the status digits have not arrived yet
        buf.push(Buffer.from(acc.slice(0, idx), 'latin1'));
        clearTimeout(timer);
        this.pending = null;
        resolve({ exitCode: Number(m[1]), timedOut: false, ended: false });
      };
      h.child.stdin?.write(line);
    });
    let output = buf.text();
    // Drop the newline printf put before the marker.
    if (!result.timedOut && !result.ended && output.endsWith('\n')) output = output.slice(0, -1);
    if (result.timedOut) output += `\n[command timed out after ${Math.round(opts.timeoutMs / 1000)} s; the shell was restarted: files persist, shell state (cwd, variables) does not]`;
    else if (result.ended) output += '\n[the shell exited; the next command starts a fresh shell]';
    return {
      output,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      truncated: buf.truncated,
      wallMs: Date.now() - started,
      shellEnded: result.ended,
    };
  }

  /** Kill the shell and everything it started. */
  close(): void {
    this.pending = null;
    this.h?.dispose();
    this.h = null;
  }
}
