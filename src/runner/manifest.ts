/**
 * What run.json records about where and how a run happened: run id, machine, git sha,
 * native engine build (when the addon loads), package version.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { packageRoot } from '../util/package.js';

/** `20261128-110731-3fa2c1`: sortable by time, unique by a random suffix. */
export function newRunId(now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-11-28T11:07:31.123Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function machineInfo(): Record<string, unknown> {
  const c = cpus();
  return {
    cpus: c.length,
    cpu_model: c[0]?.model ?? null,
    memory_bytes: totalmem(),
    os: `${platform()} ${release()}`,
    arch: arch(),
    node: process.version,
  };
}

let sha: string | null | undefined;
/** HEAD of the git checkout holding the package, or null (installed from npm, no git). */
export function gitSha(): string | null {
  if (sha !== undefined) return sha;
  try {
    sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'ignore'], timeout: 3000 }).toString().trim() || null;
  } catch {
    sha = null;
  }
  return sha;
}

/**
 * Build flags and SIMD path of the native engine, or null when it is not built. The engine
 * module is optional for the harness, so it is imported by a computed specifier and any
 * failure (module missing, addon not compiled) means "no engine".
 */
export async function engineInfo(): Promise<Record<string, unknown> | null> {
  const spec = '../engine/index.js';
  try {
    const mod = (await import(spec)) as Record<string, unknown>;
    for (const name of ['engineInfo', 'buildInfo', 'info']) {
      const f = mod[name];
      if (typeof f === 'function') {
        const v = (await (f as () => unknown)()) as unknown;
        if (v && typeof v === 'object') return v as Record<string, unknown>;
      }
    }
    return null;
  } catch {
    return null;
  }
}
