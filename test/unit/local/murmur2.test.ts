import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../../shared/adapters/index.js';

// Vectors of Kafka's own UtilsTest.testMurmur2 (the Java client).
const JAVA_VECTORS: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

type KafkajsPartitioner = (args: { topic: string; partitionMetadata: { partitionId: number; leader: number }[]; message: { key: string } }) => number;

describe('murmur2 partitioner', () => {
  it.each(JAVA_VECTORS)('hashes "%s" as the Java client does (%i)', (key, hash) => {
    expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  it('picks the partition kafkajs DefaultPartitioner picks, for every sensor key and partition count', () => {
    const { Partitioners } = createRequire(import.meta.url)('kafkajs') as { Partitioners: { DefaultPartitioner: () => KafkajsPartitioner } };
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 4, 12, 50]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0 }));
      for (let i = 0; i < 500; i++) {
        const key = `sensor-${String(i).padStart(5, '0')}`;
        expect(partitionForKey(key, partitions)).toBe(kafkajs({ topic: 't', partitionMetadata, message: { key } }));
      }
    }
  });

  it('masks the sign bit rather than taking the absolute value of a negative hash', () => {
    // murmur2("21") = -973932308: toPositive gives 1173551340 (Math.abs would give 973932308).
    expect(partitionForKey('21', 1_000_000_007)).toBe(1173551340 % 1_000_000_007);
    expect(partitionForKey(Buffer.from('21'), 7)).toBe(1173551340 % 7);
  });
});
