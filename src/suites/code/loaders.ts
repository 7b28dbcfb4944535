/**
 * Loaders for code task files in the public layouts (each file JSONL or a JSON array,
 * gzip-compressed or not; records.ts):
 *
 * - `humaneval`:     `{task_id, prompt, canonical_solution, test, entry_point}`
 *                    (+ optional `language`: python | javascript, `difficulty`)
 * - `mbpp`:          original MBPP `{text, code, task_id, test_setup_code, test_list,
 *                    challenge_test_list}` or sanitized MBPP `{prompt, code, task_id,
 *                    test_imports, test_list}`; option `split`: all | test (task ids 11–510)
 *                    | validation (511–600) | train (601–974) | prompt (1–10)
 * - `evalplus`:      HumanEval+ / MBPP+ (evalplus.ts)
 * - `livecodebench`: `{question_id, question_title, question_content, starter_code,
 *                    public_test_cases, private_test_cases, metadata}` where the test cases are
 *                    arrays or JSON strings of `{input, output, testtype: stdin|functional}`
 *
 * Every loader takes the option `skip_invalid` (records.ts). Items: input `{prompt,
 * language}` for the template, target a CodeTarget (src/scorers/code-program.ts), reference
 * the canonical solution in a fenced block (what the oracle answers).
 */
import { DsabenchError } from '../../errors.js';
import type { Item, ItemLoader } from '../../types.js';
import type { CodeTarget, IoTest } from '../../scorers/code-program.js';
import { at, collectRecords, readRecords, skipInvalidOption, type Where } from '../records.js';
import { codeConfig, enumOption, fence, idOf, language, obj, str, strList } from './fields.js';

export const CODE_PROMPT =
  'Complete the following {language} function. Reply with the complete function (including its signature) in one fenced code block.\n\n```{language}\n{prompt}```';

export const MBPP_PROMPT = '{prompt}\nYour code should pass these tests:\n\n{tests}\n\nReply with the Python code in one fenced code block.';

export const LCB_PROMPT =
  'You will be given a programming problem. Write a {language} program that solves it{mode}. Reply with the code in one fenced code block.\n\n{prompt}';

export const HUMANEVAL_CONFIG = codeConfig('HumanEval-layout code tasks, run against their tests in the sandbox', CODE_PROMPT);
export const MBPP_CONFIG = codeConfig('MBPP-layout Python tasks (original or sanitized), run against their asserts in the sandbox', MBPP_PROMPT);
export const LCB_CONFIG = codeConfig('LiveCodeBench-style problems: stdin/stdout tests (line-by-line compare) or LeetCode-style functional tests', LCB_PROMPT);

/** HumanEval records (and the built-in suite's, which add `language` and `difficulty`). */
export function loadHumanEvalFile(file: string, options: Record<string, unknown> = {}): { items: Item[]; skipped: string[] } {
  const dflt = language({ language: options['language'] }, { file }, 'python');
  return collectRecords(readRecords(file), file, ({ value, index, where: w }) => {
    const o = obj(value, w);
    const lang = language(o, w, dflt);
    const prompt = str(o, 'prompt', w);
    const target: CodeTarget = {
      format: 'humaneval', language: lang, prompt, test: str(o, 'test', w), entry_point: str(o, 'entry_point', w),
    };
    const item: Item = { id: idOf(o, 'task_id', index), input: { prompt, language: lang }, target };
    if (typeof o['canonical_solution'] === 'string') item.reference = fence(lang, prompt + o['canonical_solution']);
    const md: Record<string, unknown> = {};
    if (typeof o['difficulty'] === 'string') md['difficulty'] = o['difficulty'];
    md['language'] = lang;
    item.metadata = md;
    return item;
  }, { skipInvalid: skipInvalidOption(options) });
}

export const humanevalLoader: ItemLoader = (file, options) => ({
  config: HUMANEVAL_CONFIG,
  ...loadHumanEvalFile(file, options),
});

/** MBPP's splits by task id, as the MBPP paper defines them. */
export const MBPP_SPLITS = {
  all: [1, Number.MAX_SAFE_INTEGER],
  prompt: [1, 10],
  test: [11, 510],
  validation: [511, 600],
  train: [601, 974],
} as const satisfies Record<string, readonly [number, number]>;

export type MbppSplit = keyof typeof MBPP_SPLITS;

const CALL = /(?<![\w.])([A-Za-z_]\w*)\s*\(/g;
const NOT_ENTRY = new Set(['assert', 'not', 'set', 'sorted', 'list', 'tuple', 'str', 'int', 'float', 'abs', 'round', 'len', 'isinstance', 'all', 'any', 'sum', 'max', 'min', 'frozenset', 'dict', 'bool', 'type', 'repr', 'print', 'range', 'map', 'zip']);

/**
 * The function the asserts call, so extraction can prefer the block defining it: the first
 * call in the first assert to a function the reference code defines, else the first call
 * that is not a builtin (`assert math.isclose(volume_sphere(10), …)` → volume_sphere).
 */
export function mbppEntryPoint(tests: readonly string[], code: string | undefined): string | undefined {
  const calls = [...(tests[0] ?? '').matchAll(CALL)].map((m) => m[1]!).filter((n) => !NOT_ENTRY.has(n));
  const defined = new Set([...(code ?? '').matchAll(/^\s*def\s+([A-Za-z_]\w*)\s*\(/gm)].map((m) => m[1]!));
  return calls.find((n) => defined.has(n)) ?? calls[0];
}

function mbppItem(value: unknown, index: number, w: Where, split: readonly [number, number]): Item | null {
  const o = obj(value, w);
  const id = idOf(o, 'task_id', index);
  if (split !== MBPP_SPLITS.all) {
    const n = typeof o['task_id'] === 'number' ? o['task_id'] : Number.NaN;
    if (!Number.isInteger(n)) throw new DsabenchError('E_ITEMS_INVALID', 'a split needs a numeric "task_id"', at(w, 'task_id'));
    if (n < split[0] || n > split[1]) return null;
  }
  const text = typeof o['text'] === 'string' ? (o['text'] as string) : str(o, 'prompt', w);
  const tests = strList(o, 'test_list', w);
  const code = typeof o['code'] === 'string' ? (o['code'] as string) : undefined;
  const target: CodeTarget = {
    format: 'mbpp', language: 'python', test_list: tests,
    test_setup_code: str(o, 'test_setup_code', w, ''),
    challenge_test_list: strList(o, 'challenge_test_list', w, true),
  };
  const imports = strList(o, 'test_imports', w, true);
  if (imports.length > 0) target.test_imports = imports;
  const ep = mbppEntryPoint(tests, code);
  if (ep !== undefined) target.entry_point = ep;
  const item: Item = { id, input: { prompt: text, tests: tests.join('\n'), language: 'python' }, target };
  if (code !== undefined) item.reference = fence('python', code);
  return item;
}

export const mbppLoader: ItemLoader = (file, options) => {
  const split = MBPP_SPLITS[enumOption(options, 'split', Object.keys(MBPP_SPLITS) as MbppSplit[], 'all')];
  return {
    config: MBPP_CONFIG,
    ...collectRecords(readRecords(file), file, ({ value, index, where }) => mbppItem(value, index, where, split), { skipInvalid: skipInvalidOption(options) }),
  };
};

/** LiveCodeBench test cases: an array, or a JSON string of one (compressed blobs are skipped). */
function testCases(v: unknown, w: Where, field: string): Array<IoTest & { testtype: string }> {
  if (v === undefined || v === null || v === '') return [];
  let arr: unknown = v;
  if (typeof v === 'string') {
    try {
      arr = JSON.parse(v);
    } catch {
      // LiveCodeBench ships private tests zlib+pickle compressed: not readable here.
      return [];
    }
  }
  if (!Array.isArray(arr)) throw new DsabenchError('E_ITEMS_INVALID', `field "${field}" must be an array of {input, output}`, at(w, field));
  return arr.map((t, i) => {
    const o = obj(t, w);
    if (typeof o['input'] !== 'string' || typeof o['output'] !== 'string') {
      throw new DsabenchError('E_ITEMS_INVALID', `test ${i} needs string "input" and "output"`, at(w, `${field}/${i}`));
    }
    return { input: o['input'] as string, output: o['output'] as string, testtype: String(o['testtype'] ?? 'stdin') };
  });
}

function livecodebenchItem(value: unknown, index: number, w: Where, options: Record<string, unknown>): Item {
  const o = obj(value, w);
  const lang = language(o, w, language({ language: options['language'] }, w, 'python'));
  const content = typeof o['question_content'] === 'string' ? (o['question_content'] as string) : str(o, 'prompt', w);
  const tests = [
    ...testCases(o['public_test_cases'] ?? o['tests'], w, 'public_test_cases'),
    ...(options['public_only'] === true ? [] : testCases(o['private_test_cases'], w, 'private_test_cases')),
  ];
  if (tests.length === 0) throw new DsabenchError('E_ITEMS_INVALID', 'problem has no readable test cases', at(w, 'public_test_cases'));
  const functional = tests[0]!.testtype === 'functional';
  let funcName: string | undefined;
  if (functional) {
    let md: unknown = o['metadata'];
    if (typeof md === 'string') {
      try { md = JSON.parse(md); } catch { md = {}; }
    }
    funcName = md && typeof md === 'object' ? (md as Record<string, unknown>)['func_name'] as string | undefined : undefined;
    if (typeof funcName !== 'string') throw new DsabenchError('E_ITEMS_INVALID', 'functional tests need metadata.func_name', at(w, 'metadata'));
  }
  const starter = typeof o['starter_code'] === 'string' ? (o['starter_code'] as string) : '';
  const prompt = starter ? `${content}\n\nStarter code:\n\`\`\`${lang}\n${starter}\n\`\`\`` : content;
  const ioTests = tests.map((t) => ({ input: t.input, output: t.output }));
  const target: CodeTarget = functional
    ? { format: 'functional', language: 'python', func_name: funcName!, tests: ioTests }
    : { format: 'stdio', language: lang, tests: ioTests };
  const item: Item = {
    id: idOf(o, 'question_id', index),
    input: { prompt, language: lang, mode: functional ? ' (complete the starter code)' : ' reading standard input and writing standard output' },
    target,
  };
  if (typeof o['solution'] === 'string') item.reference = fence(lang, o['solution'] as string);
  const md: Record<string, unknown> = {};
  for (const k of ['difficulty', 'platform', 'contest_date', 'question_title']) if (o[k] !== undefined) md[k] = o[k];
  if (Object.keys(md).length) item.metadata = md;
  return item;
}

export const livecodebenchLoader: ItemLoader = (file, options) => ({
  config: LCB_CONFIG,
  ...collectRecords(readRecords(file), file, ({ value, index, where }) => livecodebenchItem(value, index, where, options), { skipInvalid: skipInvalidOption(options) }),
});
