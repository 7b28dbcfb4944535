/**
 * Terminal task folders → items.
 *
 * Terminal-Bench 1.x:  task.yaml (instruction, difficulty, category, max_agent_timeout_sec,
 *                      max_test_timeout_sec), Dockerfile (+ docker-compose.yaml), solution.sh,
 *                      run-tests.sh (optional: without it Terminal-Bench runs pytest on
 *                      tests/test_outputs.py with -rA), tests/
 * Harbor (TB 2.x):     instruction.md, task.toml ([agent] timeout_sec, [verifier] timeout_sec,
 *                      [environment] build_timeout_sec, docker_image), environment/Dockerfile,
 *                      solution/ (solve.sh and whatever it uses), tests/test.sh (writes
 *                      /logs/verifier/reward.txt or reward.json)
 *
 * Environments:
 * - a Dockerfile (TB: the task folder is the build context; Harbor: environment/) or a
 *   ready-made image (Harbor's docker_image) runs in a container (podman or docker, found at
 *   run time: ../../sandbox/container). Without an engine, or when the image cannot be built
 *   here (no network, base image not on this machine), the task is `unsupported` with the
 *   reason: counted apart, never scored 0;
 * - `setup.sh` (TB) / `environment/setup.sh` (Harbor) builds the environment in /app with
 *   the host's tools inside the sandbox, after `app/` (TB) / `environment/app/` (Harbor) is
 *   copied there. A folder with both uses the container where an engine is found, else the
 *   script. The built-in suite uses the script.
 *
 * Items are self-contained: the files travel inside `target` (text as utf8, binary as
 * base64), so a run does not depend on the task folder afterwards.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { DsabenchError } from '../../errors.js';
import type { Item, ItemLoader, SuiteConfig } from '../../types.js';
import { parseMiniToml, parseMiniYaml, type MiniValue } from './minifmt.js';
import type { ContainerSpec, FileEntry, TerminalTarget } from '../../sandbox/terminal/target.js';
import { TOOLS_DIR } from '../../sandbox/terminal/tools.js';

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

/** The Terminal-Bench default runner used when a TB task has no run-tests.sh (see tools.ts). */
export const TB_DEFAULT_TEST_COMMAND = `bash ${TOOLS_DIR}/tb/run-tests.sh`;

/**
 * Service names of a docker-compose file (the keys two spaces under `services:`); more than
 * one means a multi-container environment, which this backend does not run.
 */
export function composeServices(text: string): string[] {
  const out: string[] = [];
  let inServices = false;
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (/^\S/.test(line)) inServices = /^services\s*:/.test(line);
    else if (inServices) {
      const m = /^ {2}([A-Za-z0-9_.-]+)\s*:\s*(#.*)?$/.exec(line);
      if (m) out.push(m[1]!);
    }
  }
  return out;
}

function composeFile(dir: string): string | undefined {
  for (const n of ['docker-compose.yaml', 'docker-compose.yml', 'compose.yaml', 'compose.yml']) if (existsSync(join(dir, n))) return join(dir, n);
  return undefined;
}

/** The container environment of a task, from its Dockerfile's folder (the build context). */
function containerSpec(contextDir: string, buildTimeoutSec: number, skip: (rel: string) => boolean = () => false): ContainerSpec | undefined {
  const compose = composeFile(contextDir);
  if (compose) {
    const services = composeServices(readFileSync(compose, 'utf8'));
    if (services.length > 1) return { kind: 'unrunnable', reason: `environment has ${services.length} services in ${basename(compose)} (${services.join(', ')}); only single-container tasks run here` };
  }
  if (!existsSync(join(contextDir, 'Dockerfile'))) return undefined;
  return { kind: 'dockerfile', dockerfile: 'Dockerfile', context: readTree(contextDir).filter((f) => !skip(f.path)), build_timeout_sec: buildTimeoutSec };
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
    const runTests = text(join(dir, 'run-tests.sh'));
    const testFiles = readTree(join(dir, 'tests'));
    if (runTests !== undefined) testFiles.push({ path: 'run-tests.sh', content: runTests, encoding: 'utf8', executable: true });
    let testCommand: string;
    if (runTests !== undefined) testCommand = 'bash /tests/run-tests.sh';
    else if (testFiles.some((f) => f.path === 'test_outputs.py')) testCommand = TB_DEFAULT_TEST_COMMAND;
    else if (testFiles.some((f) => f.path === 'test.sh')) testCommand = 'bash /tests/test.sh';
    else {
      throw new DsabenchError('E_ITEMS_INVALID', 'task has neither run-tests.sh (next to task.yaml) nor tests/test_outputs.py (run with pytest by default)', { file: join(dir, 'run-tests.sh') });
    }
    // The whole folder is the build context, as for Terminal-Bench's compose file (build: .).
    const container = containerSpec(dir, 600);
    const target: TerminalTarget = {
      format: 'tb1',
      app_files: readTree(join(dir, 'app')),
      ...(setup !== undefined ? { setup } : {}),
      ...(container ? { container } : {}),
      test_files: testFiles,
      test_command: testCommand,
      reward: 'exit',
      agent_timeout_sec: num(y['max_agent_timeout_sec'], 360),
      test_timeout_sec: num(y['max_test_timeout_sec'], 60),
    };
    const item: Item = { id, input: { instruction }, target };
    const solution = text(join(dir, 'solution.sh'));
    if (solution !== undefined) {
      item.reference = solution;
      target.solution_files = [{ path: 'solve.sh', content: solution, encoding: 'utf8', executable: true }];
    }
    const md: Record<string, unknown> = { format: 'tb1' };
    for (const k of ['difficulty', 'category'] as const) if (typeof y[k] === 'string') md[k] = y[k];
    if (container && setup === undefined) md['environment'] = 'container';
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
  const environment = toml['environment'] ?? {};
  const setup = text(join(dir, 'environment', 'setup.sh'));
  const testFiles = readTree(join(dir, 'tests'));
  if (!testFiles.some((f) => f.path === 'test.sh')) {
    throw new DsabenchError('E_ITEMS_INVALID', 'Harbor task needs tests/test.sh', { file: join(dir, 'tests', 'test.sh') });
  }
  // environment/ is the build context; its host-tools files (setup.sh, app/) are not part of the image.
  let container = containerSpec(join(dir, 'environment'), num(environment['build_timeout_sec'] as MiniValue, 600),
    (p) => p === 'setup.sh' || p.startsWith('app/'));
  const image = environment['docker_image'];
  if (!container && typeof image === 'string' && image.trim() !== '') container = { kind: 'image', image: image.trim() };
  const workdir = environment['workdir'];
  if (container && container.kind !== 'unrunnable' && typeof workdir === 'string' && workdir.startsWith('/')) container.workdir = workdir;
  const target: TerminalTarget = {
    format: 'harbor',
    app_files: readTree(join(dir, 'environment', 'app')),
    ...(setup !== undefined ? { setup } : {}),
    ...(container ? { container } : {}),
    test_files: testFiles,
    test_command: 'bash /tests/test.sh',
    reward: 'file',
    agent_timeout_sec: num(agent['timeout_sec'] as MiniValue, 600),
    test_timeout_sec: num(verifier['timeout_sec'] as MiniValue, 120),
  };
  const item: Item = { id, input: { instruction }, target };
  const solutionFiles = readTree(join(dir, 'solution'));
  const solve = solutionFiles.find((f) => f.path === 'solve.sh');
  if (solve) {
    item.reference = solve.encoding === 'utf8' ? solve.content : Buffer.from(solve.content, 'base64').toString('utf8');
    // Harbor copies the whole folder: solve.sh may run its own solve.py or read data files.
    target.solution_files = solutionFiles;
  }
  const md: Record<string, unknown> = { format: 'harbor' };
  const meta = toml['metadata'] ?? {};
  for (const k of ['difficulty', 'category']) if (typeof meta[k] === 'string') md[k] = meta[k];
  if (container && setup === undefined) md['environment'] = 'container';
  if (environment['allow_internet'] === true) {
    // Scored offline it would fail for want of the network, which is no result of the model.
    target.unsupported = 'the task needs the internet ([environment] allow_internet = true); tasks run here without network';
    md['unsupported'] = true;
  }
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
    description: 'Terminal tasks (Terminal-Bench 1.x / Harbor layouts): Dockerfile environments in a container (podman or docker), host-tools environments in the sandbox',
    scorer: { name: 'terminal' },
    prompt: { template: TERMINAL_PROMPT, system: TERMINAL_SYSTEM },
    generation: { temperature: 0, max_tokens: 4096 },
    solver: 'terminal-agent',
  };
}

/** Loader `terminal` (also `terminal-bench`, `harbor`): a task folder or a folder of them. */
export const terminalLoader: ItemLoader = (path) => ({ config: terminalConfig(), items: readTaskDirs(path) });
