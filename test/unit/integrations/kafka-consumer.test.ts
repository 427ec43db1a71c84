import { describe, expect, it } from 'vitest';
import kafkajs, { type KafkaMessage } from 'kafkajs';
import { deliverBatch, mskEventsFromBatch, partitionForKey, readingMessage, type MskEventOptions } from '../../../shared/adapters/index.js';
import { isMskEvent, partitionBatches, readReading, type MskEvent } from '../../../shared/readings/index.js';
import { readingFactory, T0 } from '../../helpers/factories.js';

const OPTIONS: MskEventOptions = { eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/c/1', bootstrapServers: 'b-1:9098,b-2:9098' };

/** A message as kafkajs hands it to eachBatch: Buffers, string offsets and timestamps. */
function kafkaMessage(offset: number, overrides: Partial<KafkaMessage> = {}): KafkaMessage {
  const reading = readingFactory({ sensor_id: `sensor-${offset % 3}`, ts: T0 + offset * 1000 });
  const m = readingMessage(reading, T0 + offset * 1000);
  return {
    key: Buffer.from(m.key as string),
    value: Buffer.from(m.value as string),
    timestamp: String(T0 + offset * 1000),
    attributes: 0,
    offset: String(offset),
    headers: {},
    ...overrides,
  } as KafkaMessage;
}

function batchOf(messages: KafkaMessage[], partition = 3) {
  return { topic: 'sensor_readings', partition, messages };
}

/** The parts of kafkajs' EachBatchPayload that delivery uses, recording what it is asked to do. */
function payloadFor(messages: KafkaMessage[], state: { running?: boolean } = {}) {
  const calls: string[] = [];
  return {
    calls,
    payload: {
      batch: { ...batchOf(messages), highWatermark: '0', isEmpty: () => false, firstOffset: () => null, lastOffset: () => '0', offsetLag: () => '0', offsetLagLow: () => '0' },
      resolveOffset: (o: string) => void calls.push(`resolve ${o}`),
      heartbeat: async () => void calls.push('heartbeat'),
      isRunning: () => state.running ?? true,
      isStale: () => false,
    },
  };
}

describe('mskEventsFromBatch', () => {
  it('builds the event an MSK event source mapping delivers', () => {
    const [event] = mskEventsFromBatch(batchOf([kafkaMessage(7, { headers: { trace: Buffer.from('ab'), tag: ['x', 'y'] } })]), OPTIONS);
    expect(isMskEvent(event)).toBe(true);
    expect(event).toEqual({
      eventSource: 'aws:kafka',
      eventSourceArn: OPTIONS.eventSourceArn,
      bootstrapServers: 'b-1:9098,b-2:9098',
      records: {
        'sensor_readings-3': [
          {
            topic: 'sensor_readings',
            partition: 3,
            offset: 7,
            timestamp: T0 + 7000,
            timestampType: 'CREATE_TIME',
            key: Buffer.from('sensor-1').toString('base64'),
            value: expect.any(String),
            headers: [{ trace: [97, 98] }, { tag: [120] }, { tag: [121] }],
          },
        ],
      },
    });
    const record = event.records['sensor_readings-3'][0];
    expect(readReading(record.key ?? null, record.value ?? null, record.timestamp)).toEqual(readingFactory({ sensor_id: 'sensor-1', ts: T0 + 7000 }));
  });

  it('keeps null keys and values as null, and marks log-append timestamps', () => {
    const m = Object.assign(kafkaMessage(1, { key: null, value: null }), { batchContext: { timestampType: 1 } });
    const record = mskEventsFromBatch(batchOf([m]), OPTIONS)[0].records['sensor_readings-3'][0];
    expect(record).toMatchObject({ key: null, value: null, timestampType: 'LOG_APPEND_TIME' });
  });

  it('splits a large batch into events of at most maxRecords, in offset order', () => {
    const events = mskEventsFromBatch(batchOf(Array.from({ length: 25 }, (_, i) => kafkaMessage(100 + i))), { ...OPTIONS, maxRecords: 10 });
    expect(events.map((e) => e.records['sensor_readings-3'].map((r) => r.offset))).toEqual([
      Array.from({ length: 10 }, (_, i) => 100 + i),
      Array.from({ length: 10 }, (_, i) => 110 + i),
      Array.from({ length: 5 }, (_, i) => 120 + i),
    ]);
  });

  it('splits by size so no event passes maxBytes', () => {
    const events = mskEventsFromBatch(batchOf(Array.from({ length: 10 }, (_, i) => kafkaMessage(i))), { ...OPTIONS, maxBytes: 1000 });
    expect(events.length).toBeGreaterThan(1);
    expect(events.flatMap((e) => e.records['sensor_readings-3'].map((r) => r.offset))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('leaves out transaction control records', () => {
    const control = Object.assign(kafkaMessage(2), { isControlRecord: true });
    const [event] = mskEventsFromBatch(batchOf([kafkaMessage(1), control, kafkaMessage(3)]), OPTIONS);
    expect(partitionBatches(event)[0].records.map((r) => r.offset)).toEqual([1, 3]);
  });
});

describe('deliverBatch', () => {
  it('commits the offset after each event only once the handler returned', async () => {
    const { payload, calls } = payloadFor(Array.from({ length: 5 }, (_, i) => kafkaMessage(40 + i)));
    const handler = async (e: MskEvent) => void calls.push(`handle ${Object.values(e.records)[0].length}`);
    const commit = async (p: { topic: string; partition: number; offset: string }) => void calls.push(`commit ${p.topic}-${p.partition}@${p.offset}`);
    const delivered = await deliverBatch(payload, handler, commit, { ...OPTIONS, maxRecords: 3 });
    expect(delivered).toBe(5);
    expect(calls).toEqual([
      'handle 3', 'resolve 42', 'commit sensor_readings-3@43', 'heartbeat',
      'handle 2', 'resolve 44', 'commit sensor_readings-3@45', 'heartbeat',
    ]);
  });

  it('commits nothing for an event whose handler throws, so it is delivered again', async () => {
    const { payload, calls } = payloadFor(Array.from({ length: 4 }, (_, i) => kafkaMessage(i)));
    let n = 0;
    const handler = async () => {
      if (++n === 2) throw new Error('DynamoDB throttled');
    };
    const commit = async (p: { offset: string }) => void calls.push(`commit ${p.offset}`);
    await expect(deliverBatch(payload, handler, commit, { ...OPTIONS, maxRecords: 2 })).rejects.toThrow('DynamoDB throttled');
    expect(calls).toEqual(['resolve 1', 'commit 2', 'heartbeat']);
  });

  it('stops handing over events when the consumer is stopping', async () => {
    const { payload, calls } = payloadFor([kafkaMessage(1)], { running: false });
    expect(await deliverBatch(payload, async () => void calls.push('handle'), async () => undefined, OPTIONS)).toBe(0);
    expect(calls).toEqual([]);
  });
});

describe('the producer\'s partitioner', () => {
  it('places a sensor on the same partition as the embedded stream does', () => {
    const partitioner = kafkajs.Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 12 }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    for (let i = 0; i < 200; i++) {
      const key = `sensor-${String(i).padStart(5, '0')}`;
      expect(partitioner({ topic: 'sensor_readings', partitionMetadata, message: { key, value: '{}' } })).toBe(partitionForKey(key, 12));
    }
  });
});
