/**
 * Pulls the program out of a model reply.
 *
 * Order: drop <think>…</think>; fenced blocks tagged with the task's language (or untagged)
 * — the one defining the entry point wins, else the longest; an unclosed fence (reply cut
 * at max_tokens) counts up to the end; no fence at all → the bare reply.
 */

export type CodeLanguage = 'python' | 'javascript';

const ALIASES: Record<CodeLanguage, readonly string[]> = {
  python: ['python', 'py', 'python3', 'py3'],
  javascript: ['javascript', 'js', 'node', 'nodejs', 'mjs', 'cjs', 'jsx'],
};

interface Block {
  lang: string;
  code: string;
}

function fencedBlocks(text: string): Block[] {
  const out: Block[] = [];
  const re = /(^|\n)[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const fence = m[2]!;
    const start = m.index + m[0].length;
    const close = new RegExp(`\\n[ \\t]*${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*(?=\\n|$)`, 'g');
    close.lastIndex = start - 1;
    const c = close.exec(text);
    const end = c ? c.index : text.length;
    out.push({ lang: (m[3] ?? '').toLowerCase(), code: text.slice(start, end) });
    if (!c) break;
    re.lastIndex = c.index + c[0].length;
  }
  return out;
}

export function definesEntryPoint(code: string, entryPoint: string, language: CodeLanguage): boolean {
  const ep = entryPoint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (language === 'python') return new RegExp(`^\\s*(async\\s+)?def\\s+${ep}\\s*\\(`, 'm').test(code);
  return new RegExp(`(^|\\n)\\s*(export\\s+)?((async\\s+)?function\\s*\\*?\\s*${ep}\\s*\\(|(const|let|var)\\s+${ep}\\s*=)`).test(code);
}

export function stripThinking(text: string): string {
  let t = text.replace(/<think>[\s\S]*?<\/think>/g, '');
  // An opened but never closed think block: everything after it is reasoning.
  const open = t.indexOf('<think>');
  if (open >= 0) t = t.slice(0, open);
  return t;
}

export function extractCode(reply: string, language: CodeLanguage, entryPoint?: string): string {
  const text = stripThinking(reply);
  const blocks = fencedBlocks(text);
  if (blocks.length === 0) return text.trim() === '' ? '' : text;
  const aliases = ALIASES[language];
  let pool = blocks.filter((b) => aliases.includes(b.lang));
  if (pool.length === 0) pool = blocks.filter((b) => b.lang === '');
  if (pool.length === 0) pool = blocks;
  if (entryPoint) {
    const defining = pool.filter((b) => definesEntryPoint(b.code, entryPoint, language));
    if (defining.length > 0) pool = defining;
  }
  return pool.reduce((best, b) => (b.code.length > best.code.length ? b : best)).code;
}
