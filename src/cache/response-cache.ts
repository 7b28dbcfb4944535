/**
 * Response cache: an embedded SQLite file (WAL) of completed model answers, so re-running
 * or re-scoring does not call the model again unless asked (`--no-cache`).
 *
 * Key = sha256 of the canonical JSON of
 *   { provider, model, identity (base URL, extra body…), settings (without timeout_ms),
 *     messages, tools, attempt, extra }
 * The attempt index is in the key so that repeated samples of one item stay distinct.
 * Only successful completions (error === null) are stored. Each put is its own
 * transaction, so a killed process loses at most the answer being written.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { DsabenchError } from '../errors.js';
import type { Completion, CompletionRequest, Provider } from '../types.js';
import { canonicalJson, sha256 } from '../util/hash.js';

/** A provider that can say what else (besides the request) shapes its answers. */
export interface CacheIdentified {
  cacheIdentity(): Record<string, unknown>;
}

function hasIdentity(p: Provider): p is Provider & CacheIdentified {
  return typeof (p as Partial<CacheIdentified>).cacheIdentity === 'function';
}

/** The cache key of a request to a provider (64 hex chars). */
export function cacheKey(provider: Provider, req: CompletionRequest, extra?: unknown): string {
  const { timeout_ms: _timeout, ...settings } = req.settings;
  return sha256(
    canonicalJson({
      provider: provider.id,
      model: provider.model,
      identity: hasIdentity(provider) ? provider.cacheIdentity() : null,
      settings,
      messages: req.messages,
      tools: req.tools ?? null,
      attempt: req.attempt,
      extra: extra ?? null,
    }),
  );
}

interface Row {
  completion: string;
}

export class ResponseCache {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string], Row>;
  private readonly putStmt: Database.Statement<[string, string, string, string, string]>;
  private closed = false;

  private constructor(readonly path: string, db: Database.Database) {
    this.db = db;
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(`CREATE TABLE IF NOT EXISTS responses (
      key TEXT PRIMARY KEY,
      provider TEXT NOT NULL,
      model TEXT NOT NULL,
      created_at TEXT NOT NULL,
      completion TEXT NOT NULL
    )`);
    this.getStmt = db.prepare<[string], Row>('SELECT completion FROM responses WHERE key = ?');
    this.putStmt = db.prepare<[string, string, string, string, string]>(
      'INSERT OR REPLACE INTO responses (key, provider, model, created_at, completion) VALUES (?, ?, ?, ?, ?)',
    );
  }

  /** Open (creating folders and file as needed). */
  static open(path: string): ResponseCache {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      return new ResponseCache(path, new Database(path));
    } catch (e) {
      throw new DsabenchError('E_IO', `cannot open response cache: ${(e as Error).message}`, { file: path, cause: e });
    }
  }

  get(key: string): Completion | undefined {
    if (this.closed) return undefined;
    const row = this.getStmt.get(key);
    if (!row) return undefined;
    try {
      return JSON.parse(row.completion) as Completion;
    } catch {
      return undefined; // a damaged row is a miss, the fresh answer overwrites it
    }
  }

  /** Store a successful completion; errors and already-cached values are ignored. */
  put(key: string, provider: Provider, completion: Completion): void {
    if (this.closed || completion.error !== null) return;
    const { cached: _cached, ...stored } = completion;
    this.putStmt.run(key, provider.id, provider.model, new Date().toISOString(), JSON.stringify(stored));
  }

  size(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM responses').get() as { n: number }).n;
  }

  clear(): void {
    this.db.exec('DELETE FROM responses');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

export interface WithCacheOptions {
  /** Skip reads (always call the model) but still store fresh answers. */
  noCache?: boolean;
  /** Mixed into every key. */
  keyExtra?: unknown;
  /** Close the cache when the provider is closed. */
  ownsCache?: boolean;
}

/** Counters of a cached provider, for the run summary and tests. */
export interface CacheStats {
  hits: number;
  misses: number;
  writes: number;
}

export type CachedProvider = Provider & { readonly inner: Provider; readonly cacheStats: CacheStats };

/** Wrap a provider with read-through / write-back caching. Same id and model as the inner one. */
export function withCache(inner: Provider, cache: ResponseCache, opts: WithCacheOptions = {}): CachedProvider {
  const stats: CacheStats = { hits: 0, misses: 0, writes: 0 };
  return {
    id: inner.id,
    model: inner.model,
    inner,
    cacheStats: stats,
    async complete(req: CompletionRequest): Promise<Completion> {
      const key = cacheKey(inner, req, opts.keyExtra);
      if (!opts.noCache) {
        const hit = cache.get(key);
        if (hit) {
          stats.hits++;
          return { ...hit, cached: true };
        }
      }
      stats.misses++;
      const c = await inner.complete(req);
      if (c.error === null && !c.cached) {
        cache.put(key, inner, c);
        stats.writes++;
      }
      return c;
    },
    async close(): Promise<void> {
      await inner.close?.();
      if (opts.ownsCache) cache.close();
    },
  };
}
