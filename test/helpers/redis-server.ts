/**
 * A real redis-server (Debian's package) for tests: on a free loopback port, in a temp
 * folder of its own, stopped by PID (each test starts and stops its own servers). Tests skip
 * when redis-server is not installed, unless DSABENCH_TEST_STRICT=1.
 *
 *   const r = await startRedis({ password: 'pw' });
 *   r.url            // redis://127.0.0.1:<port>
 *   await r.restart(); // stop and start again on the same port (no persistence: data gone)
 *   await r.stop();
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface RedisOptions {
  password?: string;
  /** Serve TLS only (the port speaks TLS), with a throwaway CA made by openssl. */
  tls?: boolean;
}

export interface TestRedis {
  port: number;
  /** redis:// or rediss:// URL without the password. */
  url: string;
  dir: string;
  tls?: RedisTls;
  pid(): number | undefined;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Why the Redis tests cannot run here, or null. Under DSABENCH_TEST_STRICT=1 (CI, which
 * installs redis-server) a missing server throws: the tests must fail, not skip.
 */
export function redisMissing(): string | null {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    const why = 'redis-server is not installed (apt-get install redis-server)';
    if (process.env['DSABENCH_TEST_STRICT'] === '1') throw new Error(`Redis tests must run here (DSABENCH_TEST_STRICT=1) but cannot: ${why}`);
    return why;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function makeCerts(dir: string): RedisTls {
  const o = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  // EC keys: made in milliseconds, unlike RSA.
  o(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=dsabench-test-ca']);
  o(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  o(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext']);
  return { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') };
}

function waitReady(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server on ${port} did not start: ${out}`)), 15_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on ${port} exited with ${code}: ${out}`));
    });
  });
}

export async function startRedis(opts: RedisOptions = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-redis-'));
  const tls = opts.tls ? makeCerts(dir) : undefined;
  let port = 0;
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const args = [
      '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice',
      ...(opts.password ? ['--requirepass', opts.password] : []),
      ...(tls ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'no'] : ['--port', String(port)]),
    ];
    const c = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    await waitReady(c, port);
  };

  for (let i = 0; ; i++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      if (i >= 4) throw err;
    }
  }

  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await exited;
  };

  return {
    port,
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    dir,
    ...(tls ? { tls } : {}),
    pid: () => child?.pid,
    restart: async () => {
      await stop();
      // The port is free again the moment the process is gone; retry if something took it.
      for (let i = 0; ; i++) {
        try {
          await launch();
          return;
        } catch (err) {
          if (i >= 20) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
