import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter, Semaphore } from '../../src/providers/limiter.js';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('semaphore never exceeds its limit and serves waiters in order', async () => {
  const sem = new Semaphore(2);
  let active = 0;
  let peak = 0;
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: 7 }, (_, i) =>
      sem.run(async () => {
        order.push(i);
        active++;
        peak = Math.max(peak, active);
        await tick(5);
        active--;
      }),
    ),
  );
  assert.equal(peak, 2);
  assert.equal(sem.peak, 2);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(sem.inFlight, 0);
});

test('semaphore releases its slot when the task throws; release is idempotent', async () => {
  const sem = new Semaphore(1);
  await assert.rejects(sem.run(() => Promise.reject(new Error('boom'))), /boom/);
  const release = await sem.acquire();
  release();
  release();
  assert.equal(sem.inFlight, 0);
});

test('an aborted waiter leaves the queue without taking a slot', async () => {
  const sem = new Semaphore(1);
  const release = await sem.acquire();
  const ctrl = new AbortController();
  const waiting = sem.acquire(ctrl.signal);
  ctrl.abort(new Error('cancelled'));
  await assert.rejects(waiting, /cancelled/);
  release();
  assert.equal(sem.inFlight, 0);
  const again = await sem.acquire();
  assert.equal(sem.inFlight, 1);
  again();
});

test('semaphore rejects a bad limit', () => {
  assert.throws(() => new Semaphore(0), RangeError);
  assert.throws(() => new Semaphore(1.5), RangeError);
});

test('rate limiter spaces starts 60000/rpm ms apart', () => {
  let now = 1000;
  const rl = new RateLimiter(120, () => now); // one every 500 ms
  assert.equal(rl.reserve(), 0);
  assert.equal(rl.reserve(), 500);
  assert.equal(rl.reserve(), 1000);
  now += 2000; // idle: no debt carried over, no burst credit either
  assert.equal(rl.reserve(), 0);
  assert.equal(rl.reserve(), 500);
  assert.throws(() => new RateLimiter(0), RangeError);
});
