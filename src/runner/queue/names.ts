/**
 * Redis names of a queued run. Every key starts with `dsabench:` so a shared Redis keeps
 * dsabench's keys apart, and every run has a queue of its own (`run-<run id>`): two runs on
 * one server never see each other's jobs, and cleaning one up cannot touch another.
 *
 *   dsabench:runs                      hash: queue name → RunRegistration (workers discover runs here)
 *   dsabench:<queue>:…                 BullMQ's keys of the run's queue
 *   dsabench:<queue>:blob:<sha256>     content-addressed inputs (suite configs, items with their prompts)
 */
import { DsabenchError } from '../../errors.js';

/** BullMQ key prefix of every queue. */
export const PREFIX = 'dsabench';

/** The hash in which coordinators announce their runs to workers. */
export const REGISTRY_KEY = `${PREFIX}:runs`;

export function queueName(runId: string): string {
  // BullMQ refuses ':' in queue names; run ids are generated without one, a hand-made --out is not a run id.
  if (!/^[A-Za-z0-9._-]+$/.test(runId)) throw new DsabenchError('E_USAGE', `run id "${runId}" cannot name a queue (letters, digits, . _ - only)`, { field: 'queue' });
  return `run-${runId}`;
}

/**
 * The BullMQ job id of an attempt: its attempt key, base64url-encoded because BullMQ job ids
 * may not contain ':' (provider ids do) nor be integers. One id per attempt is what makes
 * adding a job twice (a resumed coordinator) a no-op.
 */
export function jobIdOf(attemptKey: string): string {
  return `a${Buffer.from(attemptKey, 'utf8').toString('base64url')}`;
}

export function attemptKeyOfJobId(jobId: string): string | null {
  if (!jobId.startsWith('a')) return null;
  return Buffer.from(jobId.slice(1), 'base64url').toString('utf8');
}

export function blobKey(queue: string, hash: string): string {
  return `${PREFIX}:${queue}:blob:${hash}`;
}
