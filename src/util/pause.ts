/**
 * A wait that ends early, without an error, when the signal aborts: for polling loops whose
 * caller checks the signal itself (a rejecting sleep for retries is providers/retry.ts `sleep`).
 */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
