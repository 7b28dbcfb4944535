/**
 * The `terminal-agent` solver: a tool-calling loop over one persistent bash, in the sandbox
 * (host-tools environments) or in the task's container (Dockerfile environments; backend.ts).
 *
 *   messages = system + instruction; tools = [bash]
 *   repeat: model → assistant message (content, reasoning_content, tool_calls)
 *           each tool call → run in the shell (per-command time limit) → tool message
 *   until the model answers without a tool call, or a limit (turns, total time) is hit.
 *
 * `reasoning_content` stays on every assistant message of the task: DeepSeek thinking models
 * need it sent back across the tool calls of one task. Its stand-ins (`-p oracle`, `-p nop`)
 * open the same environment: the oracle runs the task's reference solution (its folder at
 * /solution) instead of calling a model, nop does nothing. The tests run afterwards in the
 * `terminal` scorer: in a fresh sandbox over the same work dir, or in the same container
 * (then removed).
 *
 * Options (suite.json `options`): max_turns (40), command_timeout_sec (120),
 * output_bytes (16384, head and tail kept), agent_timeout_sec (the task's, else 360).
 */
import type { ChatMessage, Completion, SolveArgs, SolveResult, Solver, SolverEntry, ToolCall, ToolSpec, Usage } from '../types.js';
import { parseTerminalTarget, type TerminalTarget } from '../sandbox/terminal/target.js';
import { describe, tailText } from '../sandbox/terminal/env.js';
import { openTaskEnv, type TaskEnv } from '../sandbox/terminal/backend.js';

export const BASH_TOOL: ToolSpec = {
  type: 'function',
  function: {
    name: 'bash',
    description: 'Run a bash command in the task\'s shell (working directory /app). The shell persists between calls (cwd, variables). ' +
      'Commands cannot read stdin; long outputs are cut in the middle.',
    parameters: {
      type: 'object',
      properties: { command: { type: 'string', description: 'The command line to run.' } },
      required: ['command'],
    },
  },
};

export interface CommandLog {
  turn: number;
  command: string;
  exit_code: number | null;
  timed_out: boolean;
  wall_ms: number;
  output_bytes: number;
  truncated: boolean;
}

function opt(args: SolveArgs, key: string, dflt: number): number {
  const v = args.suite.config.options?.[key];
  return typeof v === 'number' && v > 0 ? v : dflt;
}

function emptyCompletion(text: string, error: string | null = null): Completion {
  return { text, timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 0 }, error };
}

function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!b) return a;
  if (!a) return { ...b };
  const out: Usage = {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
  if (a.reasoning_tokens !== undefined || b.reasoning_tokens !== undefined) out.reasoning_tokens = (a.reasoning_tokens ?? 0) + (b.reasoning_tokens ?? 0);
  return out;
}

function parseCommand(call: ToolCall): { command: string } | { error: string } {
  if (call.function.name !== 'bash') return { error: `unknown tool "${call.function.name}"; the only tool is bash` };
  try {
    const a = JSON.parse(call.function.arguments || '{}') as unknown;
    if (a && typeof a === 'object' && typeof (a as Record<string, unknown>)['command'] === 'string') {
      return { command: (a as Record<string, string>)['command']! };
    }
    return { error: 'arguments must be a JSON object {"command": "<bash command>"}' };
  } catch (e) {
    return { error: `arguments are not valid JSON (${(e as Error).message}); expected {"command": "..."}` };
  }
}

/** What runs in the task's environment: the model's loop, or a stand-in. */
type Agent = (env: TaskEnv, args: SolveArgs, t: TerminalTarget) => Promise<SolveResult>;

/**
 * A solver that opens the task's environment, runs `agent` in it and names the environment
 * in the metadata. An attempt that ends in an error is not scored, so nothing else would
 * release its container: it is closed here; otherwise the scorer closes it after the tests.
 */
function inTaskEnv(agent: Agent): Solver {
  return async (args: SolveArgs): Promise<SolveResult> => {
    const t = parseTerminalTarget(args.item.target, args.item.id);
    const f = { ...(args.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}), ...(args.signal ? { signal: args.signal } : {}) };
    const opened = await openTaskEnv(args.workDir, t, f);
    if (!opened.ok) {
      if ('unsupported' in opened) return { output: '', completion: emptyCompletion('', null), metadata: { unsupported: opened.unsupported } };
      return { output: '', completion: emptyCompletion('', `environment setup failed: ${opened.setupError}`) };
    }
    const env = opened.env;
    let result: SolveResult | undefined;
    try {
      result = await agent(env, args, t);
      result.metadata = { ...result.metadata, environment: env.backend, ...(env.image ? { image: env.image } : {}) };
      return result;
    } finally {
      if (!result || result.completion.error) await env.close();
    }
  };
}

/** `-p nop`: the environment as it was set up, nothing done in it. */
const doNothing: Agent = async () => ({ output: '', completion: emptyCompletion(''), metadata: { agent: 'nop' } });

/** `-p oracle`: the task's reference solution (solve.sh), run in the environment as one bash call. */
const runReference: Agent = async (env, args) => {
  const started = Date.now();
  if (typeof args.item.reference !== 'string') return { output: '', completion: emptyCompletion('', 'item has no reference solution') };
  const r = await env.runSolution(args.item.reference);
  const out = tailText(r.stdout + (r.stderr ? '\n' + r.stderr : ''), 4000);
  const completion = emptyCompletion(out, r.exitCode === 0 ? null : `solution script ${describe(r)}`);
  completion.timings.e2e_ms = Date.now() - started;
  const command: CommandLog = {
    turn: 0, command: 'bash /solution/solve.sh', exit_code: r.exitCode, timed_out: r.timedOut, wall_ms: r.wallMs,
    output_bytes: r.stdoutBytes + r.stderrBytes, truncated: r.truncated,
  };
  return {
    output: out, completion,
    transcript: [{ role: 'assistant', content: null, tool_calls: [{ id: 'oracle_0', type: 'function', function: { name: 'bash', arguments: JSON.stringify({ command: command.command }) } }] },
      { role: 'tool', tool_call_id: 'oracle_0', content: out }],
    metadata: { agent: 'oracle', commands: [command] },
  };
};

/** The model's tool-calling loop. */
const agentLoop: Agent = async (env, args, t) => {
  const maxTurns = opt(args, 'max_turns', 40);
  const cmdTimeoutMs = opt(args, 'command_timeout_sec', 120) * 1000;
  const outputBytes = opt(args, 'output_bytes', 16 * 1024);
  const totalMs = opt(args, 'agent_timeout_sec', t.agent_timeout_sec) * 1000;
  const deadline = Date.now() + totalMs;
  const shell = env.shell(totalMs / 1000 + 5);
  const messages: ChatMessage[] = args.messages.map((m) => ({ ...m }));
  const commands: CommandLog[] = [];
  let usage: Usage | undefined;
  let e2e = 0;
  let finalText = '';
  let error: string | null = null;
  let stop: string = 'done';
  let lastCompletion: Completion | undefined;
  // Across the turns: requests made (retries included), whether every answer came from the
  // response cache, and whether any answer lacked usage (the totals would undercount).
  let tries = 0;
  let modelCalls = 0;
  let cachedCalls = 0;
  let usageUnknown = false;
  const started = Date.now();
  try {
    for (let turn = 0; ; turn++) {
      if (turn >= maxTurns) { stop = 'max_turns'; break; }
      if (Date.now() >= deadline) { stop = 'agent_timeout'; break; }
      if (args.signal?.aborted) { stop = 'aborted'; break; }
      const c = await args.provider.complete({
        messages, tools: [BASH_TOOL], settings: args.settings, item: args.item,
        suite: args.suite.config.name, attempt: args.attempt, ...(args.signal ? { signal: args.signal } : {}),
      });
      lastCompletion = c;
      usage = addUsage(usage, c.usage);
      e2e += c.timings.e2e_ms;
      modelCalls++;
      if (c.cached) cachedCalls++;
      else tries += c.tries ?? 1;
      if (c.usage_unknown && !c.usage) usageUnknown = true;
      if (c.error) { error = c.error; stop = 'provider_error'; break; }
      const assistant: ChatMessage = { role: 'assistant', content: c.text ?? '' };
      if (c.reasoning) assistant.reasoning_content = c.reasoning;
      const calls = c.tool_calls ?? [];
      if (calls.length > 0) assistant.tool_calls = calls;
      messages.push(assistant);
      finalText = c.text ?? '';
      if (calls.length === 0) { stop = 'done'; break; }
      for (const call of calls) {
        const parsed = parseCommand(call);
        let content: string;
        if ('error' in parsed) {
          content = `error: ${parsed.error}`;
        } else {
          const left = deadline - Date.now();
          if (left <= 0) {
            content = 'error: the task\'s time limit is over; the command was not run';
          } else {
            const r = await shell.exec(parsed.command, { timeoutMs: Math.min(cmdTimeoutMs, left), outputBytes });
            commands.push({
              turn, command: parsed.command, exit_code: r.exitCode, timed_out: r.timedOut, wall_ms: r.wallMs,
              output_bytes: Buffer.byteLength(r.output), truncated: r.truncated,
            });
            content = `${r.output}${r.output.endsWith('\n') || r.output === '' ? '' : '\n'}[exit code: ${r.exitCode ?? (r.timedOut ? 'timeout' : 'none')}]`;
          }
        }
        messages.push({ role: 'tool', tool_call_id: call.id, content });
      }
    }
  } finally {
    shell.close();
  }
  const completion: Completion = {
    text: finalText,
    timings: { ttft_ms: null, tpot_ms: null, e2e_ms: e2e },
    error,
    tries,
    ...(modelCalls > 0 && cachedCalls === modelCalls ? { cached: true } : {}),
    ...(usageUnknown ? { usage_unknown: true } : {}),
    ...(usage ? { usage } : {}),
    ...(lastCompletion?.finish_reason !== undefined ? { finish_reason: lastCompletion.finish_reason } : {}),
  };
  const reasoning = messages.filter((m) => m.role === 'assistant' && m.reasoning_content).map((m) => m.reasoning_content!).join('\n\n');
  if (reasoning) completion.reasoning = reasoning;
  return {
    output: finalText,
    completion,
    transcript: messages,
    metadata: { agent: 'terminal-agent', stop, turns: messages.filter((m) => m.role === 'assistant').length, commands, agent_wall_ms: Date.now() - started },
  };
};

export const terminalAgentSolver: SolverEntry = Object.assign(inTaskEnv(agentLoop), {
  oracle: inTaskEnv(runReference),
  nop: inTaskEnv(doNothing),
  sandbox: 'runs the model\'s commands in it',
});
