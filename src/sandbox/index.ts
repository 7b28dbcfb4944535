export * from './types.js';
export { runSandboxed, CappedBuffer } from './run.js';
export { SandboxShell, type ShellResult, type ShellOptions } from './shell.js';
export { detectSandbox, requireSandbox, INSTALL_HINT } from './detect.js';
