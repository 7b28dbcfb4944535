/**
 * Prompt templates: `{name}` is replaced by `item.input[name]` (strings as they are, other
 * values as JSON); `{{` and `}}` are literal braces. Names are identifiers
 * (`[A-Za-z_][A-Za-z0-9_]*`); any other brace text (`\boxed{}`, `{1, 2}`) is left as it is.
 */
import type { ChatMessage, Item, SuiteConfig } from '../types.js';

type Part = string | { v: string };

const VAR = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const compiledCache = new Map<string, Part[]>();

/** Split a template into literal text and variable references (cached per template). */
export function compileTemplate(template: string): Part[] {
  let parts = compiledCache.get(template);
  if (parts) return parts;
  parts = [];
  let last = 0;
  let lit = '';
  for (const m of template.matchAll(VAR)) {
    lit += template.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[1] === undefined) {
      lit += m[0][0]; // '{{' → '{', '}}' → '}'
    } else {
      if (lit) parts.push(lit);
      lit = '';
      parts.push({ v: m[1] });
    }
  }
  lit += template.slice(last);
  if (lit) parts.push(lit);
  compiledCache.set(template, parts);
  return parts;
}

/** Variable names a template uses, in order of first use. */
export function templateVariables(template: string): string[] {
  const names: string[] = [];
  for (const p of compileTemplate(template)) if (typeof p !== 'string' && !names.includes(p.v)) names.push(p.v);
  return names;
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Render with `vars`; a missing variable renders as the empty string (load.ts rejects those items). */
export function renderTemplate(template: string, vars: Record<string, unknown>): string {
  let out = '';
  for (const p of compileTemplate(template)) out += typeof p === 'string' ? p : show(vars[p.v] ?? '');
  return out;
}

/** The chat messages of one item: optional system prompt, then the rendered user turn. */
export function renderMessages(config: Pick<SuiteConfig, 'prompt'>, item: Item): ChatMessage[] {
  const user: ChatMessage = { role: 'user', content: renderTemplate(config.prompt.template, item.input) };
  if (config.prompt.system === undefined) return [user];
  return [{ role: 'system', content: renderTemplate(config.prompt.system, item.input) }, user];
}
