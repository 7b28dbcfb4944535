/**
 * Connections to the queue's Redis, for the coordinator and the workers alike.
 *
 * Both sides must live through a Redis restart: commands issued while the server is away
 * wait in the client's offline queue (maxRetriesPerRequest: null) and the client reconnects
 * every 200 ms–2 s for as long as it takes, so a restart is a pause, not a failure. Only the
 * first connection is bounded: a wrong host or password at start is an error, not a hang.
 */
import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { DsabenchError } from '../../errors.js';
import type { RedisTarget } from './url.js';

/**
 * The options of a target, typed to fit both ioredis and BullMQ's `connection` (the two
 * declare retryStrategy differently: ioredis also takes null there).
 */
function targetOptions(t: RedisTarget) {
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.username !== undefined ? { username: t.username } : {}),
    ...(t.password !== undefined ? { password: t.password } : {}),
    ...(t.tls ? { tls: { ...t.tls } } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: (times: number): number => Math.min(200 * times, 2000),
    connectTimeout: 10_000,
  };
}

/** ioredis options for a target. */
export function redisOptions(t: RedisTarget): RedisOptions {
  return targetOptions(t);
}

/** The same options as BullMQ's `connection`. */
export function bullConnection(t: RedisTarget): ConnectionOptions {
  return targetOptions(t);
}

/** `p`, or 'timeout' after `ms`; the timer never outlives the race (it would hold the process open). */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** One try: a connected client, or why not (the first error: refused, WRONGPASS, a certificate). */
async function tryConnect(t: RedisTarget, timeoutMs: number): Promise<Redis | string> {
  const client = new Redis({ ...redisOptions(t), lazyConnect: true });
  // Later errors only say that the connection closed.
  let why = '';
  const note = (msg: string): void => {
    if (why === '' || /Connection is closed/i.test(why)) why = msg;
  };
  client.on('error', (err: Error) => note(err.message));
  const ping = (async () => {
    await client.connect();
    await client.ping();
  })();
  try {
    if ((await withTimeout(ping.then(() => 'ok' as const), timeoutMs)) === 'ok') return client;
    note(`no answer in ${Math.round(timeoutMs / 1000)} s`);
  } catch (err) {
    note((err as Error).message);
  }
  ping.catch(() => {});
  client.disconnect();
  return why || 'unknown error';
}

/**
 * A connected client. A server that refuses connections is tried again for up to
 * `timeoutMs` (workers may start before Redis does); a wrong password or certificate is an
 * error at once. Throws E_RUN naming the cause.
 */
export async function connectRedis(t: RedisTarget, timeoutMs = 15_000, log?: (line: string) => void): Promise<Redis> {
  const t0 = Date.now();
  for (let tries = 1; ; tries++) {
    const left = timeoutMs - (Date.now() - t0);
    const got = await tryConnect(t, Math.max(1000, left));
    if (typeof got !== 'string') return got;
    const auth = /NOAUTH|WRONGPASS|AUTH/i.test(got);
    const retry = !auth && /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|LOADING/i.test(got) && Date.now() - t0 + 500 < timeoutMs;
    if (!retry) {
      throw new DsabenchError('E_RUN', `cannot reach Redis at ${t.display}: ${got}${auth ? ' (give the password in the URL or in DSABENCH_REDIS_PASSWORD)' : ''}`, { field: 'queue' });
    }
    if (tries === 1) log?.(`Redis at ${t.display} does not answer (${got}); trying again for ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Close without waiting on a server that may be gone. */
export async function closeRedis(client: Redis, waitMs = 2000): Promise<void> {
  await withTimeout(client.quit().then(() => undefined, () => undefined), waitMs);
  client.disconnect();
}
