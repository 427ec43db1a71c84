import { parseArgs } from 'node:util';
import { positiveInt, type Command } from '../command.js';
import { makeExecutorHandler } from '../../../functions/executor/executor.js';
import { reflectionFromReadings } from '../../../shared/reflections/index.js';
import { toMskEvent, type ProducedRecord, type Reading } from '../../../shared/readings/index.js';
import { SensorSimulator } from '../../local/simulator.js';
import { startLocalStores } from '../../local/stores.js';

const DAY = 86_400_000;
const PARTITIONS = 4;

function partitionOf(sensorId: string): number {
  let h = 0;
  for (let i = 0; i < sensorId.length; i++) h = (h * 31 + sensorId.charCodeAt(i)) | 0;
  return Math.abs(h) % PARTITIONS;
}

/**
 * `tideline start`: DynamoDB Local and the lake under the data directory, 30 simulated days of
 * history materialised as reflections, then live simulated readings (with injected anomalies and
 * malformed records) through the executor handler in MSK-shaped batches; prints what it judged.
 */
async function start(args: { sensors: number; minutes: number }): Promise<void> {
  const stores = await startLocalStores();
  const log = (s: string) => process.stdout.write(`${s}\n`);
  try {
    log(`Tideline local · data in ${stores.dataDir} · DynamoDB Local at ${stores.dynamodb.endpoint}`);
    const sim = new SensorSimulator({ sensors: args.sensors });
    const now = Date.now();
    if (!(await stores.ports.reflections.currentPointer())) {
      log(`seeding 30 days of history for ${args.sensors} sensors …`);
      const bySensor = new Map<string, Reading[]>();
      for (const r of sim.history(now - 30 * DAY, now - args.minutes * 60_000, 300_000)) {
        let list = bySensor.get(r.sensor_id);
        if (!list) bySensor.set(r.sensor_id, (list = []));
        list.push(r);
      }
      const version = `seed-${now}`;
      await stores.ports.reflections.putReflections(
        [...bySensor].map(([id, list]) => reflectionFromReadings(id, version, list, now)),
        now + 30 * DAY,
      );
      await stores.ports.reflections.flipPointer({ version, refreshedAt: now, windowEnd: now }, null);
    }
    const executor = makeExecutorHandler({ ports: stores.ports, config: stores.config });
    const offsets = new Map<number, number>();
    let batch: ProducedRecord[] = [];
    let injected = 0;
    const totals = { processed: 0, deadLetters: 0, critical: 0, alertsOpened: 0 };
    const flush = async () => {
      if (batch.length === 0) return;
      const r = await executor(toMskEvent(batch));
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r[k];
      batch = [];
    };
    const produce = (key: string, value: string, ts: number) => {
      const partition = partitionOf(key);
      const offset = (offsets.get(partition) ?? (now % 1_000_000_000) * 10) + 1;
      offsets.set(partition, offset);
      batch.push({ topic: 'sensor_readings', partition, offset, timestamp: ts, key, value });
    };
    for (let ts = now - args.minutes * 60_000; ts < now; ts += 10_000) {
      for (let i = 0; i < sim.sensorIds.length; i++) {
        const { reading, injected: inj } = sim.reading(i, ts);
        if (inj) injected++;
        produce(reading.sensor_id, JSON.stringify({ ...reading, ts: new Date(reading.ts).toISOString() }), ts);
      }
      // A malformed record now and then, to show that it becomes a dead letter with its reason.
      produce(sim.sensorIds[0], '{"sensor_id": "sensor-00000", "ts": "yesterday"}', ts);
      if (batch.length >= 10_000) await flush();
    }
    await flush();
    log(`judged ${totals.processed} readings (${injected} injected anomalies): ${totals.critical} critical, ${totals.alertsOpened} alerts opened, ${totals.deadLetters} dead letters`);
    log(`lake: ${stores.config.lakeDir}/readings (Parquet, hour partitions)`);
  } finally {
    await stores.stop();
  }
}


export default {
  summary: 'run Tideline locally on embedded defaults (--sensors N, --minutes M)',
  async run(args) {
    const { values } = parseArgs({ args, options: { sensors: { type: 'string', default: '200' }, minutes: { type: 'string', default: '10' } } });
    await start({ sensors: positiveInt(values.sensors, '--sensors'), minutes: positiveInt(values.minutes, '--minutes') });
    return 0;
  },
} satisfies Command;
