/**
 * Hostile programs, scored like model output by the `code` scorer. Each program returns 1
 * only if its attack worked, so a pass would mean an escape. For each: the attempt fails
 * (ending soon after its time limit), the host is untouched (listener, files), no process
 * survives (every spawned process carries a marker in its command line), and the next
 * attempt runs. Nothing here may depend on how fast the machine is: a limit a case must not
 * reach is far beyond what its attack needs, and "soon after" allows for a loaded machine.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { scoreCode } from '../../src/scorers/code.js';
import type { Item } from '../../src/types.js';

const MARK = `dsabench-hostile-${randomBytes(6).toString('hex')}`;
let hostDir: string;
let server: Server;
let port = 0;
let connections = 0;
const SECRET = randomBytes(16).toString('hex');

before(async () => {
  hostDir = mkdtempSync(join(tmpdir(), 'dsabench-hostile-host-'));
  writeFileSync(join(hostDir, 'victim.txt'), 'original');
  writeFileSync(join(hostDir, 'secret.txt'), SECRET);
  server = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(hostDir, { recursive: true, force: true });
});

function survivors(): number {
  let n = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(MARK)) n++;
    } catch {
      // exited
    }
  }
  return n;
}

function item(): Item {
  return {
    id: 'hostile',
    input: {},
    target: { format: 'humaneval', language: 'python', prompt: 'def attack():\n', test: 'def check(c):\n    assert c() == 1\n', entry_point: 'attack' },
  };
}

async function attempt(body: string, timeoutS: number, extra: Record<string, unknown> = {}): Promise<{ pass: boolean; verdict: unknown; wallMs: number; reason: unknown }> {
  const wd = mkdtempSync(join(tmpdir(), 'dsabench-hostile-wd-'));
  const t = Date.now();
  try {
    const reply = '```python\nimport os, sys, socket, subprocess, time\nMARK = ' + JSON.stringify(MARK) + '\ndef attack():\n' + body + '\n```';
    const s = await scoreCode(reply, item(), { timeout_s: timeoutS, ...extra }, { workDir: wd });
    return { pass: s.pass, verdict: s.details?.['verdict'], reason: s.details?.['reason'], wallMs: Date.now() - t };
  } finally {
    rmSync(wd, { recursive: true, force: true });
  }
}

function ind(code: string): string {
  return code.split('\n').map((l) => '    ' + l).join('\n');
}

const CASES: Array<{ name: string; body: () => string; timeoutS: number; options?: Record<string, unknown>; reason?: RegExp; check?: () => void }> = [
  {
    name: 'opens a TCP connection to a host listener on 127.0.0.1',
    timeoutS: 3,
    body: () => ind(`s = socket.create_connection(("127.0.0.1", ${port}), timeout=1)\nreturn 1`),
    check: () => assert.equal(connections, 0, 'the listener saw a connection'),
  },
  {
    name: 'writes outside the work dir',
    timeoutS: 3,
    body: () => ind(`ok = 0\nfor p in (${JSON.stringify(join(hostDir, 'victim.txt'))}, ${JSON.stringify(join(hostDir, 'new.txt'))}, "/usr/pwned", "/etc/pwned", "/root/pwned"):\n    try:\n        open(p, "w").write("pwned"); ok = 1\n    except OSError:\n        pass\nreturn ok if ok else None`),
    check: () => {
      assert.equal(readFileSync(join(hostDir, 'victim.txt'), 'utf8'), 'original');
      assert.equal(existsSync(join(hostDir, 'new.txt')), false);
      assert.equal(existsSync('/usr/pwned') || existsSync('/etc/pwned'), false);
    },
  },
  {
    name: 'reads a secret file outside the work dir',
    timeoutS: 3,
    body: () => ind(`return 1 if open(${JSON.stringify(join(hostDir, 'secret.txt'))}).read() == ${JSON.stringify(SECRET)} else None`),
  },
  {
    name: 'fork-bombs',
    timeoutS: 3,
    body: () => ind(`code = "import os, sys\\nwhile True:\\n    try:\\n        os.fork()\\n    except OSError:\\n        pass"\nwhile True:\n    try:\n        if os.fork() == 0:\n            os.execv(sys.executable, [sys.executable, "-c", code, MARK])\n    except OSError:\n        pass`),
  },
  {
    name: 'allocates 10 GB',
    timeoutS: 5,
    body: () => ind('b = bytearray(10 * 1024 ** 3)\nreturn 1'),
  },
  {
    name: 'forks six children that each fill 400 MB (each under the per-process limit)',
    // The memory limit must fire, not the wall clock: three children touching 400 MB each
    // take a few seconds on two cores busy with other work (8 s was not always enough), so
    // the wall limit is far off. A memory watchdog that never fires still fails the case:
    // the program then returns 1 after its 30 s sleep, and the reason is not the memory limit.
    timeoutS: 60,
    options: { total_memory_mb: 1024 },
    reason: /memory limit/,
    body: () => ind('for _ in range(6):\n    if os.fork() == 0:\n        b = b"x" * (400 << 20)\n        time.sleep(30)\n        os._exit(0)\ntime.sleep(30)\nreturn 1'),
  },
  {
    name: 'loops forever',
    timeoutS: 2,
    body: () => ind('while True:\n    pass'),
  },
  {
    name: 'prints 1 GB',
    timeoutS: 10,
    reason: /output limit/,
    body: () => ind('chunk = "x" * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)\nreturn 1'),
  },
  {
    name: 'leaves a background process behind',
    timeoutS: 3,
    body: () => ind(`victim = ${JSON.stringify(join(hostDir, 'victim.txt'))}\nsubprocess.Popen([sys.executable, "-c", "import time, sys\\ntime.sleep(1.5)\\nopen(sys.argv[1], 'w').write('late')", victim, MARK], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\nif os.fork() == 0:\n    os.setsid()\n    os.execv("/bin/sh", ["/bin/sh", "-c", "sleep 1000", MARK])\nreturn None`),
    check: () => assert.equal(readFileSync(join(hostDir, 'victim.txt'), 'utf8'), 'original'),
  },
];

for (const c of CASES) {
  test(`hostile: ${c.name} → failed attempt, host untouched, nothing survives`, async () => {
    const r = await attempt(c.body(), c.timeoutS, c.options);
    assert.equal(r.pass, false, `the attack passed: ${String(r.reason)}`);
    assert.ok(['failed', 'timeout', 'error'].includes(String(r.verdict)), String(r.verdict));
    // An attack the limits fail to stop runs forever (or for its 30 s sleeps); ending within
    // 30 s of the limit leaves room for a loaded machine to start and kill the processes.
    assert.ok(r.wallMs < c.timeoutS * 1000 + 30_000, `took ${r.wallMs} ms for a ${c.timeoutS} s limit`);
    assert.equal(survivors(), 0, 'a sandboxed process survived the attempt');
    if (c.reason) assert.match(String(r.reason), c.reason);
    c.check?.();
  });
}

test('hostile: after all of that the next attempt still runs and passes', async () => {
  const r = await attempt('    return 1', 5);
  assert.equal(r.pass, true, String(r.reason));
  // the late writer of the background case would have fired by now
  await new Promise((res) => setTimeout(res, 1600));
  assert.equal(readFileSync(join(hostDir, 'victim.txt'), 'utf8'), 'original');
  assert.equal(survivors(), 0);
});
