/**
 * A terminal task whose environment is a Dockerfile (or a ready-made image), run the way
 * Terminal-Bench and Harbor run it, in one container per attempt:
 *
 *   build   the image from the task's build context, once per content, no network
 *   start   a container from it: no network, the sandbox's limits (taskLimits), a bounded life
 *   agent   a persistent shell through `exec`, in the image's WORKDIR
 *   oracle  the solution's folder copied to /solution, then `bash /solution/solve.sh`
 *   tests   /tests and the test tooling copied in only now, then the test command in the
 *           SAME container (services the agent started are still up, as in those harnesses),
 *           with TEST_DIR=/tests; Harbor's reward read from /logs/verifier
 *   remove  after the tests (or when the agent ends in an error: no tests will run)
 *
 * The container's id travels to the scorer in the work dir's state.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxShell, type SandboxResult } from '../index.js';
import { detectContainerEngine } from '../container/engine.js';
import { ensureImage, existingImage, materialize } from '../container/image.js';
import { copyInto, execIn, launchExec, readContainerFile, removeContainer, startContainer, type ContainerRef } from '../container/container.js';
import { resolveLimits } from '../launch.js';
import { judge, parseReward, solutionFiles, taskLimits, type VerifyResult } from './env.js';
import type { ContainerSpec, TerminalTarget } from './target.js';
import { TOOLS_DIR, stageTools, toolsEnv } from './tools.js';

/** Slack on top of the agent's and the tests' time before a forgotten container ends itself. */
const LIFETIME_SLACK_SEC = 3600;

export type Prepared = { ok: true; ref: ContainerRef; image: string } | { ok: false; unsupported: string };

/** Build (or find) the image and start the attempt's container. */
export async function startTaskContainer(t: TerminalTarget, spec: ContainerSpec): Promise<Prepared> {
  if (spec.kind === 'unrunnable') return { ok: false, unsupported: spec.reason };
  const engine = detectContainerEngine();
  if (engine instanceof Error) return { ok: false, unsupported: `environment is a container image and ${engine.message}` };
  const img = spec.kind === 'image' ? await existingImage(engine, spec.image)
    : await ensureImage(engine, { context: spec.context, dockerfile: spec.dockerfile, timeoutMs: spec.build_timeout_sec * 1000 });
  if (!img.ok) return { ok: false, unsupported: img.reason };
  const limits = resolveLimits(taskLimits(Math.max(t.agent_timeout_sec, t.test_timeout_sec)));
  const started = await startContainer(engine, img.image, {
    limits,
    // Terminal-Bench's compose file gives every process TEST_DIR.
    ...(t.format === 'tb1' ? { env: { TEST_DIR: '/tests' } } : {}),
    lifetimeSec: t.agent_timeout_sec + t.test_timeout_sec + LIFETIME_SLACK_SEC,
  });
  if (!started.ok) return { ok: false, unsupported: started.reason };
  const ref = spec.workdir ? { ...started.ref, workdir: spec.workdir } : started.ref;
  return { ok: true, ref, image: img.image };
}

/** Copy a host dir's contents into the container at `to`, staged from files. */
async function stageAndCopy(ref: ContainerRef, fill: (stage: string) => void): Promise<string | null> {
  const stage = mkdtempSync(join(tmpdir(), 'dsabench-stage-'));
  try {
    fill(stage);
    return await copyInto(ref, stage, '/');
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function failed(started: number, why: string): SandboxResult {
  return { exitCode: null, signal: null, timedOut: false, stdout: '', stderr: why, stdoutBytes: 0, stderrBytes: why.length, truncated: false, wallMs: Date.now() - started, isolation: 'container', spawnError: why };
}

/** The oracle: the solution's folder at /solution, then its solve.sh, in the image's WORKDIR. */
export async function runSolutionIn(ref: ContainerRef, t: TerminalTarget, solution: string, signal?: AbortSignal): Promise<SandboxResult> {
  const started = Date.now();
  const copyError = await stageAndCopy(ref, (stage) => {
    mkdirSync(join(stage, 'solution'));
    materialize(join(stage, 'solution'), solutionFiles(t, solution));
  });
  if (copyError) return failed(started, copyError);
  return execIn(ref, ['bash', '/solution/solve.sh'], {
    timeoutMs: t.agent_timeout_sec * 1000, outputBytes: ref.limits.outputBytes, cwd: ref.workdir, ...(signal ? { signal } : {}),
  });
}

/** The agent's persistent shell in the container (bash, else sh). */
export function containerShell(ref: ContainerRef): SandboxShell {
  return new SandboxShell(() => launchExec(ref, ['sh', '-c', 'command -v bash >/dev/null 2>&1 && exec bash --noprofile --norc; exec sh'], {
    stdin: true, timeoutMs: 24 * 3600 * 1000, cwd: ref.workdir,
  }));
}

/**
 * Copy the tests and the tooling in, run the test command in the same container, judge.
 * The copy lands in a fresh directory; the test exec itself moves it into place (replacing
 * whatever the agent left at /tests, /opt/dsabench-tools and /logs/verifier, a planted
 * reward included), so one exec does what would otherwise take two.
 */
export async function verifyIn(ref: ContainerRef, t: TerminalTarget, signal?: AbortSignal): Promise<VerifyResult> {
  const started = Date.now();
  const drop = `/tmp/dsabench-verify-${randomBytes(8).toString('hex')}`;
  const copyError = await stageAndCopy(ref, (stage) => {
    const at = join(stage, drop.slice(1));
    mkdirSync(join(at, 'tests'), { recursive: true });
    materialize(join(at, 'tests'), t.test_files);
    stageTools(at);
  });
  if (copyError) return judge(t, failed(started, copyError), () => null);
  const place = [
    'rm -rf /tests /logs/verifier "$2" || exit 125',
    'mkdir -p /logs/verifier "$(dirname "$2")" && mv "$1/tests" /tests && mv "$1$2" "$2" && rm -rf "$1" || exit 125',
    'exec bash -c "$3"',
  ].join('\n');
  const r = await execIn(ref, ['sh', '-c', place, 'sh', drop, TOOLS_DIR, t.test_command], {
    timeoutMs: t.test_timeout_sec * 1000, outputBytes: ref.limits.outputBytes, cwd: ref.workdir,
    env: { TEST_DIR: '/tests', ...toolsEnv(ref.path) }, ...(signal ? { signal } : {}),
  });
  let reward: number | null = null;
  if (t.reward === 'file' && !r.spawnError && !r.timedOut) {
    for (const name of ['reward.txt', 'reward.json'] as const) {
      const raw = await readContainerFile(ref, `/logs/verifier/${name}`);
      reward = raw === null ? null : parseReward(name, raw);
      if (reward !== null) break;
    }
  }
  return judge(t, r, () => reward);
}

export async function removeTaskContainer(ref: ContainerRef): Promise<void> {
  await removeContainer(ref);
}
