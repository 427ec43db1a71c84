import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
/** Calls the local runtime's HTTP API with its key; throws with the API's message on a non-2xx. */
export async function api<T>(runtime: { url: string; apiKey: string }, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${runtime.url}${path}`, {
    method,
    headers: { 'x-api-key': runtime.apiKey, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Polls `probe` until it returns a non-null value, or fails after `timeoutMs` with the last error. */
export async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await probe();
      if (v !== null) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** `tideline start` running as its own process. */
export interface RuntimeProcess {
  readonly process: ChildProcess;
  readonly url: string;
  readonly apiKey: string;
  readonly output: () => string;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
}

const ROOT = resolve(import.meta.dirname, '../../..');

/**
 * Spawns `tideline start` (node itself, so its pid is the runtime's and a signal reaches only it)
 * on `dataDir` with a small simulator and no timers, `env` on top; resolves once /health answers.
 * `track` receives the child at once, so a caller's afterAll can kill it whatever happens next.
 */
export async function spawnRuntime(dataDir: string, env: Record<string, string>, track: (child: ChildProcess) => void): Promise<RuntimeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/cli/tideline.ts', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      TIDELINE_DATA_DIR: dataDir,
      TIDELINE_PORT: '0',
      TIDELINE_SENSORS: '20',
      TIDELINE_RATE: '200',
      TIDELINE_BACKFILL_DAYS: '0',
      TIDELINE_REFRESH_INTERVAL_S: '0',
      TIDELINE_COMPACTION_INTERVAL_S: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`runtime exited (${child.exitCode}): ${out.slice(-2000)}`);
    return /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? null;
  }, 180_000);
  const apiKey = /x-api-key: ([A-Za-z0-9_-]+)/.exec(out)![1];
  await waitFor(async () => ((await fetch(`${url}/health`)).ok ? true : null), 10_000);
  return { process: child, url, apiKey, output: () => out, exited };
}
