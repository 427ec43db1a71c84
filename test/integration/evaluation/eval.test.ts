import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../..');
// On CI machines the shared data sits beside the checkout.
const SKAB = resolve(ROOT, '../shared/data/skab/data/valve1');

/** Runs the real CLI against the shared DynamoDB Local; resolves with stdout, stderr and the exit code. */
async function tideline(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'infra/cli/tideline.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DYNAMODB_ENDPOINT: inject('dynamodbEndpoint') },
      maxBuffer: 16 * 2 ** 20,
    });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

const lastJsonLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, unknown>;

describe('tideline eval skab on SKAB files, through the real pipeline', () => {
  let dir: string;
  beforeAll(async () => {
    if (!existsSync(SKAB)) throw new Error(`SKAB data not found at ${SKAB}: the shared data directory must sit beside the checkout (../shared/data)`);
    // Two files by link, so the data is read in place and never copied.
    dir = await mkdtemp(join(tmpdir(), 'tideline-skab-'));
    for (const f of ['3.csv', '5.csv']) await symlink(join(SKAB, f), join(dir, f));
  });

  it('prints one JSON object last with pooled F1, FAR and MAR that agree with its counts', async () => {
    const { stdout, code } = await tideline('eval', 'skab', dir, '--json', '--per-file', '--sweep', '4,5,6');
    expect(code).toBe(0);
    const r = lastJsonLine(stdout);
    // valve1/3.csv has 1148 rows and valve1/5.csv 1154; the first 400 of each are history.
    expect(r).toMatchObject({ benchmark: 'skab', files: 2, readings: 748 + 754, changepoints: 8 });
    const { tp, fp, fn, tn } = r as { tp: number; fp: number; fn: number; tn: number };
    expect(tp + fp + fn + tn).toBe(r.readings);
    expect(tp + fn).toBe(404 + 403); // the anomalous rows SKAB labels in the scored parts
    expect(r.f1).toBeCloseTo((2 * tp) / (2 * tp + fp + fn), 4);
    expect(r.far).toBeCloseTo(fp / (fp + tn), 4);
    expect(r.mar).toBeCloseTo(fn / (fn + tp), 4);
    expect(r.per_file).toHaveLength(2);
    // Sanity: the flow-rate channel gives the valve fault away in both files.
    expect(r.f1 as number).toBeGreaterThan(0.7);
    expect(r.far as number).toBeLessThan(0.1);
    expect(r.channels).toContain('Volume_Flow_RateRMS');
    // The sweep replays the decisions: at the default channel critical z it gives the run's own counts.
    expect(r.channel_critical_z).toBe(5);
    const sweep = r.sweep as { channel_critical_z: number; tp: number; fp: number; fn: number; tn: number }[];
    expect(sweep.map((p) => p.channel_critical_z)).toEqual([4, 5, 6]);
    expect(sweep[1]).toMatchObject({ tp, fp, fn, tn });
    // A higher threshold never raises more alerts.
    expect(sweep[0].tp + sweep[0].fp).toBeGreaterThanOrEqual(sweep[1].tp + sweep[1].fp);
    expect(sweep[1].tp + sweep[1].fp).toBeGreaterThanOrEqual(sweep[2].tp + sweep[2].fp);
    const heldOut = r.held_out as { folds: { files: number[] }[] };
    expect(heldOut.folds.map((f) => f.files)).toEqual([[0], [1]]);
  }, 180_000);

  it('rejects a sweep value that is not a number', async () => {
    const { stderr, code } = await tideline('eval', 'skab', dir, '--sweep', '4,five');
    expect(code).not.toBe(0);
    expect(stderr).toContain('--sweep takes channel critical z values separated by commas, e.g. 3,4,5,6; "five" is not a number ≥ 0');
  }, 60_000);

  it('judges a file without labels as normal operation only when asked, apart from the pooled figures', async () => {
    const normal = await mkdtemp(join(tmpdir(), 'tideline-skab-normal-'));
    // 500 rows a second apart of steady readings with a little deterministic noise; no label columns.
    const rows = ['datetime;Accelerometer1RMS;Pressure;Temperature;Volume Flow RateRMS'];
    for (let i = 0; i < 500; i++) {
      const t = new Date(Date.UTC(2020, 1, 8, 13, 0, i)).toISOString().slice(0, 19).replace('T', ' ');
      const wiggle = ((i * 7919) % 13) / 13 - 0.5;
      rows.push(`${t};${0.2 + 0.001 * wiggle};${0.1 + 0.2 * wiggle};${90 + 0.1 * wiggle};${32 + wiggle}`);
    }
    await writeFile(join(normal, 'steady.csv'), `${rows.join('\r\n')}\r\n`);
    const skipped = await tideline('eval', 'skab', normal);
    expect(skipped.code).not.toBe(0);
    expect(skipped.stderr).toContain('(--normal-files also judges files without labels)');

    const { stdout, code } = await tideline('eval', 'skab', normal, '--normal-files', '--json');
    expect(code).toBe(0);
    const r = lastJsonLine(stdout);
    expect(r).toMatchObject({ files: 0, readings: 0, history_rows: 400 });
    const [file] = r.normal_files as { file: string; readings: number; fp: number; far: number }[];
    expect(file).toMatchObject({ file: 'steady.csv', readings: 100 });
    expect(file.far).toBeCloseTo(file.fp / 100, 4);
    expect(file.fp).toBeLessThan(10);
  }, 120_000);

  it('says how many rows a file needs for the history it is given', async () => {
    const { stderr, code } = await tideline('eval', 'skab', dir, '--history-rows', '5000');
    expect(code).not.toBe(0);
    expect(stderr).toContain(`${join(dir, '3.csv')} has 1148 rows; SKAB files need more than 5000 (the first 5000 are history)`);
  }, 60_000);

  it('names the file and line of a malformed benchmark file', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'tideline-skab-bad-'));
    const file = join(bad, 'broken.csv');
    await writeFile(
      file,
      'datetime;Pressure;Temperature;Accelerometer1RMS;anomaly;changepoint\r\n2020-03-09 10:14:33;0.05;79.3;0.02;0.0;0.0\r\n2020-03-09 10:14:34;n/a;79.3;0.02;0.0;0.0\r\n',
    );
    const { stderr, code } = await tideline('eval', 'skab', bad);
    expect(code).toBe(1);
    expect(stderr).toContain(`tideline: ${file}:3: Pressure "n/a" is not a finite number`);
  }, 120_000);
});

describe('tideline eval nab on a hand-made series', () => {
  it('catches the labelled window and scores it with NAB\'s standard profile', async () => {
    // 5,000 readings every 5 minutes (about 17 days) of a daily temperature cycle; probation: 750 rows.
    // One failure: the temperature climbs 12 degrees above its cycle for 6 hours on day 12.
    const dir = await mkdtemp(join(tmpdir(), 'tideline-nab-'));
    const start = Date.UTC(2013, 11, 2, 0, 0);
    const step = 300_000;
    const faultStart = start + 12 * 86_400_000;
    const rows = ['timestamp,value'];
    let seed = 1;
    const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.4;
    const stamp = (t: number) => new Date(t).toISOString().slice(0, 19).replace('T', ' ');
    for (let i = 0; i < 5000; i++) {
      const t = start + i * step;
      const daily = 70 + 3 * Math.sin((2 * Math.PI * (t % 86_400_000)) / 86_400_000);
      const fault = t >= faultStart && t < faultStart + 6 * 3_600_000 ? 12 : 0;
      rows.push(`${stamp(t)},${(daily + fault + noise()).toFixed(3)}`);
    }
    await writeFile(join(dir, 'machine_temperature.csv'), `${rows.join('\n')}\n`);
    const window = [stamp(faultStart - 12 * 3_600_000) + '.000000', stamp(faultStart + 12 * 3_600_000) + '.000000'];
    await writeFile(join(dir, 'combined_windows.json'), JSON.stringify({ 'realKnownCause/machine_temperature.csv': [window] }));

    const { stdout, code } = await tideline('eval', 'nab', join(dir, 'machine_temperature.csv'), join(dir, 'combined_windows.json'), '--json');
    expect(code).toBe(0);
    const r = lastJsonLine(stdout);
    expect(r).toMatchObject({ benchmark: 'nab', rows: 5000, probationary_rows: 750, windows: 1, windows_caught: 1 });
    // Caught at the fault's onset, 12 h before the window ends.
    expect((r.lead_hours as number[])[0]).toBeCloseTo(12, 0);
    expect(r.false_alerts as number).toBeLessThanOrEqual(2);
    expect(r.nab_score as number).toBeGreaterThan(50);
  }, 300_000);
});
