/**
 * The DynamoDB tables, defined once: the CDK stack creates them from these specs, and local
 * runs and tests create the same tables in DynamoDB Local from the same specs.
 */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface TableSpec {
  /** Stable construct id in the CDK stack. */
  readonly id: string;
  /** Default physical name; overridden per environment through configuration. */
  readonly defaultName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /** Attribute holding an epoch-seconds expiry, for DynamoDB TTL. */
  readonly timeToLiveAttribute?: string;
  readonly globalIndexes?: readonly { readonly name: string; readonly partitionKey: KeyAttribute; readonly sortKey: KeyAttribute }[];
}

export const TABLES = {
  /** Versioned reflections (whole items per sensor, packs of changes, a head per version) and the pointer to the version in force. */
  reflections: {
    id: 'Reflections',
    defaultName: 'tideline-reflections',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    timeToLiveAttribute: 'expires_at',
  },
  /** Partition high-water marks and sensor windows: what spans batches. */
  state: {
    id: 'StreamState',
    defaultName: 'tideline-state',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
  },
  /** realtime_sensor_summary: per sensor, minute and classification. */
  minuteSummaries: {
    id: 'MinuteSummaries',
    defaultName: 'tideline-minute-summaries',
    partitionKey: { name: 'sensor_id', type: 'S' },
    sortKey: { name: 'minute_class', type: 'S' },
    timeToLiveAttribute: 'expires_at',
  },
  /** Alerts with context; the by-status index lists open (or closed) alerts newest first. */
  alerts: {
    id: 'Alerts',
    defaultName: 'tideline-alerts',
    partitionKey: { name: 'sensor_id', type: 'S' },
    sortKey: { name: 'alert_id', type: 'S' },
    timeToLiveAttribute: 'expires_at',
    globalIndexes: [
      { name: 'by-status', partitionKey: { name: 'status', type: 'S' }, sortKey: { name: 'opened_at', type: 'N' } },
    ],
  },
  /** Records that could not be read, with their reason, keyed by stream position. */
  deadLetters: {
    id: 'DeadLetters',
    defaultName: 'tideline-dead-letters',
    partitionKey: { name: 'source', type: 'S' },
    sortKey: { name: 'offset', type: 'N' },
    timeToLiveAttribute: 'expires_at',
  },
  /** Every API query (latency, status, rows), one partition per hour: what GET /metrics/sla reads. */
  queryLog: {
    id: 'QueryLog',
    defaultName: 'tideline-query-log',
    partitionKey: { name: 'hour', type: 'S' },
    sortKey: { name: 'query_id', type: 'S' },
    timeToLiveAttribute: 'expires_at',
  },
} as const satisfies Record<string, TableSpec>;

export type TableName = keyof typeof TABLES;
/** Physical table names, per environment. */
export type TableNames = Record<TableName, string>;

export function defaultTableNames(prefix = ''): TableNames {
  const out = {} as TableNames;
  for (const [k, spec] of Object.entries(TABLES) as [TableName, TableSpec][]) out[k] = `${prefix}${spec.defaultName}`;
  return out;
}
