import { DsabenchError } from '../errors.js';
import type { Provider } from '../types.js';
import type { ProviderOptions } from './types.js';

/** `<model>` or `<model>@<baseURL>` → parts, or a reason string when malformed. */
export function parseOpenAiSpec(rest: string): { model: string; baseUrl?: string } | string {
  const at = rest.search(/@https?:\/\//);
  const model = at < 0 ? rest : rest.slice(0, at);
  const baseUrl = at < 0 ? undefined : rest.slice(at + 1);
  if (model === '') return 'openai needs a model name';
  if (at < 0 && rest.includes('@')) return 'the part after "@" must be an http(s):// base URL';
  return baseUrl === undefined ? { model } : { model, baseUrl };
}

export function createOpenAiProvider(_model: string, _baseUrl: string | undefined, _options: ProviderOptions): Provider {
  throw new DsabenchError('E_UNSUPPORTED', 'openai provider: implementation in progress');
}
