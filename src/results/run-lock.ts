/**
 * One writer per run folder. Two processes appending to the same samples.jsonl (a `--resume`
 * started while the run is still going, or twice by a CI retry) would each run the attempts the
 * other has not recorded yet and write duplicates; a resume's repair of a torn last line would
 * cut the other writer's line in half. So a run (new or resumed) first creates
 * `DIR/.dsabench.lock` exclusively, holding {pid, host, started_at}, and removes it when done.
 *
 * A lock left by a process that died without cleaning up (kill -9, power loss) is stale: on the
 * same host, a pid that no longer exists is taken over. A lock from another host cannot be
 * checked, so it is refused with the path to delete once that process is known to be gone.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DsabenchError } from '../errors.js';

export const LOCK_FILE = '.dsabench.lock';

interface LockOwner {
  pid: number;
  host: string;
  started_at: string;
}

/** Whether `pid` is a live process on this host (EPERM: alive, owned by another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? { pid: o.pid, host: o.host, started_at: String(o.started_at ?? '?') } : null;
  } catch {
    return null; // torn or emptied by a crash mid-write: nobody can be holding it through that
  }
}

/**
 * Takes the run folder's lock (creating the folder if needed) and returns its release, which
 * also removes the folder when the run left nothing else in it (a new run refused before its
 * first write). Throws E_USAGE when another live process holds it.
 */
export function lockRunDir(dir: string, self: { pid: number; host: string } = { pid: process.pid, host: hostname() }): () => void {
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  const me: LockOwner = { ...self, started_at: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (attempt > 0) throw new DsabenchError('E_USAGE', `another dsabench process took the lock of run folder ${dir} just now; wait for it to finish`, { file, field: 'resume' });
    }
    const owner = readOwner(file);
    if (owner && owner.host !== self.host) {
      throw new DsabenchError('E_USAGE', `run folder ${dir} is locked by process ${owner.pid} on host ${owner.host} (since ${owner.started_at}); if that process is gone, delete ${file} and run again`, { file, field: 'resume' });
    }
    if (owner && owner.pid !== self.pid && alive(owner.pid)) {
      throw new DsabenchError('E_USAGE', `another dsabench process (pid ${owner.pid}, since ${owner.started_at}) is writing run folder ${dir}; wait for it to finish, or stop it (Ctrl-C) and continue with --resume ${dir}`, { file, field: 'resume' });
    }
    unlinkSync(file); // stale: its process is gone
  }
  return () => {
    if (readOwner(file)?.pid === self.pid) unlinkSync(file);
    if (created && existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
  };
}
