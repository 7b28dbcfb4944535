/**
 * The `--queue` URL: where the Redis server of a queued run is, and how to reach it safely.
 *
 *   redis://[user[:password]@]host[:port][/db]
 *   rediss://[user[:password]@]host[:port][/db][?ca=FILE&cert=FILE&key=FILE&servername=NAME]
 *
 * `rediss://` is TLS with certificate checking always on (`ca` adds a private CA; `cert` and
 * `key` are a client certificate for servers that ask for one). A password can stay out of
 * the URL (and out of shell history and CI logs): DSABENCH_REDIS_PASSWORD is used when the
 * URL has none. run.json and every log line get `display`, the URL without its password,
 * because run folders are uploaded and shared.
 */
import { readFileSync } from 'node:fs';
import { DsabenchError } from '../../errors.js';

export interface RedisTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
}

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: RedisTls;
  /** The URL without its password: what run.json and logs show. */
  display: string;
}

const TLS_PARAMS = new Set(['ca', 'cert', 'key', 'servername']);

function usage(msg: string): DsabenchError {
  return new DsabenchError('E_USAGE', msg, { field: 'queue' });
}

function readPem(param: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw usage(`--queue ?${param}=${file}: cannot read the file (${(err as Error).message})`);
  }
}

/** Parse a redis:// or rediss:// URL; the password falls back to DSABENCH_REDIS_PASSWORD. */
export function parseRedisUrl(text: string, env: Readonly<Record<string, string | undefined>> = process.env): RedisTarget {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw usage(`--queue ${JSON.stringify(redactRedisUrl(text))} is not a URL; expected redis://host:port or rediss://host:port`);
  }
  const secure = u.protocol === 'rediss:';
  if (!secure && u.protocol !== 'redis:') throw usage(`--queue must be a redis:// or rediss:// (TLS) URL, got ${u.protocol}//…`);
  if (u.hostname === '') throw usage('--queue URL has no host; expected redis://host:port');
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw usage(`--queue database "${dbText}" is not a number; expected redis://host:port/<db>`);
  const tls: RedisTls = {};
  for (const [k, v] of u.searchParams) {
    if (!TLS_PARAMS.has(k)) throw usage(`--queue parameter "${k}" is unknown; expected ${[...TLS_PARAMS].join(', ')} (rediss:// only)`);
    if (!secure) throw usage(`--queue parameter "${k}" configures TLS; use a rediss:// URL`);
    if (k === 'servername') tls.servername = v;
    else tls[k as 'ca' | 'cert' | 'key'] = readPem(k, v);
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw usage('--queue: a client certificate needs both cert= and key=');
  const password = u.password !== '' ? decodeURIComponent(u.password) : env['DSABENCH_REDIS_PASSWORD'] || undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port,
    db,
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(secure ? { tls } : {}),
    display: redactRedisUrl(text),
  };
}

/** The URL without its password (`redis://user:***@host` → `redis://user@host`); unparsable text is cut to its scheme. */
export function redactRedisUrl(text: string): string {
  try {
    const u = new URL(text);
    u.password = '';
    return u.toString();
  } catch {
    const scheme = /^[a-z]+:\/\//i.exec(text);
    return scheme ? `${scheme[0]}…` : '…';
  }
}
