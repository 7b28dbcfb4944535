/**
 * Terminal task folders → items.
 *
 * Terminal-Bench 1.x:  task.yaml (instruction, difficulty, category, max_agent_timeout_sec,
 *                      max_test_timeout_sec), solution.sh, run-tests.sh, tests/, Dockerfile
 * Harbor (TB 2.x):     instruction.md, task.toml ([agent] timeout_sec, [verifier] timeout_sec),
 *                      solution/solve.sh, tests/test.sh (writes /logs/verifier/reward.txt),
 *                      environment/Dockerfile
 *
 * Without a Docker engine the environment is the host's tools: a task whose environment is
 * a Dockerfile image is kept as an item marked `unsupported` (scored as such, never passed),
 * unless the folder also holds `setup.sh` (TB) / `environment/setup.sh` (Harbor), a script
 * that builds the environment in /app with host tools, and optionally `app/` (TB) /
 * `environment/app/` (Harbor), files copied into /app first. The built-in suite uses that.
 *
 * Items are self-contained: the files travel inside `target` (text as utf8, binary as
 * base64), so a run does not depend on the task folder afterwards.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { DsabenchError } from '../../errors.js';
import type { Item, ItemLoader, SuiteConfig } from '../../types.js';
import { parseMiniToml, parseMiniYaml, type MiniValue } from './minifmt.js';

export interface FileEntry {
  path: string;
  content: string;
  encoding: 'utf8' | 'base64';
  executable?: boolean;
}

export interface TerminalTarget {
  format: 'tb1' | 'harbor';
  /** Files copied into /app before setup. */
  app_files: FileEntry[];
  /** Script run in /app (inside the sandbox) to build the environment. */
  setup?: string;
  /** Files copied into /tests after the agent stops. */
  test_files: FileEntry[];
  /** Run by bash in /app with /tests mounted read-only. */
  test_command: string;
  /** `exit`: resolved iff the test command exits 0; `file`: reward from /logs/verifier/reward.{txt,json}. */
  reward: 'exit' | 'file';
  agent_timeout_sec: number;
  test_timeout_sec: number;
  /** Why this task cannot run here (a Docker image environment). */
  unsupported?: string;
}

export const TERMINAL_PROMPT = '{instruction}';
export const TERMINAL_SYSTEM =
  'You are working in a Linux shell. Use the bash tool to run commands; the task\'s files are in /app (the current directory). ' +
  'There is no network access. When you are done, reply with a short summary and no tool call.';

const MAX_FILE_BYTES = 4 * 1024 * 1024;

function readTree(root: string, under = root): FileEntry[] {
  if (!existsSync(under)) return [];
  const out: FileEntry[] = [];
  for (const name of readdirSync(under).sort()) {
    const p = join(under, name);
    const st = statSync(p);
    if (st.isDirectory()) {
      out.push(...readTree(root, p));
      continue;
    }
    if (!st.isFile()) continue;
    if (st.size > MAX_FILE_BYTES) throw new DsabenchError('E_ITEMS_INVALID', `task file larger than ${MAX_FILE_BYTES} bytes`, { file: p });
    const buf = readFileSync(p);
    const text = buf.toString('utf8');
    const isText = Buffer.from(text, 'utf8').equals(buf) && !text.includes('\u0000');
    out.push({
      path: relative(root, p),
      content: isText ? text : buf.toString('base64'),
      encoding: isText ? 'utf8' : 'base64',
      ...((st.mode & 0o111) !== 0 ? { executable: true } : {}),
    });
  }
  return out;
}

function num(v: MiniValue | undefined, dflt: number): number {
  return typeof v === 'number' && v > 0 ? v : dflt;
}

function text(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

export function isTaskDir(dir: string): boolean {
  return existsSync(join(dir, 'task.yaml')) || existsSync(join(dir, 'instruction.md')) || existsSync(join(dir, 'task.toml'));
}

/** One task folder (either layout) → an item. */
export function readTaskDir(dir: string): Item {
  const id = basename(dir);
  if (existsSync(join(dir, 'task.yaml'))) {
    const yamlFile = join(dir, 'task.yaml');
    const y = parseMiniYaml(readFileSync(yamlFile, 'utf8'), yamlFile);
    let instruction = y['instruction'];
    if (typeof instruction !== 'string' && y['descriptions'] !== undefined) instruction = String(y['descriptions']);
    if (typeof instruction !== 'string' || instruction.trim() === '') {
      throw new DsabenchError('E_ITEMS_INVALID', 'task.yaml needs an "instruction" (a string)', { file: yamlFile, field: '/instruction' });
    }
    const setup = text(join(dir, 'setup.sh'));
    const docker = existsSync(join(dir, 'Dockerfile')) || existsSync(join(dir, 'docker-compose.yaml')) || existsSync(join(dir, 'docker-compose.yml'));
    const runTests = text(join(dir, 'run-tests.sh'));
    const testFiles = readTree(join(dir, 'tests'));
    if (runTests !== undefined) testFiles.push({ path: 'run-tests.sh', content: runTests, encoding: 'utf8', executable: true });
    const target: TerminalTarget = {
      format: 'tb1',
      app_files: readTree(join(dir, 'app')),
      ...(setup !== undefined ? { setup } : {}),
      test_files: testFiles,
      test_command: runTests !== undefined ? 'bash /tests/run-tests.sh' : 'bash /tests/test.sh',
      reward: 'exit',
      agent_timeout_sec: num(y['max_agent_timeout_sec'], 360),
      test_timeout_sec: num(y['max_test_timeout_sec'], 60),
    };
    if (docker && setup === undefined) target.unsupported = 'environment is a Docker image (Dockerfile); no Docker engine is used here';
    else if (runTests === undefined && !testFiles.some((f) => f.path === 'test.sh')) {
      throw new DsabenchError('E_ITEMS_INVALID', 'task has no run-tests.sh (expected next to task.yaml)', { file: join(dir, 'run-tests.sh') });
    }
    const item: Item = { id, input: { instruction }, target };
    const solution = text(join(dir, 'solution.sh'));
    if (solution !== undefined) item.reference = solution;
    const md: Record<string, unknown> = { format: 'tb1' };
    for (const k of ['difficulty', 'category'] as const) if (typeof y[k] === 'string') md[k] = y[k];
    if (target.unsupported) md['unsupported'] = true;
    item.metadata = md;
    return item;
  }

  const instrFile = join(dir, 'instruction.md');
  const instruction = text(instrFile);
  if (instruction === undefined || instruction.trim() === '') {
    throw new DsabenchError('E_ITEMS_INVALID', 'Harbor task needs a non-empty instruction.md', { file: instrFile });
  }
  const tomlFile = join(dir, 'task.toml');
  const toml = existsSync(tomlFile) ? parseMiniToml(readFileSync(tomlFile, 'utf8'), tomlFile) : { '': {} };
  const agent = toml['agent'] ?? {};
  const verifier = toml['verifier'] ?? {};
  const setup = text(join(dir, 'environment', 'setup.sh'));
  const docker = existsSync(join(dir, 'environment', 'Dockerfile')) || existsSync(join(dir, 'environment', 'docker-compose.yaml'));
  const testFiles = readTree(join(dir, 'tests'));
  if (!testFiles.some((f) => f.path === 'test.sh')) {
    throw new DsabenchError('E_ITEMS_INVALID', 'Harbor task needs tests/test.sh', { file: join(dir, 'tests', 'test.sh') });
  }
  const target: TerminalTarget = {
    format: 'harbor',
    app_files: readTree(join(dir, 'environment', 'app')),
    ...(setup !== undefined ? { setup } : {}),
    test_files: testFiles,
    test_command: 'bash /tests/test.sh',
    reward: 'file',
    agent_timeout_sec: num(agent['timeout_sec'] as MiniValue, 600),
    test_timeout_sec: num(verifier['timeout_sec'] as MiniValue, 120),
  };
  if (docker && setup === undefined) target.unsupported = 'environment is a Docker image (environment/Dockerfile); no Docker engine is used here';
  const item: Item = { id, input: { instruction }, target };
  const solution = text(join(dir, 'solution', 'solve.sh'));
  if (solution !== undefined) item.reference = solution;
  const md: Record<string, unknown> = { format: 'harbor' };
  const meta = toml['metadata'] ?? {};
  for (const k of ['difficulty', 'category']) if (typeof meta[k] === 'string') md[k] = meta[k];
  if (target.unsupported) md['unsupported'] = true;
  item.metadata = md;
  return item;
}

/** A task folder, or a folder of task folders (sorted by name). */
export function readTaskDirs(path: string): Item[] {
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw new DsabenchError('E_FILE_NOT_FOUND', 'expected a terminal task folder or a folder of task folders', { file: path });
  }
  if (isTaskDir(path)) return [readTaskDir(path)];
  const dirs = readdirSync(path).sort().map((n) => join(path, n)).filter((p) => statSync(p).isDirectory() && isTaskDir(p));
  if (dirs.length === 0) {
    throw new DsabenchError('E_ITEMS_INVALID', 'no task folders here (a task folder holds task.yaml, or instruction.md and task.toml)', { file: path });
  }
  return dirs.map(readTaskDir);
}

export function terminalConfig(): Omit<SuiteConfig, 'name'> {
  return {
    kind: 'terminal',
    description: 'Terminal tasks (Terminal-Bench 1.x / Harbor layouts) run in the sandbox with the host\'s tools',
    scorer: { name: 'terminal' },
    prompt: { template: TERMINAL_PROMPT, system: TERMINAL_SYSTEM },
    generation: { temperature: 0, max_tokens: 4096 },
    solver: 'terminal-agent',
  };
}

/** Loader `terminal` (also `terminal-bench`, `harbor`): a task folder or a folder of them. */
export const terminalLoader: ItemLoader = (path) => ({ config: terminalConfig(), items: readTaskDirs(path) });

/** Validate an item's target (the scorer and the solver both need it). */
export function parseTerminalTarget(raw: unknown, itemId: string): TerminalTarget {
  const t = raw as Partial<TerminalTarget> | null;
  if (!t || typeof t !== 'object' || !Array.isArray(t.test_files) || !Array.isArray(t.app_files) || typeof t.test_command !== 'string') {
    throw new DsabenchError('E_ITEMS_INVALID', `item ${itemId}: terminal target needs app_files, test_files and test_command`, { field: '/target' });
  }
  return {
    ...t,
    format: t.format ?? 'tb1',
    reward: t.reward ?? 'exit',
    agent_timeout_sec: Number(t.agent_timeout_sec ?? 360),
    test_timeout_sec: Number(t.test_timeout_sec ?? 60),
  } as TerminalTarget;
}
