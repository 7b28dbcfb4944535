/**
 * The JSON Schemas shipped in schemas/ (suite, item, sample, summary, run, config), compiled
 * once with ajv, and ajv errors turned into one DsabenchError that names the file, the line,
 * the field (a JSON pointer) and what was expected.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { DsabenchError, type ErrorCode } from '../errors.js';
import { packagePath } from '../util/package.js';
import { explainAjvError } from '../util/schema-errors.js';

// Callers that explain errors of their own schemas (scorer options) take these from here too.
export { explainAjvError, preview } from '../util/schema-errors.js';

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
