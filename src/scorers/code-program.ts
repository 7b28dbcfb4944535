/**
 * Code task targets (what `Item.target` holds for the `code` scorer) and the programs
 * built from them. Layouts:
 *
 * - humaneval  {language, prompt, test, entry_point}: prompt + completion + test + check(ep)
 * - mbpp       {test_list, test_setup_code?, challenge_test_list?}: setup + code + asserts
 * - evalplus   {prompt, entry_point, canonical_solution, base_input, plus_input, atol?}:
 *              the candidate's outputs on every input equal the canonical solution's
 * - stdio      {tests: [{input, output}]}: stdin → stdout, compared line by line
 * - functional {func_name, tests: [{input, output}]}: LeetCode-style `Solution().f(*args)`,
 *              inputs one JSON value per line, output JSON
 */
import { DsabenchError } from '../errors.js';
import { definesEntryPoint, type CodeLanguage } from './code-extract.js';

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
  test_list?: string[];
  challenge_test_list?: string[];
  canonical_solution?: string;
  base_input?: unknown[][];
  plus_input?: unknown[][];
  atol?: number;
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
    case 'evalplus': need('prompt', 'string'); need('entry_point', 'string'); need('canonical_solution', 'string'); need('base_input', 'array'); break;
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

export function mbppProgram(t: CodeTarget, code: string, withChallenge: boolean): string {
  const tests = [...(t.test_list ?? []), ...(withChallenge ? t.challenge_test_list ?? [] : [])];
  return `${t.test_setup_code ?? ''}\n${code}\n\n${tests.join('\n')}\n`;
}

/** Python harness comparing candidate and canonical outputs on base then plus inputs. */
export function evalplusProgram(t: CodeTarget, completion: string, includePlus: boolean): string {
  const cand = candidateSource(t.prompt!, completion, t.entry_point!, 'python');
  const ref = `${t.prompt}${t.canonical_solution}\n`;
  const groups = { base: t.base_input ?? [], plus: includePlus ? t.plus_input ?? [] : [] };
  return `import copy, json, math, sys
_EP = ${JSON.stringify(t.entry_point)}
_ATOL = ${Number(t.atol ?? 0)}
_ref_ns = {'__name__': '_ref'}
exec(compile(${JSON.stringify(ref)}, 'reference.py', 'exec'), _ref_ns)
_cand_ns = {'__name__': '_cand'}
exec(compile(${JSON.stringify(cand)}, 'candidate.py', 'exec'), _cand_ns)
_ref, _cand = _ref_ns[_EP], _cand_ns[_EP]
def _eq(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and (isinstance(a, float) or isinstance(b, float)):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=1e-7, abs_tol=max(_ATOL, 1e-9))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) == type(b) and len(a) == len(b) and all(_eq(x, y) for x, y in zip(a, b))
    return a == b
_groups = json.loads(${JSON.stringify(JSON.stringify(groups))})
_passed = {}
for _name in ('base', 'plus'):
    _inputs = _groups[_name]
    for _i, _args in enumerate(_inputs):
        _exp = _ref(*copy.deepcopy(_args))
        _got = _cand(*copy.deepcopy(_args))
        if not _eq(_exp, _got):
            print(json.dumps({'base': _passed.get('base', False), 'plus': False}))
            sys.stderr.write('AssertionError: %s input %d: expected %r, got %r\\n' % (_name, _i, _exp, _got))
            sys.exit(1)
    _passed[_name] = True
print(json.dumps({'base': True, 'plus': True}))
`;
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
