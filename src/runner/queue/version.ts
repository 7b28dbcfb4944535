/**
 * The code version a queued attempt is made with. A worker must produce what a local run
 * of the coordinator's dsabench would: same prompts, solvers, scorers, record shape. The
 * package version alone does not say that (a checkout between releases, a local patch), so
 * the version is a hash of the package version and of every compiled module (dist/src/**.js),
 * the code that makes and scores an attempt. Equal hashes mean equal code.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVersion } from '../../util/package.js';

function jsFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) jsFiles(p, out);
    else if (e.isFile() && e.name.endsWith('.js')) out.push(p);
  }
  return out;
}

let cached: string | undefined;

/** `<package version>+<16 hex>`, computed once per process. */
export function codeVersion(): string {
  if (cached !== undefined) return cached;
  // This module is dist/src/runner/queue/version.js: dist/src is two folders up.
  const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
  const h = createHash('sha256').update(packageVersion()).update('\0');
  for (const f of jsFiles(root)) h.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  cached = `${packageVersion()}+${h.digest('hex').slice(0, 16)}`;
  return cached;
}
