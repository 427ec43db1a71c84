import type { ChildProcess } from 'node:child_process';
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, spawnRuntime, waitFor } from './helpers.js';

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

async function freshDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tideline-shutdown-'));
  dataDirs.push(dir);
  return dir;
}

describe('stopping the local runtime', () => {
  it('leaves no DynamoDB Local running after one Ctrl-C, and forgets it', async () => {
    const dataDir = await freshDataDir();
    const runtime = await spawnRuntime(dataDir, {}, (c) => children.push(c));
    await waitFor(async () => ((await api<{ executor: { batches: number } }>(runtime, 'GET', '/local/status')).executor.batches > 0 ? true : null), 60_000);
    expect(await processesMentioning(join(dataDir, 'dynamodb'))).toHaveLength(1);

    runtime.process.kill('SIGINT');
    expect(await runtime.exited).toBe(0);
    expect(runtime.output()).toContain('stopped');
    expect(await processesMentioning(dataDir)).toEqual([]);
    await expect(access(join(dataDir, 'dynamodb.json'))).rejects.toThrow(/ENOENT/);
  }, 240_000);

  it('stops cleanly when its terminal closes (SIGHUP), leaving no DynamoDB Local running', async () => {
    const dataDir = await freshDataDir();
    const runtime = await spawnRuntime(dataDir, {}, (c) => children.push(c));
    await waitFor(async () => ((await api<{ executor: { batches: number } }>(runtime, 'GET', '/local/status')).executor.batches > 0 ? true : null), 60_000);
    expect(await processesMentioning(join(dataDir, 'dynamodb'))).toHaveLength(1);

    runtime.process.kill('SIGHUP');
    expect(await runtime.exited).toBe(0);
    expect(runtime.output()).toContain('stopped');
    expect(await processesMentioning(dataDir)).toEqual([]);
  }, 240_000);

  it('leaves no DynamoDB Local running after a second Ctrl-C quits at once', async () => {
    const dataDir = await freshDataDir();
    const runtime = await spawnRuntime(dataDir, {}, (c) => children.push(c));
    await waitFor(async () => ((await api<{ executor: { batches: number } }>(runtime, 'GET', '/local/status')).executor.batches > 0 ? true : null), 60_000);
    const [emulator] = await processesMentioning(join(dataDir, 'dynamodb'));
    expect(emulator).toBeGreaterThan(0);

    runtime.process.kill('SIGINT');
    await waitFor(async () => (runtime.output().includes('Ctrl-C again to quit at once') ? true : null), 10_000, 5);
    runtime.process.kill('SIGINT');
    expect(await runtime.exited).toBe(130);
    expect(runtime.output()).toContain('stopping now');
    // The emulator gets SIGKILL as the runtime exits; the kernel reaps it within moments.
    await waitFor(async () => ((await processesMentioning(dataDir)).length === 0 ? true : null), 5_000, 50);
    await expect(access(join(dataDir, 'dynamodb.json'))).rejects.toThrow(/ENOENT/);
  }, 240_000);
});
