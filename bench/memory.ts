/**
 * Resident memory against traffic, for the two long-lived uses of the built-in model:
 *
 *  serve: `dsabench serve` (the shipped model, default workers) answers streamed requests,
 *         --concurrency at a time, each a --prompt-chars prompt of fresh text with
 *         max_tokens --max-tokens. The server's RSS (VmRSS of its process, all threads) is
 *         read after the first --first requests have finished and after --requests.
 *  run:   `dsabench run -p native` on 1K-byte long-context items (byte tokens, max_tokens
 *         --run-max-tokens, no response cache), once per count in --attempts; the peak RSS
 *         of each run's process (getrusage maxrss, printed at exit by a preloaded hook).
 *
 *   npm run build && node dist/bench/memory.js [--requests 2000] [--first 100] [--concurrency 4]
 *       [--prompt-chars 1600] [--max-tokens 48] [--attempts 50,300] [--run-max-tokens 32]
 *       [--only serve|run] [--json FILE]
 *
 * Memory that follows the requests in flight (not their number) shows as a flat serve curve
 * and equal peaks for both run sizes. Timings are printed for orientation only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../src/util/package.js';
import { arg, numArg } from './args.js';

const requests = numArg('requests', 2000);
const first = numArg('first', 100);
const concurrency = numArg('concurrency', 4);
const promptChars = numArg('prompt-chars', 1600);
const maxTokens = numArg('max-tokens', 48);
const attempts = arg('attempts', '50,300').split(',').map(Number);
const runMaxTokens = numArg('run-max-tokens', 32);
const only = arg('only', '');
const jsonOut = arg('json', '');
const cli = packagePath('bin', 'dsabench.js');
const MB = 1024 * 1024;

/** kB fields of /proc/<pid>/status (VmRSS, VmHWM) in bytes. */
function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/**
 * Fresh text each request (no two prompts alike): seeded hex digits, which the shipped model
 * continues for the whole max_tokens (it was trained on hex copying) rather than stopping early.
 */
function promptText(i: number, n: number): string {
  let x = (i + 1) * 2654435761 >>> 0;
  let s = '';
  while (s.length < n) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += '0123456789abcdef'[(x >>> 16) & 15];
  }
  return s;
}

/** One streamed chat completion; resolves to the completion tokens the usage chunk reports. */
async function streamOne(url: string, i: number): Promise<number> {
  const res = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'dsa-mini', messages: [{ role: 'user', content: promptText(i, promptChars) }], max_tokens: maxTokens, stream: true, stream_options: { include_usage: true }, temperature: 0 }),
  });
  if (res.status !== 200) throw new Error(`request ${i}: HTTP ${res.status} ${await res.text()}`);
  const text = await res.text();
  if (!text.includes('data: [DONE]')) throw new Error(`request ${i}: stream did not end with [DONE]`);
  const usage = /"completion_tokens":(\d+)/.exec(text);
  return usage ? Number(usage[1]) : 0;
}

interface ServeResult {
  requests: number;
  first: number;
  concurrency: number;
  prompt_chars: number;
  max_tokens: number;
  mean_completion_tokens: number;
  rss_after_first_mb: number;
  rss_after_all_mb: number;
  growth_mb: number;
  peak_rss_mb: number;
  curve: Array<{ requests: number; rss_mb: number }>;
  seconds: number;
}

function startServe(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.stderr!.on('data', (b: Buffer) => process.stderr.write(b));
    child.on('exit', (code) => reject(new Error(`dsabench serve exited (${code}) before listening: ${out}`)));
  });
}

async function benchServe(): Promise<ServeResult> {
  const { child, url } = await startServe();
  const pid = child.pid!;
  const t0 = performance.now();
  const curve: ServeResult['curve'] = [];
  let next = 0;
  let tokens = 0;
  /** Sends requests next..upTo-1, `concurrency` in flight, and waits for all of them. */
  const runTo = async (upTo: number): Promise<void> => {
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < upTo) {
        const n = await streamOne(url, next++); // not `tokens += await …`: that reads tokens before the wait
        tokens += n;
      }
    }));
  };
  try {
    const marks = [first];
    for (let k = 250; k < requests; k += 250) if (k > first) marks.push(k);
    marks.push(requests);
    for (const m of marks) {
      await runTo(m);
      curve.push({ requests: m, rss_mb: procStatus(pid, 'VmRSS') / MB });
      process.stdout.write(`serve: ${m} requests, RSS ${(procStatus(pid, 'VmRSS') / MB).toFixed(1)} MB (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
    }
    const peak = procStatus(pid, 'VmHWM') / MB;
    const a = curve[0]!.rss_mb, b = curve[curve.length - 1]!.rss_mb;
    return {
      requests, first, concurrency, prompt_chars: promptChars, max_tokens: maxTokens, mean_completion_tokens: tokens / requests,
      rss_after_first_mb: a, rss_after_all_mb: b, growth_mb: b - a, peak_rss_mb: peak, curve, seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    child.kill('SIGTERM');
  }
}

interface RunResult { attempts: number; peak_rss_mb: number; seconds: number }

// Printed by the run's own process as it exits: its peak resident set (getrusage ru_maxrss, kB).
const PEAK_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\nPEAK_RSS_KB '+process.resourceUsage().maxRSS+'\\n'))`;

async function benchRun(n: number, root: string): Promise<RunResult> {
  const config = join(root, `run-${n}.json`);
  // 1K-byte single-needle items; 100 depths × 3 tasks = 300 items, the first n of them.
  writeFileSync(config, JSON.stringify({
    suites: [{ suite: 'long-context', generator_options: { tokenizer: 'byte', lengths: ['1K'], depths: 100, tasks: ['niah_single_1', 'niah_single_2', 'niah_single_3'] }, generation: { temperature: 0, max_tokens: runMaxTokens } }],
    providers: ['native'],
    limit: n,
  }));
  const t0 = performance.now();
  const args = ['--import', PEAK_HOOK, cli, 'run', '--config', config, '--out', join(root, `out-${n}`), '--cache', join(root, `cache-${n}.sqlite`), '--no-cache', '-q'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stdout!.resume();
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const m = /PEAK_RSS_KB (\d+)/.exec(err);
  if (!m) throw new Error(`dsabench run (${n} attempts) exited ${code} without its peak: ${err.slice(-2000)}`);
  const recorded = readFileSync(join(root, `out-${n}`, 'samples.jsonl'), 'utf8').trim().split('\n').length;
  if (recorded !== n) throw new Error(`expected ${n} attempts, the run recorded ${recorded}`);
  const peak = (Number(m[1]) * 1024) / MB;
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(`run: ${n} attempts, peak RSS ${peak.toFixed(1)} MB (${seconds.toFixed(0)} s, exit ${code})\n`);
  return { attempts: n, peak_rss_mb: peak, seconds };
}

const out: { serve?: ServeResult; run?: RunResult[] } = {};
if (only !== 'run') {
  out.serve = await benchServe();
  const s = out.serve;
  process.stdout.write(`serve: RSS ${s.rss_after_first_mb.toFixed(1)} MB after ${s.first}, ${s.rss_after_all_mb.toFixed(1)} MB after ${s.requests} (${s.growth_mb >= 0 ? '+' : ''}${s.growth_mb.toFixed(1)} MB); peak ${s.peak_rss_mb.toFixed(1)} MB; ${s.mean_completion_tokens.toFixed(1)} completion tokens per reply\n`);
}
if (only !== 'serve') {
  const root = mkdtempSync(join(tmpdir(), 'dsabench-memory-'));
  try {
    out.run = [];
    for (const n of attempts) out.run.push(await benchRun(n, root));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(out, null, 2) + '\n');
