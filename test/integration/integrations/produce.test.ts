import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import produce from '../../../infra/cli/commands/produce.js';
import { UsageError } from '../../../infra/cli/command.js';
import { freePort, KafkaClientError } from '../../../shared/adapters/index.js';

/** `tideline produce ARGS` in-process, with only the given Kafka variables set. */
async function run(args: string[], env: Record<string, string> = {}) {
  for (const k of Object.keys(process.env).filter((k) => k.startsWith('KAFKA_') || k === 'MSK_CLUSTER_ARN')) vi.stubEnv(k, '');
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return produce.run(args);
}

async function jsonl(lines: string[]): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'tideline-produce-')), 'readings.jsonl');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

describe('tideline produce (no Kafka broker can run here)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('names KAFKA_BROKERS and --brokers when no cluster is configured', async () => {
    const running = run(['--count', '1']);
    await expect(running).rejects.toThrow(UsageError);
    await expect(running).rejects.toThrow('KAFKA_BROKERS: set KAFKA_BROKERS (host:port,…) or MSK_CLUSTER_ARN (set --brokers or KAFKA_BROKERS)');
  });

  it('validates the whole file before connecting, naming the bad line', async () => {
    const file = await jsonl([
      '{"sensor_id": "pump-7", "ts": "2026-11-25T06:00:00Z", "temperature": 71.2}',
      '{"sensor_id": "pump-7", "ts": "2026-11-25T06:00:10Z", "status": "BROKEN"}',
    ]);
    const running = run(['--file', file], { KAFKA_BROKERS: `127.0.0.1:${await freePort()}` });
    await expect(running).rejects.toThrow(UsageError);
    await expect(running).rejects.toThrow(`--file ${file}, line 2: status "BROKEN" is not one of OK, DEGRADED, FAILED`);
  });

  it('names KAFKA_BROKERS when the cluster does not answer', async () => {
    const file = await jsonl(['{"sensor_id": "pump-7", "ts": "2026-11-25T06:00:00Z", "temperature": 71.2}']);
    const port = await freePort();
    const running = run(['--file', file, '--brokers', `127.0.0.1:${port}`], { KAFKA_RETRIES: '0', KAFKA_CONNECTION_TIMEOUT_MS: '500' });
    await expect(running).rejects.toThrow(KafkaClientError);
    await expect(running).rejects.toThrow(`cannot reach Kafka at 127.0.0.1:${port}`);
  });

  it.each([
    [['--hz', '0'], '--hz must be a number > 0, got "0"'],
    [['--duration', 'forever'], '--duration: "forever" is not a duration'],
    [['--auth', 'kerberos'], 'KAFKA_AUTH: "kerberos" is not one of none, plain, scram-sha-256, scram-sha-512, iam (set --auth or KAFKA_AUTH)'],
  ])('rejects %j as a usage error', async (args, message) => {
    const running = run(args, { KAFKA_BROKERS: '127.0.0.1:9' });
    await expect(running).rejects.toThrow(UsageError);
    await expect(running).rejects.toThrow(message);
  });
});
