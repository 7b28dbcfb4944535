/**
 * The non-root path (bubblewrap with a user namespace, no per-sandbox uid): when the tests
 * run as root, a child node process drops to `nobody` and runs the checks there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packagePath } from '../../src/util/package.js';
import { which } from '../../src/sandbox/detect.js';

/** `nobody` can reach the built package: every ancestor o+x, the files o+r. */
function readableByOthers(file: string): boolean {
  try {
    if ((statSync(file).mode & 0o004) === 0) return false;
    for (let d = dirname(file); d !== dirname(d); d = dirname(d)) if ((statSync(d).mode & 0o001) === 0) return false;
    return true;
  } catch {
    return false;
  }
}

const isRoot = process.getuid?.() === 0;
const skip = !isRoot ? 'needs root to switch to nobody'
  : which('setpriv') === null || which('bwrap') === null ? 'needs setpriv and bwrap'
    : !readableByOthers(packagePath('dist', 'src', 'sandbox', 'index.js')) ? 'the checkout is not readable by nobody'
      : false;

test('as an unprivileged user: isolation, fork bomb and memory swarm are contained', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-nonroot-'));
  chmodSync(dir, 0o777);
  const visible = join(tmpdir(), `dsabench-nonroot-visible-${process.pid}`);
  writeFileSync(visible, 'x', { mode: 0o644 });
  const sandbox = pathToFileURL(packagePath('dist', 'src', 'sandbox', 'index.js')).href;
  const script = `
    import { runSandboxed } from ${JSON.stringify(sandbox)};
    import { mkdtempSync } from 'node:fs';
    const wd = mkdtempSync(${JSON.stringify(join(dir, 'wd-'))});
    const out = {};
    let r = await runSandboxed({ argv: ['bash', '-c', 'id -u; touch /work/ok && echo wrote; test -e ${visible} && echo visible; touch /usr/x 2>/dev/null && echo usr; true'], workDir: wd });
    out.basic = [r.isolation, r.exitCode, r.stdout];
    let t = Date.now();
    r = await runSandboxed({ argv: ['python3', '-c', 'import os\\nwhile True:\\n    try:\\n        os.fork()\\n    except OSError:\\n        pass'], workDir: wd, limits: { wallMs: 1500, nproc: 32 } });
    out.bomb = [r.timedOut, Date.now() - t];
    t = Date.now();
    r = await runSandboxed({ argv: ['python3', '-c', 'import os, time\\nfor _ in range(6):\\n    if os.fork() == 0:\\n        b = b"x" * (300 << 20)\\n        time.sleep(30)\\ntime.sleep(30)'], workDir: wd, limits: { wallMs: 60000, totalMemoryBytes: 800 << 20 } });
    out.swarm = [r.memoryExceeded === true, r.timedOut, Date.now() - t];
    console.log(JSON.stringify(out));
  `;
  try {
    const res = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, '--input-type=module', '-e', script], {
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
    assert.equal(res.code, 0, res.out);
    const o = JSON.parse(res.out.trim().split('\n').pop()!) as { basic: [string, number, string]; bomb: [boolean, number]; swarm: [boolean, boolean, number] };
    assert.deepEqual(o.basic, ['bwrap', 0, '1000\nwrote\n']);
    // Bounds that do not measure the machine: a bomb left alive never ends, so 30 s after its
    // 1.5 s limit is ample even on a loaded machine. The swarm must be stopped by the memory
    // limit, not the wall clock, which is set far beyond the few seconds its forks need to
    // touch 900 MB (with 8 s, a busy machine sometimes hit the wall clock first); unstopped,
    // it ends by itself after 30 s without memoryExceeded.
    assert.equal(o.bomb[0], true);
    assert.ok(o.bomb[1] < 1500 + 30_000, `fork bomb took ${o.bomb[1]} ms`);
    assert.deepEqual(o.swarm.slice(0, 2), [true, false], `memory swarm: memoryExceeded, timedOut = ${o.swarm.slice(0, 2).join(', ')} after ${o.swarm[2]} ms`);
  } finally {
    rmSync(visible, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
