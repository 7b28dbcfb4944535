/**
 * HumanEval's 164 canonical solutions: dsabench's oracle run (whole CLI, on each sandbox
 * path) against openai/human-eval's own `evaluate_functional_correctness` (unsandboxed),
 * with the same worker count. The contenders take turns run by run (A B C A B C …) so the
 * other jobs of a shared machine load them alike; every run is a whole command, start-up
 * and result files included.
 *
 *   npm run build && node dist/bench/human-eval-reference.js \
 *     --human-eval DIR --python PY --file HumanEval.jsonl.gz \
 *     [--workers 2,1] [--rounds 3] [--paths bwrap,unshare] [--json FILE]
 *
 * DIR is a copy of github.com/openai/human-eval whose execution.py runs the programs (its
 * `exec(check_program, exec_globals)` line not commented out: the script refuses a copy that
 * would "pass" everything without running it); PY a Python with its requirements (tqdm,
 * numpy; `fire` is not needed: the function is called directly). Samples are the canonical
 * solutions as completions (human-eval prepends the prompt itself).
 *
 * Prints each run (wall s, the 1-minute load average at its start) and the medians per
 * contender; fails unless every run scores 164/164. (No CPU figure: a process in a pid
 * namespace of bubblewrap's is never reaped by an ancestor, so rusage of children misses it.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { median } from '../src/util/stats.js';
import { arg, numArg } from './args.js';

interface Run {
  contender: string;
  workers: number;
  round: number;
  wall_s: number;
  load1: number;
  passed: number;
}

const heDir = resolve(arg('human-eval', ''));
const python = arg('python', 'python3');
const file = resolve(arg('file', ''));
const workerCounts = arg('workers', '2,1').split(',').map(Number);
const rounds = numArg('rounds', 3);
const paths = arg('paths', 'bwrap,unshare').split(',');
const jsonOut = arg('json', '');
const dsabench = resolve(new URL('../../bin/dsabench.js', import.meta.url).pathname);

if (!arg('human-eval', '') || !arg('file', '')) throw new Error('--human-eval DIR and --file HumanEval.jsonl.gz are required');
const execution = readFileSync(join(heDir, 'human_eval', 'execution.py'), 'utf8');
if (!/^\s*exec\(check_program, exec_globals\)/m.test(execution)) {
  throw new Error(`${heDir}/human_eval/execution.py does not run the programs: uncomment its exec(check_program, exec_globals) line as its README says`);
}

const problems = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as { task_id: string; canonical_solution: string });
const scratch = mkdtempSync(join(tmpdir(), 'dsabench-he-ref-'));
const samples = join(scratch, 'samples.jsonl');
writeFileSync(samples, problems.map((p) => JSON.stringify({ task_id: p.task_id, completion: p.canonical_solution })).join('\n') + '\n');

const HE_DRIVER = [
  'import json, sys',
  'sys.path.insert(0, sys.argv[1])',
  'from human_eval.evaluation import evaluate_functional_correctness as f',
  'f(sys.argv[2], k=[1], n_workers=int(sys.argv[3]), problem_file=sys.argv[4])',
  "rows = [json.loads(l) for l in open(sys.argv[2] + '_results.jsonl')]",
  "print(json.dumps({'passed': sum(r['passed'] for r in rows)}))",
].join('\n');

function runOnce(contender: string, workers: number): { passed: number; wall_s: number } {
  let cmd: string;
  let args: string[];
  let env: NodeJS.ProcessEnv = { ...process.env };
  const out = join(scratch, `run-${contender}`);
  if (contender === 'human-eval') {
    cmd = python;
    args = ['-c', HE_DRIVER, heDir, samples, String(workers), file];
  } else {
    const path = contender.replace(/^dsabench-/, '');
    env = path === 'bwrap' ? { ...env, DSABENCH_SANDBOX: 'bwrap' } : { ...env, DSABENCH_SANDBOX: 'unshare', DSABENCH_UNSHARE_HELPER: path === 'unshare-sh' ? 'sh' : 'perl' };
    cmd = process.execPath;
    args = [dsabench, 'run', '-s', `humaneval:${file}`, '-p', 'oracle', '--workers', String(workers), '--no-cache',
      '--cache', join(scratch, `cache-${contender}.sqlite`), '--out', out, '-q', '--json'];
  }
  const t0 = performance.now();
  const c = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wall_s = (performance.now() - t0) / 1000;
  rmSync(out, { recursive: true, force: true });
  if (c.status !== 0) throw new Error(`${contender}: exit ${c.status}\n${c.stderr}`);
  let passed: number;
  if (contender === 'human-eval') passed = (JSON.parse(c.stdout.trim().split('\n').pop()!) as { passed: number }).passed;
  else {
    const s = JSON.parse(c.stdout) as { suites: Array<{ n: number; mean: number }> };
    passed = Math.round(s.suites[0]!.mean * s.suites[0]!.n);
  }
  return { passed, wall_s };
}

const runs: Run[] = [];
const contenders = ['human-eval', ...paths.map((p) => `dsabench-${p}`)];
try {
  for (let r = 1; r <= rounds; r++) {
    for (const w of workerCounts) {
      for (const c of contenders) {
        const load1 = loadavg()[0]!;
        const got = runOnce(c, w);
        if (got.passed !== problems.length) throw new Error(`${c}: ${got.passed}/${problems.length} passed (expected all)`);
        const row: Run = { contender: c, workers: w, round: r, ...got, load1 };
        runs.push(row);
        process.stdout.write(`round ${r} workers ${w} ${c}: ${got.passed}/${problems.length} in ${got.wall_s.toFixed(1)} s, load ${load1.toFixed(1)}\n`);
      }
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const summary = workerCounts.flatMap((w) => contenders.map((c) => {
  const rs = runs.filter((x) => x.workers === w && x.contender === c);
  return {
    contender: c, workers: w, runs: rs.length,
    median_wall_s: median(rs.map((x) => x.wall_s)),
    load1: [Math.min(...rs.map((x) => x.load1)), Math.max(...rs.map((x) => x.load1))],
  };
}));
for (const s of summary) {
  process.stdout.write(`workers ${s.workers} ${s.contender}: median ${s.median_wall_s.toFixed(1)} s (${s.runs} runs, load ${s.load1[0]!.toFixed(1)}–${s.load1[1]!.toFixed(1)})\n`);
}
if (jsonOut) {
  writeFileSync(jsonOut, JSON.stringify({
    date: new Date().toISOString(), file, tasks: problems.length, human_eval: heDir, python, summary, runs,
  }, null, 1) + '\n');
}
