/**
 * Whether this machine can run the native model: the addon is built and a tiny random model
 * (QUICK_CONFIG) loads in it. Tests that need the engine skip, saying so, when it cannot.
 */
import { existsSync } from 'node:fs';
import { addonPath } from '../../src/engine/native.js';
import { QUICK_CONFIG } from '../../src/model/config.js';
import { createNativeModel, modelLayout, numParams } from '../../src/model/native.js';

export function haveNativeModel(): boolean {
  if (!existsSync(addonPath())) return false;
  try {
    createNativeModel(QUICK_CONFIG, new Float32Array(numParams(modelLayout(QUICK_CONFIG))));
    return true;
  } catch {
    return false;
  }
}
