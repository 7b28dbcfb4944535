/**
 * Loader `evalplus`: the EvalPlus release files (HumanEvalPlus.jsonl.gz v0.1.x,
 * MbppPlus.jsonl.gz v0.2.x, or unzipped), records `{task_id, prompt, canonical_solution,
 * entry_point, base_input, plus_input, atol}`.
 *
 * The records are read losslessly: the inputs go to the Python harness as the file wrote
 * them (big integers exact, `5.0` a float, `NaN`/`-Infinity` as Python's json reads them).
 * The task id picks EvalPlus's special oracles (`HumanEval/…`, `Mbpp/…`) and, for MBPP+, the
 * rebuild of arguments that JSON cannot hold (tuples, sets, complex numbers), as EvalPlus's
 * `mbpp_deserialize_inputs` does for those task numbers. The scoring is code-evalplus.ts.
 */
import { DsabenchError } from '../../errors.js';
import type { EvalplusConversion, EvalplusDataset } from '../../scorers/code-evalplus.js';
import type { CodeTarget } from '../../scorers/code-program.js';
import type { Item, ItemLoader } from '../../types.js';
import { toPlain, toPythonJson } from '../../util/lossless-json.js';
import { at, collectRecords, readRecords, skipInvalidOption, type Where } from '../records.js';
import { CODE_PROMPT } from './loaders.js';
import { codeConfig, fence, obj, str } from './fields.js';

/** MBPP+ task number → how its arguments are rebuilt (EvalPlus v0.2.0's table). */
const MBPP_PLUS_CONVERSIONS: ReadonlyArray<readonly [EvalplusConversion, readonly number[]]> = [
  ['args_to_tuples', [2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630, 726, 740, 744, 809]],
  ['nested_args_to_tuples', [63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780]],
  ['first_arg_items_to_tuples', [75, 413, 444, 753]],
  ['second_arg_to_tuple', [106, 750]],
  ['first_arg_items_to_sets', [115]],
  ['float_and_complex', [124]],
  ['first_arg_to_tuple', [250, 405, 446, 617, 720, 763, 808]],
  ['args_to_nested_tuples', [259, 401, 445]],
  ['first_arg_mixed_to_tuple', [278]],
  ['first_arg_to_tuple_of_3', [307]],
  ['dict_values_to_tuples', [722]],
  ['complex', [252]],
  ['all_lists_to_tuples', [580, 615, 791]],
];

const BY_TASK = new Map<number, EvalplusConversion>(MBPP_PLUS_CONVERSIONS.flatMap(([c, ids]) => ids.map((id) => [id, c] as const)));

/** The argument rebuild an MBPP+ task needs (undefined: its JSON arguments are used as they are). */
export function mbppPlusConversion(taskId: string): EvalplusConversion | undefined {
  const m = /^Mbpp\/(\d+)$/.exec(taskId);
  return m ? BY_TASK.get(Number(m[1])) : undefined;
}

export function evalplusDatasetOf(taskId: string): EvalplusDataset {
  if (taskId.startsWith('HumanEval/')) return 'humaneval';
  if (taskId.startsWith('Mbpp/')) return 'mbpp';
  return 'other';
}

/**
 * An input list: an array of argument lists. MBPP+ v0.2.0 writes `{}` for a task without
 * plus inputs (Mbpp/793); EvalPlus iterates it as no inputs, and so does this.
 */
function inputs(o: Record<string, unknown>, key: string, w: Where, optional: boolean): unknown[] {
  const v = o[key];
  if (v === undefined && optional) return [];
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) return [];
  if (!Array.isArray(v)) throw new DsabenchError('E_ITEMS_INVALID', `field "${key}" must be an array of argument lists`, at(w, key));
  const bad = v.findIndex((x) => !Array.isArray(x));
  if (bad >= 0) throw new DsabenchError('E_ITEMS_INVALID', `field "${key}" must be an array of argument lists (entry ${bad} is not a list)`, at(w, `${key}/${bad}`));
  return v;
}

function atolOf(o: Record<string, unknown>, w: Where): number {
  const v = o['atol'] === undefined || o['atol'] === null ? 0 : toPlain(o['atol']);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new DsabenchError('E_ITEMS_INVALID', 'field "atol" must be a number ≥ 0', at(w, 'atol'));
  return v;
}

function evalplusItem(value: unknown, index: number, w: Where): Item {
  const o = obj(value, w);
  const rawId = toPlain(o['task_id']);
  const id = typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : String(index);
  const prompt = str(o, 'prompt', w);
  const canonical = str(o, 'canonical_solution', w);
  const base = inputs(o, 'base_input', w, false);
  const plus = inputs(o, 'plus_input', w, true);
  const dataset = evalplusDatasetOf(id);
  const conversion = mbppPlusConversion(id);
  const target: CodeTarget = {
    format: 'evalplus', language: 'python', prompt, entry_point: str(o, 'entry_point', w), canonical_solution: canonical,
    inputs_json: `{"base": ${toPythonJson(base)}, "plus": ${toPythonJson(plus)}}`,
    atol: atolOf(o, w), dataset,
    ...(conversion ? { conversion } : {}),
  };
  return {
    id, input: { prompt, language: 'python' }, target, reference: fence('python', prompt + canonical),
    metadata: { dataset, base_inputs: base.length, plus_inputs: plus.length },
  };
}

export const EVALPLUS_CONFIG = codeConfig('EvalPlus (HumanEval+/MBPP+) tasks: outputs compared with the canonical solution\'s on base and plus inputs, as EvalPlus compares them', CODE_PROMPT);

export const evalplusLoader: ItemLoader = (file, options) => ({
  config: EVALPLUS_CONFIG,
  ...collectRecords(readRecords(file, { lossless: true }), file, ({ value, index, where }) => evalplusItem(value, index, where), { skipInvalid: skipInvalidOption(options) }),
});
