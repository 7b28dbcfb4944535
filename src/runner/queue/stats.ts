/**
 * Who did the work of a queued run, for the progress line and the closing line: attempts
 * and throughput per worker (as BullMQ records it on each job: `processedBy`, and when the
 * worker took and finished it, by the worker's own clock, so a backlog collected late by a
 * resumed coordinator does not look fast), and the coordinator's own CPU time per attempt
 * (what one coordinator can carry).
 */
interface PerWorker {
  n: number;
  first: number;
  last: number;
}

export class WorkerStats {
  private readonly byWorker = new Map<string, PerWorker>();
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

  /** One recorded attempt; `took`/`finished` are the job's processedOn/finishedOn (ms), when known. */
  count(worker: string | undefined, took?: number, finished?: number): void {
    const w = worker ?? 'unknown';
    const t0 = took ?? this.now();
    const t1 = finished ?? this.now();
    const s = this.byWorker.get(w);
    if (s) {
      s.n++;
      s.first = Math.min(s.first, t0);
      s.last = Math.max(s.last, t1);
    } else this.byWorker.set(w, { n: 1, first: t0, last: t1 });
    this.recorded++;
  }

  /** `3 workers: a 10.1/s, b 9.8/s, c 9.9/s` (at most `show` named). */
  line(show = 4): string {
    if (this.byWorker.size === 0) return 'workers: none yet';
    const ws = [...this.byWorker].sort((a, b) => b[1].n - a[1].n);
    // Over the worker's own span, from taking its first attempt to finishing its last.
    const named = ws.slice(0, show).map(([w, s]) => `${w} ${(s.n / Math.max(1e-3, (s.last - s.first) / 1000)).toFixed(1)}/s`);
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
