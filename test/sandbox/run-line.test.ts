/**
 * The sandbox path in use is said at the start of a run: which isolation, and where the
 * slower fallback runs, how to get bubblewrap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSandbox, detectSandbox, type SandboxTools } from '../../src/sandbox/detect.js';
import { checkSuiteRequirements } from '../../src/suites/requirements.js';
import { loadSuite } from '../../src/suites/load.js';
import { runCli } from '../e2e/cli-helpers.js';

const base: SandboxTools = { kind: 'bwrap', bwrap: '/usr/bin/bwrap', unshare: '/usr/bin/unshare', prlimit: '/usr/bin/prlimit', setpriv: null, isRoot: false };

test('describeSandbox names the path and, for the fallback, how to get bubblewrap', () => {
  assert.match(describeSandbox(base), /^sandbox: bubblewrap \(\/usr\/bin\/bwrap\)$/);
  const perl = describeSandbox({ ...base, kind: 'unshare', bwrap: null, perl: '/usr/bin/perl' });
  assert.match(perl, /^sandbox: unshare \+ chroot, mounts by perl; .*apt-get install -y bubblewrap/);
  const sh = describeSandbox({ ...base, kind: 'unshare', bwrap: null, perl: null });
  assert.match(sh, /shell script \(slow/);
});

test('checkSuiteRequirements returns that line only when a suite runs untrusted code', async () => {
  const code = await loadSuite('terminal');
  const example = await loadSuite('example');
  assert.equal(checkSuiteRequirements([example], { detect: () => base }), null);
  assert.equal(checkSuiteRequirements([code], { detect: () => base }), describeSandbox(base));
  assert.equal(checkSuiteRequirements([code], { detect: () => base, unsafeNoSandbox: true }), null);
});

test('a run prints the sandbox path on stderr before its attempts', { skip: detectSandbox() instanceof Error ? 'no sandbox here' : false }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'dsabench-run-line-'));
  try {
    const r = await runCli(['run', '-s', 'terminal', '-p', 'nop', '--limit', '1', '--out', join(out, 'run'), '--cache', join(out, 'cache.sqlite')]);
    assert.equal(r.code, 0, r.stderr);
    const first = r.stderr.split('\n').find((l) => l.startsWith('sandbox: '));
    assert.ok(first, r.stderr);
    assert.equal(first, describeSandbox(detectSandbox() as SandboxTools));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
