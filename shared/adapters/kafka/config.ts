import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { GetBootstrapBrokersCommand, KafkaClient, type GetBootstrapBrokersCommandOutput } from '@aws-sdk/client-kafka';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { ConfigError } from '../../errors.js';
import { numberVar, optionalStringVar, stringVar, type Env } from '../../config/index.js';
import { KafkaClientError } from './errors.js';

/** How clients authenticate to the brokers; `iam` is MSK IAM access control (SASL/OAUTHBEARER with a SigV4 token). */
export const KAFKA_AUTH = {
  none: 'none',
  plain: 'plain',
  scramSha256: 'scram-sha-256',
  scramSha512: 'scram-sha-512',
  iam: 'iam',
} as const;
export type KafkaAuth = (typeof KAFKA_AUTH)[keyof typeof KAFKA_AUTH];
const KAFKA_AUTH_LIST = Object.values(KAFKA_AUTH);

/** Producer compression kafkajs can write without native codecs. */
export const KAFKA_COMPRESSION = { none: 'none', gzip: 'gzip' } as const;
export type KafkaCompression = (typeof KAFKA_COMPRESSION)[keyof typeof KAFKA_COMPRESSION];
const KAFKA_COMPRESSION_LIST = Object.values(KAFKA_COMPRESSION);

/** kafkajs log levels, by name. */
export const KAFKA_LOG_LEVEL = { nothing: 0, error: 1, warn: 2, info: 4, debug: 5 } as const;
export type KafkaLogLevel = keyof typeof KAFKA_LOG_LEVEL;

/**
 * One Kafka configuration shared by the producer (`tideline produce`) and the consumer (the
 * local runtime against a real cluster). Read with {@link loadKafkaSettings}; every field
 * names its environment variable.
 */
export interface KafkaSettings {
  /** KAFKA_BROKERS: host:port list. Empty when the brokers come from `mskClusterArn`. */
  readonly brokers: readonly string[];
  /** MSK_CLUSTER_ARN: resolve bootstrap brokers with GetBootstrapBrokers. @default undefined */
  readonly mskClusterArn: string | undefined;
  /** KAFKA_MSK_PUBLIC: use the cluster's public bootstrap strings. @default false */
  readonly mskPublic: boolean;
  /** KAFKA_AUTH. @default "none" */
  readonly auth: KafkaAuth;
  /** KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD, for plain and SCRAM. */
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** KAFKA_TLS. @default true with MSK_CLUSTER_ARN or any SASL mechanism, else false */
  readonly tls: boolean;
  /** KAFKA_TLS_CA_FILE, KAFKA_TLS_CERT_FILE, KAFKA_TLS_KEY_FILE (mutual TLS). */
  readonly tlsCaFile: string | undefined;
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** AWS_REGION, else the region in MSK_CLUSTER_ARN: signs IAM tokens and GetBootstrapBrokers. */
  readonly region: string | undefined;
  /** KAFKA_CLIENT_ID. @default "tideline" */
  readonly clientId: string;
  /** KAFKA_GROUP_ID: the consumer group. @default "tideline-executor" */
  readonly groupId: string;
  /** KAFKA_COMPRESSION. @default "gzip" */
  readonly compression: KafkaCompression;
  /** KAFKA_CONNECTION_TIMEOUT_MS. @default 3000 */
  readonly connectionTimeoutMs: number;
  /** KAFKA_RETRIES: kafkajs retries before giving up on a request. @default 5 */
  readonly retries: number;
  /** KAFKA_LOG_LEVEL: kafkajs' own log lines (Tideline reports failures itself). @default "nothing" */
  readonly logLevel: KafkaLogLevel;
}

const ARN = /^arn:aws[a-z-]*:kafka:([a-z0-9-]+):\d{12}:cluster\/[^/]+\/[^/]+$/;
const HOST_PORT = /^[A-Za-z0-9.\-]+:\d{1,5}$/;

function booleanVar(env: Env, name: string, fallback: boolean): boolean {
  const v = optionalStringVar(env, name);
  if (v === undefined) return fallback;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new ConfigError(name, `must be true or false, got "${v}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const v = optionalStringVar(env, name)?.toLowerCase() ?? fallback;
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(name, `"${v}" is not one of ${allowed.join(', ')}`);
  return v as T;
}

/** Splits and checks a host:port list, naming `variable` when an entry is malformed. */
export function parseBrokerList(text: string, variable: string): string[] {
  const brokers = text.split(',').map((b) => b.trim()).filter((b) => b !== '');
  for (const b of brokers) {
    if (!HOST_PORT.test(b)) throw new ConfigError(variable, `"${b}" is not host:port (e.g. b-1.mycluster.kafka.eu-west-1.amazonaws.com:9098)`);
  }
  return brokers;
}

/**
 * Reads the Kafka configuration. Precedence: `overrides` (command-line options), then the
 * environment, then the documented defaults. Fails naming the variable when a value is
 * missing or malformed.
 *
 * @example
 * const settings = loadKafkaSettings(process.env);            // KAFKA_BROKERS=localhost:9092
 * const kafka = new Kafka(await kafkaClientConfig(settings));
 */
export function loadKafkaSettings(env: Env, overrides: Env = {}): KafkaSettings {
  const e: Env = { ...env, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined && v !== '')) };
  const mskClusterArn = optionalStringVar(e, 'MSK_CLUSTER_ARN');
  if (mskClusterArn !== undefined && !ARN.test(mskClusterArn)) {
    throw new ConfigError('MSK_CLUSTER_ARN', `"${mskClusterArn}" is not an MSK cluster ARN (arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID)`);
  }
  const brokersText = optionalStringVar(e, 'KAFKA_BROKERS');
  if (brokersText === undefined && mskClusterArn === undefined) {
    throw new ConfigError('KAFKA_BROKERS', 'set KAFKA_BROKERS (host:port,…) or MSK_CLUSTER_ARN');
  }
  const brokers = brokersText === undefined ? [] : parseBrokerList(brokersText, 'KAFKA_BROKERS');
  const auth = oneOf(e, 'KAFKA_AUTH', KAFKA_AUTH_LIST, KAFKA_AUTH.none);
  const region = optionalStringVar(e, 'AWS_REGION') ?? (mskClusterArn ? ARN.exec(mskClusterArn)?.[1] : undefined);
  const username = optionalStringVar(e, 'KAFKA_SASL_USERNAME');
  const password = optionalStringVar(e, 'KAFKA_SASL_PASSWORD');
  if (auth === KAFKA_AUTH.plain || auth === KAFKA_AUTH.scramSha256 || auth === KAFKA_AUTH.scramSha512) {
    if (!username) throw new ConfigError('KAFKA_SASL_USERNAME', `is required for KAFKA_AUTH=${auth}`);
    if (!password) throw new ConfigError('KAFKA_SASL_PASSWORD', `is required for KAFKA_AUTH=${auth}`);
  }
  if (auth === KAFKA_AUTH.iam && !region) throw new ConfigError('AWS_REGION', 'is required for KAFKA_AUTH=iam (or give MSK_CLUSTER_ARN, whose region is used)');
  if (mskClusterArn && !region) throw new ConfigError('AWS_REGION', 'is required to resolve MSK_CLUSTER_ARN');
  const tlsCertFile = optionalStringVar(e, 'KAFKA_TLS_CERT_FILE');
  const tlsKeyFile = optionalStringVar(e, 'KAFKA_TLS_KEY_FILE');
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) {
    throw new ConfigError(tlsCertFile ? 'KAFKA_TLS_KEY_FILE' : 'KAFKA_TLS_CERT_FILE', 'mutual TLS needs both KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE');
  }
  return {
    brokers,
    mskClusterArn,
    mskPublic: booleanVar(e, 'KAFKA_MSK_PUBLIC', false),
    auth,
    username,
    password,
    tls: booleanVar(e, 'KAFKA_TLS', mskClusterArn !== undefined || auth !== KAFKA_AUTH.none || tlsCertFile !== undefined),
    tlsCaFile: optionalStringVar(e, 'KAFKA_TLS_CA_FILE'),
    tlsCertFile,
    tlsKeyFile,
    region,
    clientId: stringVar(e, 'KAFKA_CLIENT_ID', 'tideline'),
    groupId: stringVar(e, 'KAFKA_GROUP_ID', 'tideline-executor'),
    compression: oneOf(e, 'KAFKA_COMPRESSION', KAFKA_COMPRESSION_LIST, KAFKA_COMPRESSION.gzip),
    connectionTimeoutMs: numberVar(e, 'KAFKA_CONNECTION_TIMEOUT_MS', 3000, { min: 100 }),
    retries: numberVar(e, 'KAFKA_RETRIES', 5, { min: 0, max: 100 }),
    logLevel: oneOf(e, 'KAFKA_LOG_LEVEL', Object.keys(KAFKA_LOG_LEVEL) as KafkaLogLevel[], 'nothing'),
  };
}

/** Which setting is where the brokers came from, for error messages. */
export function brokerSetting(settings: KafkaSettings): string {
  return settings.brokers.length > 0 ? 'KAFKA_BROKERS' : 'MSK_CLUSTER_ARN';
}

/** Which settings fix a refused login for the configured mechanism. */
export function authSetting(settings: KafkaSettings): string {
  switch (settings.auth) {
    case KAFKA_AUTH.iam:
      return 'KAFKA_AUTH=iam (the caller\'s IAM policy needs kafka-cluster:Connect on the cluster; AWS credentials and AWS_REGION)';
    case KAFKA_AUTH.none:
      return 'KAFKA_AUTH (the cluster requires authentication)';
    default:
      return 'KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD';
  }
}

/** The bootstrap string GetBootstrapBrokers returns for this auth mode, and its JSON field for the message. */
function pickBootstrap(out: GetBootstrapBrokersCommandOutput, settings: KafkaSettings): { value: string | undefined; field: string } {
  const pub = settings.mskPublic;
  switch (settings.auth) {
    case KAFKA_AUTH.iam:
      return pub ? { value: out.BootstrapBrokerStringPublicSaslIam, field: 'BootstrapBrokerStringPublicSaslIam' } : { value: out.BootstrapBrokerStringSaslIam, field: 'BootstrapBrokerStringSaslIam' };
    case KAFKA_AUTH.scramSha256:
    case KAFKA_AUTH.scramSha512:
    case KAFKA_AUTH.plain:
      return pub ? { value: out.BootstrapBrokerStringPublicSaslScram, field: 'BootstrapBrokerStringPublicSaslScram' } : { value: out.BootstrapBrokerStringSaslScram, field: 'BootstrapBrokerStringSaslScram' };
    default:
      if (pub) return { value: out.BootstrapBrokerStringPublicTls, field: 'BootstrapBrokerStringPublicTls' };
      return settings.tls ? { value: out.BootstrapBrokerStringTls, field: 'BootstrapBrokerStringTls' } : { value: out.BootstrapBrokerString, field: 'BootstrapBrokerString' };
  }
}

/**
 * The brokers to connect to: KAFKA_BROKERS as given, or the MSK cluster's bootstrap brokers for
 * the configured auth mode (IAM → port 9098, SCRAM → 9096, TLS → 9094, plaintext → 9092).
 * `client` is injectable so tests can point the SDK at a local endpoint.
 */
export async function resolveBrokers(settings: KafkaSettings, client?: KafkaClient): Promise<string[]> {
  if (settings.brokers.length > 0) return [...settings.brokers];
  const arn = settings.mskClusterArn as string;
  const kafka = client ?? new KafkaClient({ region: settings.region });
  let out: GetBootstrapBrokersCommandOutput;
  try {
    out = await kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: arn }));
  } catch (e) {
    const name = e instanceof Error ? e.name : '';
    const why = e instanceof Error ? e.message : String(e);
    if (name === 'NotFoundException') throw new KafkaClientError('MSK_CLUSTER_ARN', `no MSK cluster ${arn} in ${settings.region} (${why}); check MSK_CLUSTER_ARN and AWS_REGION`, { cause: e });
    if (name === 'ForbiddenException' || name === 'UnauthorizedException' || name === 'AccessDeniedException') {
      throw new KafkaClientError('MSK_CLUSTER_ARN', `not allowed to read ${arn}'s bootstrap brokers (${why}); the caller needs kafka:GetBootstrapBrokers on the cluster`, { cause: e });
    }
    throw new KafkaClientError('MSK_CLUSTER_ARN', `GetBootstrapBrokers for ${arn} failed (${why}); check MSK_CLUSTER_ARN, AWS_REGION and AWS credentials, or set KAFKA_BROKERS`, { cause: e });
  }
  const { value, field } = pickBootstrap(out, settings);
  if (!value) {
    throw new KafkaClientError(
      'KAFKA_AUTH',
      `cluster ${arn} has no ${field} (it does not accept KAFKA_AUTH=${settings.auth}${settings.mskPublic ? ' with public access' : ''}${settings.auth === KAFKA_AUTH.none ? `, KAFKA_TLS=${settings.tls}` : ''}); choose the access control the cluster has enabled`,
    );
  }
  return parseBrokerList(value, `MSK_CLUSTER_ARN (${field})`);
}

function readSetting(file: string, variable: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new ConfigError(variable, `cannot read "${file}": ${(e as Error).message}`);
  }
}

/** The SASL block for kafkajs; IAM signs a fresh token per connection with AWS's MSK signer. */
function saslOptions(settings: KafkaSettings): SASLOptions | undefined {
  switch (settings.auth) {
    case KAFKA_AUTH.none:
      return undefined;
    case KAFKA_AUTH.iam: {
      const region = settings.region as string;
      return {
        mechanism: 'oauthbearer',
        // MSK accepts a SigV4-presigned kafka-cluster:Connect URL as an OAUTHBEARER token; the
        // signer uses the default AWS credential chain. https://github.com/aws/aws-msk-iam-sasl-signer-js
        oauthBearerProvider: async () => ({ value: (await generateAuthToken({ region })).token }),
      };
    }
    default:
      return { mechanism: settings.auth, username: settings.username as string, password: settings.password as string };
  }
}

/** The kafkajs client configuration for these settings and brokers. */
export function kafkaClientConfig(settings: KafkaSettings, brokers: readonly string[]): KafkaConfig {
  let ssl: ConnectionOptions | boolean = settings.tls;
  if (settings.tls && (settings.tlsCaFile || settings.tlsCertFile)) {
    ssl = {
      ca: settings.tlsCaFile ? [readSetting(settings.tlsCaFile, 'KAFKA_TLS_CA_FILE')] : undefined,
      cert: settings.tlsCertFile ? readSetting(settings.tlsCertFile, 'KAFKA_TLS_CERT_FILE') : undefined,
      key: settings.tlsKeyFile ? readSetting(settings.tlsKeyFile, 'KAFKA_TLS_KEY_FILE') : undefined,
    };
  }
  const sasl = saslOptions(settings);
  return {
    clientId: settings.clientId,
    brokers: [...brokers],
    ssl,
    ...(sasl ? { sasl } : {}),
    connectionTimeout: settings.connectionTimeoutMs,
    retry: { retries: settings.retries, initialRetryTime: 200, maxRetryTime: 5000 },
    logLevel: KAFKA_LOG_LEVEL[settings.logLevel],
  };
}
