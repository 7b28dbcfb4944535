/**
 * Node flags for the piscina worker threads.
 *
 * Piscina loads a task file with require() first and falls back to import(). From Node
 * 20.19 require() of an ES module is on by default, and a worker terminated while it is
 * inside that synchronous load (a pool closed right after a short run, before its threads
 * finished starting) can abort the whole process with "FATAL ERROR:
 * v8::Module::IsGraphAsync must be used on an instantiated module" (seen once in a CI run of
 * the resume test). With require(esm) off in the workers, the require() fails fast and
 * piscina takes the import() path, which is safe to interrupt. On Node versions without the
 * flag (before require(esm) existed) nothing is added: they always take import().
 */
const NO_REQUIRE_ESM = '--no-experimental-require-module';

/** execArgv for a pool's workers: the parent's flags, plus require(esm) off where Node has it. */
export function poolExecArgv(): string[] {
  return process.allowedNodeEnvironmentFlags.has(NO_REQUIRE_ESM) ? [...process.execArgv, NO_REQUIRE_ESM] : [...process.execArgv];
}
