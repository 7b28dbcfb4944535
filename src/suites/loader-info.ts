/**
 * What each loader reads, for `dsabench list loaders` and for suite folders that name a
 * loader without writing kind, scorer or prompt (they default to the loader's).
 */
import type { SuiteConfig } from '../types.js';
import { EVALPLUS_CONFIG } from './code/evalplus.js';
import { HUMANEVAL_CONFIG, LCB_CONFIG, MBPP_CONFIG } from './code/loaders.js';
import { LONGBENCH2_CONFIG } from './longcontext/longbench2.js';
import { MATH_CONFIGS } from './math/loaders.js';
import { terminalConfig } from './terminal/tasks.js';

export interface LoaderInfo {
  kind: SuiteConfig['kind'];
  /** What the loader reads: the layout and its fields. */
  format: string;
  /** A suite spec using it. */
  example: string;
  /** One record (or a folder layout) in that format. */
  record: string;
  /** Loader options (suite.json loader.options, or <loader>:<file>?key=value). */
  options: Record<string, string>;
  /** suite.json defaults: kind, scorer, prompt, generation. */
  defaults: () => Omit<SuiteConfig, 'name'>;
}

const FILE_FORMS = 'JSONL or one JSON array; .gz or not';
const SKIP = { skip_invalid: 'true: leave invalid records out (listed on stderr) instead of refusing the file (default false)' };

export const LOADER_INFO: Readonly<Record<string, LoaderInfo>> = {
  gsm8k: {
    kind: 'math',
    format: `${FILE_FORMS}; {question, answer}, the answer ending in "#### <number>"`,
    example: 'gsm8k:test.jsonl',
    record: '{"question": "Tom has 3 apples and buys 2 more. How many?", "answer": "3 + 2 = 5\\n#### 5"}',
    options: SKIP,
    defaults: () => MATH_CONFIGS.gsm8k,
  },
  math: {
    kind: 'math',
    format: 'a MATH folder tree <split>/<type>/<n>.json of {problem, level, type, solution} (gold = the last \\boxed{} of the solution), or a MATH-500 file',
    example: 'math:MATH/test',
    record: '{"problem": "What is $1+1$?", "level": "Level 1", "type": "Algebra", "solution": "It is $\\\\boxed{2}$."}',
    options: SKIP,
    defaults: () => MATH_CONFIGS.math,
  },
  math500: {
    kind: 'math',
    format: `${FILE_FORMS}; {problem, solution, answer, subject, level, unique_id}`,
    example: 'math500:test.jsonl',
    record: '{"problem": "What is $1+1$?", "solution": "$\\\\boxed{2}$", "answer": "2", "subject": "Algebra", "level": 1, "unique_id": "test/algebra/1.json"}',
    options: SKIP,
    defaults: () => MATH_CONFIGS.math500,
  },
  aime: {
    kind: 'math',
    format: `${FILE_FORMS}; {problem, answer}, {Problem, Answer} or {id, problem, solution, answer}`,
    example: 'aime:aime2025.jsonl',
    record: '{"id": "2025-I-1", "problem": "Find the sum of ...", "answer": 70}',
    options: SKIP,
    defaults: () => MATH_CONFIGS.aime,
  },
  longbench2: {
    kind: 'long-context',
    format: `${FILE_FORMS}; {_id, domain, sub_domain, difficulty, length, question, choice_A..choice_D, answer, context}`,
    example: 'longbench2:data.json?max_context_tokens=120000',
    record: '{"_id": "66f3", "domain": "Single-Document QA", "difficulty": "easy", "length": "short", "question": "…", "choice_A": "…", "choice_B": "…", "choice_C": "…", "choice_D": "…", "answer": "B", "context": "…"}',
    options: {
      max_context_tokens: 'keep the first and last half of that many context tokens (LongBench v2 uses 120000 for 128K models)',
      tokenizer: 'deepseek-v3 (default), byte or approx: the token count for max_context_tokens',
      ...SKIP,
    },
    defaults: () => LONGBENCH2_CONFIG,
  },
  humaneval: {
    kind: 'code',
    format: `${FILE_FORMS}; {task_id, prompt, canonical_solution, test, entry_point} (openai/human-eval's HumanEval.jsonl.gz as published; optional language: python | javascript)`,
    example: 'humaneval:HumanEval.jsonl.gz',
    record: '{"task_id": "HumanEval/0", "prompt": "def inc(x):\\n    \\"\\"\\"Add one.\\"\\"\\"\\n", "canonical_solution": "    return x + 1\\n", "test": "def check(candidate):\\n    assert candidate(1) == 2\\n", "entry_point": "inc"}',
    options: { language: 'python (default) or javascript, for records without a language field', ...SKIP },
    defaults: () => HUMANEVAL_CONFIG,
  },
  mbpp: {
    kind: 'code',
    format: `${FILE_FORMS}; original MBPP {text, code, task_id, test_setup_code, test_list, challenge_test_list} (mbpp.jsonl) or sanitized MBPP {prompt, code, task_id, test_imports, test_list} (sanitized-mbpp.json, a JSON array)`,
    example: 'mbpp:mbpp.jsonl?split=test',
    record: '{"text": "Write a function to square a number.", "code": "def square(x):\\n    return x * x", "task_id": 11, "test_setup_code": "", "test_list": ["assert square(3) == 9"], "challenge_test_list": []}',
    options: { split: 'all (default), test (task ids 11-510, the standard test split), validation (511-600), train (601-974) or prompt (1-10)', ...SKIP },
    defaults: () => MBPP_CONFIG,
  },
  evalplus: {
    kind: 'code',
    format: `${FILE_FORMS}; EvalPlus releases HumanEvalPlus.jsonl.gz and MbppPlus.jsonl.gz as published: {task_id, prompt, canonical_solution, entry_point, base_input, plus_input, atol}; scored as EvalPlus does (input rebuilds, its output comparison, per-input time limits from the canonical solution's time)`,
    example: 'evalplus:HumanEvalPlus.jsonl.gz',
    record: '{"task_id": "HumanEval/0", "prompt": "def inc(x):\\n", "canonical_solution": "    return x + 1\\n", "entry_point": "inc", "base_input": [[1], [2]], "plus_input": [[9223372036854775807]], "atol": 0}',
    options: SKIP,
    defaults: () => EVALPLUS_CONFIG,
  },
  livecodebench: {
    kind: 'code',
    format: `${FILE_FORMS}; {question_id, question_title, question_content, starter_code, public_test_cases, private_test_cases, metadata}, test cases arrays or JSON strings of {input, output, testtype: stdin | functional}`,
    example: 'livecodebench:test.jsonl?public_only=true',
    record: '{"question_id": "abc001_a", "question_content": "Read two integers and print their sum.", "public_test_cases": "[{\\"input\\": \\"1 2\\\\n\\", \\"output\\": \\"3\\\\n\\", \\"testtype\\": \\"stdin\\"}]", "solution": "a, b = map(int, input().split())\\nprint(a + b)"}',
    options: { language: 'python (default) or javascript', public_only: 'true: only the public test cases', ...SKIP },
    defaults: () => LCB_CONFIG,
  },
  terminal: {
    kind: 'terminal',
    format: 'a task folder or a folder of them, Terminal-Bench 1.x (task.yaml, solution.sh, run-tests.sh, tests/) or Harbor (instruction.md, task.toml, solution/, tests/test.sh)',
    example: 'terminal:./tasks',
    record: 'my-task/task.yaml, my-task/solution.sh, my-task/run-tests.sh, my-task/tests/test_outputs.py',
    options: {},
    defaults: terminalConfig,
  },
};

/** The Terminal-Bench and Harbor names read the same folders as `terminal`. */
export function loaderInfo(name: string): LoaderInfo | undefined {
  if (name === 'terminal-bench' || name === 'harbor') return LOADER_INFO['terminal'];
  return Object.prototype.hasOwnProperty.call(LOADER_INFO, name) ? LOADER_INFO[name] : undefined;
}
