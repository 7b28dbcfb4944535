/**
 * Concurrency and rate limits for network providers.
 *
 * Semaphore: at most `max` holders at once; waiters are served first come, first served.
 * RateLimiter: requests start at least 60000/rpm ms apart (evenly spaced, so any 60 s
 * window sees at most rpm + 1 starts and there is never a burst at a window edge).
 */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  /** Highest number of simultaneous holders seen (for tests and diagnostics). */
  peak = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency must be an integer ≥ 1, got ${max}`);
  }

  get inFlight(): number {
    return this.active;
  }

  /** Resolves with a release function once a slot is free; rejects if the signal aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (this.active < this.max) return Promise.resolve(this.grant());
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.grant());
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(wake);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      this.waiters.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Run `fn` holding a slot. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private grant(): () => void {
    this.active++;
    if (this.active > this.peak) this.peak = this.active;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      const next = this.waiters.shift();
      if (next) next();
    };
  }
}

export class RateLimiter {
  private readonly intervalMs: number;
  private nextSlot = 0;

  constructor(readonly rpm: number, private readonly now: () => number = () => performance.now()) {
    if (!(rpm > 0)) throw new RangeError(`rpm must be > 0, got ${rpm}`);
    this.intervalMs = 60000 / rpm;
  }

  /** Milliseconds the caller must wait before starting; reserves the slot. */
  reserve(): number {
    const t = this.now();
    const slot = Math.max(t, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    return slot - t;
  }
}
