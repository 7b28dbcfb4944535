import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSuite } from '../../src/suites/load.js';
import { readTaskDirs } from '../../src/suites/terminal/tasks.js';
import { parseMiniToml, parseMiniYaml } from '../../src/suites/terminal/minifmt.js';
import { terminalScorer } from '../../src/scorers/terminal.js';
import { fakeProvider, terminalAttemptSolver as terminalAgentSolver } from '../helpers/terminal-run.js';
import type { Item, Suite } from '../../src/types.js';

async function runTask(suite: Suite, item: Item, providerId: string): Promise<{ pass: boolean; value: number; details: Record<string, unknown> }> {
  const wd = mkdtempSync(join(tmpdir(), 'dsabench-term-test-'));
  try {
    const solved = await terminalAgentSolver({
      suite, item, provider: fakeProvider(providerId), messages: [], settings: {}, attempt: 0, workDir: wd,
    });
    const s = await terminalScorer(solved.output, item, {}, { workDir: wd });
    return { pass: s.pass, value: s.value, details: s.details ?? {} };
  } finally {
    rmSync(wd, { recursive: true, force: true });
  }
}

test('mini YAML and TOML read what task files use', () => {
  const y = parseMiniYaml('instruction: |-\n  line one\n\n  line two\ndifficulty: hard # comment\ntags:\n  - a\n  - "b c"\nmax_agent_timeout_sec: 120\nlist: [x, 2]\n', 't.yaml');
  assert.deepEqual(y, { instruction: 'line one\n\nline two', difficulty: 'hard', tags: ['a', 'b c'], max_agent_timeout_sec: 120, list: ['x', 2] });
  const t = parseMiniToml('version = "1.0"\n[agent]\ntimeout_sec = 300.0\n[verifier]\ntimeout_sec = 45\n[metadata]\ntags = ["x", "y"]\n', 't.toml');
  assert.deepEqual(t, { '': { version: '1.0' }, agent: { timeout_sec: 300 }, verifier: { timeout_sec: 45 }, metadata: { tags: ['x', 'y'] } });
});

test('built-in terminal suite: ≥20 tasks over the required areas; oracle 100%, nop 0%', async () => {
  const suite = await loadSuite('terminal');
  assert.equal(suite.config.solver, 'terminal-agent');
  assert.ok(suite.items.length >= 20, `${suite.items.length} tasks`);
  const cats = new Set(suite.items.map((i) => String(i.metadata?.['category'])));
  for (const c of ['text-processing', 'git', 'software-engineering', 'database', 'build', 'log-analysis']) assert.ok(cats.has(c), c);
  for (const it of suite.items) {
    const t = it.target as { agent_timeout_sec: number; test_timeout_sec: number; unsupported?: string };
    assert.ok(t.agent_timeout_sec > 0 && t.test_timeout_sec > 0, it.id);
    assert.equal(t.unsupported, undefined, it.id);
    assert.equal(typeof it.reference, 'string', `${it.id} has a solution`);
  }
  assert.ok(suite.items.some((i) => i.metadata?.['format'] === 'harbor'));
  const results: string[] = [];
  let next = 0;
  await Promise.all([0, 1].map(async () => {
    for (;;) {
      const it = suite.items[next++];
      if (!it) return;
      const o = await runTask(suite, it, 'oracle');
      if (!o.pass) results.push(`oracle failed ${it.id}: ${String(o.details['reason'])} ${String(o.details['test_output'])}`);
      const n = await runTask(suite, it, 'nop');
      if (n.pass || n.value !== 0) results.push(`nop passed ${it.id} (value ${n.value})`);
    }
  }));
  assert.deepEqual(results, []);
});

test('Terminal-Bench 1.x and Harbor folders; a Docker task that cannot run here is unsupported, never passed', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dsabench-term-layouts-'));
  try {
    const tb = join(root, 'tb-docker');
    mkdirSync(join(tb, 'tests'), { recursive: true });
    writeFileSync(join(tb, 'task.yaml'), 'instruction: |-\n  Do the thing.\ndifficulty: medium\nmax_agent_timeout_sec: 100\nmax_test_timeout_sec: 30\n');
    writeFileSync(join(tb, 'Dockerfile'), 'FROM ghcr.io/laude-institute/t-bench/ubuntu-24-04:latest\n');
    writeFileSync(join(tb, 'solution.sh'), 'echo done > /app/x\n');
    writeFileSync(join(tb, 'run-tests.sh'), 'pytest $TEST_DIR/test_outputs.py\n');
    writeFileSync(join(tb, 'tests', 'test_outputs.py'), 'def test_x():\n    assert True\n');

    const hb = join(root, 'hb-local');
    mkdirSync(join(hb, 'tests'), { recursive: true });
    mkdirSync(join(hb, 'solution'), { recursive: true });
    mkdirSync(join(hb, 'environment', 'app'), { recursive: true });
    writeFileSync(join(hb, 'instruction.md'), 'Write 42 to /app/out.txt.\n');
    writeFileSync(join(hb, 'task.toml'), '[agent]\ntimeout_sec = 50\n[verifier]\ntimeout_sec = 20\n');
    writeFileSync(join(hb, 'environment', 'Dockerfile'), 'FROM ubuntu:24.04\n');
    writeFileSync(join(hb, 'environment', 'setup.sh'), 'echo seed > /app/seed.txt\n');
    writeFileSync(join(hb, 'environment', 'app', 'given.txt'), 'given\n');
    writeFileSync(join(hb, 'solution', 'solve.sh'), 'cat /app/given.txt > /dev/null && echo 42 > /app/out.txt\n');
    writeFileSync(join(hb, 'tests', 'test.sh'), 'r=0; [ "$(cat /app/out.txt 2>/dev/null)" = 42 ] && r=1; [ -f /app/seed.txt ] || r=0; echo $r > /logs/verifier/reward.txt\n');

    const items = readTaskDirs(root);
    assert.deepEqual(items.map((i) => i.id), ['hb-local', 'tb-docker']);
    const [h, t] = items as [Item, Item];
    const tt = t.target as { container?: { kind: string }; agent_timeout_sec: number; test_timeout_sec: number; test_command: string };
    assert.equal(tt.container?.kind, 'dockerfile');
    assert.equal(t.metadata?.['environment'], 'container');
    assert.deepEqual([tt.agent_timeout_sec, tt.test_timeout_sec, tt.test_command], [100, 30, 'bash /tests/run-tests.sh']);
    assert.equal(t.input['instruction'], 'Do the thing.');
    const ht = h.target as { unsupported?: string; agent_timeout_sec: number; reward: string };
    assert.equal(ht.unsupported, undefined, 'a Harbor task with environment/setup.sh runs on host tools where its image cannot');
    assert.deepEqual([ht.agent_timeout_sec, ht.reward], [50, 'file']);

    const suite: Suite = { config: { name: 'tmp', kind: 'terminal', scorer: { name: 'terminal' }, prompt: { template: '{instruction}' } }, spec: root, items };
    // Its base image is on no machine here (and no engine may be): unsupported, with the reason.
    const unsupported = await runTask(suite, t, 'oracle');
    assert.deepEqual([unsupported.pass, unsupported.value, unsupported.details['verdict']], [false, 0, 'unsupported']);
    assert.match(String(unsupported.details['reason']), /base image "ghcr\.io\/laude-institute\/t-bench\/ubuntu-24-04:latest" is not on this machine|no container engine/);
    const ok = await runTask(suite, h, 'oracle');
    assert.equal(ok.pass, true, String(ok.details['reason']));
    assert.equal(ok.value, 1);
    const nop = await runTask(suite, h, 'nop');
    assert.deepEqual([nop.pass, nop.value], [false, 0]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a Harbor reward between 0 and 1 is kept as the score value, pass only at 1', async () => {
  const suite = await loadSuite('terminal');
  const item = suite.items.find((i) => i.id === 'bash-fix-backup-harbor')!;
  const wd = mkdtempSync(join(tmpdir(), 'dsabench-term-partial-'));
  try {
    // Half a fix: quotes the copy but still counts wrongly (prints nothing).
    const partial = { ...item, reference: 'cat > /app/backup.sh <<\'EOF\'\nmkdir -p "$2"; for f in "$1"/*; do [ -f "$f" ] && cp "$f" "$2"/; done; true\nEOF\n' };
    await terminalAgentSolver({ suite, item: partial, provider: fakeProvider('oracle'), messages: [], settings: {}, attempt: 0, workDir: wd });
    const s = await terminalScorer('', item, {}, { workDir: wd });
    assert.equal(s.pass, false);
    assert.ok(Math.abs(s.value - 2 / 3) < 1e-6, String(s.value));
  } finally {
    rmSync(wd, { recursive: true, force: true });
  }
});
