/**
 * The providers of `dsabench run -s X` when neither -p nor the config names one: the default
 * job's (the built-in model, dense and sparse, or DSABENCH_DEFAULT_MODEL): what `dsabench run`
 * evaluates when given nothing, now on the suites named. Never the oracle: it answers
 * with the references, so a run that fell back to it would report 100% for any suite.
 * Without the model's weights there is nothing sensible to run, so it is a usage error that
 * says how to name a provider.
 */
import { join } from 'node:path';
import { DsabenchError } from '../errors.js';
import { resolveModelDir, WEIGHTS_FILE } from '../model/checkpoint.js';
import { DEFAULT_NATIVE_MODEL } from '../providers/native.js';
import { DEFAULT_MODEL_ENV, resolveDefaultJob } from './default-job.js';
import type { ProviderEntry } from '../runner/settings.js';

export function defaultJobProviders(env: NodeJS.ProcessEnv = process.env): ProviderEntry[] {
  const job = resolveDefaultJob(env);
  const providers = job.notice === undefined ? (job.config.providers ?? []) : [];
  if (providers.length === 0) {
    const model = env[DEFAULT_MODEL_ENV]?.trim() || DEFAULT_NATIVE_MODEL;
    throw new DsabenchError(
      'E_USAGE',
      `no provider given, and the default job's model "${model}" is not installed (${join(resolveModelDir(model), WEIGHTS_FILE)} is missing). ` +
        'Name a provider: -p openai:<model>[@<baseURL>], -p native:<model dir>, -p replay:<samples.jsonl>, or -p oracle to answer with the suite\'s references (a check of the suite, not of a model)',
      { field: 'provider' },
    );
  }
  return providers.map((p) => (typeof p === 'string' ? { spec: p } : p));
}
