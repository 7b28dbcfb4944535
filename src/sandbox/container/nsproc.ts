/**
 * Host-side view of a container's processes, read from /proc: every process in the
 * container's pid namespace (the one of its init, whose host pid the engine reports).
 *
 * Used to stop what one `exec` started (its processes carry a random marker in their
 * environment, children inherit it) and, where the engine cannot enforce cgroup limits, to
 * watch the container's total memory and process count. Works for root and for rootless
 * engines (the container's processes are then ours).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface NsProcess {
  pid: number;
  ppid: number;
  rssBytes: number;
}

const PAGE = 4096;

function pidNs(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return null;
  }
}

/** Processes in the pid namespace of host pid `initPid` (init included); [] when it is gone. */
export function processesInNamespace(initPid: number): NsProcess[] {
  const ns = pidNs(initPid);
  if (ns === null) return [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: NsProcess[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const pid = Number(n);
    if (pidNs(pid) !== ns) continue;
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      // comm may hold spaces and parens: fields start after the last ')'
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid, ppid: Number(f[1]), rssBytes: Number(f[21]) * PAGE });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function hasMarker(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker);
  } catch {
    return false;
  }
}

/**
 * SIGKILL every process of the namespace that carries `marker` (NAME=value) in its
 * environment, and their descendants; the container's init is never touched. Repeated
 * until none is left (forks racing the kill). Returns how many were signalled.
 */
export function killMarked(initPid: number, marker: string): number {
  let killed = 0;
  for (let round = 0; round < 20; round++) {
    const procs = processesInNamespace(initPid);
    const children = new Map<number, number[]>();
    for (const p of procs) {
      const list = children.get(p.ppid);
      if (list) list.push(p.pid);
      else children.set(p.ppid, [p.pid]);
    }
    const doomed = new Set<number>();
    const stack = procs.filter((p) => p.pid !== initPid && hasMarker(p.pid, marker)).map((p) => p.pid);
    while (stack.length) {
      const pid = stack.pop()!;
      if (doomed.has(pid) || pid === initPid) continue;
      doomed.add(pid);
      for (const c of children.get(pid) ?? []) stack.push(c);
    }
    if (doomed.size === 0) break;
    for (const pid of doomed) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // gone
      }
    }
  }
  return killed;
}
