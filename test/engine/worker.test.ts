/**
 * The addon loads and runs inside worker_threads: per-environment state (each worker picks
 * its own SIMD path), results equal the main thread's, and workers can be torn down and
 * started again (the environment cleanup frees the state, and the thread's engine helpers
 * are joined when it exits).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { denseAttention, engineInfo } from '../../src/engine/index.js';
import { randF32, rng } from './factory.js';

const engineUrl = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), '../../src/engine/index.js')).href;

// Worker body (CommonJS eval): imports the engine, selects a SIMD path, computes, replies.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.url).then((e) => {
  const simd = e.setSimd(workerData.simd);
  const r = e.denseAttention(workerData.args);
  parentPort.postMessage({ simd, info: e.engineInfo().simd, out: r.out, lse: r.lse });
}).catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));
`;

interface Reply { simd?: string; info?: string; out?: Float32Array; lse?: Float32Array; error?: string }

function runWorker(simd: string, args: unknown): Promise<Reply> {
  return new Promise((res, rej) => {
    const w = new Worker(WORKER, { eval: true, workerData: { url: engineUrl, simd, args } });
    w.once('message', (m: Reply) => {
      void w.terminate().then(() => res(m));
    });
    w.once('error', rej);
  });
}

test('engine runs in several worker threads at once, each with its own SIMD path', async () => {
  const r = rng(9);
  // Decode over 900 keys with 2 threads: the keys are split and the ranges merged, so the
  // workers also exercise the per-thread scratch and the ordered merge.
  const T = 1, H = 32, L = 900, Dqk = 24, Dv = 16;
  const args = { q: randF32(T * H * Dqk, r), kv: randF32(L * Dqk, r), T, H, L, Dqk, Dv, qStart: L - 1, threads: 2 };
  const main = denseAttention(args);
  const paths = engineInfo().available;
  const replies = await Promise.all(paths.map((p) => runWorker(p, args)));
  replies.forEach((m, i) => {
    assert.equal(m.error, undefined, m.error);
    assert.equal(m.simd, paths[i]);
    assert.equal(m.info, paths[i], 'the worker sees its own choice');
    let err = 0;
    for (let j = 0; j < main.out.length; j++) err = Math.max(err, Math.abs(m.out![j]! - main.out[j]!));
    assert.ok(err < 1e-5, `${paths[i]}: ${err}`);
  });
  assert.equal(engineInfo().simd, engineInfo().best, 'workers did not change the main thread');
  // tear down and load again
  for (let i = 0; i < 3; i++) {
    const m = await runWorker('auto', args);
    assert.equal(m.error, undefined);
  }
});

test('a worker that exits right after a multi-threaded op does not hang (its engine helpers are stopped)', async () => {
  // A worker's helper threads (pool.h) may not have run yet when its thread exits: the stop
  // must still reach them, else the exit waits forever in the pool's destructor.
  const r = rng(10);
  const T = 1, H = 16, L = 600, Dqk = 16, Dv = 8;
  const args = { q: randF32(T * H * Dqk, r), kv: randF32(L * Dqk, r), T, H, L, Dqk, Dv, qStart: L - 1, threads: 4 };
  const deadline = new Promise<never>((_, rej) => setTimeout(() => rej(new Error('a worker did not exit within 60 s')), 60_000).unref());
  const all = Promise.all(Array.from({ length: 12 }, () => runWorker('auto', args)));
  const replies = await Promise.race([all, deadline]);
  for (const m of replies) assert.equal(m.error, undefined, m.error);
});
