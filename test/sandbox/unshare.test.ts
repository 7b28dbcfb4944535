/**
 * The fallback without bubblewrap (unshare + chroot), forced with DSABENCH_SANDBOX=unshare:
 * same isolation checks as the bwrap path, in a process of its own (detection is cached),
 * with each setup helper (perl: one process mounts everything; sh: the mount tools), and
 * as an unprivileged user (a user namespace, where remounts must keep locked flags).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runSandboxed } from '../../src/sandbox/index.js';
import { spawn } from 'node:child_process';
import { chmodSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeSandbox, detectSandbox, resetSandboxDetection, which } from '../../src/sandbox/detect.js';
import { mountSyscall } from '../../src/sandbox/unshare.js';
import { packagePath } from '../../src/util/package.js';

process.env['DSABENCH_SANDBOX'] = 'unshare';
resetSandboxDetection();
const available = which('unshare') !== null && !(detectSandbox() instanceof Error);
const perlHere = which('perl') !== null && mountSyscall() !== null;

test('unshare fallback (perl helper where perl is): isolation, limits, and nothing survives', { skip: available ? false : 'unshare fallback not usable here' }, async () => {
  delete process.env['DSABENCH_UNSHARE_HELPER'];
  resetSandboxDetection();
  const tools = detectSandbox();
  assert.ok(!(tools instanceof Error) && tools.kind === 'unshare');
  // The fast helper must be picked wherever perl can mount: a silent fall to the script costs ~0.5 s a sandbox.
  assert.equal(Boolean(tools.perl), perlHere, describeSandbox(tools));
  await isolationChecks();
});

test('unshare fallback with the sh helper: the same checks', { skip: available ? false : 'unshare fallback not usable here' }, async () => {
  process.env['DSABENCH_UNSHARE_HELPER'] = 'sh';
  resetSandboxDetection();
  try {
    const tools = detectSandbox();
    assert.ok(!(tools instanceof Error) && tools.kind === 'unshare' && !tools.perl);
    assert.match(describeSandbox(tools), /shell script.*bubblewrap/);
    await isolationChecks();
  } finally {
    delete process.env['DSABENCH_UNSHARE_HELPER'];
    resetSandboxDetection();
  }
});

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

const nonRootSkip = !available ? 'unshare fallback not usable here'
  : process.getuid?.() !== 0 ? 'needs root to switch to nobody'
    : !readableByOthers(packagePath('dist', 'src', 'sandbox', 'index.js')) ? 'the checkout is not readable by nobody' : false;

test('unshare fallback as an unprivileged user (user namespace): read-only system, writable work dir', { skip: nonRootSkip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-unshare-nonroot-'));
  chmodSync(dir, 0o777);
  const sandbox = pathToFileURL(packagePath('dist', 'src', 'sandbox', 'index.js')).href;
  const detect = pathToFileURL(packagePath('dist', 'src', 'sandbox', 'detect.js')).href;
  const script = `
    import { runSandboxed } from ${JSON.stringify(sandbox)};
    import { detectSandbox } from ${JSON.stringify(detect)};
    import { mkdtempSync } from 'node:fs';
    const wd = mkdtempSync(${JSON.stringify(join(dir, 'wd-'))});
    const r = await runSandboxed({ argv: ['bash', '-c', 'touch /work/ok && echo wrote; touch /usr/x 2>/dev/null && echo usr; touch /etc/x 2>/dev/null && echo etc; true'], workDir: wd });
    console.log(JSON.stringify({ perl: Boolean(detectSandbox().perl), run: [r.isolation, r.exitCode, r.stdout, r.stderr] }));
  `;
  try {
    const res = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, '--input-type=module', '-e', script], {
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, DSABENCH_SANDBOX: 'unshare' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
    assert.equal(res.code, 0, res.out);
    const o = JSON.parse(res.out.trim().split('\n').pop()!) as { perl: boolean; run: [string, number, string, string] };
    assert.equal(o.perl, perlHere);
    assert.deepEqual(o.run, ['unshare', 0, 'wrote\n', '']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function isolationChecks(): Promise<void> {
  const wd = mkdtempSync(join(tmpdir(), 'dsabench-unshare-test-'));
  const secret = join(tmpdir(), `dsabench-unshare-secret-${process.pid}`);
  writeFileSync(secret, 'secret');
  const mark = `dsabench-unshare-${randomBytes(4).toString('hex')}`;
  let connections = 0;
  const server = createServer((s) => { connections++; s.destroy(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const script = [
      'import os, socket, json, subprocess, sys',
      'res = {"uid": os.getuid(), "cwd": os.getcwd(), "env": sorted(os.environ)}',
      'for p in ("/usr/x", "/etc/x", "/x"):',
      '    try: open(p, "w"); res[p] = "written"',
      '    except OSError as e: res[p] = "denied"',
      `res["secret"] = os.path.exists(${JSON.stringify(secret)})`,
      'try:',
      `    socket.create_connection(("127.0.0.1", ${port}), timeout=1); res["net"] = "connected"`,
      'except OSError: res["net"] = "refused"',
      'open("out.txt", "w").write("ok")',
      `subprocess.Popen(["/bin/sh", "-c", "sleep 1000", ${JSON.stringify(mark)}], start_new_session=True)`,
      'print(json.dumps(res))',
    ].join('\n');
    const r = await runSandboxed({ argv: ['python3', '-c', script], workDir: wd });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.isolation, 'unshare');
    const res = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.notEqual(res['uid'], 0);
    assert.equal(res['cwd'], '/work');
    assert.deepEqual([res['/usr/x'], res['/etc/x'], res['/x']], ['denied', 'denied', 'denied']);
    assert.equal(res['secret'], false);
    assert.equal(res['net'], 'refused');
    assert.equal(connections, 0);
    assert.ok(!(res['env'] as string[]).includes('DSABENCH_SANDBOX'));
    assert.equal(readFileSync(join(wd, 'out.txt'), 'utf8'), 'ok');

    const bomb = 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass';
    const t = Date.now();
    const b = await runSandboxed({ argv: ['python3', '-c', bomb, mark], workDir: wd, limits: { wallMs: 2000, nproc: 32 } });
    assert.equal(b.timedOut, true);
    // A bomb left alive never ends: 30 s after its 2 s limit is ample on a loaded machine.
    assert.ok(Date.now() - t < 2000 + 30_000, `took ${Date.now() - t} ms`);
    const left = readdirSync('/proc').filter((p) => {
      try {
        return /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(mark);
      } catch {
        return false;
      }
    });
    assert.deepEqual(left, []);
  } finally {
    server.close();
    rmSync(secret, { force: true });
    rmSync(wd, { recursive: true, force: true });
  }
}
