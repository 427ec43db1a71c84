/**
 * Kafka's default partitioner: murmur2 (seed 0x9747b28c) of the key bytes, made positive by
 * masking the sign bit, modulo the partition count. The same hash as the Java client's
 * `Utils.murmur2` and kafkajs's `DefaultPartitioner`, so a key lands on the same partition
 * locally as on MSK. The DynamoDB reflection store spreads sensors over its pack items by the same
 * hash: one well-tested hash, not a second one.
 * @see https://github.com/apache/kafka/blob/trunk/clients/src/main/java/org/apache/kafka/common/utils/Utils.java
 */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * Kafka's murmur2 of `data` as a signed 32-bit integer (what Java's `Utils.murmur2` returns).
 * @example murmur2(Buffer.from('21')) // -973932308
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The tail bytes, as Java's switch with fall-through.
  const tail = length & 3;
  if (tail >= 3) h ^= data[whole + 2] << 16;
  if (tail >= 2) h ^= data[whole + 1] << 8;
  if (tail >= 1) {
    h ^= data[whole];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner picks for a non-null key among `partitions`. */
export function partitionForKey(key: Uint8Array | string, partitions: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  // Utils.toPositive: mask the sign bit (not Math.abs, which differs for negative hashes).
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}
