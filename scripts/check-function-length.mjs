#!/usr/bin/env node
// Fails when a C++ function, method or lambda under the given folders (default native/src) is
// longer than --max lines (default 150): from the line it starts on to its closing brace, as
// universal-ctags reports them (--fields=+ne). The TypeScript side has the same bar in ESLint
// (max-lines-per-function). Exit 0: none too long; 1: some (each printed as file:line); 2: the
// check could not run.
//
//   node scripts/check-function-length.mjs [--max N] [DIR...]
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
let max = 150;
const dirs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--max') max = Number(args[++i]);
  else dirs.push(args[i]);
}
if (!Number.isInteger(max) || max < 1) fail(`--max takes a positive integer, got ${JSON.stringify(args[args.indexOf('--max') + 1])}`);
if (dirs.length === 0) dirs.push('native/src');

function fail(msg) {
  console.error(`check-function-length: ${msg}`);
  process.exit(2);
}

const version = spawnSync('ctags', ['--version'], { encoding: 'utf8' });
if (version.error || !/Universal Ctags/.test(version.stdout ?? ''))
  fail('needs universal-ctags on PATH (Debian/Ubuntu: apt-get install universal-ctags)');

// One JSON object per tag; kind "function" covers free functions, methods and lambdas.
const r = spawnSync('ctags', ['-R', '--languages=C++', '--kinds-C++=f', '--fields=+ne', '--output-format=json', '-o', '-', ...dirs], {
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
});
if (r.status !== 0) fail(`ctags failed (exit ${r.status}): ${r.stderr}`);

let seen = 0;
const long = [];
for (const line of r.stdout.split('\n')) {
  if (!line.trim()) continue;
  const t = JSON.parse(line);
  if (t._type !== 'tag' || t.kind !== 'function' || typeof t.end !== 'number') continue;
  seen++;
  const lines = t.end - t.line + 1;
  if (lines <= max) continue;
  const scope = t.scope?.replace(/__anon[0-9a-f]+/g, '(anonymous)');
  const name = t.name.startsWith('__anon') ? `a lambda in ${scope ?? 'file scope'}` : scope ? `${scope}::${t.name}` : t.name;
  long.push({ at: `${t.path}:${t.line}`, name, lines });
}
// A run that sees no function at all checked nothing (wrong folder, ctags without C++).
if (seen === 0) fail(`no C++ functions found under ${dirs.join(', ')}`);
long.sort((a, b) => b.lines - a.lines);
for (const f of long) console.log(`${f.at}: ${f.name} is ${f.lines} lines (at most ${max}); split it`);
console.log(`check-function-length: ${seen} C++ functions under ${dirs.join(', ')}, ${long.length} over ${max} lines`);
process.exit(long.length > 0 ? 1 : 0);
