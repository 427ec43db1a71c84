import { readFile } from 'node:fs/promises';
import { TidelineError } from '../errors.js';

/** One MSK broker size: its hourly price and the sizing limits the plan holds it to. */
export interface BrokerPrice {
  readonly type: string;
  readonly hourly: number;
  /** Sustained ingress one broker of this size is planned for, MB/s (replication included in the guidance). */
  readonly ingress_mb_s: number;
  /** Partition replicas one broker of this size should hold at most. */
  readonly max_partitions: number;
}

/** List prices the plan costs a deployment at; the default file is shared/capacity/prices.json. */
export interface PriceTable {
  readonly source: string;
  readonly date: string;
  readonly region: string;
  readonly currency: string;
  readonly hours_per_month: number;
  readonly msk: { readonly storage_gb_month: number; readonly brokers: readonly BrokerPrice[] };
  readonly lambda: { readonly gb_second: number; readonly per_million_requests: number };
  readonly dynamodb: {
    readonly on_demand_per_million_writes: number;
    readonly on_demand_per_million_reads: number;
    readonly provisioned_wcu_hour: number;
    readonly provisioned_rcu_hour: number;
    readonly storage_gb_month: number;
  };
  readonly s3: { readonly storage_gb_month: number; readonly per_thousand_puts: number; readonly per_thousand_gets: number };
  readonly athena: { readonly per_tb_scanned: number; readonly min_bytes_per_query: number };
}

/** A price table that cannot be used; `path` is the JSON path of the offending entry. */
export class PriceTableError extends TidelineError {
  constructor(
    readonly file: string,
    readonly path: string,
    message: string,
  ) {
    super(`${file}: ${path} ${message}`);
  }
}

const NUMBER_PATHS = [
  'hours_per_month',
  'msk.storage_gb_month',
  'lambda.gb_second',
  'lambda.per_million_requests',
  'dynamodb.on_demand_per_million_writes',
  'dynamodb.on_demand_per_million_reads',
  'dynamodb.provisioned_wcu_hour',
  'dynamodb.provisioned_rcu_hour',
  'dynamodb.storage_gb_month',
  's3.storage_gb_month',
  's3.per_thousand_puts',
  's3.per_thousand_gets',
  'athena.per_tb_scanned',
  'athena.min_bytes_per_query',
] as const;

function at(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined), obj);
}

/** Checks a parsed price table, naming the file and the entry that is missing or wrong. */
export function validatePriceTable(value: unknown, file: string): PriceTable {
  for (const key of ['source', 'date', 'region', 'currency']) {
    if (typeof at(value, key) !== 'string') throw new PriceTableError(file, key, 'must be text (where and when the prices were taken)');
  }
  for (const path of NUMBER_PATHS) {
    const n = at(value, path);
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new PriceTableError(file, path, `must be a number ≥ 0, got ${JSON.stringify(n)}`);
  }
  const brokers = at(value, 'msk.brokers');
  if (!Array.isArray(brokers) || brokers.length === 0) throw new PriceTableError(file, 'msk.brokers', 'must list at least one broker size');
  brokers.forEach((b, i) => {
    if (typeof at(b, 'type') !== 'string') throw new PriceTableError(file, `msk.brokers[${i}].type`, 'must be text, e.g. "kafka.m7g.large"');
    for (const k of ['hourly', 'ingress_mb_s', 'max_partitions']) {
      const n = at(b, k);
      if (typeof n !== 'number' || !(n > 0)) throw new PriceTableError(file, `msk.brokers[${i}].${k}`, `must be a number > 0, got ${JSON.stringify(n)}`);
    }
  });
  return value as PriceTable;
}

/** The default price table's location. */
export const DEFAULT_PRICES_FILE = new URL('./prices.json', import.meta.url);

/** Reads and checks a price table (the default one when `file` is omitted). */
export async function loadPriceTable(file?: string): Promise<PriceTable> {
  const where = file ?? DEFAULT_PRICES_FILE;
  const name = file ?? 'shared/capacity/prices.json';
  let text: string;
  try {
    text = await readFile(where, 'utf8');
  } catch (e) {
    throw new PriceTableError(name, '(file)', `cannot be read: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new PriceTableError(name, '(file)', `is not JSON: ${(e as Error).message}`);
  }
  return validatePriceTable(parsed, name);
}
