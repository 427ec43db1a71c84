import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadKafkaSettings, parseDuration, ReadingProducer, type KafkaSettings } from '../../../shared/adapters/index.js';
import { ConfigError } from '../../../shared/errors.js';
import { parseReading, RecordValidationError, type Reading } from '../../../shared/readings/index.js';
import { SensorSimulator } from '../../local/simulator.js';
import { positiveInt, UsageError, type Command } from '../command.js';

const USAGE = `usage: tideline produce [source] [kafka options]

Sends readings to a real Kafka or MSK cluster (key = sensor_id, batched, compressed).

source (simulated by default):
  --sensors N            simulated sensors (default 200)
  --hz R                 readings per second per sensor (default 1)
  --duration 60s         how much event time to simulate (default 60s)
  --fast                 send as fast as the cluster takes them (event times stay spaced by 1/hz)
  --anomaly-rate P       share of readings with an injected anomaly (default 0.002)
  --file FILE            instead: readings from a JSON-lines file, one reading per line
                         ({"sensor_id": "pump-7", "ts": "2026-11-25T06:00:00Z", "temperature": 71.2, …}),
                         all validated before the first is sent
  --count N              stop after N readings

kafka options (each overrides its variable; the rest come from the environment):
  --topic T              (TOPIC_READINGS, default sensor_readings)
  --brokers H:P,…        (KAFKA_BROKERS)      --msk-arn ARN      (MSK_CLUSTER_ARN)
  --auth MODE            (KAFKA_AUTH: none, plain, scram-sha-256, scram-sha-512, iam)
  --tls true|false       (KAFKA_TLS)          --compression gzip|none (KAFKA_COMPRESSION)
  --batch-size N         readings per request (default 500)
  --linger-ms MS         longest a reading waits to be sent (default 50)
  SASL secrets only from KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD; TLS files from KAFKA_TLS_CA_FILE,
  KAFKA_TLS_CERT_FILE, KAFKA_TLS_KEY_FILE; IAM uses the default AWS credential chain and AWS_REGION.
`;

const OPTION_OF: Record<string, string> = {
  KAFKA_BROKERS: '--brokers',
  MSK_CLUSTER_ARN: '--msk-arn',
  KAFKA_AUTH: '--auth',
  KAFKA_TLS: '--tls',
  KAFKA_COMPRESSION: '--compression',
};

/** Reads and validates a JSON-lines file of readings; the first bad line stops everything before anything is sent. */
export async function readingsFromFile(file: string, now: number): Promise<Reading[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--file: cannot read "${file}": ${(e as Error).message}`);
  }
  const readings: Reading[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    try {
      readings.push(parseReading(JSON.parse(line), now));
    } catch (e) {
      const reason = e instanceof RecordValidationError ? e.reason : `not JSON: ${(e as Error).message}`;
      throw new UsageError(`--file ${file}, line ${i + 1}: ${reason}; nothing was sent`);
    }
  }
  if (readings.length === 0) throw new UsageError(`--file: "${file}" holds no readings`);
  return readings;
}

/** Simulated readings from `start`, every 1/hz seconds for every sensor, paced to the wall clock unless `fast`. */
async function* simulated(sim: SensorSimulator, start: number, durationMs: number, hz: number, fast: boolean): AsyncGenerator<Reading> {
  const step = 1000 / hz;
  for (let ts = start; ts < start + durationMs; ts += step) {
    const wait = ts - Date.now();
    if (!fast && wait > 0) await new Promise((r) => setTimeout(r, wait));
    for (let i = 0; i < sim.sensorIds.length; i++) yield sim.reading(i, Math.round(ts)).reading;
  }
}

async function* fromArray(readings: readonly Reading[]): AsyncGenerator<Reading> {
  yield* readings;
}

export default {
  summary: 'send simulated or file readings to a real Kafka/MSK cluster with kafkajs (--file, --brokers | --msk-arn, --help)',
  async run(args) {
    let values: Record<string, string | boolean | undefined>;
    try {
      ({ values } = parseArgs({
        args,
        strict: true,
        options: {
          sensors: { type: 'string', default: '200' },
          hz: { type: 'string', default: '1' },
          duration: { type: 'string', default: '60s' },
          fast: { type: 'boolean', default: false },
          'anomaly-rate': { type: 'string', default: '0.002' },
          file: { type: 'string' },
          count: { type: 'string' },
          topic: { type: 'string' },
          brokers: { type: 'string' },
          'msk-arn': { type: 'string' },
          auth: { type: 'string' },
          tls: { type: 'string' },
          compression: { type: 'string' },
          'batch-size': { type: 'string', default: '500' },
          'linger-ms': { type: 'string', default: '50' },
          help: { type: 'boolean', default: false },
        },
      }));
    } catch (e) {
      throw new UsageError(`${(e as Error).message}\n${USAGE}`);
    }
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const hz = Number(values.hz);
    if (!(hz > 0)) throw new UsageError(`--hz must be a number > 0, got "${values.hz}"`);
    const anomalyRate = Number(values['anomaly-rate']);
    if (!(anomalyRate >= 0 && anomalyRate <= 1)) throw new UsageError(`--anomaly-rate must be between 0 and 1, got "${values['anomaly-rate']}"`);
    const count = values.count === undefined ? Infinity : positiveInt(values.count as string, '--count');
    const batchSize = positiveInt(values['batch-size'] as string, '--batch-size');
    const lingerMs = Number(values['linger-ms']);
    if (!(lingerMs >= 0)) throw new UsageError(`--linger-ms must be a number ≥ 0, got "${values['linger-ms']}"`);

    let settings: KafkaSettings;
    try {
      settings = loadKafkaSettings(process.env, {
        KAFKA_BROKERS: values.brokers as string | undefined,
        MSK_CLUSTER_ARN: values['msk-arn'] as string | undefined,
        KAFKA_AUTH: values.auth as string | undefined,
        KAFKA_TLS: values.tls as string | undefined,
        KAFKA_COMPRESSION: values.compression as string | undefined,
      });
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(OPTION_OF[e.variable] ? `${e.message} (set ${OPTION_OF[e.variable]} or ${e.variable})` : e.message);
      throw e;
    }
    const topic = (values.topic as string | undefined) ?? process.env.TOPIC_READINGS ?? 'sensor_readings';

    // A file is read and validated whole before connecting, so a bad line sends nothing.
    let source: AsyncGenerator<Reading>;
    if (values.file !== undefined) {
      source = fromArray(await readingsFromFile(values.file as string, Date.now()));
    } else {
      let durationMs: number;
      try {
        durationMs = parseDuration(values.duration as string, '--duration');
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const sim = new SensorSimulator({ sensors: positiveInt(values.sensors as string, '--sensors'), anomalyRate });
      const start = values.fast ? Date.now() - durationMs : Date.now();
      source = simulated(sim, start, durationMs, hz, values.fast === true);
    }

    const producer = await ReadingProducer.connect({ settings, topic, batchSize, lingerMs });
    const log = (s: string) => process.stderr.write(`${s}\n`);
    log(`producing to ${topic} on ${producer.brokers.join(',')} (auth ${settings.auth}, TLS ${settings.tls}, compression ${settings.compression})`);
    let stopped = false;
    const onSignal = () => {
      stopped = true;
    };
    process.once('SIGINT', onSignal);
    const started = performance.now();
    let sent = 0;
    let lastReport = started;
    try {
      for await (const reading of source) {
        if (stopped || sent >= count) break;
        await producer.send(reading);
        sent++;
        if (performance.now() - lastReport > 5000) {
          lastReport = performance.now();
          log(`… ${sent.toLocaleString('en-US')} readings handed over, ${producer.stats.readings.toLocaleString('en-US')} acknowledged`);
        }
      }
    } finally {
      process.off('SIGINT', onSignal);
      await producer.close();
    }
    const seconds = (performance.now() - started) / 1000;
    const s = producer.stats;
    process.stdout.write(
      `sent ${s.readings.toLocaleString('en-US')} readings to ${topic} in ${s.requests} requests (${(s.bytes / 1e6).toFixed(2)} MB before compression, ${Math.round(s.readings / Math.max(seconds, 1e-3)).toLocaleString('en-US')} readings/s)\n`,
    );
    return 0;
  },
} satisfies Command;
