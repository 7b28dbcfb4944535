import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSandboxed, SandboxShell, CappedBuffer } from '../../src/sandbox/index.js';
import { HeadTail } from '../../src/sandbox/shell.js';
import { buildSandboxCommand, prlimitArgs } from '../../src/sandbox/command.js';
import { DEFAULT_LIMITS } from '../../src/sandbox/types.js';

function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'dsabench-sbx-test-'));
}

test('runs a command with the work dir writable at /work and a cleared environment', async () => {
  const wd = workDir();
  try {
    process.env['DSABENCH_LEAK_CHECK'] = 'leaked';
    const r = await runSandboxed({
      argv: ['python3', '-c', 'import os,json; open("out.txt","w").write("hi"); print(json.dumps({"cwd": os.getcwd(), "env": sorted(os.environ), "uid": os.getuid()}))'],
      workDir: wd,
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(r.isolation === 'bwrap' || r.isolation === 'unshare', r.isolation);
    const o = JSON.parse(r.stdout) as { cwd: string; env: string[]; uid: number };
    assert.equal(o.cwd, '/work');
    assert.ok(!o.env.includes('DSABENCH_LEAK_CHECK'), 'host environment leaked into the sandbox');
    assert.notEqual(o.uid, 0, 'the command must not run as root');
    assert.equal(readFileSync(join(wd, 'out.txt'), 'utf8'), 'hi');
  } finally {
    delete process.env['DSABENCH_LEAK_CHECK'];
    rmSync(wd, { recursive: true, force: true });
  }
});

test('system dirs are read-only, /tmp is private, the network is absent', async () => {
  const wd = workDir();
  const hostTmpFile = join(tmpdir(), `dsabench-visible-${process.pid}.txt`);
  writeFileSync(hostTmpFile, 'host');
  try {
    const script = [
      'import os, socket',
      'res = {}',
      'for p in ("/usr/dsabench-x", "/etc/dsabench-x", "/dsabench-x"):',
      '    try: open(p, "w").write("x"); res[p] = "written"',
      '    except OSError as e: res[p] = type(e).__name__',
      `res["hosttmp"] = os.path.exists(${JSON.stringify(hostTmpFile)})`,
      'open("/tmp/scratch", "w").write("ok"); res["tmp"] = open("/tmp/scratch").read()',
      'res["ifaces"] = sorted(n for _, n in socket.if_nameindex())',
      'print(res)',
    ].join('\n');
    const r = await runSandboxed({ argv: ['python3', '-c', script], workDir: wd });
    assert.equal(r.exitCode, 0, r.stderr);
    const res = r.stdout;
    assert.ok(!res.includes("'written'"), res);
    assert.match(res, /'hosttmp': False/);
    assert.match(res, /'tmp': 'ok'/);
    assert.match(res, /'ifaces': \['lo'\]/);
  } finally {
    rmSync(hostTmpFile, { force: true });
    rmSync(wd, { recursive: true, force: true });
  }
});

test('stdin is passed, stdout is capped and counted, exit codes come back', async () => {
  const wd = workDir();
  try {
    const r = await runSandboxed({ argv: ['bash', '-c', 'cat; head -c 5000 /dev/zero | tr "\\0" y; exit 3'], workDir: wd, stdin: 'abc', limits: { outputBytes: 2000 } });
    assert.equal(r.exitCode, 3);
    assert.equal(r.stdout.slice(0, 3), 'abc');
    assert.equal(r.stdout.length, 2000);
    assert.equal(r.stdoutBytes, 5003);
    assert.equal(r.truncated, true);
  } finally {
    rmSync(wd, { recursive: true, force: true });
  }
});

test('the wall-clock limit kills the command', async () => {
  const wd = workDir();
  try {
    const t = Date.now();
    const r = await runSandboxed({ argv: ['sleep', '30'], workDir: wd, limits: { wallMs: 500 } });
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, null);
    // Unkilled, `sleep 30` ends after 30 s; 20 s tells the two apart with room for a loaded
    // machine to deliver the kill.
    assert.ok(Date.now() - t < 20_000, `took ${Date.now() - t} ms`);
  } finally {
    rmSync(wd, { recursive: true, force: true });
  }
});

test('the work dir is chowned to the sandbox uid and stays readable by us', async () => {
  const wd = workDir();
  try {
    writeFileSync(join(wd, 'in.txt'), 'data');
    const r = await runSandboxed({ argv: ['bash', '-c', 'cat in.txt > copy.txt && id -u'], workDir: wd });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(readFileSync(join(wd, 'copy.txt'), 'utf8'), 'data');
    if (process.getuid?.() === 0) assert.equal(statSync(join(wd, 'copy.txt')).uid, Number(r.stdout.trim()));
  } finally {
    rmSync(wd, { recursive: true, force: true });
  }
});

test('command line: rlimits via prlimit, namespaces, no host paths but the binds', () => {
  assert.deepEqual(prlimitArgs({ ...DEFAULT_LIMITS, cpuSec: 3, nproc: 10 }).slice(1, 3), ['--cpu=3:4', '--nproc=10']);
  const built = buildSandboxCommand({
    tools: { kind: 'bwrap', bwrap: '/usr/bin/bwrap', unshare: null, prlimit: '/usr/bin/prlimit', setpriv: '/usr/bin/setpriv', isRoot: true },
    uid: 1234567890, argv: ['python3', 'x.py'], workDir: '/host/wd', mountPoint: '/work', cwd: '/work', binds: [], env: { A: 'b' }, limits: DEFAULT_LIMITS,
  });
  const a = built.args;
  for (const flag of ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--die-with-parent', '--new-session', '--clearenv']) assert.ok(a.includes(flag), flag);
  const bind = a.indexOf('--bind');
  assert.deepEqual(a.slice(bind, bind + 3), ['--bind', '/host/wd', '/work']);
  assert.ok(a.includes('--reuid=1234567890'));
  assert.deepEqual(a.slice(-2), ['python3', 'x.py']);
});

test('CappedBuffer and HeadTail keep what they promise', () => {
  const c = new CappedBuffer(4);
  c.push(Buffer.from('abcdef'));
  assert.equal(c.text(), 'abcd');
  assert.equal(c.total, 6);
  const h = new HeadTail(8);
  h.push(Buffer.from('0123456789'));
  h.push(Buffer.from('abcdef'));
  assert.equal(h.truncated, true);
  assert.match(h.text(), /^0123\n\[\.\.\. 8 bytes omitted \.\.\.\]\ncdef$/);
});

test('persistent shell keeps state, frames output, survives a timeout', async () => {
  const wd = workDir();
  const sh = new SandboxShell({ workDir: wd, mountPoint: '/app', limits: { wallMs: 60_000 } });
  try {
    let r = await sh.exec('cd /tmp && X=41', { timeoutMs: 5000 });
    assert.equal(r.exitCode, 0);
    r = await sh.exec('echo $((X+1)); pwd; echo oops >&2; false', { timeoutMs: 5000 });
    assert.equal(r.output, '42\n/tmp\noops\n');
    assert.equal(r.exitCode, 1);
    // unbalanced quotes cannot desynchronise the framing; stdin is not the command pipe
    r = await sh.exec("echo 'unterminated", { timeoutMs: 5000 });
    assert.equal(r.exitCode, 2);
    r = await sh.exec('cat; echo after-cat', { timeoutMs: 5000 });
    assert.equal(r.output, 'after-cat\n');
    // a fake end marker printed by the command is not taken for ours
    r = await sh.exec("echo '__DSABENCH_END_0000000000000000__0'; echo real", { timeoutMs: 5000 });
    assert.match(r.output, /real\n$/);
    r = await sh.exec('sleep 30', { timeoutMs: 300 });
    assert.equal(r.timedOut, true);
    assert.match(r.output, /timed out/);
    r = await sh.exec('echo alive; pwd', { timeoutMs: 5000 });
    assert.equal(r.output, 'alive\n/app\n');
    assert.equal(sh.startCount, 2);
    r = await sh.exec('seq 1 100000', { timeoutMs: 5000, outputBytes: 100 });
    assert.equal(r.truncated, true);
    assert.match(r.output, /^1\n2\n[\s\S]*omitted[\s\S]*100000\n$/);
  } finally {
    sh.close();
    rmSync(wd, { recursive: true, force: true });
  }
});

test('unsafeNoSandbox runs without namespaces and says so loudly, once', async () => {
  const wd = workDir();
  const writes: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array): boolean => {
    writes.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const a = await runSandboxed({ argv: ['bash', '-c', 'pwd'], workDir: wd, unsafeNoSandbox: true });
    const b = await runSandboxed({ argv: ['true'], workDir: wd, unsafeNoSandbox: true });
    assert.equal(a.isolation, 'none');
    assert.equal(a.stdout.trim(), wd, 'runs in the host work dir itself');
    assert.equal(b.exitCode, 0);
  } finally {
    process.stderr.write = orig;
    rmSync(wd, { recursive: true, force: true });
  }
  const warnings = writes.filter((w) => w.includes('unsafe-no-sandbox'));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /WITHOUT namespaces/);
});
