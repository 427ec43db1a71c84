import { TidelineError } from '../../errors.js';

/**
 * Talking to Kafka failed in a way a person must fix: `setting` names the variable (or CLI
 * option) to change, e.g. KAFKA_BROKERS for an unreachable cluster or KAFKA_SASL_PASSWORD for a
 * refused login.
 */
export class KafkaClientError extends TidelineError {
  constructor(
    readonly setting: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The class name of a kafkajs error (its `name`), without importing kafkajs' CommonJS error classes. */
function kafkaErrorName(e: unknown): string {
  return e instanceof Error ? e.name : '';
}

/**
 * Turns a kafkajs failure into a KafkaClientError that names the setting to fix.
 * `brokerSetting` is where the brokers came from (KAFKA_BROKERS or MSK_CLUSTER_ARN);
 * `authSetting` is what would fix a refused login for the configured mechanism.
 */
export function explainKafkaError(e: unknown, brokers: readonly string[], brokerSetting: string, authSetting: string): KafkaClientError {
  if (e instanceof KafkaClientError) return e;
  const name = kafkaErrorName(e);
  const detail = e instanceof Error ? e.message : String(e);
  // kafkajs wraps the last attempt's error when it gives up; the cause says why.
  const cause = (e as { originalError?: unknown; cause?: unknown } | null)?.originalError ?? (e as { cause?: unknown } | null)?.cause;
  const causeName = kafkaErrorName(cause);
  if (name === 'KafkaJSSASLAuthenticationError' || causeName === 'KafkaJSSASLAuthenticationError') {
    return new KafkaClientError(authSetting, `Kafka refused the login (${detail}); check ${authSetting}`, { cause: e });
  }
  if (
    ['KafkaJSConnectionError', 'KafkaJSBrokerNotFound', 'KafkaJSRequestTimeoutError', 'KafkaJSNumberOfRetriesExceeded', 'KafkaJSConnectionClosedError'].includes(name) ||
    ['KafkaJSConnectionError', 'KafkaJSRequestTimeoutError', 'KafkaJSConnectionClosedError'].includes(causeName)
  ) {
    return new KafkaClientError(
      brokerSetting,
      `cannot reach Kafka at ${brokers.join(', ')} (${detail}); check ${brokerSetting} and that the brokers are reachable from here (TLS: KAFKA_TLS)`,
      { cause: e },
    );
  }
  if (name === 'KafkaJSProtocolError' && /topic|partition/i.test(detail)) {
    return new KafkaClientError('TOPIC_READINGS', `Kafka rejected the topic (${detail}); check TOPIC_READINGS / --topic and that the topic exists`, { cause: e });
  }
  return new KafkaClientError(brokerSetting, `Kafka failed: ${detail}`, { cause: e });
}
