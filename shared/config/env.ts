import { ConfigError } from '../errors.js';

/**
 * Typed reads of configuration. Precedence everywhere: an explicit argument, then the
 * environment variable, then the documented default. A malformed value fails at cold start
 * naming the variable.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export function stringVar(env: Env, name: string, fallback?: string): string {
  const v = env[name];
  if (v !== undefined && v !== '') return v;
  if (fallback === undefined) throw new ConfigError(name, 'is required and not set');
  return fallback;
}

export function optionalStringVar(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

export function numberVar(env: Env, name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new ConfigError(name, `must be a number, got "${raw}"`);
  if (range.min !== undefined && n < range.min) throw new ConfigError(name, `must be ≥ ${range.min}, got ${n}`);
  if (range.max !== undefined && n > range.max) throw new ConfigError(name, `must be ≤ ${range.max}, got ${n}`);
  return n;
}
