import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, isRetryableStatus, parseRetryAfter, sleep } from '../../src/providers/retry.js';

test('parseRetryAfter reads seconds, fractional seconds and HTTP dates', () => {
  assert.equal(parseRetryAfter('2'), 2000);
  assert.equal(parseRetryAfter(' 1.5 '), 1500);
  const now = Date.parse('Sat, 28 Nov 2026 12:00:00 GMT');
  assert.equal(parseRetryAfter('Sat, 28 Nov 2026 12:00:03 GMT', now), 3000);
  assert.equal(parseRetryAfter('Sat, 28 Nov 2026 11:59:00 GMT', now), 0, 'a date in the past means now');
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter('-3'), undefined);
  assert.equal(parseRetryAfter(''), undefined);
  assert.equal(parseRetryAfter(null), undefined);
});

test('backoffDelay grows exponentially with jitter inside [step/2, step] and is capped', () => {
  const policy = { baseMs: 100, maxMs: 1000 };
  assert.equal(backoffDelay(0, policy, undefined, () => 0), 50);
  assert.equal(backoffDelay(0, policy, undefined, () => 1), 100);
  assert.equal(backoffDelay(2, policy, undefined, () => 1), 400);
  assert.equal(backoffDelay(3, policy, undefined, () => 0), 400);
  assert.equal(backoffDelay(10, policy, undefined, () => 1), 1000, 'capped at maxMs');
  assert.equal(backoffDelay(60, policy, undefined, () => 0.5), 750, 'huge retry counts stay finite');
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(1, policy);
    assert.ok(d >= 100 && d <= 200, `delay ${d}`);
  }
});

test('Retry-After overrides the computed backoff but stays under the cap', () => {
  const policy = { baseMs: 100, maxMs: 5000 };
  assert.equal(backoffDelay(0, policy, 1200), 1200);
  assert.equal(backoffDelay(3, policy, 0), 0);
  assert.equal(backoffDelay(0, policy, 60_000), 5000);
});

test('retryable statuses: 408, 409, 429 and 5xx only', () => {
  for (const s of [408, 409, 429, 500, 502, 503, 504]) assert.ok(isRetryableStatus(s), String(s));
  for (const s of [400, 401, 403, 404, 422]) assert.ok(!isRetryableStatus(s), String(s));
});

test('sleep waits, and rejects early when aborted', async () => {
  const t = performance.now();
  await sleep(30);
  assert.ok(performance.now() - t >= 25);
  const ctrl = new AbortController();
  const p = sleep(10_000, ctrl.signal);
  setTimeout(() => ctrl.abort(new Error('stop')), 10);
  const t2 = performance.now();
  await assert.rejects(p, /stop/);
  // Not aborted, it would take 10 s; half of that is room enough for a busy event loop.
  assert.ok(performance.now() - t2 < 5000, `took ${performance.now() - t2} ms`);
});
