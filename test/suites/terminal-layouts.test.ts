/**
 * Terminal-Bench and Harbor task folders as their harnesses define them, on the sandbox
 * backend (host-tools environments): Terminal-Bench's default test runner, the whole
 * Harbor solution/ folder, pytest and its --ctrf report for the tests, offline uv/uvx,
 * and Terminal-Bench's pytest-summary verdict.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices, readTaskDirs, TB_DEFAULT_TEST_COMMAND } from '../../src/suites/terminal/tasks.js';
import type { TerminalTarget } from '../../src/sandbox/terminal/target.js';
import { parsePytestSummary } from '../../src/sandbox/terminal/pytest-summary.js';
import { testTools } from '../../src/sandbox/terminal/tools.js';
import { detectSandbox } from '../../src/sandbox/detect.js';
import { DsabenchError } from '../../src/errors.js';
import { fakeProvider, runAttempt, suiteOf } from '../helpers/terminal-run.js';
import { STRICT } from '../helpers/container-base.js';

function write(root: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  }
}

const TB_YAML = 'instruction: |-\n  Write the number of lines of /app/input.txt to /app/count.txt.\ndifficulty: easy\ncategory: files\nmax_agent_timeout_sec: 60\nmax_test_timeout_sec: 60\n';
const TB_TESTS = 'from pathlib import Path\n\ndef test_exists():\n    assert Path("/app/count.txt").exists()\n\ndef test_value():\n    assert Path("/app/count.txt").read_text().strip() == "3"\n';

test('pytest summary: resolved iff every listed test PASSED; none listed → no verdict from it', () => {
  const ok = '...\n=========================== short test summary info ============================\nPASSED tests/test_outputs.py::test_a\nPASSED tests/test_outputs.py::test_b\n============================== 2 passed in 0.01s ===============================\n';
  assert.deepEqual(parsePytestSummary(ok)?.resolved, true);
  const bad = ok.replace('PASSED tests/test_outputs.py::test_b', 'FAILED tests/test_outputs.py::test_b - assert 2 == 3');
  assert.deepEqual(parsePytestSummary(bad)?.tests.map((t) => t.outcome), ['PASSED', 'FAILED']);
  assert.equal(parsePytestSummary(bad)?.resolved, false);
  assert.equal(parsePytestSummary(ok.replace('PASSED tests/test_outputs.py::test_b', 'SKIPPED [1] tests/test_outputs.py:3: no'))?.resolved, false);
  assert.equal(parsePytestSummary('all tests passed\n'), null);
  assert.equal(parsePytestSummary('== short test summary info ==\n== 0 passed ==\n'), null);
});

test('layouts: TB without run-tests.sh runs pytest on tests/test_outputs.py; Harbor keeps all of solution/; compose services', () => {
  const root = mkdtempSync(join(tmpdir(), 'dsabench-layouts-'));
  try {
    write(join(root, 'tb-default'), { 'task.yaml': TB_YAML, 'Dockerfile': 'FROM x\n', 'solution.sh': 'true\n', 'tests/test_outputs.py': TB_TESTS });
    write(join(root, 'tb-none'), { 'task.yaml': TB_YAML, 'solution.sh': 'true\n', 'tests/other.py': '' });
    write(join(root, 'tb-multi'), {
      'task.yaml': TB_YAML, 'Dockerfile': 'FROM x\n', 'solution.sh': 'true\n', 'tests/test_outputs.py': TB_TESTS,
      'docker-compose.yaml': 'services:\n  client:\n    build:\n      dockerfile: Dockerfile\n  db:\n    image: postgres\n',
    });
    write(join(root, 'hb'), {
      'instruction.md': 'Do it.\n', 'task.toml': '[environment]\nbuild_timeout_sec = 99\n[agent]\ntimeout_sec = 5\n',
      'environment/Dockerfile': 'FROM x\nCOPY data.txt /app/\n', 'environment/data.txt': 'd\n', 'environment/setup.sh': 'true\n', 'environment/app/a.txt': 'a\n',
      'solution/solve.sh': 'python3 /solution/solve.py\n', 'solution/solve.py': 'print(1)\n', 'solution/data/in.txt': 'x\n',
      'tests/test.sh': 'true\n',
    });
    write(join(root, 'hb-image'), { 'instruction.md': 'Do it.\n', 'task.toml': '[environment]\ndocker_image = "ghcr.io/x/y:1"\nworkdir = "/srv"\n', 'tests/test.sh': 'true\n' });
    write(join(root, 'hb-online'), { 'instruction.md': 'Do it.\n', 'task.toml': '[environment]\nallow_internet = true\n', 'environment/Dockerfile': 'FROM x\n', 'tests/test.sh': 'true\n' });
    assert.throws(() => readTaskDirs(join(root, 'tb-none')), (e: unknown) => e instanceof DsabenchError && e.code === 'E_ITEMS_INVALID' && /test_outputs\.py/.test(e.message));
    rmSync(join(root, 'tb-none'), { recursive: true });
    const items = Object.fromEntries(readTaskDirs(root).map((i) => [i.id, i]));
    const tb = items['tb-default']!.target as TerminalTarget;
    assert.equal(tb.test_command, TB_DEFAULT_TEST_COMMAND);
    assert.equal(tb.container?.kind, 'dockerfile');
    assert.deepEqual(tb.solution_files?.map((f) => f.path), ['solve.sh']);
    const multi = items['tb-multi']!.target as TerminalTarget;
    assert.equal(multi.container?.kind, 'unrunnable');
    assert.match(multi.container?.kind === 'unrunnable' ? multi.container.reason : '', /2 services .*client, db/);
    const hb = items['hb']!.target as TerminalTarget;
    assert.deepEqual(hb.solution_files?.map((f) => f.path).sort(), ['data/in.txt', 'solve.py', 'solve.sh']);
    assert.equal(items['hb']!.reference, 'python3 /solution/solve.py\n');
    assert.ok(hb.container?.kind === 'dockerfile');
    if (hb.container?.kind === 'dockerfile') {
      // environment/ is the build context, without the host-tools files
      assert.deepEqual(hb.container.context.map((f) => f.path).sort(), ['Dockerfile', 'data.txt']);
      assert.equal(hb.container.build_timeout_sec, 99);
    }
    assert.deepEqual((items['hb-image']!.target as TerminalTarget).container, { kind: 'image', image: 'ghcr.io/x/y:1', workdir: '/srv' });
    // A task that declares it needs the internet cannot run anywhere here: unsupported, whatever the engine.
    assert.match(String((items['hb-online']!.target as TerminalTarget).unsupported), /needs the internet/);
    assert.equal(items['hb-online']!.metadata?.['unsupported'], true);
    assert.equal(items['hb-image']!.metadata?.['environment'], 'container');
    assert.equal(items['hb']!.metadata?.['environment'], undefined, 'setup.sh is its fallback: it may need the sandbox');
    assert.deepEqual(composeServices('version: "3"\nservices:\n  client:\n    image: a\n    # x:\n  other: # c\n    image: b\nnetworks:\n  n1:\n'), ['client', 'other']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const tools = testTools();
const noSandbox = detectSandbox() instanceof Error;
const hostSkip = noSandbox ? 'no sandbox here'
  : tools.packages.includes('pytest') || tools.packages.includes('_pytest') ? false
    : STRICT ? false : 'no Python with pytest on this machine (apt-get install -y python3-pytest)';

test('sandbox backend: TB default runner, Harbor solution folder + pytest --ctrf + uvx offline; oracle passes, nop fails', { skip: hostSkip }, async () => {
  assert.ok(tools.packages.includes('pytest') || tools.packages.includes('_pytest'), `the test tooling has pytest (from ${tools.python ?? 'no Python'})`);
  const root = mkdtempSync(join(tmpdir(), 'dsabench-layouts-run-'));
  try {
    write(join(root, 'tb-default'), {
      'task.yaml': TB_YAML, 'setup.sh': "printf 'a\\nb\\nc\\n' > /app/input.txt\n",
      'solution.sh': 'wc -l < /app/input.txt | tr -d " " > /app/count.txt\n', 'tests/test_outputs.py': TB_TESTS,
    });
    // Exit 0 whatever pytest says: only Terminal-Bench's summary rule can fail it.
    write(join(root, 'tb-swallow'), {
      'task.yaml': TB_YAML, 'setup.sh': "printf 'a\\nb\\nc\\n' > /app/input.txt\n",
      'solution.sh': 'echo 3 > /app/count.txt\n', 'tests/test_outputs.py': TB_TESTS,
      'run-tests.sh': 'pytest $TEST_DIR/test_outputs.py -rA\necho "tests done"\nexit 0\n',
    });
    write(join(root, 'hb-ctrf'), {
      'instruction.md': 'Write the sum of /app/numbers.txt to /app/sum.txt.\n', 'task.toml': '[agent]\ntimeout_sec = 60\n[verifier]\ntimeout_sec = 60\n',
      'environment/setup.sh': "printf '4\\n5\\n6\\n' > /app/numbers.txt\n",
      'solution/solve.sh': '#!/bin/bash\npython3 /solution/solve.py "$(cat /solution/data/target.txt)"\n',
      'solution/solve.py': 'import sys\nfrom pathlib import Path\nnums = [int(x) for x in Path("/app/numbers.txt").read_text().split()]\nPath(sys.argv[1]).write_text(str(sum(nums)) + "\\n")\n',
      'solution/data/target.txt': '/app/sum.txt\n',
      'tests/test_outputs.py': 'from pathlib import Path\n\ndef test_sum():\n    assert Path("/app/sum.txt").read_text().strip() == "15"\n',
      // As Harbor tests are written: uvx fetching pytest and the CTRF plugin (offline here), reward from its status.
      'tests/test.sh': [
        '#!/bin/bash',
        'uvx -p 3.13 -w pytest==8.4.1 -w pytest-json-ctrf==0.3.5 pytest --ctrf /logs/verifier/ctrf.json /tests/test_outputs.py -rA',
        'status=$?',
        'python3 -c "import json; r = json.load(open(\'/logs/verifier/ctrf.json\'))[\'results\']; assert r[\'summary\'][\'tests\'] == 1, r" || status=9',
        'if [ $status -eq 0 ]; then echo 1 > /logs/verifier/reward.txt; else echo 0 > /logs/verifier/reward.txt; fi',
      ].join('\n') + '\n',
    });
    const items = readTaskDirs(root);
    const suite = suiteOf(items);
    const byId = Object.fromEntries(items.map((i) => [i.id, i]));
    for (const id of ['tb-default', 'hb-ctrf']) {
      const o = await runAttempt(suite, byId[id]!, fakeProvider('oracle'));
      assert.equal(o.pass, true, `${id} oracle: ${String(o.details['reason'])}\n${String(o.details['test_output'] ?? o.details['output'])}`);
      assert.equal(o.details['environment'], 'sandbox');
      const n = await runAttempt(suite, byId[id]!, fakeProvider('nop'));
      assert.deepEqual([n.pass, n.value], [false, 0], `${id} nop`);
    }
    const nopDefault = await runAttempt(suite, byId['tb-default']!, fakeProvider('nop'));
    assert.match(String(nopDefault.details['reason']), /2 of 2 tests not passed/);
    const swallowOk = await runAttempt(suite, byId['tb-swallow']!, fakeProvider('oracle'));
    assert.equal(swallowOk.pass, true, String(swallowOk.details['test_output']));
    const swallowed = await runAttempt(suite, byId['tb-swallow']!, fakeProvider('nop'));
    assert.equal(swallowed.details['exit_code'], 0, 'run-tests.sh exits 0');
    assert.equal(swallowed.pass, false, 'but pytest\'s summary lists failures');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
