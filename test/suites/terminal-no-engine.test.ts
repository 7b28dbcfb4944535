/**
 * Without a container engine (DSABENCH_CONTAINER_ENGINE=none stands in for a machine with
 * none): a Dockerfile task is unsupported with the reason, never 0, and a task that also has
 * a host-tools environment (setup.sh) runs in the sandbox instead. The run's start line says
 * how many tasks that leaves unsupported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTaskDirs } from '../../src/suites/terminal/tasks.js';
import { resetContainerEngine, type ContainerEngine } from '../../src/sandbox/container/engine.js';
import { detectSandbox, type SandboxTools } from '../../src/sandbox/detect.js';
import { checkSuiteRequirements } from '../../src/suites/requirements.js';
import { fakeProvider, runAttempt, suiteOf } from '../helpers/terminal-run.js';

function write(root: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  }
}

const TASK = {
  'instruction.md': 'Write ok to /app/out.txt.\n', 'task.toml': '[agent]\ntimeout_sec = 30\n[verifier]\ntimeout_sec = 30\n',
  'environment/Dockerfile': 'FROM debian:12\nWORKDIR /app\n',
  'solution/solve.sh': 'echo ok > /app/out.txt\n',
  'tests/test.sh': 'r=0; [ "$(cat /app/out.txt 2>/dev/null)" = ok ] && r=1; echo $r > /logs/verifier/reward.txt\n',
};

test('no engine: a Dockerfile task is unsupported with the reason; with setup.sh it falls back to the sandbox', { skip: detectSandbox() instanceof Error ? 'no sandbox here' : false }, async () => {
  const prev = process.env['DSABENCH_CONTAINER_ENGINE'];
  process.env['DSABENCH_CONTAINER_ENGINE'] = 'none';
  resetContainerEngine();
  const root = mkdtempSync(join(tmpdir(), 'dsabench-no-engine-'));
  try {
    write(join(root, 'docker-only'), TASK);
    write(join(root, 'with-setup'), { ...TASK, 'environment/setup.sh': 'true\n' });
    const [dockerOnly, withSetup] = readTaskDirs(root);
    const suite = suiteOf([dockerOnly!, withSetup!]);
    const u = await runAttempt(suite, dockerOnly!, fakeProvider('oracle'));
    assert.deepEqual([u.pass, u.value, u.details['verdict']], [false, 0, 'unsupported']);
    assert.match(String(u.details['reason']), /container image and the container backend is turned off/);
    assert.match(String(u.solved.metadata?.['unsupported']), /turned off/, 'the solver marks it, so the runner counts it apart');
    const f = await runAttempt(suite, withSetup!, fakeProvider('oracle'));
    assert.equal(f.pass, true, String(f.details['reason']));
    assert.equal(f.details['environment'], 'sandbox');
  } finally {
    if (prev === undefined) delete process.env['DSABENCH_CONTAINER_ENGINE'];
    else process.env['DSABENCH_CONTAINER_ENGINE'] = prev;
    resetContainerEngine();
    rmSync(root, { recursive: true, force: true });
  }
});

test('the start line names the container engine, or says how many tasks will be unsupported', () => {
  const root = mkdtempSync(join(tmpdir(), 'dsabench-no-engine-line-'));
  try {
    write(join(root, 'a'), TASK);
    write(join(root, 'b'), TASK);
    const suite = suiteOf(readTaskDirs(root));
    const sandbox: SandboxTools = { kind: 'bwrap', bwrap: '/usr/bin/bwrap', unshare: null, prlimit: '/usr/bin/prlimit', setpriv: null, isRoot: false };
    const podman: ContainerEngine = { name: 'podman', cli: '/usr/bin/podman', version: '4.3.1', global: ['--runtime', 'runc'], cgroupLimits: true };
    // Container tasks need no sandbox: only the engine line.
    assert.equal(checkSuiteRequirements([suite], { detect: () => sandbox, detectEngine: () => podman }), 'containers: podman 4.3.1 --runtime runc, no network');
    assert.equal(checkSuiteRequirements([suite], { detect: () => new Error('none'), detectEngine: () => new Error('no container engine: podman not found on PATH') }),
      'containers: none — 2 tasks whose environment is a container image will be counted unsupported (no container engine: podman not found on PATH)');
    assert.equal(checkSuiteRequirements([suite], { limit: 1, detect: () => sandbox, detectEngine: () => ({ ...podman, cgroupLimits: false }) }),
      'containers: podman 4.3.1 --runtime runc, no network, memory and processes watched from the host (no cgroup limits)');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
