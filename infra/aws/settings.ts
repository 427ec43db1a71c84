import type { Node } from 'constructs';
import { StackConfigError } from './errors.js';
import {
  API_AUTH,
  DEFAULT_SETTINGS,
  KAFKA_AUTH,
  LAKE_COLD_STORAGE,
  STARTING_POSITION,
  type ResolvedSettings,
  type TidelineSettings,
} from './stack-props.js';

type Key = keyof ResolvedSettings;
const KEYS = Object.keys(DEFAULT_SETTINGS) as Key[];

/** `arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>`; topic and group ARNs are derived from it. */
const MSK_CLUSTER_ARN = /^arn:(aws[a-z-]*):kafka:([a-z0-9-]+):(\d{12}):cluster\/([A-Za-z0-9-]+)\/([A-Za-z0-9-]+)$/;

export interface MskClusterParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly name: string;
  readonly uuid: string;
}

export function parseMskClusterArn(arn: string): MskClusterParts {
  const m = MSK_CLUSTER_ARN.exec(arn);
  if (!m) throw new StackConfigError('mskClusterArn', 'must be an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)', arn);
  return { partition: m[1], region: m[2], account: m[3], name: m[4], uuid: m[5] };
}

function integerIn(prop: Key, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new StackConfigError(prop, `must be an integer from ${min} to ${max}`, value);
}

function numberAbove(prop: Key, value: number, min: number): void {
  if (!Number.isFinite(value) || value <= min) throw new StackConfigError(prop, `must be a number above ${min}`, value);
}

function oneOf(prop: Key, value: string, allowed: Record<string, string>): void {
  const values = Object.values(allowed);
  if (!values.includes(value)) throw new StackConfigError(prop, `must be one of ${values.join(', ')}`, value);
}

function required(prop: Key, value: string | readonly string[], when: string): void {
  if (value.length === 0) throw new StackConfigError(prop, `is required when ${when}`, value);
}

/**
 * Applies the defaults (in one place: DEFAULT_SETTINGS) and validates every setting, so a
 * mistake fails `cdk synth` with the prop's name, the rule and the value given.
 */
export function resolveSettings(props: TidelineSettings): ResolvedSettings {
  const s = { ...DEFAULT_SETTINGS } as Record<Key, unknown>;
  for (const k of KEYS) if (props[k] !== undefined) s[k] = props[k];
  const r = s as ResolvedSettings;

  parseMskClusterArn(r.mskClusterArn);
  for (const k of ['topicReadings', 'topicDeviceStatus'] as const) {
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(r[k])) throw new StackConfigError(k, 'must be a Kafka topic name (letters, digits, ".", "_", "-"; 1–249 characters)', r[k]);
  }
  if (r.topicReadings === r.topicDeviceStatus) throw new StackConfigError('topicDeviceStatus', 'must differ from topicReadings', r.topicDeviceStatus);
  oneOf('kafkaAuth', r.kafkaAuth, KAFKA_AUTH);
  if (r.kafkaAuth === 'scram') {
    required('kafkaScramSecretArn', r.kafkaScramSecretArn, 'kafkaAuth is "scram"');
    if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:AmazonMSK_/.test(r.kafkaScramSecretArn)) {
      throw new StackConfigError('kafkaScramSecretArn', 'must be a Secrets Manager secret ARN whose name starts with AmazonMSK_ (MSK requires it)', r.kafkaScramSecretArn);
    }
  }
  if (r.kafkaScramKeyArn !== '' && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(r.kafkaScramKeyArn)) {
    throw new StackConfigError('kafkaScramKeyArn', 'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)', r.kafkaScramKeyArn);
  }
  // Two mappings of this stack add "-<topic>", and the whole id may be at most 200 characters.
  if (!/^[a-zA-Z0-9\-/*:_+=.@]{1,150}$/.test(r.kafkaConsumerGroupPrefix)) {
    throw new StackConfigError('kafkaConsumerGroupPrefix', 'must be 1–150 characters of letters, digits and -/*:_+=.@', r.kafkaConsumerGroupPrefix);
  }
  integerIn('kafkaBatchSize', r.kafkaBatchSize, 1, 10_000);
  integerIn('kafkaBatchingWindowSeconds', r.kafkaBatchingWindowSeconds, 0, 300);
  oneOf('kafkaStartingPosition', r.kafkaStartingPosition, STARTING_POSITION);
  integerIn('kafkaRetryAttempts', r.kafkaRetryAttempts, 0, 10_000);
  integerIn('kafkaMinPollers', r.kafkaMinPollers, 1, 200);
  integerIn('kafkaMaxPollers', r.kafkaMaxPollers, 1, 2000);
  if (r.kafkaMaxPollers < r.kafkaMinPollers) throw new StackConfigError('kafkaMaxPollers', `must be at least kafkaMinPollers (${r.kafkaMinPollers})`, r.kafkaMaxPollers);
  if (r.vpcId !== '' || r.subnetIds.length > 0 || r.securityGroupIds.length > 0) {
    required('vpcId', r.vpcId, 'subnetIds or securityGroupIds are set');
    required('subnetIds', r.subnetIds, 'vpcId is set');
    required('securityGroupIds', r.securityGroupIds, 'vpcId is set');
  }
  integerIn('executorMemoryMb', r.executorMemoryMb, 128, 10_240);
  integerIn('executorTimeoutSeconds', r.executorTimeoutSeconds, 1, 900);
  integerIn('refreshRateMinutes', r.refreshRateMinutes, 1, 1440);
  integerIn('compactionRateMinutes', r.compactionRateMinutes, 1, 1440);
  integerIn('logRetentionDays', r.logRetentionDays, 1, 3653);
  oneOf('apiAuth', r.apiAuth, API_AUTH);
  if (r.apiAuth === 'jwt') {
    required('jwtIssuer', r.jwtIssuer, 'apiAuth is "jwt"');
    if (!r.jwtIssuer.startsWith('https://')) throw new StackConfigError('jwtIssuer', 'must be an https:// URL', r.jwtIssuer);
    required('jwtAudience', r.jwtAudience, 'apiAuth is "jwt"');
  }
  integerIn('apiThrottleRatePerSecond', r.apiThrottleRatePerSecond, 1, 10_000);
  integerIn('apiThrottleBurst', r.apiThrottleBurst, 1, 5000);
  integerIn('lakeTransitionDays', r.lakeTransitionDays, 1, 3650);
  oneOf('lakeColdStorageClass', r.lakeColdStorageClass, LAKE_COLD_STORAGE);
  numberAbove('athenaMaxScanGb', r.athenaMaxScanGb, 0.01);
  integerIn('athenaResultsExpireDays', r.athenaResultsExpireDays, 1, 3650);
  integerIn('failedBatchesExpireDays', r.failedBatchesExpireDays, 1, 3650);
  if (r.alarmEmail !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(r.alarmEmail)) throw new StackConfigError('alarmEmail', 'must be an e-mail address', r.alarmEmail);
  numberAbove('alarmCriticalReadingsPerMinute', r.alarmCriticalReadingsPerMinute, 0);
  numberAbove('alarmFunctionErrors', r.alarmFunctionErrors, 0);
  numberAbove('alarmDeadLetters', r.alarmDeadLetters, 0);
  numberAbove('alarmOffsetLag', r.alarmOffsetLag, 0);
  numberAbove('alarmApiLatencyP95Ms', r.alarmApiLatencyP95Ms, 0);
  numberAbove('alarmReflectionAgeSeconds', r.alarmReflectionAgeSeconds, 0);
  return r;
}

/** Context values given on the command line (`-c key=value`) arrive as strings: read them as the default's type. */
function coerce(key: Key, raw: unknown): unknown {
  const fallback = DEFAULT_SETTINGS[key];
  if (typeof raw !== 'string') return raw;
  if (typeof fallback === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new StackConfigError(key, 'must be a number', raw);
    return n;
  }
  if (typeof fallback === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw new StackConfigError(key, 'must be true or false', raw);
    return raw === 'true';
  }
  if (Array.isArray(fallback)) {
    if (raw.trim().startsWith('[')) return JSON.parse(raw) as unknown;
    return raw.split(',').map((x) => x.trim()).filter((x) => x !== '');
  }
  return raw;
}

/** Every setting read from CDK context (cdk.json, `-c`), by its prop name; unset keys stay undefined. */
export function settingsFromContext(node: Node): TidelineSettings {
  const out: Record<string, unknown> = {};
  for (const k of KEYS) {
    const raw: unknown = node.tryGetContext(k);
    if (raw === undefined || raw === null) continue;
    const v = coerce(k, raw);
    const fallback = DEFAULT_SETTINGS[k];
    const ok = Array.isArray(fallback) ? Array.isArray(v) && v.every((x) => typeof x === 'string') : typeof v === typeof fallback;
    if (!ok) throw new StackConfigError(k, `must be ${Array.isArray(fallback) ? 'a list of strings' : `a ${typeof fallback}`}`, v);
    out[k] = v;
  }
  return out as TidelineSettings;
}

/** Names of every context parameter, in documentation order. */
export const SETTING_KEYS: readonly Key[] = KEYS;
