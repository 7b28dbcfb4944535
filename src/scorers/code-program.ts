/**
 * Code task targets (what `Item.target` holds for the `code` scorer) and the programs
 * built from them. Layouts:
 *
 * - humaneval  {language, prompt, test, entry_point}: prompt + completion + test + check(ep)
 * - mbpp       {test_list, test_setup_code?, test_imports?, challenge_test_list?}:
 *              code + imports + setup + asserts
 * - evalplus   {prompt, entry_point, canonical_solution, inputs_json | base_input+plus_input,
 *              atol?, dataset?, conversion?}: the candidate's outputs on every input match
 *              the canonical solution's, as EvalPlus compares them (code-evalplus.ts)
 * - stdio      {tests: [{input, output}]}: stdin → stdout, compared line by line
 * - functional {func_name, tests: [{input, output}]}: LeetCode-style `Solution().f(*args)`,
 *              inputs one JSON value per line, output JSON
 */
import { DsabenchError } from '../errors.js';
import { definesEntryPoint, type CodeLanguage } from './code-extract.js';
import { EVALPLUS_CONVERSIONS, type EvalplusConversion, type EvalplusDataset } from './code-evalplus.js';

export type CodeFormat = 'humaneval' | 'mbpp' | 'evalplus' | 'stdio' | 'functional';

export interface IoTest {
  input: string;
  output: string;
}

export interface CodeTarget {
  format: CodeFormat;
  language: CodeLanguage;
  entry_point?: string;
  prompt?: string;
  test?: string;
  test_setup_code?: string;
  /** Sanitized MBPP: import lines the asserts need. */
  test_imports?: string[];
  test_list?: string[];
  challenge_test_list?: string[];
  canonical_solution?: string;
  base_input?: unknown[][];
  plus_input?: unknown[][];
  atol?: number;
  /** EvalPlus: `{"base": [...], "plus": [...]}` as Python-json text (exact numbers, NaN); wins over base_input/plus_input. */
  inputs_json?: string;
  /** EvalPlus: whose special oracles apply (from the task id: HumanEval/…, Mbpp/…). */
  dataset?: EvalplusDataset;
  /** EvalPlus: the MBPP+ rebuild of each input's arguments (tuples, sets, complex). */
  conversion?: EvalplusConversion;
  func_name?: string;
  tests?: IoTest[];
  /** Wall-clock seconds for one program run (default: scorer option timeout_s, else 10). */
  timeout_s?: number;
}

/** Validate an item's target into a CodeTarget (format defaults to humaneval). */
export function parseCodeTarget(raw: unknown, itemId: string): CodeTarget {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new DsabenchError('E_ITEMS_INVALID', `item ${itemId}: code target must be an object (got ${typeof raw})`, { field: '/target' });
  }
  const t = raw as Partial<CodeTarget>;
  const format: CodeFormat = t.format ?? 'humaneval';
  const language: CodeLanguage = t.language ?? 'python';
  if (language !== 'python' && language !== 'javascript') {
    throw new DsabenchError('E_ITEMS_INVALID', `item ${itemId}: language "${String(language)}" (expected python or javascript)`, { field: '/target/language' });
  }
  const need = (k: keyof CodeTarget, kind: string): void => {
    const v = t[k];
    const ok = kind === 'string' ? typeof v === 'string' : Array.isArray(v);
    if (!ok) throw new DsabenchError('E_ITEMS_INVALID', `item ${itemId}: ${format} target needs "${k}" (${kind})`, { field: `/target/${k}` });
  };
  switch (format) {
    case 'humaneval': need('prompt', 'string'); need('test', 'string'); need('entry_point', 'string'); break;
    case 'mbpp': need('test_list', 'array'); break;
    case 'evalplus':
      need('prompt', 'string'); need('entry_point', 'string'); need('canonical_solution', 'string');
      if (t.inputs_json === undefined) need('base_input', 'array');
      else if (typeof t.inputs_json !== 'string') throw new DsabenchError('E_ITEMS_INVALID', `item ${itemId}: evalplus target's "inputs_json" must be a string`, { field: '/target/inputs_json' });
      if (t.conversion !== undefined && !(EVALPLUS_CONVERSIONS as readonly string[]).includes(t.conversion)) {
        throw new DsabenchError('E_ITEMS_INVALID', `item ${itemId}: unknown conversion "${String(t.conversion)}" (expected one of: ${EVALPLUS_CONVERSIONS.join(', ')})`, { field: '/target/conversion' });
      }
      break;
    case 'stdio': need('tests', 'array'); break;
    case 'functional': need('tests', 'array'); need('func_name', 'string'); break;
    default: throw new DsabenchError('E_ITEMS_INVALID', `item ${itemId}: unknown code format "${String(format)}"`, { field: '/target/format' });
  }
  return { ...t, format, language } as CodeTarget;
}

/** Indent a bare function body that came back flush-left (instruct models do that). */
function indentBody(completion: string): string {
  const first = completion.split('\n').find((l) => l.trim() !== '');
  if (first === undefined || /^\s/.test(first)) return completion;
  return completion.split('\n').map((l) => (l.trim() === '' ? l : '    ' + l)).join('\n');
}

/**
 * The candidate's source: the prompt completed by the reply. When the reply already holds
 * the full definition, keep only what precedes the definition in the prompt (imports,
 * helpers) so the function is not defined twice.
 */
export function candidateSource(prompt: string, completion: string, entryPoint: string, language: CodeLanguage): string {
  // Programs run as CommonJS scripts: an ES-module `export` in front of a definition goes.
  if (language === 'javascript') completion = completion.replace(/^([ \t]*)export\s+(default\s+)?(?=(async\s+)?function\b|class\b|const\b|let\b|var\b)/gm, '$1');
  if (definesEntryPoint(completion, entryPoint, language)) {
    const ep = entryPoint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = language === 'python'
      ? new RegExp(`^[ \\t]*(async\\s+)?def\\s+${ep}\\s*\\(`, 'm')
      : new RegExp(`^[ \\t]*(export\\s+)?((async\\s+)?function\\s*\\*?\\s*${ep}\\s*\\(|(const|let|var)\\s+${ep}\\s*=)`, 'm');
    const m = re.exec(prompt);
    const prefix = m ? prompt.slice(0, m.index) : '';
    return `${prefix}\n${completion}\n`;
  }
  if (language === 'python') return prompt + indentBody(completion) + '\n';
  return prompt + completion + '\n';
}

export function humanevalProgram(t: CodeTarget, completion: string): string {
  const src = candidateSource(t.prompt!, completion, t.entry_point!, t.language);
  return `${src}\n${t.test}\n\ncheck(${t.entry_point});\n`;
}

/**
 * MBPP: the solution, then what the asserts need — sanitized MBPP's `test_imports` and the
 * original's `test_setup_code` (which may use a class the solution defines, Mbpp/367) —
 * then the asserts.
 */
export function mbppProgram(t: CodeTarget, code: string, withChallenge: boolean): string {
  const tests = [...(t.test_list ?? []), ...(withChallenge ? t.challenge_test_list ?? [] : [])];
  const imports = (t.test_imports ?? []).join('\n');
  return `${code}\n\n${imports}\n${t.test_setup_code ?? ''}\n${tests.join('\n')}\n`;
}

/** Python harness for LeetCode-style tests: `Solution().<func>(*args)` per test. */
export function functionalProgram(t: CodeTarget, code: string): string {
  const tests = (t.tests ?? []).map((x) => ({ input: x.input, output: x.output }));
  return `${code}

import json as _json, sys as _sys
_tests = _json.loads(${JSON.stringify(JSON.stringify(tests))})
for _i, _t in enumerate(_tests):
    _args = [_json.loads(l) for l in _t['input'].split('\\n') if l.strip()]
    _f = getattr(Solution(), ${JSON.stringify(t.func_name)}) if 'Solution' in globals() else globals()[${JSON.stringify(t.func_name)}]
    _got = _f(*_args)
    _exp = _json.loads(_t['output'])
    if _got != _exp and _json.loads(_json.dumps(_got)) != _exp:
        _sys.stderr.write('AssertionError: test %d: expected %r, got %r\\n' % (_i, _exp, _got))
        _sys.exit(1)
`;
}

function decimalEq(a: string, b: string): boolean {
  if (a === b) return true;
  const num = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  if (!num.test(a) || !num.test(b)) return false;
  const x = Number(a);
  const y = Number(b);
  return Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
}

/** LiveCodeBench-style stdout check: stripped lines equal, else token-wise as decimals. */
export function stdoutMatches(got: string, expected: string): boolean {
  const lines = (s: string): string[] => {
    const ls = s.trim().split('\n').map((l) => l.trim());
    return ls;
  };
  const g = lines(got);
  const e = lines(expected);
  if (g.length !== e.length) return false;
  for (let i = 0; i < g.length; i++) {
    if (g[i] === e[i]) continue;
    const gt = g[i]!.split(/\s+/);
    const et = e[i]!.split(/\s+/);
    if (gt.length !== et.length) return false;
    for (let j = 0; j < gt.length; j++) if (!decimalEq(gt[j]!, et[j]!)) return false;
  }
  return true;
}
