/**
 * Loaders for code task files in the public layouts:
 *
 * - `humaneval`:     jsonl `{task_id, prompt, canonical_solution, test, entry_point}`
 *                    (+ optional `language`: python | javascript, `difficulty`)
 * - `mbpp`:          jsonl `{text|prompt, code, task_id, test_setup_code, test_list, challenge_test_list}`
 * - `evalplus`:      jsonl HumanEval+ / MBPP+ `{task_id, prompt, canonical_solution, entry_point,
 *                    base_input, plus_input, atol}`
 * - `livecodebench`: jsonl `{question_id, question_title, question_content, starter_code,
 *                    public_test_cases, private_test_cases, metadata}` where the test cases are
 *                    arrays or JSON strings of `{input, output, testtype: stdin|functional}`
 *
 * Items: input `{prompt, language}` for the template, target a CodeTarget
 * (src/scorers/code-program.ts), reference the canonical solution in a fenced block (what
 * the oracle answers). Every problem names the file, the line and the field.
 */
import { DsabenchError } from '../../errors.js';
import type { Item, ItemLoader, SuiteConfig } from '../../types.js';
import { readJsonl } from '../../util/jsonl.js';
import type { CodeTarget, IoTest } from '../../scorers/code-program.js';
import type { CodeLanguage } from '../../scorers/code-extract.js';

export const CODE_PROMPT =
  'Complete the following {language} function. Reply with the complete function (including its signature) in one fenced code block.\n\n```{language}\n{prompt}```';

export const MBPP_PROMPT = '{prompt}\nYour code should pass these tests:\n\n{tests}\n\nReply with the Python code in one fenced code block.';

export const LCB_PROMPT =
  'You will be given a programming problem. Write a {language} program that solves it{mode}. Reply with the code in one fenced code block.\n\n{prompt}';

function codeConfig(description: string, template: string): Omit<SuiteConfig, 'name'> {
  return {
    kind: 'code',
    description,
    scorer: { name: 'code' },
    prompt: { template },
    generation: { temperature: 0, max_tokens: 2048 },
  };
}

interface Where {
  file: string;
  line: number;
}

function obj(value: unknown, w: Where): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DsabenchError('E_ITEMS_INVALID', `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`, w);
  }
  return value as Record<string, unknown>;
}

function str(o: Record<string, unknown>, key: string, w: Where, fallback?: string): string {
  const v = o[key];
  if (typeof v === 'string') return v;
  if (v === undefined && fallback !== undefined) return fallback;
  throw new DsabenchError('E_ITEMS_INVALID', `field "${key}" must be a string (got ${v === undefined ? 'nothing' : typeof v})`, { ...w, field: `/${key}` });
}

function strList(o: Record<string, unknown>, key: string, w: Where, optional = false): string[] {
  const v = o[key];
  if (v === undefined && optional) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new DsabenchError('E_ITEMS_INVALID', `field "${key}" must be an array of strings`, { ...w, field: `/${key}` });
  }
  return v as string[];
}

function idOf(o: Record<string, unknown>, key: string, index: number): string {
  const v = o[key];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : String(index);
}

function fence(lang: CodeLanguage, code: string): string {
  return '```' + lang + '\n' + code.replace(/\n*$/, '\n') + '```';
}

function language(o: Record<string, unknown>, w: Where, dflt: CodeLanguage): CodeLanguage {
  const v = o['language'];
  if (v === undefined) return dflt;
  const s = String(v).toLowerCase();
  if (s === 'python' || s === 'py') return 'python';
  if (s === 'javascript' || s === 'js') return 'javascript';
  throw new DsabenchError('E_ITEMS_INVALID', `language "${String(v)}" is not supported (expected python or javascript)`, { ...w, field: '/language' });
}

/** HumanEval jsonl (and the built-in suite, which adds `language` and `difficulty`). */
export function loadHumanEvalFile(file: string, options: Record<string, unknown> = {}): Item[] {
  const dflt = language({ language: options['language'] }, { file, line: 0 }, 'python');
  return readJsonl(file, { code: 'E_ITEMS_INVALID' }).map(({ value, line, index }) => {
    const w = { file, line };
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
  });
}

export const humanevalLoader: ItemLoader = (file, options) => ({
  config: codeConfig('HumanEval-layout code tasks, run against their tests in the sandbox', CODE_PROMPT),
  items: loadHumanEvalFile(file, options),
});

export const mbppLoader: ItemLoader = (file) => ({
  config: codeConfig('MBPP-layout Python tasks, run against their asserts in the sandbox', MBPP_PROMPT),
  items: readJsonl(file, { code: 'E_ITEMS_INVALID' }).map(({ value, line, index }) => {
    const w = { file, line };
    const o = obj(value, w);
    const text = typeof o['text'] === 'string' ? (o['text'] as string) : str(o, 'prompt', w);
    const tests = strList(o, 'test_list', w);
    const target: CodeTarget = {
      format: 'mbpp', language: 'python', test_list: tests,
      test_setup_code: str(o, 'test_setup_code', w, ''),
      challenge_test_list: strList(o, 'challenge_test_list', w, true),
    };
    // The function name the asserts call, so extraction can prefer the block defining it.
    const m = /assert\s+(?:not\s+)?\(?\s*(?:set\()?\s*([A-Za-z_]\w*)\s*\(/.exec(tests[0] ?? '');
    if (m) target.entry_point = m[1]!;
    const item: Item = { id: idOf(o, 'task_id', index), input: { prompt: text, tests: tests.join('\n'), language: 'python' }, target };
    if (typeof o['code'] === 'string') item.reference = fence('python', o['code'] as string);
    return item;
  }),
});

function inputs(o: Record<string, unknown>, key: string, w: Where, optional: boolean): unknown[][] {
  const v = o[key];
  if (v === undefined && optional) return [];
  if (!Array.isArray(v) || v.some((x) => !Array.isArray(x))) {
    throw new DsabenchError('E_ITEMS_INVALID', `field "${key}" must be an array of argument lists`, { ...w, field: `/${key}` });
  }
  return v as unknown[][];
}

export const evalplusLoader: ItemLoader = (file) => ({
  config: codeConfig('EvalPlus (HumanEval+/MBPP+) tasks: outputs compared with the canonical solution on base and plus inputs', CODE_PROMPT),
  items: readJsonl(file, { code: 'E_ITEMS_INVALID' }).map(({ value, line, index }) => {
    const w = { file, line };
    const o = obj(value, w);
    const prompt = str(o, 'prompt', w);
    const canonical = str(o, 'canonical_solution', w);
    const target: CodeTarget = {
      format: 'evalplus', language: 'python', prompt, entry_point: str(o, 'entry_point', w), canonical_solution: canonical,
      base_input: inputs(o, 'base_input', w, false), plus_input: inputs(o, 'plus_input', w, true),
      atol: typeof o['atol'] === 'number' ? (o['atol'] as number) : 0,
    };
    return { id: idOf(o, 'task_id', index), input: { prompt, language: 'python' }, target, reference: fence('python', prompt + canonical) };
  }),
});

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
  if (!Array.isArray(arr)) throw new DsabenchError('E_ITEMS_INVALID', `field "${field}" must be an array of {input, output}`, { ...w, field: `/${field}` });
  return arr.map((t, i) => {
    const o = obj(t, w);
    if (typeof o['input'] !== 'string' || typeof o['output'] !== 'string') {
      throw new DsabenchError('E_ITEMS_INVALID', `test ${i} needs string "input" and "output"`, { ...w, field: `/${field}/${i}` });
    }
    return { input: o['input'] as string, output: o['output'] as string, testtype: String(o['testtype'] ?? 'stdin') };
  });
}

export const livecodebenchLoader: ItemLoader = (file, options) => ({
  config: codeConfig('LiveCodeBench-style problems: stdin/stdout tests (line-by-line compare) or LeetCode-style functional tests', LCB_PROMPT),
  items: readJsonl(file, { code: 'E_ITEMS_INVALID' }).map(({ value, line, index }) => {
    const w = { file, line };
    const o = obj(value, w);
    const lang = language(o, w, language({ language: options['language'] }, w, 'python'));
    const content = typeof o['question_content'] === 'string' ? (o['question_content'] as string) : str(o, 'prompt', w);
    const tests = [
      ...testCases(o['public_test_cases'] ?? o['tests'], w, 'public_test_cases'),
      ...(options['public_only'] === true ? [] : testCases(o['private_test_cases'], w, 'private_test_cases')),
    ];
    if (tests.length === 0) throw new DsabenchError('E_ITEMS_INVALID', 'problem has no readable test cases', { ...w, field: '/public_test_cases' });
    const functional = tests[0]!.testtype === 'functional';
    let funcName: string | undefined;
    if (functional) {
      let md: unknown = o['metadata'];
      if (typeof md === 'string') {
        try { md = JSON.parse(md); } catch { md = {}; }
      }
      funcName = md && typeof md === 'object' ? (md as Record<string, unknown>)['func_name'] as string | undefined : undefined;
      if (typeof funcName !== 'string') throw new DsabenchError('E_ITEMS_INVALID', 'functional tests need metadata.func_name', { ...w, field: '/metadata' });
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
  }),
});
