/**
 * The container backend's command lines, engine by engine, through the real call sites
 * (detection, image build, start, exec, copy, removal) against a stand-in CLI on PATH that
 * records its argv and answers as the engine would. Runs everywhere, daemon or not: the
 * `docker` path is otherwise exercised only where a Docker daemon answers (see the README),
 * and podman's command lines differ from docker's in ways that matter (podman's `rm` needs
 * `-t 0`, its `build` `--pull=never`, its image names `localhost/`; docker has none of these).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectContainerEngine, resetContainerEngine, type ContainerEngine } from '../../src/sandbox/container/engine.js';
import { ensureImage } from '../../src/sandbox/container/image.js';
import { copyInto, execIn, removeContainer, startContainer } from '../../src/sandbox/container/container.js';
import { resolveLimits } from '../../src/sandbox/launch.js';

const dir = mkdtempSync(join(tmpdir(), 'dsabench-fake-engine-'));
const log = join(dir, 'calls.jsonl');
const ID = 'c0ffee0123456789c0ffee0123456789c0ffee0123456789c0ffee0123456789';
// The container's "init": a host process nothing here signals (exec's kill path is not taken).
const init = spawn('sleep', ['300'], { stdio: 'ignore' });
after(() => {
  init.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  resetContainerEngine();
});

/**
 * A stand-in engine CLI: logs its argv (one JSON array per line) and answers like the
 * engine. Images named dsabench-env:… (not built yet) or containing "missing" do not exist.
 */
const FAKE = `#!${process.execPath}
const fs = require('node:fs');
const a = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_ENGINE_LOG, JSON.stringify(a) + '\\n');
const sub = a.find((x) => !x.startsWith('-') && !['runc', 'cgroupfs'].includes(x));
const last = a[a.length - 1];
if (sub === 'info' || sub === 'version') { console.log('24.0.7'); process.exit(0); }
if (sub === 'image') process.exit(/dsabench-env:|missing/.test(last) ? 1 : 0);
if (sub === 'run' && a.includes('-d')) { console.log('${ID}'); process.exit(0); }
if (sub === 'inspect') { console.log(process.env.FAKE_INIT_PID + '\\t["HOME=/root","PATH=/custom/bin:/usr/bin"]\\t/app'); process.exit(0); }
if (sub === 'exec') {
  let input = '';
  if (a.includes('-i')) input = fs.readFileSync(0, 'utf8');
  process.stdout.write('exec-ok ' + input);
  process.exit(0);
}
process.exit(0);
`;

function install(name: 'docker' | 'podman'): ContainerEngine {
  const bin = join(dir, name);
  writeFileSync(bin, FAKE);
  chmodSync(bin, 0o755);
  writeFileSync(log, '');
  process.env['PATH'] = `${dir}:${process.env['PATH'] ?? '/usr/bin:/bin'}`;
  process.env['DSABENCH_CONTAINER_ENGINE'] = name;
  process.env['FAKE_ENGINE_LOG'] = log;
  process.env['FAKE_INIT_PID'] = String(init.pid);
  resetContainerEngine();
  const e = detectContainerEngine();
  if (e instanceof Error) throw e;
  return e;
}

function calls(): string[][] {
  const lines = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]);
  writeFileSync(log, '');
  return lines;
}

const limits = resolveLimits({ openFiles: 512, nproc: 128, cpuSec: 30, fileSizeBytes: 1024 ** 2, totalMemoryBytes: 2 * 1024 ** 3 });
const ULIMITS = ['--ulimit', 'nofile=512:512', '--ulimit', 'nproc=128:128', '--ulimit', `fsize=${1024 ** 2}:${1024 ** 2}`, '--ulimit', 'core=0:0', '--ulimit', 'cpu=30:31'];

test('docker: detection, build, run, exec, cp and rm command lines', async () => {
  const e = install('docker');
  assert.deepEqual(e, { name: 'docker', cli: join(dir, 'docker'), version: '24.0.7', global: [], cgroupLimits: true });
  assert.deepEqual(calls(), [['info', '--format', '{{.ServerVersion}}']]);

  const img = await ensureImage(e, { context: [{ path: 'env/Dockerfile', content: 'FROM debian:12\nRUN true\n', encoding: 'utf8' }], dockerfile: 'env/Dockerfile', timeoutMs: 60_000 });
  assert.ok(img.ok && img.built, JSON.stringify(img));
  assert.match(img.image, /^dsabench-env:[0-9a-f]{20}$/, 'no localhost/ prefix: docker would read it as a registry host');
  const [exists, base, build, ...rest] = calls();
  assert.deepEqual(exists, ['image', 'inspect', '--format', '{{.Id}}', img.image]);
  assert.deepEqual(base, ['image', 'inspect', '--format', '{{.Id}}', 'debian:12']);
  assert.equal(rest.length, 0);
  // docker build has no --pull=never: a present base image is used, none is pulled for it (checked above).
  assert.deepEqual(build!.slice(0, 4), ['build', '--network=none', '-t', img.image]);
  assert.equal(build![4], '-f');
  assert.match(build![5]!, /dsabench-build-[^/]+\/env\/Dockerfile$/);
  assert.equal(build![6], build![5]!.replace(/\/env\/Dockerfile$/, ''));
  assert.equal(build!.length, 7);

  const missing = await ensureImage(e, { context: [{ path: 'Dockerfile', content: 'FROM example.org/missing:1\n', encoding: 'utf8' }], dockerfile: 'Dockerfile', timeoutMs: 60_000 });
  assert.ok(!missing.ok && /docker load -i image\.tar, or docker import rootfs\.tar/.test(missing.reason), JSON.stringify(missing));
  assert.equal(calls().filter((c) => c[0] === 'build').length, 0, 'no build without the base image');

  const started = await startContainer(e, img.image, { limits, lifetimeSec: 600, env: { TEST_DIR: '/tests' } });
  assert.ok(started.ok, started.ok ? '' : started.reason);
  const ref = started.ref;
  assert.deepEqual([ref.id, ref.initPid, ref.path, ref.workdir], [ID, init.pid, '/custom/bin:/usr/bin', '/app']);
  const [run, inspect] = calls();
  assert.match(run![4]!, new RegExp(`^dsabench-${process.pid}-[0-9a-f]{12}$`));
  assert.deepEqual(run, [
    'run', '-d', '--rm', '--name', run![4], '--label', 'dsabench=1', '--network', 'none', '--hostname', 'sandbox',
    ...ULIMITS, '--memory', String(2 * 1024 ** 3), '--pids-limit', '128', '-e', 'TEST_DIR=/tests',
    img.image, 'sh', '-c', 'sleep 600',
  ]);
  assert.deepEqual(inspect, ['inspect', '--format', '{{.State.Pid}}\t{{json .Config.Env}}\t{{.Config.WorkingDir}}', ID]);

  const r = await execIn(ref, ['bash', '-lc', 'echo hi'], { timeoutMs: 30_000, env: { A: '1' }, cwd: '/work dir', stdin: 'input' });
  assert.deepEqual([r.exitCode, r.stdout, r.isolation], [0, 'exec-ok input', 'container']);
  const [exec] = calls();
  assert.match(exec![3]!, /^DSABENCH_EXEC=[0-9a-f]{16}$/, 'the marker that finds what this exec started');
  assert.deepEqual(exec, ['exec', '-i', '-e', exec![3], '-e', 'A=1', '-w', '/work dir', ID, 'bash', '-lc', 'echo hi']);
  await execIn(ref, ['true'], { timeoutMs: 30_000 });
  assert.deepEqual(calls()[0]!.filter((x) => !x.startsWith('DSABENCH_EXEC=')), ['exec', '-e', ID, 'true'], 'no -i without input, no -w: the image WORKDIR');

  assert.equal(await copyInto(ref, '/host/tests', '/tests'), null);
  assert.deepEqual(calls(), [['cp', '/host/tests/.', `${ID}:/tests`]]);
  await removeContainer(ref);
  assert.deepEqual(calls(), [['rm', '-f', ID]], 'docker rm -f kills at once: no -t');
});

test('podman, for contrast: the flags docker does not take', async () => {
  const e = install('podman');
  // The first flag set whose probe container starts: here the engine's defaults.
  assert.deepEqual([e.name, e.global, e.cgroupLimits], ['podman', [], true]);
  const [version, probe] = calls();
  assert.deepEqual(version, ['version', '--format', '{{.Client.Version}}']);
  assert.deepEqual(probe!.slice(0, 11), ['run', '--rm', '--network', 'none', '--ulimit', 'nofile=64:64', '--ulimit', 'nproc=64:64', '--memory', String(64 * 1024 * 1024), '--pids-limit']);

  const img = await ensureImage(e, { context: [{ path: 'Dockerfile', content: 'FROM localhost/base:1\n', encoding: 'utf8' }], dockerfile: 'Dockerfile', timeoutMs: 60_000 });
  assert.ok(img.ok && /^localhost\/dsabench-env:/.test(img.image), JSON.stringify(img));
  const [exists, base, build] = calls();
  assert.deepEqual(exists, ['image', 'exists', img.image]);
  assert.deepEqual(base, ['image', 'exists', 'localhost/base:1']);
  assert.deepEqual(build!.slice(0, 5), ['build', '--network=none', '--pull=never', '-t', img.image]);

  const started = await startContainer(e, img.image, { limits, lifetimeSec: 60 });
  assert.ok(started.ok);
  calls();
  await removeContainer(started.ref);
  assert.deepEqual(calls(), [['rm', '-f', '-t', '0', ID]]);
});
