/**
 * Node flags for the piscina worker threads.
 *
 * Piscina loads a task file with require() first and falls back to import(). From Node
 * 20.19 require() of an ES module is on by default, and once in a CI run of the resume test
 * (Node 20.20, a one-attempt run whose pool closed while its threads were still starting)
 * a worker's synchronous require(esm) aborted the whole process with "FATAL ERROR:
 * v8::Module::IsGraphAsync must be used on an instantiated module" — most likely the
 * terminate of a worker mid-load. With require(esm) off in the workers, the require() fails
 * fast and piscina takes the import() path, the one Node used before require(esm). On Node
 * versions without the flag nothing is added: they always take import().
 */
const NO_REQUIRE_ESM = '--no-experimental-require-module';

/** execArgv for a pool's workers: the parent's flags, plus require(esm) off where Node has it. */
export function poolExecArgv(): string[] {
  return process.allowedNodeEnvironmentFlags.has(NO_REQUIRE_ESM) ? [...process.execArgv, NO_REQUIRE_ESM] : [...process.execArgv];
}
