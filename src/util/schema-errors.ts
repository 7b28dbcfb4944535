/**
 * An ajv error list → one field (a JSON pointer) and a message that says what was expected
 * and what was given ("expected boolean, got \"yes\" (string)"). Shared by the shipped
 * schemas (suites/schema.ts) and the option schemas of the scorer table (scorers/scorer.ts).
 */
import type { ErrorObject } from 'ajv';

/** Short JSON rendering of a value for messages. */
export function preview(value: unknown): string {
  if (value === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

function describeSchema(s: unknown): string {
  if (!s || typeof s !== 'object') return 'a value';
  const o = s as Record<string, unknown>;
  if (o['type']) return Array.isArray(o['type']) ? (o['type'] as string[]).join(' or ') : String(o['type']);
  if (o['enum']) return `one of ${(o['enum'] as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`;
  if (o['const'] !== undefined) return JSON.stringify(o['const']);
  return 'a value';
}

/** One ajv error → [field pointer, "expected …, got …"]. */
export function explainAjvError(errors: readonly ErrorObject[]): { field: string; message: string } {
  // anyOf reports every branch's error before its own: explain the anyOf as a whole.
  const anyOf = errors.find((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const e = anyOf ?? errors[0]!;
  const field = e.instancePath || '/';
  const got = `got ${preview(e.data)}`;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { field: `${e.instancePath}/${String(p['missingProperty'])}`, message: 'missing required field' };
    case 'additionalProperties': {
      const props = Object.keys(((e.parentSchema as Record<string, unknown>)?.['properties'] ?? {}) as object);
      return {
        field: `${e.instancePath}/${String(p['additionalProperty'])}`,
        message: props.length > 0 ? `unknown field (expected one of: ${props.join(', ')})` : 'unknown field (expected none here)',
      };
    }
    case 'type':
      return { field, message: `expected ${String(p['type'])}, ${got} (${typeOf(e.data)})` };
    case 'enum':
      return { field, message: `expected one of ${(p['allowedValues'] as unknown[]).map((x) => JSON.stringify(x)).join(', ')}, ${got}` };
    case 'const':
      return { field, message: `expected ${JSON.stringify(p['allowedValue'])}, ${got}` };
    case 'anyOf':
    case 'oneOf':
      return { field, message: `expected ${(e.schema as unknown[]).map(describeSchema).join(' or ')}, ${got}` };
    default:
      return { field, message: `${e.message ?? 'invalid'} (${e.keyword}), ${got}` };
  }
}
