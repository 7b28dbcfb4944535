import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { attemptKeyOfJobId, jobIdOf, queueName } from '../../src/runner/queue/names.js';
import { parseRedisUrl, redactRedisUrl } from '../../src/runner/queue/url.js';

const dir = mkdtempSync(join(tmpdir(), 'dsabench-url-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('--queue URLs', () => {
  it('redis:// with user, password and database; the display form has no password', () => {
    const t = parseRedisUrl('redis://eval:s%40cret@queue.example:6380/2', {});
    assert.deepEqual([t.host, t.port, t.db, t.username, t.password, t.tls], ['queue.example', 6380, 2, 'eval', 's@cret', undefined]);
    assert.equal(t.display, 'redis://eval@queue.example:6380/2');
    assert.ok(!t.display.includes('cret'));
    const d = parseRedisUrl('redis://127.0.0.1', {});
    assert.deepEqual([d.port, d.db, d.password], [6379, 0, undefined]);
  });

  it('the password may come from DSABENCH_REDIS_PASSWORD (the URL wins)', () => {
    assert.equal(parseRedisUrl('redis://h:1', { DSABENCH_REDIS_PASSWORD: 'env-pw' }).password, 'env-pw');
    assert.equal(parseRedisUrl('redis://:url-pw@h:1', { DSABENCH_REDIS_PASSWORD: 'env-pw' }).password, 'url-pw');
  });

  it('rediss:// is TLS, with a CA, a client certificate and a server name from files', () => {
    writeFileSync(join(dir, 'ca.pem'), 'CA');
    writeFileSync(join(dir, 'c.pem'), 'CERT');
    writeFileSync(join(dir, 'k.pem'), 'KEY');
    const t = parseRedisUrl(`rediss://h:6380?ca=${join(dir, 'ca.pem')}&cert=${join(dir, 'c.pem')}&key=${join(dir, 'k.pem')}&servername=queue`, {});
    assert.equal(t.tls?.ca?.toString(), 'CA');
    assert.equal(t.tls?.cert?.toString(), 'CERT');
    assert.equal(t.tls?.key?.toString(), 'KEY');
    assert.equal(t.tls?.servername, 'queue');
    assert.deepEqual(parseRedisUrl('rediss://h', {}).tls, {});
  });

  it('refuses what it cannot honour', () => {
    assert.throws(() => parseRedisUrl('http://h:1', {}), /redis:\/\/ or rediss:\/\//);
    assert.throws(() => parseRedisUrl('redis://h:1?ca=x', {}), /use a rediss:\/\/ URL/);
    assert.throws(() => parseRedisUrl('rediss://h:1?insecure=1', {}), /unknown/);
    assert.throws(() => parseRedisUrl(`rediss://h:1?cert=${join(dir, 'c.pem')}`, {}), /both cert= and key=/);
    assert.throws(() => parseRedisUrl('rediss://h:1?ca=/no/such/file', {}), /cannot read/);
    assert.throws(() => parseRedisUrl('redis://h:1/x', {}), /not a number/);
    // A bad URL's message never repeats its password.
    assert.throws(() => parseRedisUrl('redis://:pw@[bad', {}), (e: Error) => !e.message.includes('pw'));
    assert.equal(redactRedisUrl('redis://u:pw@h:1/0'), 'redis://u@h:1/0');
  });
});

describe('queue names', () => {
  it('job id = the attempt key, encoded without ":" and never an integer', () => {
    const key = JSON.stringify(['math', '12', 'openai:deepseek-chat@http://h:8000/v1', 0]);
    const id = jobIdOf(key);
    assert.ok(!id.includes(':'));
    assert.ok(Number.isNaN(Number(id)));
    assert.equal(attemptKeyOfJobId(id), key);
    assert.equal(queueName('20261128-110731-3fa2c1'), 'run-20261128-110731-3fa2c1');
    assert.throws(() => queueName('a:b'), /cannot name a queue/);
  });
});
