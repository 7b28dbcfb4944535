/**
 * Content-addressed inputs of a queued run: a value is stored under the sha256 of its JSON
 * text, so the many jobs of one item (providers × repeats) share one copy, and a worker
 * checks what it fetched against the hash the job names before using it.
 *
 * The coordinator writes with SET NX (a blob never changes once written) and keeps the texts
 * of its session, to write them again should Redis lose them (a restart without
 * persistence). A worker keeps the values it fetched in a small LRU: consecutive jobs of one
 * item or suite do not fetch again.
 */
import type { Redis } from 'ioredis';
import { sha256 } from '../../util/hash.js';
import { blobKey } from './names.js';

export interface Blob {
  hash: string;
  text: string;
}

/** The blob of a JSON value. */
export function blobOf(value: unknown): Blob {
  const text = JSON.stringify(value);
  return { hash: sha256(text), text };
}

/** Writes blobs (each once per session unless `again`). */
export class BlobWriter {
  private readonly written = new Set<string>();

  constructor(private readonly redis: Redis, private readonly queue: string) {}

  async put(blobs: Iterable<Blob>, again = false): Promise<void> {
    const pipe = this.redis.pipeline();
    let n = 0;
    for (const b of blobs) {
      if (!again && this.written.has(b.hash)) continue;
      this.written.add(b.hash);
      pipe.set(blobKey(this.queue, b.hash), b.text, 'NX');
      n++;
    }
    if (n > 0) await pipe.exec();
  }

  /** Every blob key written in this session (for the clean-up at the end of the run). */
  keys(): string[] {
    return [...this.written].map((h) => blobKey(this.queue, h));
  }
}

/** Reads blobs, verifying their hash, with an LRU of parsed values. */
export class BlobReader {
  private readonly cache = new Map<string, unknown>();

  constructor(private readonly redis: Redis, private readonly maxEntries = 512) {}

  /** The parsed value, or why it cannot be had: missing (`transient`: it may be written again), or not what its hash says. */
  async get(queue: string, hash: string): Promise<{ value: unknown } | { error: string; transient: boolean }> {
    const key = `${queue}\0${hash}`;
    if (this.cache.has(key)) {
      const value = this.cache.get(key);
      this.cache.delete(key);
      this.cache.set(key, value);
      return { value };
    }
    const text = await this.redis.get(blobKey(queue, hash));
    if (text === null) return { error: `input ${hash.slice(0, 16)}… is not in Redis`, transient: true };
    if (sha256(text) !== hash) return { error: `input ${hash.slice(0, 16)}… does not match its content hash`, transient: false };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { error: `input ${hash.slice(0, 16)}… is not JSON`, transient: false };
    }
    this.cache.set(key, value);
    if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    return { value };
  }
}
