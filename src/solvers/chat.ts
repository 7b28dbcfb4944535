/**
 * The `chat` solver: one chat completion per attempt. The graded output is the
 * completion's text; usage and timings come straight from the provider.
 */
import type { SolveArgs, SolveResult, Solver } from '../types.js';

export const chatSolver: Solver = async (args: SolveArgs): Promise<SolveResult> => {
  const completion = await args.provider.complete({
    messages: args.messages,
    settings: args.settings,
    item: args.item,
    suite: args.suite.config.name,
    attempt: args.attempt,
    signal: args.signal,
  });
  const result: SolveResult = { output: completion.text, completion };
  if (completion.tool_calls?.length) result.metadata = { tool_calls: completion.tool_calls };
  return result;
};
