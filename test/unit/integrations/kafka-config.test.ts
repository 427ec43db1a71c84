import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/errors.js';
import kafkajs from 'kafkajs';
import { authSetting, brokerSetting, explainKafkaError, KafkaClientError, kafkaClientConfig, KAFKA_AUTH, loadKafkaSettings } from '../../../shared/adapters/index.js';

const ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/plant-telemetry/0b6c2a8e-1111-2222-3333-444455556666-7';

describe('loadKafkaSettings', () => {
  it('reads brokers and applies the documented defaults', () => {
    const s = loadKafkaSettings({ KAFKA_BROKERS: 'localhost:9092, b-2.example:9092' });
    expect(s).toMatchObject({
      brokers: ['localhost:9092', 'b-2.example:9092'],
      auth: KAFKA_AUTH.none,
      tls: false,
      clientId: 'tideline',
      groupId: 'tideline-executor',
      compression: 'gzip',
    });
  });

  it('takes command-line overrides before the environment', () => {
    const s = loadKafkaSettings({ KAFKA_BROKERS: 'env:9092', KAFKA_COMPRESSION: 'gzip' }, { KAFKA_BROKERS: 'cli:9092', KAFKA_COMPRESSION: 'none' });
    expect(s.brokers).toEqual(['cli:9092']);
    expect(s.compression).toBe('none');
  });

  it('takes the region from the cluster ARN and turns TLS on for MSK', () => {
    const s = loadKafkaSettings({ MSK_CLUSTER_ARN: ARN, KAFKA_AUTH: 'iam' });
    expect(s).toMatchObject({ brokers: [], mskClusterArn: ARN, region: 'eu-west-1', tls: true, auth: 'iam' });
  });

  it.each([
    [{}, ConfigError, 'KAFKA_BROKERS: set KAFKA_BROKERS (host:port,…) or MSK_CLUSTER_ARN'],
    [{ KAFKA_BROKERS: 'localhost' }, ConfigError, 'KAFKA_BROKERS: "localhost" is not host:port'],
    [{ MSK_CLUSTER_ARN: 'arn:aws:s3:::bucket' }, ConfigError, 'MSK_CLUSTER_ARN: "arn:aws:s3:::bucket" is not an MSK cluster ARN'],
    [{ KAFKA_BROKERS: 'k:9092', KAFKA_AUTH: 'kerberos' }, ConfigError, 'KAFKA_AUTH: "kerberos" is not one of none, plain, scram-sha-256, scram-sha-512, iam'],
    [{ KAFKA_BROKERS: 'k:9096', KAFKA_AUTH: 'scram-sha-512' }, ConfigError, 'KAFKA_SASL_USERNAME: is required for KAFKA_AUTH=scram-sha-512'],
    [{ KAFKA_BROKERS: 'k:9096', KAFKA_AUTH: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u' }, ConfigError, 'KAFKA_SASL_PASSWORD: is required for KAFKA_AUTH=scram-sha-512'],
    [{ KAFKA_BROKERS: 'k:9098', KAFKA_AUTH: 'iam' }, ConfigError, 'AWS_REGION: is required for KAFKA_AUTH=iam'],
    [{ KAFKA_BROKERS: 'k:9092', KAFKA_TLS: 'maybe' }, ConfigError, 'KAFKA_TLS: must be true or false, got "maybe"'],
    [{ KAFKA_BROKERS: 'k:9092', KAFKA_COMPRESSION: 'zstd' }, ConfigError, 'KAFKA_COMPRESSION: "zstd" is not one of none, gzip'],
    [{ KAFKA_BROKERS: 'k:9094', KAFKA_TLS_CERT_FILE: '/c.pem' }, ConfigError, 'KAFKA_TLS_KEY_FILE: mutual TLS needs both'],
  ])('rejects %j naming the setting', (env, cls, message) => {
    expect(() => loadKafkaSettings(env)).toThrow(cls);
    expect(() => loadKafkaSettings(env)).toThrow(message);
  });
});

describe('kafkaClientConfig', () => {
  it('builds SCRAM over TLS for kafkajs', () => {
    const s = loadKafkaSettings({ KAFKA_BROKERS: 'b-1:9096', KAFKA_AUTH: 'scram-sha-512', KAFKA_SASL_USERNAME: 'alex', KAFKA_SASL_PASSWORD: 'pw' });
    expect(kafkaClientConfig(s, ['b-1:9096'])).toMatchObject({
      clientId: 'tideline',
      brokers: ['b-1:9096'],
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'alex', password: 'pw' },
    });
  });

  it('signs IAM logins as OAUTHBEARER tokens', () => {
    const s = loadKafkaSettings({ KAFKA_BROKERS: 'b-1:9098', KAFKA_AUTH: 'iam', AWS_REGION: 'eu-west-1' });
    const config = kafkaClientConfig(s, ['b-1:9098']);
    expect(config.ssl).toBe(true);
    expect(config.sasl?.mechanism).toBe('oauthbearer');
    expect(typeof (config.sasl as { oauthBearerProvider?: unknown }).oauthBearerProvider).toBe('function');
  });

  it('names the TLS file setting it cannot read', () => {
    const s = loadKafkaSettings({ KAFKA_BROKERS: 'b-1:9094', KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: '/nonexistent/ca.pem' });
    expect(() => kafkaClientConfig(s, ['b-1:9094'])).toThrow('KAFKA_TLS_CA_FILE: cannot read "/nonexistent/ca.pem"');
  });
});

describe('explainKafkaError', () => {
  // kafkajs' typings declare no constructor arguments; at run time it takes the message, as it does itself.
  const SaslError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
  const scram = loadKafkaSettings({ KAFKA_BROKERS: 'b-1:9096', KAFKA_AUTH: 'scram-sha-512', KAFKA_SASL_USERNAME: 'alex', KAFKA_SASL_PASSWORD: 'wrong' });
  const iam = loadKafkaSettings({ MSK_CLUSTER_ARN: ARN, KAFKA_AUTH: 'iam' });

  it('names the SASL credentials when kafkajs reports a refused login', () => {
    const e = explainKafkaError(new SaslError('SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512'), ['b-1:9096'], brokerSetting(scram), authSetting(scram));
    expect(e).toBeInstanceOf(KafkaClientError);
    expect(e.setting).toBe('KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD');
    expect(e.message).toMatch(/^Kafka refused the login \(SASL SCRAM SHA512 authentication failed: .*\); check KAFKA_SASL_USERNAME \/ KAFKA_SASL_PASSWORD$/);
  });

  it('names what IAM needs when the cluster refuses an IAM login', () => {
    const e = explainKafkaError(new SaslError('SASL OAUTHBEARER authentication failed: Access denied'), ['b-1:9098'], brokerSetting(iam), authSetting(iam));
    expect(e.setting).toContain('kafka-cluster:Connect');
  });

  it('names MSK_CLUSTER_ARN when brokers resolved from the cluster cannot be reached', () => {
    const cause = new kafkajs.KafkaJSConnectionError('Connection timeout', { broker: 'b-1:9098' });
    const e = explainKafkaError(new kafkajs.KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 3000 }), ['b-1:9098'], brokerSetting(iam), authSetting(iam));
    expect(e.setting).toBe('MSK_CLUSTER_ARN');
    expect(e.message).toContain('cannot reach Kafka at b-1:9098');
  });
});
