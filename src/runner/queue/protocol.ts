/**
 * What travels between a coordinator and its workers through Redis. Everything a worker reads
 * is checked here before use: a job comes from the network, so its shape is data to
 * validate, never something to trust or execute.
 *
 * - AttemptJob: one attempt. Small on purpose: the suite config and the item with its
 *   rendered prompt are blobs fetched by content hash (shared by every provider and repeat
 *   of an item, and checked against the hash on arrival).
 * - AttemptInput: the blob of one item (item + rendered messages).
 * - RunRegistration: a run announced in the registry, for workers to discover.
 * - JobResult: what a worker returns: the attempt's record, or why it refused the job.
 */
import type { ProviderEntry } from '../settings.js';
import type { AttemptRecord, ChatMessage, GenerationSettings, Item, SuiteConfig } from '../../types.js';

export const PROTOCOL = 1;

export interface AttemptJob {
  protocol: typeof PROTOCOL;
  run_id: string;
  /** The attempt key (store.ts attemptKey): suite, item id, provider id, attempt. */
  key: string;
  /** Code hash of the coordinator's dsabench (version.ts). */
  version: string;
  suite: string;
  /** The run's hash of the suite (run.json suite_hashes). */
  suite_hash: string;
  /** Blob hash of the suite config. */
  config: string;
  /** Blob hash of the AttemptInput. */
  input: string;
  provider: ProviderEntry;
  /** Do not read cached responses (the run's --no-cache). */
  no_cache: boolean;
  attempt: number;
  settings: GenerationSettings;
  /** hashJson({messages, settings}): the record's input_hash. */
  input_hash: string;
}

export interface AttemptInput {
  item: Item;
  messages: ChatMessage[];
}

export interface RunRegistration {
  protocol: typeof PROTOCOL;
  run_id: string;
  version: string;
  suite_hashes: Record<string, string>;
  /** Who coordinates (host:pid) and when it last said so. */
  coordinator: string;
  heartbeat: string;
}

export type JobResult = { record: AttemptRecord } | { refused: string };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStr(v: unknown): v is string {
  return typeof v === 'string';
}

function isStrRecord(v: unknown): v is Record<string, string> {
  return isObj(v) && Object.values(v).every(isStr);
}

/** The job's data, or why it is not a job this worker understands. */
export function parseAttemptJob(v: unknown): AttemptJob | string {
  if (!isObj(v)) return 'job data is not an object';
  if (v['protocol'] !== PROTOCOL) return `job protocol ${JSON.stringify(v['protocol'])} is not ${PROTOCOL} (a different dsabench version queued it)`;
  for (const f of ['run_id', 'key', 'version', 'suite', 'suite_hash', 'config', 'input', 'input_hash'] as const) {
    if (!isStr(v[f])) return `job field "${f}" is not a string`;
  }
  const p = v['provider'];
  if (!isObj(p) || !isStr(p['spec']) || (p['options'] !== undefined && !isObj(p['options']))) return 'job field "provider" is not {spec, options?}';
  if (typeof v['no_cache'] !== 'boolean') return 'job field "no_cache" is not a boolean';
  if (!Number.isSafeInteger(v['attempt']) || (v['attempt'] as number) < 0) return 'job field "attempt" is not an integer >= 0';
  if (!isObj(v['settings'])) return 'job field "settings" is not an object';
  const key = keyParts(v['key'] as string);
  if (!key || key.suite !== v['suite'] || key.attempt !== v['attempt']) return 'job field "key" is not the attempt key of its suite and attempt';
  return v as unknown as AttemptJob;
}

/** The parts of an attempt key (store.ts attemptKey: JSON [suite, item id, provider, attempt]), or null. */
export function keyParts(key: string): { suite: string; itemId: string; provider: string; attempt: number } | null {
  let v: unknown;
  try {
    v = JSON.parse(key);
  } catch {
    return null;
  }
  if (!Array.isArray(v) || v.length !== 4 || !isStr(v[0]) || !isStr(v[1]) || !isStr(v[2]) || !Number.isSafeInteger(v[3])) return null;
  return { suite: v[0], itemId: v[1], provider: v[2], attempt: v[3] as number };
}

/** The suite config blob, checked to be the job's suite with a scorer and a prompt. */
export function parseSuiteConfig(v: unknown, suite: string): SuiteConfig | string {
  if (!isObj(v) || v['name'] !== suite) return `the suite config is not suite "${suite}"`;
  const scorer = v['scorer'];
  const prompt = v['prompt'];
  if (!isObj(scorer) || !isStr(scorer['name']) || !isObj(prompt) || !isStr(prompt['template']) || !isStr(v['kind'])) return 'the suite config lacks kind, scorer or prompt';
  return v as unknown as SuiteConfig;
}

export function parseAttemptInput(v: unknown): AttemptInput | string {
  if (!isObj(v)) return 'input is not an object';
  const item = v['item'];
  if (!isObj(item) || !isStr(item['id']) || !isObj(item['input'])) return 'input item is not {id, input, target}';
  const msgs = v['messages'];
  if (!Array.isArray(msgs) || !msgs.every((m) => isObj(m) && isStr(m['role']))) return 'input messages are not chat messages';
  return v as unknown as AttemptInput;
}

export function parseRegistration(text: string): RunRegistration | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObj(v) || v['protocol'] !== PROTOCOL || !isStr(v['run_id']) || !isStr(v['version']) || !isStrRecord(v['suite_hashes'])) return null;
  return v as unknown as RunRegistration;
}

/** A worker's answer, as the coordinator reads it back from the job. */
export function parseJobResult(v: unknown): JobResult | string {
  if (!isObj(v)) return 'the worker returned no result';
  if (isStr(v['refused'])) return { refused: v['refused'] };
  const r = v['record'];
  if (!isObj(r) || !isStr(r['suite']) || !isStr(r['item_id']) || !isStr(r['provider']) || !Number.isSafeInteger(r['attempt']) || !isObj(r['score'])) {
    return 'the worker returned something that is not an attempt record';
  }
  return { record: r as unknown as AttemptRecord };
}
