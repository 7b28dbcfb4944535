/**
 * Field readers shared by the code loaders: each problem names the file, the line (or the
 * record's index in a JSON array) and the field (records.ts `at`).
 */
import { DsabenchError } from '../../errors.js';
import type { CodeLanguage } from '../../scorers/code-extract.js';
import type { SuiteConfig } from '../../types.js';
import { at, place, type Where } from '../records.js';

export function codeConfig(description: string, template: string): Omit<SuiteConfig, 'name'> {
  return {
    kind: 'code',
    description,
    scorer: { name: 'code' },
    prompt: { template },
    generation: { temperature: 0, max_tokens: 2048 },
  };
}

export function obj(value: unknown, w: Where): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DsabenchError('E_ITEMS_INVALID', `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`, place(w));
  }
  return value as Record<string, unknown>;
}

export function str(o: Record<string, unknown>, key: string, w: Where, fallback?: string): string {
  const v = o[key];
  if (typeof v === 'string') return v;
  if (v === undefined && fallback !== undefined) return fallback;
  throw new DsabenchError('E_ITEMS_INVALID', `field "${key}" must be a string (got ${v === undefined ? 'nothing' : v === null ? 'null' : typeof v}; fields present: ${Object.keys(o).join(', ') || 'none'})`, at(w, key));
}

export function strList(o: Record<string, unknown>, key: string, w: Where, optional = false): string[] {
  const v = o[key];
  if ((v === undefined || v === null) && optional) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new DsabenchError('E_ITEMS_INVALID', `field "${key}" must be an array of strings`, at(w, key));
  }
  return v as string[];
}

/** The record's id field as a string, else its 0-based position. */
export function idOf(o: Record<string, unknown>, key: string, index: number): string {
  const v = o[key];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : String(index);
}

/** What the oracle answers: the code in one fenced block. */
export function fence(lang: CodeLanguage, code: string): string {
  return '```' + lang + '\n' + code.replace(/\n*$/, '\n') + '```';
}

export function language(o: Record<string, unknown>, w: Where, dflt: CodeLanguage): CodeLanguage {
  const v = o['language'];
  if (v === undefined) return dflt;
  const s = String(v).toLowerCase();
  if (s === 'python' || s === 'py') return 'python';
  if (s === 'javascript' || s === 'js') return 'javascript';
  throw new DsabenchError('E_ITEMS_INVALID', `language "${String(v)}" is not supported (expected python or javascript)`, at(w, 'language'));
}

/** A loader option that must be one of `allowed` (error names loader.options.<key>). */
export function enumOption<T extends string>(options: Record<string, unknown>, key: string, allowed: readonly T[], dflt: T): T {
  const v = options[key];
  if (v === undefined) return dflt;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new DsabenchError('E_OPTION', `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`, { field: `loader.options.${key}` });
}
