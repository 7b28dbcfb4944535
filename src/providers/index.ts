/**
 * The provider table: spec scheme → entry {scheme, describe, create}. A spec is
 * `<scheme>:<rest>` or a bare `<scheme>`; `dsabench list providers`, the provider text of
 * `dsabench run --help` and the forms a bad spec's error lists are all made from the table.
 * A new provider is one file and one entry below (its module imported inside `create`, so
 * that listing the table loads no provider).
 *
 * `oracle` and `nop` are no models: they make stand-ins whose attempts the stand-in solvers
 * make (solvers/index.ts solverFor), so `-p oracle` still names them as it always has.
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

/** One spec form and what it does: a row of `dsabench list providers`. */
export interface ProviderForm {
  spec: string;
  what: string;
}

export interface ProviderEntry {
  /** What a spec starts with: `openai` in `openai:deepseek-chat`. */
  scheme: string;
  describe: {
    /** The spec as `dsabench run --help` writes it: `openai:<model>[@<baseURL>]`. */
    usage: string;
    /** Every form of the spec, each with what it does. */
    forms: readonly ProviderForm[];
  };
  /** The provider of a spec; `rest` is what follows `<scheme>:` ('' for the bare scheme). Throws E_PROVIDER_SPEC on a bad rest. */
  create(rest: string, options: ProviderOptions): Provider | Promise<Provider>;
}

/** A scheme that takes nothing after it (`oracle`, not `oracle:x`). */
function bare(scheme: string, make: () => Provider): ProviderEntry['create'] {
  return (rest) => {
    if (rest !== '') throw specError(`${scheme}:${rest}`, `${scheme} takes no argument`);
    return make();
  };
}

export const PROVIDERS: readonly ProviderEntry[] = [
  {
    scheme: 'oracle',
    describe: { usage: 'oracle', forms: [{ spec: 'oracle', what: 'answers each item\'s reference solution (a valid suite scores 100%)' }] },
    create: bare('oracle', () => new OracleProvider()),
  },
  {
    scheme: 'nop',
    describe: { usage: 'nop', forms: [{ spec: 'nop', what: 'answers nothing (a valid suite scores 0%)' }] },
    create: bare('nop', () => new NopProvider()),
  },
  {
    scheme: 'replay',
    describe: { usage: 'replay:<file>', forms: [{ spec: 'replay:<file.jsonl>', what: 're-scores recorded outputs ({id, output} lines or a samples.jsonl)' }] },
    create: (rest) => {
      if (rest === '') throw specError('replay:', 'replay needs a file');
      return ReplayProvider.fromFile(rest);
    },
  },
  {
    scheme: 'openai',
    describe: {
      usage: 'openai:<model>[@<baseURL>]',
      forms: [
        { spec: 'openai:<model>', what: 'OpenAI-compatible chat completions (DeepSeek API, vLLM, SGLang, llama.cpp, Ollama)' },
        { spec: 'openai:<model>@<baseURL>', what: '… at an explicit base URL, e.g. http://127.0.0.1:8000/v1' },
      ],
    },
    create: async (rest, options) => {
      const { parseOpenAiSpec, createOpenAiProvider } = await import('./openai.js');
      const parsed = parseOpenAiSpec(rest);
      if (typeof parsed === 'string') throw specError(`openai:${rest}`, parsed);
      return createOpenAiProvider(parsed.model, parsed.baseUrl, options);
    },
  },
  {
    scheme: 'native',
    describe: {
      usage: 'native[:<model>?attention=dense|sparse]',
      forms: [
        { spec: 'native', what: 'the built-in DSA model on the native engine, sparse attention' },
        { spec: 'native:<model>[?attention=dense|sparse&topk=N&threads=N]', what: '… a model by name or folder; dense or sparse attention, top-k, threads per request' },
      ],
    },
    create: async (rest, options) => {
      const { createNativeProvider } = await import('./native.js');
      return createNativeProvider(rest, options);
    },
  },
];

/** Every spec form of the table, in table order. */
export function providerForms(): ProviderForm[] {
  return PROVIDERS.flatMap((p) => p.describe.forms);
}

/** The spec forms as `dsabench run --help` lists them: `oracle | nop | replay:<file> | …`. */
export function providerUsage(): string {
  return PROVIDERS.map((p) => p.describe.usage).join(' | ');
}

function specError(spec: string, why: string): DsabenchError {
  return new DsabenchError(
    'E_PROVIDER_SPEC',
    `bad provider spec ${JSON.stringify(spec)}: ${why}; expected one of: ${providerForms().map((f) => f.spec).join(', ')}`,
    { field: 'provider' },
  );
}

/** Build the provider a spec names. Throws DsabenchError('E_PROVIDER_SPEC') on a bad spec. */
export async function createProvider(spec: string, options: ProviderOptions = {}): Promise<Provider> {
  const trimmed = spec.trim();
  if (trimmed === '') throw specError(spec, 'empty spec');
  const colon = trimmed.indexOf(':');
  const scheme = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const rest = colon < 0 ? '' : trimmed.slice(colon + 1);
  const entry = PROVIDERS.find((p) => p.scheme === scheme);
  if (!entry) throw specError(spec, `unknown provider kind ${JSON.stringify(scheme)}`);
  return entry.create(rest, options);
}
