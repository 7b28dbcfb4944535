/** Public API of dsabench. */
export * from './types.js';
export { DsabenchError, type ErrorCode, exitCodeFor, formatError } from './errors.js';
