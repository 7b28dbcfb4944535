/**
 * The container backend's primitives on a local base image built offline: image builds
 * (content-tagged, no network, a missing base image named as the reason), a container's
 * limits and isolation, exec time limits that kill what the command started, background
 * processes that outlive a command that ended normally, and removal.
 *
 * Skipped where no engine can run (DSABENCH_TEST_STRICT=1 makes that a failure).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { baseImages, ensureImage, imageTag } from '../../src/sandbox/container/image.js';
import { engineCli } from '../../src/sandbox/container/engine.js';
import { execIn, removeContainer, startContainer, type ContainerRef } from '../../src/sandbox/container/container.js';
import { processesInNamespace } from '../../src/sandbox/container/nsproc.js';
import { resolveLimits } from '../../src/sandbox/launch.js';
import { containerSkip, containerTestSetup, type ContainerSetup } from '../helpers/container-base.js';

const skip = await containerSkip();

test('baseImages: FROM lines without stage names, scratch or ARG-built names', () => {
  const df = 'ARG V=1\nFROM --platform=linux/amd64 python:3.13-slim AS build\nRUN x \\\n  y\nFROM build AS final\nFROM scratch\nFROM ghcr.io/a/b:${V}\nfrom debian:12\n';
  assert.deepEqual(baseImages(df), ['python:3.13-slim', 'debian:12']);
});

test('images: built once per content, offline; a missing base image is the reason', { skip }, async () => {
  const s = (await containerTestSetup()) as ContainerSetup;
  const ctx = [
    { path: 'Dockerfile', content: `FROM ${s.base}\nWORKDIR /app\nCOPY hello.txt /app/\nRUN echo built > /app/built.txt\n`, encoding: 'utf8' as const },
    { path: 'hello.txt', content: `hello ${Date.now()}\n`, encoding: 'utf8' as const },
  ];
  const tag = imageTag(s.engine, { context: ctx, dockerfile: 'Dockerfile' });
  assert.equal(imageTag(s.engine, { context: [...ctx].reverse(), dockerfile: 'Dockerfile' }), tag, 'order of files does not matter');
  assert.notEqual(imageTag(s.engine, { context: [ctx[0]!, { ...ctx[1]!, content: 'other' }], dockerfile: 'Dockerfile' }), tag);
  try {
    const [a, b] = await Promise.all([ensureImage(s.engine, { context: ctx, dockerfile: 'Dockerfile', timeoutMs: 300_000 }), ensureImage(s.engine, { context: ctx, dockerfile: 'Dockerfile', timeoutMs: 300_000 })]);
    assert.ok(a.ok && b.ok && a.image === tag, JSON.stringify(a));
    assert.equal(a, b, 'one build for both');
    const missing = await ensureImage(s.engine, { context: [{ path: 'Dockerfile', content: 'FROM localhost/dsabench-no-such-image:1\n', encoding: 'utf8' }], dockerfile: 'Dockerfile', timeoutMs: 60_000 });
    assert.equal(missing.ok, false);
    assert.match(missing.ok ? '' : missing.reason, /base image "localhost\/dsabench-no-such-image:1" is not on this machine/);
    // RUN steps have no network: a failing RUN is a build failure with the build's own words.
    const noNet = await ensureImage(s.engine, { context: [{ path: 'Dockerfile', content: `FROM ${s.base}\nRUN python3 -c "import socket; socket.create_connection(('1.1.1.1', 53), timeout=3)"\n`, encoding: 'utf8' }], dockerfile: 'Dockerfile', timeoutMs: 120_000 });
    assert.equal(noNet.ok, false);
    assert.match(noNet.ok ? '' : noNet.reason, /image build failed .*(unreachable|OSError|Errno)/s);
  } finally {
    await engineCli(s.engine, ['rmi', '-f', tag], { timeoutMs: 60_000 });
  }
});

test('a container: limits, no network, exec time limits kill what the command started, services outlive a finished command, removal', { skip }, async () => {
  const s = (await containerTestSetup()) as ContainerSetup;
  const limits = resolveLimits({ openFiles: 512, nproc: 128, cpuSec: 30 });
  const started = await startContainer(s.engine, s.base, { limits, lifetimeSec: 300, env: { TEST_DIR: '/tests' } });
  assert.ok(started.ok, started.ok ? '' : started.reason);
  const c: ContainerRef = started.ref;
  let connections = 0;
  const server = createServer((sock) => { connections++; sock.destroy(); });
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  const port = (server.address() as { port: number }).port;
  try {
    const info = await execIn(c, ['sh', '-c', 'ulimit -n; echo $TEST_DIR; pwd; ls /sys/class/net'], { timeoutMs: 60_000 });
    assert.equal(info.exitCode, 0, info.stderr);
    assert.equal(info.isolation, 'container');
    const [nofile, testDir, cwd, ...nets] = info.stdout.trim().split('\n');
    assert.deepEqual([nofile, testDir, cwd, nets], ['512', '/tests', '/', ['lo']]);

    const hostIp = (await execIn(c, ['sh', '-c', 'cat /proc/net/route | wc -l'], { timeoutMs: 30_000 })).stdout.trim();
    assert.equal(hostIp, '1', 'no route out of the container');
    const net = await execIn(c, ['python3', '-c', `import socket\ntry:\n    socket.create_connection(("10.0.2.2", ${port}), timeout=2); print("connected")\nexcept OSError: print("refused")`], { timeoutMs: 60_000 });
    assert.equal(net.stdout.trim(), 'refused', net.stderr);
    assert.equal(connections, 0);

    // A command past its limit: it and everything it started are killed, the container lives on.
    const t0 = Date.now();
    const slow = await execIn(c, ['sh', '-c', 'sleep 1001 & sleep 1002 & sleep 1003'], { timeoutMs: 1500 });
    assert.equal(slow.timedOut, true);
    assert.ok(Date.now() - t0 < 1500 + 30_000);
    const cmdlines = (): string[] => processesInNamespace(c.initPid).map((p) => {
      try {
        return readFileSync(`/proc/${p.pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
      } catch {
        return '';
      }
    });
    assert.deepEqual(cmdlines().filter((l) => /sleep 100[123]/.test(l)), []);

    // A command that ends normally leaves its (detached) service running: tests may need it.
    const svc = await execIn(c, ['sh', '-c', 'setsid sleep 1004 >/dev/null 2>&1 </dev/null &'], { timeoutMs: 30_000 });
    assert.equal(svc.exitCode, 0);
    assert.ok(cmdlines().some((l) => l.includes('sleep 1004')), 'the service still runs');
  } finally {
    server.close();
    await removeContainer(c);
  }
  assert.equal(existsSync(`/proc/${c.initPid}`) && processesInNamespace(c.initPid).length > 0, false, 'container gone');
  const ps = await engineCli(s.engine, ['ps', '-a', '--format', '{{.Names}}'], { timeoutMs: 60_000 });
  assert.ok(!ps.stdout.includes(c.id.slice(0, 12)) && !ps.stdout.split('\n').some((n) => n.startsWith(`dsabench-${process.pid}-`)), ps.stdout);
});
