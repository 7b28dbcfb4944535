/**
 * The JSON Schemas shipped in schemas/ (suite, item, sample, summary, run, config), compiled
 * once with ajv, and ajv errors turned into one DsabenchError that names the file, the line,
 * the field (a JSON pointer) and what was expected.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { DsabenchError, type ErrorCode } from '../errors.js';
import { packagePath } from '../util/package.js';

export type SchemaName = 'suite' | 'item' | 'sample' | 'summary' | 'run' | 'config';

const SCHEMA_FILES: Record<SchemaName, string> = {
  suite: 'suite.schema.json',
  item: 'item.schema.json',
  sample: 'sample.schema.json',
  summary: 'summary.schema.json',
  run: 'run.schema.json',
  config: 'config.schema.json',
};

let ajv: Ajv | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();

function instance(): Ajv {
  if (ajv) return ajv;
  // verbose: errors carry the offending value and the schema, so messages can say "got …".
  ajv = new Ajv({ allErrors: false, verbose: true, strict: false });
  for (const file of Object.values(SCHEMA_FILES)) {
    ajv.addSchema(JSON.parse(readFileSync(packagePath('schemas', file), 'utf8')) as object);
  }
  return ajv;
}

/** The parsed schema document (for `dsabench` tools that publish it). */
export function schemaPath(name: SchemaName): string {
  return packagePath('schemas', SCHEMA_FILES[name]);
}

export function validator(name: SchemaName): ValidateFunction {
  let v = compiled.get(name);
  if (!v) {
    const a = instance();
    const id = `https://dsabench.dev/schemas/${SCHEMA_FILES[name]}`;
    v = a.getSchema(id);
    if (!v) throw new Error(`schema ${id} not registered`);
    compiled.set(name, v);
  }
  return v;
}

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

/**
 * Validate `value` against a shipped schema; throws DsabenchError(code) naming the place.
 * Returns the value typed as T (the schemas mirror src/types.ts).
 */
export function validateOrThrow<T>(
  name: SchemaName,
  value: unknown,
  code: ErrorCode,
  where: { file?: string; line?: number; what?: string },
): T {
  const v = validator(name);
  if (v(value)) return value as T;
  const { field, message } = explainAjvError(v.errors ?? []);
  throw new DsabenchError(code, `${where.what ? where.what + ': ' : ''}${message}`, { file: where.file, line: where.line, field });
}

/**
 * The options schema suite.schema.json gives scorer `name` (its `allOf` if/then entry), or
 * null when it has none. The schema is the one list of scorer options: suite.json is checked
 * against it as a whole, and `dsabench score --options` against this part.
 */
export function scorerOptionsSchema(name: string): Record<string, unknown> | null {
  const doc = JSON.parse(readFileSync(schemaPath('suite'), 'utf8')) as { allOf?: unknown[] };
  type Rule = { if?: { properties?: { scorer?: { properties?: { name?: { const?: unknown } } } } }; then?: { properties?: { scorer?: { properties?: { options?: Record<string, unknown> } } } } };
  for (const r of (doc.allOf ?? []) as Rule[]) {
    if (r.if?.properties?.scorer?.properties?.name?.const === name) return r.then?.properties?.scorer?.properties?.options ?? null;
  }
  return null;
}

const optionValidators = new Map<string, ValidateFunction>();

/** Checks a scorer's options against its schema; throws DsabenchError(code) naming the option. */
export function validateScorerOptions(name: string, options: unknown, code: ErrorCode, where: { file?: string; field?: string } = {}): void {
  let v = optionValidators.get(name);
  if (!v) {
    const schema = scorerOptionsSchema(name) ?? { type: 'object', additionalProperties: false };
    v = instance().compile(schema);
    optionValidators.set(name, v);
  }
  if (v(options)) return;
  const { field, message } = explainAjvError(v.errors ?? []);
  throw new DsabenchError(code, `scorer "${name}" option: ${message}`, { file: where.file, field: `${where.field ?? ''}${field === '/' ? '' : field}` || '/' });
}

/**
 * The 1-based line of a JSON pointer's last named key in a JSON text (`/scorer/options/x` →
 * the line of `"x":` after `"options":` after `"scorer":`), or undefined. A scan for each key
 * after the previous one, not a parse: right unless a key of the path also appears earlier in
 * a sibling object, which suite.json files do not do.
 */
export function lineOfPointer(text: string, pointer: string): number | undefined {
  let pos = 0;
  let found = -1;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(key)) break; // an array index has no key to find
    const re = new RegExp(`${JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:`, 'g');
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) break;
    found = m.index;
    pos = m.index + m[0].length;
  }
  return found < 0 ? undefined : text.slice(0, found).split('\n').length;
}

/** JSON.parse with a DsabenchError naming file, line and column on failure. */
export function parseJsonFile<T = unknown>(text: string, file: string, code: ErrorCode): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    const msg = (err as Error).message;
    const m = /position (\d+)/.exec(msg);
    let line: number | undefined;
    let col = '';
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos);
      line = before.split('\n').length;
      col = ` column ${pos - before.lastIndexOf('\n')}`;
    } else if (/end of JSON input|Unterminated/i.test(msg)) {
      line = text.split('\n').length;
    }
    throw new DsabenchError(code, `not valid JSON${col} (${msg.replace(/ in JSON at position \d+.*$/, '')}); expected one JSON object`, { file, line, cause: err });
  }
}
