/**
 * No C++ function in native/src is over 150 lines (scripts/check-function-length.mjs, the
 * native side of ESLint's max-lines-per-function), and the check catches what it is there to
 * catch: free functions, methods defined in a class and lambdas over the limit, in .cc and .h
 * files, while a function of exactly the limit passes.
 *
 * It needs universal-ctags; without it the test is skipped, unless DSABENCH_TEST_STRICT=1 (CI),
 * where a missing ctags fails it.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { packageRoot } from '../../src/util/package.js';

const ROOT = packageRoot();
const SCRIPT = join(ROOT, 'scripts', 'check-function-length.mjs');

function ctagsMissing(): string | false {
  const v = spawnSync('ctags', ['--version'], { encoding: 'utf8' });
  if (!v.error && /Universal Ctags/.test(v.stdout ?? '')) return false;
  const why = 'universal-ctags is not installed (apt-get install universal-ctags)';
  if (process.env['DSABENCH_TEST_STRICT'] === '1') throw new Error(`the function-length check must run here (DSABENCH_TEST_STRICT=1) but cannot: ${why}`);
  return why;
}
const skip = ctagsMissing();

function check(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** `n` lines from the signature to the closing brace. */
const body = (n: number): string => Array.from({ length: n - 2 }, (_, i) => `  x += ${i};`).join('\n');

describe('C++ function length', { skip }, () => {
  it('no function in native/src is over 150 lines', () => {
    const r = check('native/src');
    const seen = Number(/(\d+) C\+\+ functions/.exec(r.out)?.[1] ?? 0);
    assert.ok(seen > 100, `only ${seen} functions seen: the check did not see the tree\n${r.out}`);
    assert.equal(r.status, 0, r.out);
  });

  describe('on files with functions just over and at the limit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsabench-fnlen-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'a.cc'), [
      'namespace ns {',
      `int atLimit(int x) {\n${body(150)}\n}`,
      `int overLimit(int x) {\n${body(151)}\n}`,
      'void holder() {',
      `  auto f = [](int x) {\n${body(152)}\n  };`,
      '}',
      '}  // namespace ns',
      '',
    ].join('\n'));
    writeFileSync(join(dir, 'b.h'), [
      'struct S {',
      `  int method(int x) {\n${body(151)}\n  }`,
      '};',
      '',
    ].join('\n'));

    it('reports each function over the limit with file, line and length, and fails', () => {
      const r = check(dir);
      assert.equal(r.status, 1, r.out);
      assert.match(r.out, /a\.cc:\d+: ns::overLimit is 151 lines \(at most 150\)/);
      assert.match(r.out, /a\.cc:\d+: a lambda in ns::holder is 152 lines/);
      assert.match(r.out, /a\.cc:\d+: ns::holder is 154 lines/);
      assert.match(r.out, /b\.h:2: S::method is 151 lines/);
      assert.doesNotMatch(r.out, /atLimit/);
    });

    it('--max moves the limit', () => {
      const r = check('--max', '160', dir);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /over 160 lines/);
    });
  });

  it('a folder without C++ is an error, not a pass', () => {
    const empty = mkdtempSync(join(tmpdir(), 'dsabench-fnlen-empty-'));
    try {
      const r = check(empty);
      assert.equal(r.status, 2, r.out);
      assert.match(r.out, /no C\+\+ functions found/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
