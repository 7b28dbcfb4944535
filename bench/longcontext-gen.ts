/**
 * Long-context generation: time to generate one 128K-token item per task, and how close its
 * DeepSeek-V3 token count lands to the target.
 *
 *   npm run build && node dist/bench/longcontext-gen.js [--length 128K] [--tokenizer deepseek-v3] [--tasks niah_single_1,vt]
 *
 * Prints per task: generation wall time (tokenizer already loaded; the one-off load is
 * printed first), prompt tokens, prompt + answer budget as a share of the target, and a
 * check that metadata.prompt_tokens equals the library's full encode of the prompt (not timed).
 */
import { getTokenizer } from '../src/tokenizers/index.js';
import { longContextGenerator, parseLength } from '../src/suites/longcontext/generate.js';
import { TASKS } from '../src/suites/longcontext/tasks.js';
import { arg } from './args.js';

const length = parseLength(arg('length', '128K'), '--length');
const tokenizer = arg('tokenizer', 'deepseek-v3');
const tasks = arg('tasks', TASKS.join(',')).split(',');

let t0 = performance.now();
const tok = await getTokenizer(tokenizer);
console.log(`tokenizer ${tok.name} load: ${(performance.now() - t0).toFixed(0)} ms${tok.approximate ? ' (approximate)' : ''}`);
console.log(`target ${length} tokens`);
console.log('task                 gen_ms  prompt_tokens  (prompt+budget)/target  exact');
let worst = 0;
for (const task of tasks) {
  t0 = performance.now();
  const [item] = await longContextGenerator(7, { tasks: [task], lengths: [length], depths: [0.5], samples: 1, tokenizer });
  const ms = performance.now() - t0;
  worst = Math.max(worst, ms);
  const m = item!.metadata as { prompt_tokens: number; answer_budget: number };
  // checked with the library's full encoder, independent of the fast counting path
  const prompt = String(item!.input['prompt']);
  const exact = (tok.encode ? tok.encode(prompt).length : tok.count(prompt)) === m.prompt_tokens;
  const share = (m.prompt_tokens + m.answer_budget) / length;
  console.log(`${task.padEnd(20)} ${ms.toFixed(0).padStart(6)}  ${String(m.prompt_tokens).padStart(13)}  ${(share * 100).toFixed(2).padStart(21)}%  ${exact ? 'yes' : 'NO'}`);
}
console.log(`slowest item: ${worst.toFixed(0)} ms`);
