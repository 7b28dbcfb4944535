/**
 * A ModelLoaderModule for generation-pool tests: spec "echo" / "echo-slow" (2 ms per forward)
 * / "fail" give fake models (test/helpers/fake-native-model.ts) with a 4096-token context.
 */
import type { LoadedGenerativeModel } from '../../src/model/worker.js';
import { fakeModel } from './fake-native-model.js';

export function loadGenerativeModel(spec: string): LoadedGenerativeModel {
  if (spec === 'fail') throw new Error('no such fake model');
  return { model: fakeModel(undefined, spec === 'echo-slow' ? { delayMs: 2 } : {}), contextLength: 4096 };
}
