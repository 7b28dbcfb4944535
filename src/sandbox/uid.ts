/**
 * Per-sandbox unprivileged uids (root hosts only).
 *
 * RLIMIT_NPROC is counted per real uid, and never enforced for uid 0 — so as root each
 * sandbox drops (setpriv) to a uid of its own, taken at random from a high range no real
 * account uses. That makes the process limit bite per sandbox, lets us find and kill every
 * process a sandbox left behind by uid, and keeps concurrent sandboxes from sharing a budget.
 */
import { randomInt } from 'node:crypto';
import { lchownSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const UID_BASE = 1_500_000_000;
const UID_SPAN = 500_000_000;
const inUse = new Set<number>();

export function allocateUid(): number {
  for (;;) {
    const uid = UID_BASE + randomInt(0, UID_SPAN);
    if (!inUse.has(uid)) {
      inUse.add(uid);
      return uid;
    }
  }
}

export function releaseUid(uid: number): void {
  inUse.delete(uid);
}

/** lchown a tree (never follows links: a link planted by the sandbox cannot redirect us). */
export function chownTree(root: string, uid: number, gid: number): void {
  const walk = (p: string): void => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    try {
      lchownSync(p, uid, gid);
    } catch {
      // vanished or not ours: the sandbox will just see it read-only
    }
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(p);
      } catch {
        return;
      }
      for (const n of names) walk(join(p, n));
    }
  };
  walk(root);
}

/**
 * Calls `visit(pid, status)` for every process whose real uid is `uid` (host view of /proc;
 * `status` is the text of /proc/<pid>/status). With `ownerPrefilter`, /proc entries whose
 * owner (the effective uid) differs are skipped before their status is read — cheap, and
 * exact inside a sandbox, where no_new_privs keeps effective = real uid.
 */
function forEachProcessOfUid(uid: number, ownerPrefilter: boolean, visit: (pid: number, status: string) => void): void {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    try {
      if (ownerPrefilter && lstatSync(`/proc/${n}`).uid !== uid) continue;
      const status = readFileSync(`/proc/${n}/status`, 'utf8');
      const u = /^Uid:\s+(\d+)/m.exec(status);
      if (u && Number(u[1]) === uid) visit(Number(n), status);
    } catch {
      // exited meanwhile
    }
  }
}

/** Pids whose real uid is `uid`. */
export function pidsOfUid(uid: number): number[] {
  const out: number[] = [];
  forEachProcessOfUid(uid, true, (pid) => out.push(pid));
  return out;
}

/** Resident memory (bytes) of every process whose real uid is `uid`. */
export function rssOfUid(uid: number): number {
  let total = 0;
  forEachProcessOfUid(uid, true, (_pid, status) => {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (m) total += Number(m[1]) * 1024;
  });
  return total;
}

/**
 * SIGKILL every process of `uid`, repeatedly until a scan finds none (fork races). `clean`:
 * the last scan found none, so the uid has no process left and none can appear (only a
 * process of that uid could make one: nothing else in a sandbox holds CAP_SETUID).
 */
export function killUid(uid: number): { killed: number; clean: boolean } {
  let killed = 0;
  for (let round = 0; round < 20; round++) {
    const pids = pidsOfUid(uid);
    if (pids.length === 0) return { killed, clean: true };
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
        killed++;
      } catch {
        // gone
      }
    }
  }
  return { killed, clean: false };
}

/** Threads currently owned by `uid` (non-root hosts: NPROC then counts them too). */
export function threadsOfUid(uid: number): number {
  let total = 0;
  // No owner prefilter: NPROC counts by real uid, which a setuid program keeps.
  forEachProcessOfUid(uid, false, (_pid, status) => {
    const t = /^Threads:\s+(\d+)/m.exec(status);
    total += t ? Number(t[1]) : 1;
  });
  return total;
}

/**
 * Resident memory (bytes) of `rootPid` and all its descendants. Inside a pid namespace an
 * orphan is re-parented to the namespace's init, itself a child of the sandbox's first
 * process, so the tree holds every process of the sandbox (non-root hosts: no own uid).
 */
export function rssOfTree(rootPid: number): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return 0;
  }
  const page = 4096;
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      // comm may hold spaces and parens: fields start after the last ')'
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(n), Number(f[1]));
      rss.set(Number(n), Number(f[21]) * page);
    } catch {
      // exited
    }
  }
  const children = new Map<number, number[]>();
  for (const [pid, pp] of parent) {
    const list = children.get(pp);
    if (list) list.push(pid);
    else children.set(pp, [pid]);
  }
  let total = 0;
  const stack = [rootPid];
  const seen = new Set<number>();
  while (stack.length) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    total += rss.get(pid) ?? 0;
    for (const c of children.get(pid) ?? []) stack.push(c);
  }
  return total;
}
