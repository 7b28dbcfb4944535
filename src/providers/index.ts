/**
 * Provider specs → providers.
 *
 *   oracle                       answers item.reference
 *   nop                          answers ""
 *   replay:<file.jsonl>          recorded outputs ({id, output} or samples.jsonl lines)
 *   openai:<model>               OpenAI-compatible chat completions (base URL from config/env)
 *   openai:<model>@<baseURL>     … at an explicit base URL
 *   native[:<model>?attention=…]  the built-in DSA model on the native engine (src/providers/native.ts)
 *
 * Other parts register extra kinds (e.g. the native engine) in `PROVIDER_FACTORIES`.
 */
import { DsabenchError } from '../errors.js';
import type { Provider } from '../types.js';
import { NopProvider } from './nop.js';
import { OracleProvider } from './oracle.js';
import { ReplayProvider } from './replay.js';
import type { ProviderOptions } from './types.js';

export type { ProviderConfig, ProviderOptions } from './types.js';
export { OracleProvider } from './oracle.js';
export { NopProvider } from './nop.js';
export { ReplayProvider } from './replay.js';

/** Factory for `<kind>:<rest>` specs (or a bare `<kind>`, then rest is ''). */
export type ProviderFactory = (rest: string, options: ProviderOptions) => Provider | Promise<Provider>;

export const ACCEPTED_SPECS = [
  'oracle',
  'nop',
  'replay:<file.jsonl>',
  'openai:<model>',
  'openai:<model>@<baseURL>',
  'native',
  'native:<model>[?attention=dense|sparse&topk=N&threads=N]',
] as const;

function specError(spec: string, why: string): DsabenchError {
  const forms = [...ACCEPTED_SPECS, ...Object.keys(PROVIDER_FACTORIES).filter((k) => !BUILTIN_KINDS.has(k)).map((k) => `${k}:…`)];
  return new DsabenchError(
    'E_PROVIDER_SPEC',
    `bad provider spec ${JSON.stringify(spec)}: ${why}; expected one of: ${forms.join(', ')}`,
    { field: 'provider' },
  );
}

const BUILTIN_KINDS = new Set(['oracle', 'nop', 'replay', 'openai', 'native']);

export const PROVIDER_FACTORIES: Record<string, ProviderFactory> = {
  oracle: (rest) => {
    if (rest !== '') throw specError(`oracle:${rest}`, 'oracle takes no argument');
    return new OracleProvider();
  },
  nop: (rest) => {
    if (rest !== '') throw specError(`nop:${rest}`, 'nop takes no argument');
    return new NopProvider();
  },
  replay: (rest) => {
    if (rest === '') throw specError('replay:', 'replay needs a file');
    return ReplayProvider.fromFile(rest);
  },
  openai: async (rest, options) => {
    const { parseOpenAiSpec, createOpenAiProvider } = await import('./openai.js');
    const parsed = parseOpenAiSpec(rest);
    if (typeof parsed === 'string') throw specError(`openai:${rest}`, parsed);
    return createOpenAiProvider(parsed.model, parsed.baseUrl, options);
  },
  native: async (rest, options) => {
    const { createNativeProvider } = await import('./native.js');
    return createNativeProvider(rest, options);
  },
};

/** Build the provider a spec names. Throws DsabenchError('E_PROVIDER_SPEC') on a bad spec. */
export async function createProvider(spec: string, options: ProviderOptions = {}): Promise<Provider> {
  const trimmed = spec.trim();
  if (trimmed === '') throw specError(spec, 'empty spec');
  const colon = trimmed.indexOf(':');
  const kind = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const rest = colon < 0 ? '' : trimmed.slice(colon + 1);
  const factory = Object.prototype.hasOwnProperty.call(PROVIDER_FACTORIES, kind) ? PROVIDER_FACTORIES[kind] : undefined;
  if (!factory) throw specError(spec, `unknown provider kind ${JSON.stringify(kind)}`);
  return factory(rest, options);
}
