/**
 * Task images: a Dockerfile and its build context → a local image, built once per content
 * (the tag is a hash of the Dockerfile's path and every context file), with no network
 * (`build --network=none`) and nothing pulled. A base image that is not on this machine, or
 * a build that fails, is a reason the task cannot run here — never a model's failure.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve, sep } from 'node:path';
import { engineCli, type ContainerEngine } from './engine.js';

/** A file of the build context (same shape as a terminal task's files). */
export interface ContextFile {
  path: string;
  content: string;
  encoding: 'utf8' | 'base64';
  executable?: boolean;
}

export interface BuildSpec {
  context: readonly ContextFile[];
  /** The Dockerfile's path inside the context. */
  dockerfile: string;
  timeoutMs: number;
}

export type ImageResult = { ok: true; image: string; built: boolean } | { ok: false; reason: string };

/** Write files under `root`, refusing paths that leave it. */
export function materialize(root: string, files: readonly ContextFile[]): void {
  const base = resolve(root);
  for (const f of files) {
    const p = resolve(base, f.path);
    if (!p.startsWith(base + sep)) throw new Error(`file path escapes its folder: ${f.path}`);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.encoding === 'base64' ? Buffer.from(f.content, 'base64') : f.content);
    if (f.executable) chmodSync(p, 0o755);
  }
}

export function imageTag(e: ContainerEngine, spec: Pick<BuildSpec, 'context' | 'dockerfile'>): string {
  const h = createHash('sha256').update(spec.dockerfile).update('\0');
  for (const f of [...spec.context].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    h.update(f.path).update('\0').update(f.encoding).update(f.executable ? 'x' : '-').update(f.content).update('\0');
  }
  // podman would file a bare name under localhost/ anyway; docker reads localhost/ as a registry host.
  return `${e.name === 'podman' ? 'localhost/' : ''}dsabench-env:${h.digest('hex').slice(0, 20)}`;
}

/**
 * The images a Dockerfile starts FROM, without its own stage names, `scratch`, and names
 * built from ARGs (the build itself decides those).
 */
export function baseImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const out: string[] = [];
  // Line continuations joined first.
  for (const raw of dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const m = /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(raw);
    if (!m) continue;
    const img = m[1]!;
    if (m[2]) stages.add(m[2].toLowerCase());
    if (img === 'scratch' || img.includes('$') || stages.has(img.toLowerCase()) || out.includes(img)) continue;
    out.push(img);
  }
  return out;
}

export async function imageExists(e: ContainerEngine, image: string): Promise<boolean> {
  const r = await engineCli(e, e.name === 'podman' ? ['image', 'exists', image] : ['image', 'inspect', '--format', '{{.Id}}', image], { timeoutMs: 60_000 });
  return r.code === 0;
}

function missingBase(e: ContainerEngine, image: string): string {
  const load = e.name === 'podman' ? 'podman load -i image.tar, or podman import rootfs.tar' : 'docker load -i image.tar, or docker import rootfs.tar';
  return `base image "${image}" is not on this machine and nothing is pulled here (no network); load it first (${load} ${image})`;
}

function tail(s: string, n: number): string {
  const t = s.trim();
  return t.length > n ? '…' + t.slice(t.length - n) : t;
}

const memo = new Map<string, Promise<ImageResult>>();
// One build at a time: builds are heavy, and two attempts of one task must not build twice.
let chain: Promise<unknown> = Promise.resolve();

async function build(e: ContainerEngine, spec: BuildSpec, tag: string): Promise<ImageResult> {
  if (await imageExists(e, tag)) return { ok: true, image: tag, built: false };
  const df = spec.context.find((f) => f.path === spec.dockerfile);
  if (!df) return { ok: false, reason: `no ${spec.dockerfile} in the build context` };
  const text = df.encoding === 'base64' ? Buffer.from(df.content, 'base64').toString('utf8') : df.content;
  for (const b of baseImages(text)) if (!(await imageExists(e, b))) return { ok: false, reason: missingBase(e, b) };
  const dir = mkdtempSync(`${tmpdir()}${sep}dsabench-build-`);
  try {
    materialize(dir, spec.context);
    const args = ['build', '--network=none', ...(e.name === 'podman' ? ['--pull=never'] : []), '-t', tag, '-f', resolve(dir, spec.dockerfile), dir];
    const r = await engineCli(e, args, { timeoutMs: spec.timeoutMs });
    if (r.timedOut) return { ok: false, reason: `image build did not finish in ${Math.round(spec.timeoutMs / 1000)} s` };
    if (r.code !== 0) return { ok: false, reason: `image build failed (builds have no network here): ${tail(r.stdout + '\n' + r.stderr, 1200)}` };
    return { ok: true, image: tag, built: true };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The task's image (built now, or found from an earlier build), or why there is none. */
export function ensureImage(e: ContainerEngine, spec: BuildSpec): Promise<ImageResult> {
  const tag = imageTag(e, spec);
  const known = memo.get(tag);
  if (known) return known;
  const p = chain.then(() => build(e, spec, tag), () => build(e, spec, tag));
  chain = p.catch(() => undefined);
  const safe = p.catch((err: unknown): ImageResult => ({ ok: false, reason: `image build failed: ${err instanceof Error ? err.message : String(err)}` }));
  memo.set(tag, safe);
  return safe;
}

/** A ready-made image named by the task (Harbor's [environment] docker_image): used if present. */
export async function existingImage(e: ContainerEngine, image: string): Promise<ImageResult> {
  return (await imageExists(e, image)) ? { ok: true, image, built: false } : { ok: false, reason: missingBase(e, image) };
}
