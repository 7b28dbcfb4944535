/**
 * The `dsabench` command: one commander module per command, registered here.
 * Exit codes are mapped in one place (`exitCodeFor`): 0 done, 1 could not complete,
 * 2 bad usage or input.
 */
import { Command, CommanderError } from 'commander';
import { exitCodeFor, formatError } from '../errors.js';
import { packageVersion } from '../util/package.js';
import type { CommandModule } from './command.js';

// Each module registers one command (or a group). Add new commands to this list.
const COMMANDS: ReadonlyArray<() => Promise<CommandModule>> = [
  () => import('./run.js').then((m) => m.default),
  () => import('./list.js').then((m) => m.default),
  () => import('./validate.js').then((m) => m.default),
  () => import('./score.js').then((m) => m.default),
  () => import('./cost.js').then((m) => m.default),
  () => import('./report.js').then((m) => m.default),
  () => import('./gate.js').then((m) => m.default),
  () => import('./engine.js').then((m) => m.default),
  () => import('./bench.js').then((m) => m.default),
  () => import('./serve.js').then((m) => m.default),
  () => import('./train.js').then((m) => m.default),
  () => import('./worker.js').then((m) => m.default),
  () => import('./merge.js').then((m) => m.default),
];

export function buildProgram(modules: readonly CommandModule[]): Command {
  const program = new Command('dsabench')
    .description('Evaluate and benchmark DeepSeek Sparse Attention models: suites, scorers, dense-vs-sparse cost, reports, CI gates.')
    .version(packageVersion())
    .showHelpAfterError()
    .exitOverride();
  for (const m of modules) m.register(program);
  return program;
}

/** Runs the CLI and returns the process exit code (never calls process.exit itself). */
export async function main(argv: readonly string[]): Promise<number> {
  let modules: CommandModule[];
  try {
    modules = await Promise.all(COMMANDS.map((load) => load()));
  } catch (err) {
    process.stderr.write(`dsabench: failed to load commands: ${formatError(err)}\n`);
    return 1;
  }
  const program = buildProgram(modules);
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exitCode 0; usage errors with 1 → ours is 2.
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`dsabench: ${formatError(err)}\n`);
    return exitCodeFor(err);
  }
}
