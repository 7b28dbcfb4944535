/**
 * The fallback without bubblewrap (unshare + chroot), forced with DSABENCH_SANDBOX=unshare:
 * same isolation checks as the bwrap path, in a process of its own (detection is cached).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runSandboxed } from '../../src/sandbox/index.js';
import { detectSandbox, resetSandboxDetection, which } from '../../src/sandbox/detect.js';

process.env['DSABENCH_SANDBOX'] = 'unshare';
resetSandboxDetection();
const available = which('unshare') !== null && !(detectSandbox() instanceof Error);

test('unshare fallback: isolation, limits, and nothing survives', { skip: available ? false : 'unshare fallback not usable here' }, async () => {
  const tools = detectSandbox();
  assert.ok(!(tools instanceof Error) && tools.kind === 'unshare');
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
});
