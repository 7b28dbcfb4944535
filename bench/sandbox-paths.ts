/**
 * HumanEval's canonical solutions (the `oracle` provider) through the real run loop on each
 * sandbox path: bubblewrap, the unshare fallback with its perl helper, and with its shell
 * script. Paths take turns round by round, so a machine shared with other jobs loads them
 * alike. Each round runs in a child process (the sandbox path is chosen once per process).
 *
 *   npm run build && node dist/bench/sandbox-paths.js --file HumanEval.jsonl[.gz] [--rounds 3] [--workers 2] [--paths bwrap,unshare,unshare-sh]
 *
 * Prints, per path and round, the wall time of the 164 attempts and the median time of one
 * sandboxed test program (the scorer's wall_ms), then the medians over rounds. Fails unless
 * every attempt passes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SETTINGS, runEvaluation } from '../src/runner/run.js';
import { median } from '../src/util/stats.js';
import { arg, numArg } from './args.js';

const file = arg('file', '');
const workers = numArg('workers', 2);

async function child(path: string): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'dsabench-sandbox-paths-'));
  try {
    const t0 = performance.now();
    const res = await runEvaluation(
      { ...DEFAULT_SETTINGS, suites: [`humaneval:${file}`], providers: [{ spec: 'oracle' }], workers, concurrency: 2 * workers, cache: null },
      { out: join(out, 'run') },
      { progress: { quiet: true } },
    );
    const sec = (performance.now() - t0) / 1000;
    const s = res.summary.suites[0]!;
    if (s.mean !== 1) throw new Error(`${path}: oracle scored ${s.mean} (expected 1)`);
    const walls = readFileSync(join(out, 'run', 'samples.jsonl'), 'utf8').trim().split('\n')
      .map((l) => Number((JSON.parse(l) as { score: { details?: { wall_ms?: number } } }).score.details?.wall_ms));
    process.stdout.write(JSON.stringify({ path, n: res.recorded, sec, medianMs: median(walls.filter(Number.isFinite)) }) + '\n');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function envFor(path: string): NodeJS.ProcessEnv {
  if (path === 'bwrap') return { ...process.env, DSABENCH_SANDBOX: 'bwrap' };
  if (path === 'unshare') return { ...process.env, DSABENCH_SANDBOX: 'unshare', DSABENCH_UNSHARE_HELPER: 'perl' };
  if (path === 'unshare-sh') return { ...process.env, DSABENCH_SANDBOX: 'unshare', DSABENCH_UNSHARE_HELPER: 'sh' };
  throw new Error(`unknown path ${path} (bwrap, unshare, unshare-sh)`);
}

if (!file) throw new Error('--file HumanEval.jsonl[.gz] is required');
const childPath = arg('child', '');
if (childPath) {
  await child(childPath);
} else {
  const rounds = numArg('rounds', 3);
  const paths = arg('paths', 'bwrap,unshare,unshare-sh').split(',');
  const got = new Map<string, Array<{ sec: number; medianMs: number }>>();
  for (let r = 0; r < rounds; r++) {
    for (const p of paths) {
      const c = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--file', file, '--workers', String(workers), '--child', p], { env: envFor(p), encoding: 'utf8' });
      if (c.status !== 0) throw new Error(`${p}: ${c.stderr}`);
      const row = JSON.parse(c.stdout.trim().split('\n').pop()!) as { n: number; sec: number; medianMs: number };
      got.set(p, [...(got.get(p) ?? []), row]);
      process.stdout.write(`round ${r + 1} ${p}: ${row.n} tasks in ${row.sec.toFixed(1)} s, median ${row.medianMs.toFixed(0)} ms per test program\n`);
    }
  }
  for (const [p, rows] of got) {
    process.stdout.write(`${p}: median ${median(rows.map((x) => x.sec)).toFixed(1)} s, ${median(rows.map((x) => x.medianMs)).toFixed(0)} ms per test program (${rows.length} rounds, workers ${workers})\n`);
  }
}
