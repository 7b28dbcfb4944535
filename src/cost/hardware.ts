/**
 * Hardware profiles (data/hardware/<name>.json): peak dense BF16/FP8 FLOP/s and HBM
 * bandwidth of one accelerator, its default price per hour, and where the figures come
 * from. They feed the roofline projection, which is a model, not a measurement.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { DsabenchError } from '../errors.js';
import { packagePath } from '../util/package.js';

/** Throughputs real kernels reached (FlashMLA README), for the "published kernels" variant. */
export interface AchievedRates {
  dense_decode_flops?: number;
  dense_decode_bytes_per_s?: number;
  sparse_decode_flops?: number;
  sparse_prefill_flops?: number;
  source?: string;
}

export interface HardwareProfile {
  name: string;
  description?: string;
  peak_bf16_flops: number;
  peak_fp8_flops: number;
  hbm_bytes_per_s: number;
  /** USD per GPU-hour, the default when the user gives no --price-per-hour. */
  price_per_hour: number;
  source: string;
  achieved?: AchievedRates;
}

export function listHardware(): string[] {
  try {
    return readdirSync(packagePath('data', 'hardware'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => basename(f, '.json'))
      .sort();
  } catch {
    return [];
  }
}

export function loadHardware(spec: string): HardwareProfile {
  const isPath = spec.includes('/') || spec.includes('\\') || spec.endsWith('.json');
  const file = isPath ? spec : packagePath('data', 'hardware', `${spec.toLowerCase()}.json`);
  if (!existsSync(file)) {
    if (isPath) throw new DsabenchError('E_FILE_NOT_FOUND', 'hardware profile file not found', { file });
    throw new DsabenchError(
      'E_PROFILE',
      `unknown hardware "${spec}" (expected one of: ${listHardware().join(', ')}, or a path to a JSON file)`,
      { field: 'hardware' },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DsabenchError('E_PROFILE', `hardware profile is not valid JSON (${(e as Error).message})`, { file });
  }
  return validateHardware(raw, file);
}

export function validateHardware(raw: unknown, file = '<hardware>'): HardwareProfile {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new DsabenchError('E_PROFILE', 'expected a JSON object', { file });
  }
  const o = raw as Record<string, unknown>;
  const num = (key: string): number => {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new DsabenchError('E_PROFILE', `expected a positive number, got ${JSON.stringify(v)}`, { file, field: `/${key}` });
    }
    return v;
  };
  const str = (key: string): string => {
    const v = o[key];
    if (typeof v !== 'string' || v === '') {
      throw new DsabenchError('E_PROFILE', 'expected a non-empty string (say where the figures come from)', { file, field: `/${key}` });
    }
    return v;
  };
  let achieved: AchievedRates | undefined;
  if (o.achieved !== undefined) {
    if (typeof o.achieved !== 'object' || o.achieved === null) {
      throw new DsabenchError('E_PROFILE', 'expected an object', { file, field: '/achieved' });
    }
    const a = o.achieved as Record<string, unknown>;
    achieved = {};
    for (const key of ['dense_decode_flops', 'dense_decode_bytes_per_s', 'sparse_decode_flops', 'sparse_prefill_flops'] as const) {
      const v = a[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !(v > 0)) {
        throw new DsabenchError('E_PROFILE', `expected a positive number, got ${JSON.stringify(v)}`, { file, field: `/achieved/${key}` });
      }
      achieved[key] = v;
    }
    if (typeof a.source === 'string') achieved.source = a.source;
  }
  return {
    name: str('name'),
    description: typeof o.description === 'string' ? o.description : undefined,
    peak_bf16_flops: num('peak_bf16_flops'),
    peak_fp8_flops: num('peak_fp8_flops'),
    hbm_bytes_per_s: num('hbm_bytes_per_s'),
    price_per_hour: num('price_per_hour'),
    source: str('source'),
    achieved,
  };
}
