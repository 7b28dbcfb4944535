/**
 * The small subsets of YAML (Terminal-Bench 1.x task.yaml) and TOML (Harbor task.toml) that
 * task files use: top-level keys with scalars, block scalars (| |- > >-), flow or dash lists
 * of scalars; TOML [sections] with key = string | number | boolean | [strings].
 * Anything richer is kept as a raw string, never guessed.
 */
import { DsabenchError } from '../../errors.js';

export type Scalar = string | number | boolean | null;
export type MiniValue = Scalar | Scalar[] | Record<string, Scalar | Scalar[]>;

function scalar(raw: string): Scalar {
  const s = raw.trim();
  if (s === '' || s === '~' || s === 'null') return null;
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s)) return Number(s);
  if ((s.startsWith('"') && s.endsWith('"') && s.length >= 2)) {
    try {
      return JSON.parse(s) as string;
    } catch {
      return s.slice(1, -1);
    }
  }
  if (s.startsWith("'") && s.endsWith("'") && s.length >= 2) return s.slice(1, -1).replace(/''/g, "'");
  return s;
}

function stripComment(s: string): string {
  // A # starts a comment only outside quotes and after whitespace.
  let q: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      if (c === q) q = null;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]!))) return s.slice(0, i);
  }
  return s;
}

function flowList(s: string): Scalar[] {
  const inner = s.trim().slice(1, -1);
  if (inner.trim() === '') return [];
  const out: Scalar[] = [];
  let cur = '';
  let q: string | null = null;
  for (const c of inner) {
    if (q) {
      cur += c;
      if (c === q) q = null;
    } else if (c === '"' || c === "'") {
      q = c;
      cur += c;
    } else if (c === ',') {
      out.push(scalar(cur));
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '') out.push(scalar(cur));
  return out;
}

/** Top-level mapping of a task.yaml. */
export function parseMiniYaml(text: string, file: string): Record<string, MiniValue> {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const out: Record<string, MiniValue> = {};
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.trimStart().startsWith('#') || line.startsWith(' ') || line.startsWith('\t') || line === '---') {
      i++;
      continue;
    }
    const m = /^([A-Za-z_][\w.-]*)\s*:(.*)$/.exec(line);
    if (!m) throw new DsabenchError('E_ITEMS_INVALID', `cannot read this YAML line (expected "key: value"): ${line.slice(0, 80)}`, { file, line: i + 1 });
    const key = m[1]!;
    const rest = stripComment(m[2]!).trim();
    i++;
    if (/^[|>][+-]?\d*$/.test(rest)) {
      const folded = rest.startsWith('>');
      const chomp = rest.includes('-') ? 'strip' : rest.includes('+') ? 'keep' : 'clip';
      const block: string[] = [];
      let indent = -1;
      while (i < lines.length) {
        const l = lines[i]!;
        if (l.trim() === '') {
          block.push('');
          i++;
          continue;
        }
        const ind = l.length - l.trimStart().length;
        if (indent < 0) indent = ind;
        if (ind < indent || ind === 0) break;
        block.push(l.slice(indent));
        i++;
      }
      let body = folded ? block.join('\n').replace(/([^\n])\n(?=[^\n])/g, '$1 ') : block.join('\n');
      if (chomp === 'strip') body = body.replace(/\n+$/, '');
      else if (chomp === 'clip') body = body.replace(/\n+$/, '') + '\n';
      out[key] = body;
    } else if (rest === '') {
      // a dash list or a nested mapping of scalars
      const list: Scalar[] = [];
      const map: Record<string, Scalar | Scalar[]> = {};
      while (i < lines.length && (lines[i]!.trim() === '' || /^\s/.test(lines[i]!))) {
        const l = stripComment(lines[i]!).trim();
        i++;
        if (l === '') continue;
        if (l.startsWith('- ') || l === '-') list.push(scalar(l.slice(1)));
        else {
          const mm = /^([A-Za-z_][\w.-]*)\s*:(.*)$/.exec(l);
          if (mm) map[mm[1]!] = mm[2]!.trim().startsWith('[') ? flowList(mm[2]!) : scalar(mm[2]!);
        }
      }
      out[key] = list.length > 0 ? list : Object.keys(map).length > 0 ? map : null;
    } else if (rest.startsWith('[') && rest.endsWith(']')) {
      out[key] = flowList(rest);
    } else {
      out[key] = scalar(rest);
    }
  }
  return out;
}

/** Sections of a task.toml: `{"": top-level, agent: {...}, verifier: {...}}`. */
export function parseMiniToml(text: string, file: string): Record<string, Record<string, Scalar | Scalar[]>> {
  const out: Record<string, Record<string, Scalar | Scalar[]>> = { '': {} };
  let section = '';
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = stripComment(lines[i]!).trim();
    if (l === '') continue;
    const sec = /^\[([^\]]+)\]$/.exec(l);
    if (sec) {
      section = sec[1]!.trim();
      out[section] ??= {};
      continue;
    }
    const kv = /^([A-Za-z_][\w.-]*|"[^"]+")\s*=\s*(.*)$/.exec(l);
    if (!kv) throw new DsabenchError('E_ITEMS_INVALID', `cannot read this TOML line (expected key = value): ${l.slice(0, 80)}`, { file, line: i + 1 });
    const key = kv[1]!.replace(/^"|"$/g, '');
    const v = kv[2]!.trim();
    if (v.startsWith('"""')) {
      // multi-line basic string
      const parts = [v.slice(3)];
      while (!parts[parts.length - 1]!.includes('"""') && i + 1 < lines.length) parts.push(lines[++i]!);
      const joined = parts.join('\n');
      out[section]![key] = joined.slice(0, joined.indexOf('"""')).replace(/^\n/, '');
      continue;
    }
    out[section]![key] = v.startsWith('[') ? flowList(v) : scalar(v);
  }
  return out;
}
