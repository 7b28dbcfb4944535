/**
 * Terminal-Bench and Harbor tasks whose environment is a Dockerfile (FROM a base image made
 * offline in the test setup) run in the container backend: their own solution passes their
 * own tests, a nop agent fails them, an agent's commands run in the image's WORKDIR, and a
 * task whose base image is missing is counted unsupported by the runner, not scored 0.
 *
 * Skipped where no engine can run (DSABENCH_TEST_STRICT=1 makes that a failure).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTaskDirs } from '../../src/suites/terminal/tasks.js';
import { engineCli } from '../../src/sandbox/container/engine.js';
import { DEFAULT_SETTINGS, runEvaluation } from '../../src/runner/run.js';
import type { Item } from '../../src/types.js';
import { containerSkip, containerTestSetup, type ContainerSetup } from '../helpers/container-base.js';
import { fakeProvider, runAttempt, scriptedProvider, suiteOf } from '../helpers/terminal-run.js';

const skip = await containerSkip();

function write(root: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  }
}

/** A Terminal-Bench task as its repository lays one out (no run-tests.sh: the default runner). */
function tbTask(dir: string, base: string): void {
  write(dir, {
    'task.yaml': 'instruction: |-\n  Count the lines of /app/input.txt and write the number to /app/count.txt.\ndifficulty: easy\ncategory: files\nmax_agent_timeout_sec: 120\nmax_test_timeout_sec: 120\n',
    'Dockerfile': `FROM ${base}\nWORKDIR /app\nRUN printf 'a\\nb\\nc\\n' > /app/input.txt\n`,
    'docker-compose.yaml': 'services:\n  client:\n    build:\n      dockerfile: Dockerfile\n    image: ${T_BENCH_TASK_DOCKER_CLIENT_IMAGE_NAME}\n    command: ["sh", "-c", "sleep infinity"]\n    environment:\n      - TEST_DIR=${T_BENCH_TEST_DIR}\n',
    'solution.sh': '#!/bin/bash\nwc -l < input.txt | tr -d " " > count.txt\n',
    'tests/test_outputs.py': 'import os\nfrom pathlib import Path\n\ndef test_env():\n    assert os.environ["TEST_DIR"] == "/tests"\n\ndef test_count():\n    assert Path("/app/count.txt").read_text().strip() == "3"\n',
  });
}

/** A Harbor task: environment/Dockerfile, a solution folder whose solve.sh runs its solve.py, tests via uvx + --ctrf. */
function harborTask(dir: string, base: string): void {
  write(dir, {
    'instruction.md': 'Write the sum of the numbers in /app/numbers.txt to /app/sum.txt.\n',
    'task.toml': 'version = "1.0"\n[metadata]\ndifficulty = "easy"\ncategory = "files"\n[agent]\ntimeout_sec = 120\n[verifier]\ntimeout_sec = 120\n[environment]\nbuild_timeout_sec = 300\n',
    'environment/Dockerfile': `FROM ${base}\nWORKDIR /app\nCOPY numbers.txt /app/numbers.txt\n`,
    'environment/numbers.txt': '4\n5\n6\n',
    'solution/solve.sh': '#!/bin/bash\npython3 /solution/solve.py\n',
    'solution/solve.py': 'from pathlib import Path\nnums = [int(x) for x in Path("/app/numbers.txt").read_text().split()]\nPath("/app/sum.txt").write_text(str(sum(nums)) + "\\n")\n',
    'tests/test_outputs.py': 'from pathlib import Path\n\ndef test_sum():\n    assert Path("/app/sum.txt").read_text().strip() == "15"\n',
    'tests/test.sh': [
      '#!/bin/bash',
      'uvx -p 3.13 -w pytest==8.4.1 -w pytest-json-ctrf==0.3.5 pytest --ctrf /logs/verifier/ctrf.json /tests/test_outputs.py -rA',
      'if [ $? -eq 0 ] && grep -q \'"passed": 1\' /logs/verifier/ctrf.json; then echo 1 > /logs/verifier/reward.txt; else echo 0 > /logs/verifier/reward.txt; fi',
    ].join('\n') + '\n',
  });
}

test('TB and Harbor tasks with a Dockerfile: oracle passes, nop fails, in the container backend', { skip }, async () => {
  const s = (await containerTestSetup()) as ContainerSetup;
  const root = mkdtempSync(join(tmpdir(), 'dsabench-term-container-'));
  try {
    tbTask(join(root, 'tb-count'), s.base);
    harborTask(join(root, 'hb-sum'), s.base);
    const items = readTaskDirs(root);
    const suite = suiteOf(items);
    for (const item of items) {
      assert.equal(item.metadata?.['environment'], 'container', item.id);
      const o = await runAttempt(suite, item, fakeProvider('oracle'));
      assert.equal(o.pass, true, `${item.id} oracle: ${String(o.details['reason'])}\n${String(o.details['test_output'] ?? o.details['output'])}`);
      assert.equal(o.details['environment'], 'container');
      assert.match(String(o.details['image']), /dsabench-env:/);
      const n = await runAttempt(suite, item, fakeProvider('nop'));
      assert.deepEqual([n.pass, n.value, n.details['verdict']], [false, 0, 'failed'], `${item.id} nop`);
      if (item.id === 'tb-count') assert.match(String(n.details['reason']), /1 of 2 tests not passed \(FAILED .*test_count\)/);
    }
    const ps = await engineCli(s.engine, ['ps', '-a', '--format', '{{.Names}}'], { timeoutMs: 60_000 });
    assert.ok(!ps.stdout.split('\n').some((n) => n.startsWith(`dsabench-${process.pid}-`)), `containers left: ${ps.stdout}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an agent\'s commands run in the task\'s container, in its WORKDIR; a timed-out command restarts the shell', { skip }, async () => {
  const s = (await containerTestSetup()) as ContainerSetup;
  const root = mkdtempSync(join(tmpdir(), 'dsabench-term-container-agent-'));
  try {
    harborTask(join(root, 'hb-sum'), s.base);
    const [item] = readTaskDirs(root) as [Item];
    const agent = scriptedProvider([
      'pwd; cat numbers.txt; test -e /solution || echo no-solution; test -e /tests || echo no-tests',
      'sleep 30',
      'python3 -c "print(4 + 5 + 6)" > sum.txt && cat sum.txt',
    ]);
    const o = await runAttempt(suiteOf([item], { command_timeout_sec: 2 }), item, agent);
    assert.equal(o.pass, true, String(o.details['reason']));
    const tool = o.solved.transcript!.filter((m) => m.role === 'tool').map((m) => String(m.content));
    assert.match(tool[0]!, /^\/app\n4\n5\n6\nno-solution\nno-tests\n/);
    assert.match(tool[1]!, /timed out/);
    assert.match(tool[2]!, /^15\n/);
    assert.equal(o.solved.metadata?.['environment'], 'container');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('through the runner: a task whose base image is missing is counted unsupported, the run says which engine', { skip }, async () => {
  const s = (await containerTestSetup()) as ContainerSetup;
  const root = mkdtempSync(join(tmpdir(), 'dsabench-term-container-run-'));
  try {
    const tasks = join(root, 'tasks');
    tbTask(join(tasks, 'a-runs'), s.base);
    tbTask(join(tasks, 'b-missing-base'), 'localhost/dsabench-no-such-base:1');
    const lines: string[] = [];
    const res = await runEvaluation(
      { ...DEFAULT_SETTINGS, suites: [`terminal:${tasks}`], providers: [{ spec: 'oracle' }], workers: 1, concurrency: 2, cache: null },
      { out: join(root, 'run') },
      { progress: { quiet: true }, log: (l) => lines.push(l) },
    );
    const sum = res.summary.suites[0]!;
    assert.equal(sum.n_unsupported, 1, JSON.stringify(sum));
    assert.equal(sum.mean, 1, 'the task that ran passed; the other is not a 0 in the mean');
    assert.ok(lines.some((l) => l.startsWith(`containers: ${s.engine.name} `)), lines.join('\n'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
