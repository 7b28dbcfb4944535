/**
 * The run folder's lock: a second writer is refused with the holder's pid, a lock whose
 * process is gone is taken over, one from another host is refused with the file to delete,
 * and release removes the lock (and the folder, when the run left nothing in it).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DsabenchError } from '../../src/errors.js';
import { LOCK_FILE, lockRunDir } from '../../src/results/run-lock.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));

function refusal(f: () => unknown): DsabenchError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof DsabenchError && e.code === 'E_USAGE', String(e));
    return e;
  }
  assert.fail('expected the lock to be refused');
}

/** A pid that existed and has exited (a finished child's). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('run folder lock', () => {
  it('refuses a second live writer, naming its pid; release lets the next one in', () => {
    const dir = join(root, 'run-a');
    const release = lockRunDir(dir);
    const owner = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number };
    assert.equal(owner.pid, process.pid);
    // Another process on this host asks while this one (alive) holds it.
    const err = refusal(() => lockRunDir(dir, { pid: -1, host: hostname() }));
    assert.match(err.message, new RegExp(`another dsabench process \\(pid ${process.pid}, since .*\\) is writing run folder .*--resume`));
    writeFileSync(join(dir, 'samples.jsonl'), '');
    release();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
    assert.equal(existsSync(dir), true, 'a folder holding a run stays');
    lockRunDir(dir)();
  });

  it('takes over a lock whose process is gone', () => {
    const dir = join(root, 'run-b');
    const release = lockRunDir(dir, { pid: deadPid(), host: 'here' });
    writeFileSync(join(dir, 'run.json'), '{}');
    // The dead holder never released; this process (same host) takes it over.
    const mine = lockRunDir(dir, { pid: process.pid, host: 'here' });
    assert.equal((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number }).pid, process.pid);
    release(); // the old holder's release must not remove the new holder's lock
    assert.equal(existsSync(join(dir, LOCK_FILE)), true);
    mine();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  });

  it('refuses a lock from another host with the file to delete, and a torn lock counts as stale', () => {
    const dir = join(root, 'run-c');
    lockRunDir(dir, { pid: 4242, host: 'other-host' });
    const err = refusal(() => lockRunDir(dir, { pid: process.pid, host: 'this-host' }));
    assert.match(err.message, /locked by process 4242 on host other-host .*delete .*\.dsabench\.lock/);
    writeFileSync(join(dir, LOCK_FILE), '{"pid": 42');
    lockRunDir(dir, { pid: process.pid, host: 'this-host' })();
  });

  it('a new run refused before its first write leaves no empty folder behind', () => {
    const dir = join(root, 'run-d', 'nested');
    lockRunDir(dir)();
    assert.equal(existsSync(dir), false);
  });
});
