import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, waitFor } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../../..');

const children: ChildProcess[] = [];
const dataDirs: string[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  // Whatever a failed assertion left behind, so one failure does not leak a JVM into the next run.
  for (const dir of dataDirs) {
    for (const pid of await processesMentioning(dir)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

/** Pids of live processes whose command line mentions `text` (DynamoDB Local names its -dbPath there). */
async function processesMentioning(text: string): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    // A zombie has an empty command line: it has exited.
    if (cmdline.includes(text)) out.push(Number(entry));
  }
  return out;
}

/** `tideline start` as its own process with the simulator producing, resolved once /health answers. */
async function startRuntime(dataDir: string) {
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
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
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
  return { child, url, apiKey, exited, output: () => out };
}

async function freshDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tideline-shutdown-'));
  dataDirs.push(dir);
  return dir;
}

describe('stopping the local runtime', () => {
  it('leaves no DynamoDB Local running after one Ctrl-C, and forgets it', async () => {
    const dataDir = await freshDataDir();
    const runtime = await startRuntime(dataDir);
    await waitFor(async () => ((await api<{ executor: { batches: number } }>(runtime, 'GET', '/local/status')).executor.batches > 0 ? true : null), 60_000);
    expect(await processesMentioning(join(dataDir, 'dynamodb'))).toHaveLength(1);

    runtime.child.kill('SIGINT');
    expect(await runtime.exited).toBe(0);
    expect(runtime.output()).toContain('stopped');
    expect(await processesMentioning(dataDir)).toEqual([]);
    await expect(access(join(dataDir, 'dynamodb.json'))).rejects.toThrow(/ENOENT/);
  }, 240_000);

  it('leaves no DynamoDB Local running after a second Ctrl-C quits at once', async () => {
    const dataDir = await freshDataDir();
    const runtime = await startRuntime(dataDir);
    await waitFor(async () => ((await api<{ executor: { batches: number } }>(runtime, 'GET', '/local/status')).executor.batches > 0 ? true : null), 60_000);
    const [emulator] = await processesMentioning(join(dataDir, 'dynamodb'));
    expect(emulator).toBeGreaterThan(0);

    runtime.child.kill('SIGINT');
    await waitFor(async () => (runtime.output().includes('Ctrl-C again to quit at once') ? true : null), 10_000, 5);
    runtime.child.kill('SIGINT');
    expect(await runtime.exited).toBe(130);
    expect(runtime.output()).toContain('stopping now');
    // The emulator gets SIGKILL as the runtime exits; the kernel reaps it within moments.
    await waitFor(async () => ((await processesMentioning(dataDir)).length === 0 ? true : null), 5_000, 50);
    await expect(access(join(dataDir, 'dynamodb.json'))).rejects.toThrow(/ENOENT/);
  }, 240_000);
});
