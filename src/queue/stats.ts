/**
 * Who did the work of a queued run, for the progress line and the closing line: attempts
 * and throughput per worker (as BullMQ records it on each job, `processedBy`), and the
 * coordinator's own CPU time per attempt (what one coordinator can carry).
 */
export class WorkerStats {
  private readonly byWorker = new Map<string, number>();
  private t0: number;
  private cpu0: NodeJS.CpuUsage;
  private recorded = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.t0 = now();
    this.cpu0 = process.cpuUsage();
  }

  /** Start the clocks now (once connected: loading the queue code and connecting are not per-attempt costs). */
  start(): void {
    this.t0 = this.now();
    this.cpu0 = process.cpuUsage();
  }

  count(worker: string | undefined): void {
    const w = worker ?? 'unknown';
    this.byWorker.set(w, (this.byWorker.get(w) ?? 0) + 1);
    this.recorded++;
  }

  /** `3 workers: a 10.1/s, b 9.8/s, c 9.9/s` (at most `show` named). */
  line(show = 4): string {
    if (this.byWorker.size === 0) return 'workers: none yet';
    const secs = Math.max(1e-3, (this.now() - this.t0) / 1000);
    const ws = [...this.byWorker].sort((a, b) => b[1] - a[1]);
    const named = ws.slice(0, show).map(([w, n]) => `${w} ${(n / secs).toFixed(1)}/s`);
    const more = ws.length > show ? `, +${ws.length - show} more` : '';
    return `${ws.length} worker${ws.length === 1 ? '' : 's'}: ${named.join(', ')}${more}`;
  }

  /** The closing line: attempts, wall time, rate, coordinator CPU per attempt. */
  closing(): string {
    const secs = (this.now() - this.t0) / 1000;
    const cpu = process.cpuUsage(this.cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const per = this.recorded > 0 ? (cpuMs / this.recorded).toFixed(2) : '-';
    return `queue: ${this.recorded} attempts recorded in ${secs.toFixed(1)} s (${secs > 0 ? (this.recorded / secs).toFixed(1) : '-'}/s); coordinator CPU ${per} ms per attempt; ${this.line(16)}`;
  }

  get attempts(): number {
    return this.recorded;
  }
}
