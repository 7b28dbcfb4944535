/**
 * Run progress on stderr: a live bar redrawn in place on a TTY, plain periodic lines
 * otherwise (CI logs), and nothing with `quiet`. Shape of a line:
 *   [#########-----------] 450/1000 45% | pass 81.3% | err 2 | 153.2/s | ETA 0:04
 */
export interface ProgressOptions {
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  quiet?: boolean;
  /** Force TTY/plain mode (default: stream.isTTY). */
  tty?: boolean;
  /** Redraw period on a TTY (default 100 ms). */
  ttyIntervalMs?: number;
  /** Period of plain lines (default 10 s, env DSABENCH_PROGRESS_MS). */
  plainIntervalMs?: number;
  now?: () => number;
  /** Appended to each line (a queued run: per-worker throughput). */
  detail?: () => string;
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '?';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export class Progress {
  private done = 0;
  private passed = 0;
  private errors = 0;
  private readonly startedAt: number;
  private lastDraw = 0;
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly tty: boolean;
  private readonly interval: number;
  private readonly now: () => number;
  private finished = false;

  /**
   * @param total attempts in this run (including those already done)
   * @param already attempts finished before (resume); they count toward done but not the rate
   */
  constructor(readonly total: number, private readonly already = 0, private readonly opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? Boolean(this.stream.isTTY);
    const envMs = Number(process.env['DSABENCH_PROGRESS_MS']);
    this.interval = this.tty ? (opts.ttyIntervalMs ?? 100) : (opts.plainIntervalMs ?? (Number.isFinite(envMs) && envMs > 0 ? envMs : 10_000));
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    this.lastDraw = this.startedAt;
  }

  /** Count one finished attempt. */
  tick(pass: boolean, error: boolean): void {
    this.done++;
    if (pass) this.passed++;
    if (error) this.errors++;
    if (this.opts.quiet) return;
    const t = this.now();
    if (t - this.lastDraw >= this.interval) {
      this.lastDraw = t;
      this.draw(false);
    }
  }

  line(): string {
    const doneAll = this.already + this.done;
    const frac = this.total === 0 ? 1 : doneAll / this.total;
    const elapsed = (this.now() - this.startedAt) / 1000;
    const rate = elapsed > 0 ? this.done / elapsed : 0;
    const eta = rate > 0 ? (this.total - doneAll) / rate : NaN;
    const pass = this.done === 0 ? '-' : `${((100 * this.passed) / this.done).toFixed(1)}%`;
    const width = 20;
    const filled = Math.round(frac * width);
    const bar = this.tty ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` : '';
    const detail = this.opts.detail?.() ?? '';
    return `${bar}${doneAll}/${this.total} ${Math.floor(frac * 100)}% | pass ${pass} | err ${this.errors} | ${rate.toFixed(1)}/s | ETA ${formatDuration(eta)}${detail ? ` | ${detail}` : ''}`;
  }

  private draw(final: boolean): void {
    if (this.tty) this.stream.write(`\r\x1b[K${this.line()}${final ? '\n' : ''}`);
    else this.stream.write(`progress: ${this.line()}\n`);
  }

  /** Final line (always, unless quiet). */
  finish(): void {
    if (this.finished || this.opts.quiet) return;
    this.finished = true;
    this.draw(true);
  }

  get counts(): { done: number; passed: number; errors: number } {
    return { done: this.done, passed: this.passed, errors: this.errors };
  }
}
