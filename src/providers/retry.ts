/**
 * Retry policy shared by network providers: which failures to retry, how long to wait
 * (exponential backoff with jitter, or the server's Retry-After), and an abortable sleep.
 */

/** HTTP statuses worth retrying: rate limits, timeouts at a proxy, server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * `Retry-After` → milliseconds to wait, or undefined when absent or unreadable.
 * Accepts delta-seconds (`"2"`, also `"1.5"` as some servers send) or an HTTP date.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const v = header.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  // An HTTP date has a weekday/month name; bare numbers like "-3" are not dates.
  if (!/[a-z]/i.test(v)) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - nowMs);
}

export interface BackoffPolicy {
  /** First delay before jitter (ms). */
  baseMs: number;
  /** Largest delay (ms), for both computed backoff and Retry-After. */
  maxMs: number;
}

/**
 * Delay before retry number `retry` (0-based). Exponential with "equal jitter": half the
 * step is fixed, half random, so concurrent clients spread out but never retry at once.
 * A server-given Retry-After wins (capped at maxMs), because the server knows best.
 */
export function backoffDelay(
  retry: number,
  policy: BackoffPolicy,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(policy.maxMs, Math.max(0, retryAfterMs));
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(retry, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Sleep that ends early (rejecting with the signal's reason) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
