import { DsabenchError } from '../errors.js';
import type { Completion, CompletionRequest, Provider, Timings, Usage } from '../types.js';
import { readJsonl } from '../util/jsonl.js';
import { errorCompletion, instantTimings } from '../util/completion.js';

/**
 * One recorded output. Accepted line shapes:
 *   {"id": "3", "output": "42"}                                  (plain predictions)
 *   {"item_id": "3", "output": "42", "suite": "math", "attempt": 0, ...}  (a samples.jsonl line)
 */
interface Recorded {
  id: string;
  output: string;
  suite?: string;
  attempt?: number;
  reasoning?: string;
  usage?: Usage;
  timings?: Timings;
  error?: string | null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse and check a replay file; bad lines throw with file, line and field. */
export function loadRecorded(file: string): Recorded[] {
  const out: Recorded[] = [];
  for (const { line, value } of readJsonl(file, { code: 'E_INPUT_INVALID', tolerateTruncatedTail: true })) {
    const where = { file, line };
    if (!isRecord(value)) throw new DsabenchError('E_INPUT_INVALID', 'expected a JSON object {id, output} or a samples.jsonl line', where);
    const rawId = value['item_id'] ?? value['id'];
    if (typeof rawId !== 'string' && typeof rawId !== 'number') {
      throw new DsabenchError('E_INPUT_INVALID', 'expected a string "id" (or "item_id")', { ...where, field: '/id' });
    }
    const output = value['output'];
    if (typeof output !== 'string') {
      throw new DsabenchError('E_INPUT_INVALID', 'expected a string "output"', { ...where, field: '/output' });
    }
    const rec: Recorded = { id: String(rawId), output };
    if (typeof value['suite'] === 'string') rec.suite = value['suite'];
    if (value['attempt'] !== undefined) {
      if (typeof value['attempt'] !== 'number' || !Number.isInteger(value['attempt'])) {
        throw new DsabenchError('E_INPUT_INVALID', 'expected an integer "attempt"', { ...where, field: '/attempt' });
      }
      rec.attempt = value['attempt'];
    }
    if (typeof value['reasoning'] === 'string') rec.reasoning = value['reasoning'];
    if (isRecord(value['usage'])) rec.usage = value['usage'] as unknown as Usage;
    if (isRecord(value['timings'])) rec.timings = value['timings'] as unknown as Timings;
    if (typeof value['error'] === 'string') rec.error = value['error'];
    out.push(rec);
  }
  return out;
}

/**
 * Re-scores recorded outputs without calling any model. Matching is by item id, then
 * narrowed by attempt and suite when the recorded line has them. A suite filter only
 * applies when the file mentions the requested suite at all (so a plain predictions
 * file, or one recorded under another suite name, still matches by id).
 */
export class ReplayProvider implements Provider {
  readonly id: string;
  readonly model = 'replay';
  private readonly byId = new Map<string, Recorded[]>();
  private readonly suites = new Set<string>();

  constructor(file: string, records: Recorded[]) {
    this.id = `replay:${file}`;
    for (const r of records) {
      const list = this.byId.get(r.id) ?? [];
      list.push(r);
      this.byId.set(r.id, list);
      if (r.suite !== undefined) this.suites.add(r.suite);
    }
  }

  static fromFile(file: string): ReplayProvider {
    return new ReplayProvider(file, loadRecorded(file));
  }

  /** The recorded line for this request, or undefined. Later lines win (resumed runs). */
  find(req: Pick<CompletionRequest, 'item' | 'suite' | 'attempt'>): Recorded | undefined {
    const all = this.byId.get(req.item.id);
    if (!all) return undefined;
    const filterSuite = this.suites.has(req.suite);
    let best: Recorded | undefined;
    let bestRank = -1;
    for (const r of all) {
      if (filterSuite && r.suite !== undefined && r.suite !== req.suite) continue;
      if (r.attempt !== undefined && r.attempt !== req.attempt) continue;
      // Prefer lines that match on more fields; among equals, the last one.
      const rank = (r.attempt !== undefined ? 2 : 0) + (filterSuite && r.suite !== undefined ? 1 : 0);
      if (rank >= bestRank) {
        best = r;
        bestRank = rank;
      }
    }
    return best;
  }

  complete(req: CompletionRequest): Promise<Completion> {
    const rec = this.find(req);
    if (!rec) {
      return Promise.resolve(errorCompletion(`no recorded output for item ${req.item.id} (suite ${req.suite}, attempt ${req.attempt})`));
    }
    const c: Completion = {
      text: rec.output,
      timings: rec.timings ?? instantTimings(),
      error: rec.error ?? null,
      finish_reason: 'stop',
    };
    if (rec.reasoning !== undefined) c.reasoning = rec.reasoning;
    if (rec.usage !== undefined) c.usage = rec.usage;
    return Promise.resolve(c);
  }
}
