import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import plan from '../../../infra/cli/commands/plan.js';
import { UsageError } from '../../../infra/cli/command.js';

/** Runs `tideline plan ARGS` in-process and returns what it printed. */
async function tideline(args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const code = await plan.run(args);
  return { code, stdout };
}

describe('tideline plan', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints one JSON object on the last line with --json', async () => {
    const { code, stdout } = await tideline(['--sensors', '100000', '--hz', '1', '--record-bytes', '120', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(result).toMatchObject({ partitions: expect.any(Number), batch_size: expect.any(Number), concurrency: expect.any(Number), monthly_cost: expect.any(Number) });
    expect(result.readings_per_s).toBe(100_000);
  });

  it('uses the measured figures of a bench run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tideline-plan-'));
    const bench = join(dir, 'bench.jsonl');
    await writeFile(bench, `${JSON.stringify({ name: 'ingest.readings_per_s', value: 25000, unit: 'readings/s', target: '>= 10000' })}\n`);
    const { code, stdout } = await tideline(['--sensors', '100000', '--gb-per-hour', '50', '--bench', bench]);
    expect(code).toBe(0);
    expect(stdout).toContain('Workload        115,741 readings/s · 13.89 MB/s · 50 GB/hour');
    expect(stdout).toContain('measured: ingest.readings_per_s = 25000 readings/s');
    expect(stdout).toContain('(from --bench: ingest.readings_per_s)');
  });

  it.each([
    [['--hz', '1'], '--sensors is required'],
    [['--sensors', '10'], 'give exactly one of --hz and --gb-per-hour'],
    [['--sensors', 'many', '--hz', '1'], '--sensors must be a number, got "many"'],
    [['--sensors', '10', '--hz', '1', '--prices', '/nonexistent.json'], '--prices: /nonexistent.json: (file) cannot be read'],
    [['--sensors', '10', '--hz', '1', '--bench', '/nonexistent.jsonl'], '--bench: cannot read "/nonexistent.jsonl"'],
    [['--sensors', '10', '--hz', '1', '--sensorz', '3'], "Unknown option '--sensorz'"],
  ])('rejects %j as a usage error naming the option', async (args, message) => {
    const running = tideline(args);
    await expect(running).rejects.toThrow(UsageError);
    await expect(running).rejects.toThrow(message);
  });
});
