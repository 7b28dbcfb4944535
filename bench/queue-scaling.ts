/**
 * Queue scaling: throughput of a queued run (`dsabench run --queue` + `dsabench worker`
 * processes) against a model of fixed latency, with 1, 2, 4, 8 worker processes of fixed
 * concurrency each, and what the coordinator and Redis spend per attempt.
 *
 *   npm run build && node dist/bench/queue-scaling.js [--workers 1,2,4,8] [--concurrency 4]
 *     [--latency-ms 200] [--attempts-per-slot 25] [--saturation 1]
 *
 * - The model is an OpenAI-compatible stub in this process: every request answered after
 *   exactly --latency-ms, non-streamed (provider option stream: false). Every process gets a
 *   response cache file of its own, new for each point: no answer comes from a cache.
 * - Redis is a redis-server of its own on a free loopback port, no persistence.
 * - Each point: N workers started and connected first; then a coordinator with
 *   attempts = N × concurrency × attempts-per-slot (each slot makes that many attempts at
 *   the ideal rate). Throughput = attempts / (last attempt's end − first attempt's start),
 *   from the records' own timestamps, so process start-up and run discovery are not counted.
 *   Ideal = N × concurrency / latency.
 * - Coordinator CPU per attempt: its own figure (user + system CPU from the moment it is
 *   connected to the last record, / attempts). Redis CPU per attempt: INFO cpu before/after.
 *   Worker CPU per attempt: /proc/<pid>/stat of every worker, before/after the run.
 * - --saturation 1 adds one point with latency 0 and 8 workers: what the whole pipeline does
 *   when the model costs nothing (where the coordinator, Redis and the machine saturate).
 * - A local run (`dsabench run`, no queue) at the same concurrency as one worker is the baseline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as netServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { packagePath } from '../src/util/package.js';
import type { AttemptRecord } from '../src/types.js';
import { arg, numArg } from './args.js';

const workerCounts = arg('workers', '1,2,4,8').split(',').map(Number);
const concurrency = numArg('concurrency', 4);
const latencyMs = numArg('latency-ms', 200);
const perSlot = numArg('attempts-per-slot', 25);
const saturation = numArg('saturation', 1) === 1;
const BIN = packagePath('bin', 'dsabench.js');
const root = mkdtempSync(join(tmpdir(), 'dsabench-queue-bench-'));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** The model: answers "Say {x}" with x after the current latency. */
function startStub(getLatency: () => number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { messages: Array<{ role: string; content: string }> };
      const last = parsed.messages[parsed.messages.length - 1]?.content ?? '';
      const answer = last.replace(/^Say /, '');
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'x', object: 'chat.completion', model: 'stub', choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } }));
      }, getLatency());
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/v1` });
  }));
}

function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    c.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) resolve(c);
    });
    c.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
}

function cli(args: readonly string[]): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }>; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DSABENCH_PROGRESS_MS: '1000000' } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((r) => child.on('close', (code) => r({ code, stderr })));
  return { child, done, stderr: () => stderr };
}

function procCpuSec(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

async function redisCpuSec(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const get = (k: string): number => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return get('used_cpu_user') + get('used_cpu_sys');
}

function writeSuite(dir: string, n: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'suite.json'), JSON.stringify({ name: 'scaling', kind: 'math', scorer: { name: 'exact_match' }, prompt: { template: 'Say {x}' } }));
  let lines = '';
  for (let i = 0; i < n; i++) lines += JSON.stringify({ id: `t${i}`, input: { x: i }, target: String(i) }) + '\n';
  writeFileSync(join(dir, 'items.jsonl'), lines);
}

/** The run's window from its records, and the most attempts in flight at once (a check: at most workers × concurrency). */
function window(dir: string): { n: number; secs: number; errors: number; peak: number } {
  const recs = readFileSync(join(dir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AttemptRecord);
  const starts = recs.map((r) => Date.parse(r.started_at!));
  const ends = recs.map((r) => Date.parse(r.ended_at!));
  const events = [...starts.map((t) => [t, 1] as const), ...ends.map((t) => [t, -1] as const)].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let inFlight = 0;
  let peak = 0;
  for (const [, d] of events) peak = Math.max(peak, (inFlight += d));
  return { n: recs.length, secs: (Math.max(...ends) - Math.min(...starts)) / 1000, errors: recs.filter((r) => r.error !== null).length, peak };
}

interface Point {
  label: string;
  workers: number;
  latency: number;
  attempts: number;
  rate: number;
  ideal: number | null;
  coordMs: number | null;
  redisMs: number | null;
  workerMs: number | null;
  errors: number;
  peak: number;
}

let latency = latencyMs;
const stub = await startStub(() => latency);
const port = await freePort();
const redisDir = join(root, 'redis');
mkdirSync(redisDir);
const redis = await startRedis(port, redisDir);
const url = `redis://127.0.0.1:${port}`;
const client = new Redis({ port, host: '127.0.0.1' });
const points: Point[] = [];

function config(name: string, n: number): string {
  const suite = join(root, `suite-${name}`);
  writeSuite(suite, n);
  const file = join(root, `config-${name}.json`);
  writeFileSync(file, JSON.stringify({ suites: [suite], providers: [{ spec: `openai:stub@${stub.url}`, options: { stream: false, max_retries: 0, concurrency: 1024 } }] }));
  return file;
}

async function queued(label: string, n: number, lat: number): Promise<void> {
  latency = lat;
  const attempts = n * concurrency * perSlot;
  const cfg = config(label, attempts);
  const ws = Array.from({ length: n }, (_, i) => cli(['worker', '--queue', url, '--concurrency', String(concurrency), '--workers', '0', '--cache', join(root, `${label}-w${i}.sqlite`), '--name', `w${i}`]));
  // Ready = connected and looking for runs.
  while (ws.some((w) => !/worker w\d+ on /.test(w.stderr()))) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1500));
  const w0 = ws.map((w) => procCpuSec(w.child.pid!));
  const r0 = await redisCpuSec(client);
  const out = join(root, `run-${label}`);
  const c = cli(['run', '--config', cfg, '--queue', url, '--out', out, '--workers', '0', '--cache', join(root, `${label}-c.sqlite`)]);
  const res = await c.done;
  if (res.code !== 0) throw new Error(`coordinator failed: ${res.stderr}`);
  if (readFileSync(join(out, 'samples.jsonl'), 'utf8').includes('"cached":true')) throw new Error('an answer came from a response cache');
  const w1 = ws.map((w) => procCpuSec(w.child.pid!));
  const r1 = await redisCpuSec(client);
  for (const w of ws) w.child.kill('SIGTERM');
  await Promise.all(ws.map((w) => w.done));
  const win = window(out);
  const coord = /coordinator CPU ([\d.]+) ms per attempt/.exec(res.stderr);
  const workerCpu = w1.reduce((a, x, i) => a + x - w0[i]!, 0);
  points.push({
    label, workers: n, latency: lat, attempts: win.n, rate: win.n / win.secs, ideal: lat > 0 ? (n * concurrency * 1000) / lat : null,
    coordMs: coord ? Number(coord[1]) : null, redisMs: ((r1 - r0) * 1000) / win.n, workerMs: (workerCpu * 1000) / win.n, errors: win.errors, peak: win.peak,
  });
  const p = points[points.length - 1]!;
  process.stderr.write(`${label}: ${p.attempts} attempts, ${p.rate.toFixed(1)}/s${p.ideal ? ` (ideal ${p.ideal.toFixed(0)}/s)` : ''}, coordinator ${p.coordMs} ms/attempt, Redis ${p.redisMs?.toFixed(2)} ms/attempt, workers ${p.workerMs?.toFixed(2)} ms/attempt, errors ${p.errors}, peak in flight ${p.peak}\n`);
}

async function local(): Promise<void> {
  latency = latencyMs;
  const attempts = concurrency * perSlot;
  const cfg = config('local', attempts);
  const out = join(root, 'run-local');
  const res = await cli(['run', '--config', cfg, '--out', out, '--workers', '0', '--concurrency', String(concurrency), '--cache', join(root, 'l.sqlite')]).done;
  if (res.code !== 0) throw new Error(`local run failed: ${res.stderr}`);
  const win = window(out);
  points.push({ label: 'local', workers: 0, latency: latencyMs, attempts: win.n, rate: win.n / win.secs, ideal: (concurrency * 1000) / latencyMs, coordMs: null, redisMs: null, workerMs: null, errors: win.errors, peak: win.peak });
  process.stderr.write(`local: ${win.n} attempts, ${(win.n / win.secs).toFixed(1)}/s\n`);
}

try {
  await local();
  for (const n of workerCounts) await queued(`${n} worker${n === 1 ? '' : 's'}`, n, latencyMs);
  if (saturation) await queued('saturation: 8 workers, latency 0', 8, 0);
} finally {
  client.disconnect();
  redis.kill('SIGTERM');
  stub.server.close();
  if (process.env['DSABENCH_BENCH_KEEP']) process.stderr.write(`kept ${root}\n`);
  else rmSync(root, { recursive: true, force: true });
}

const f = (x: number | null, d = 1): string => (x === null ? '-' : x.toFixed(d));
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; per-worker concurrency ${concurrency}; model latency ${latencyMs} ms`);
console.log('| point | worker processes | attempts | attempts/s | ideal/s | of ideal | coordinator CPU ms/attempt | Redis CPU ms/attempt | worker CPU ms/attempt | peak in flight | errors |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const p of points) {
  console.log(`| ${p.label} | ${p.workers || '-'} | ${p.attempts} | ${f(p.rate)} | ${f(p.ideal, 0)} | ${p.ideal ? `${((100 * p.rate) / p.ideal).toFixed(0)}%` : '-'} | ${f(p.coordMs, 2)} | ${f(p.redisMs, 2)} | ${f(p.workerMs, 2)} | ${p.peak} | ${p.errors} |`);
}
