import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { StackConfigError } from '../errors.js';

/** Namespace of Tideline's own (EMF) metrics; Powertools adds the `service` dimension. */
export const METRIC_NAMESPACE = 'Tideline';

export interface AlarmThresholds {
  /** Critical readings per minute (executor's CriticalReadings). @default 100 */
  readonly criticalReadingsPerMinute?: number;
  /** Errors of one function per 5 minutes. @default 1 */
  readonly functionErrors?: number;
  /** Records dead-lettered per 5 minutes (executor's DeadLetters). @default 1 */
  readonly deadLetters?: number;
  /** Records the executor trails its topics by (OffsetLag, maximum over a minute, 5 minutes running). @default 50000 */
  readonly offsetLag?: number;
  /** API latency p95 in milliseconds over 5 minutes. @default 2000 */
  readonly apiLatencyP95Ms?: number;
  /** Age in seconds of the reflection version in force (refresh's ReflectionAgeSeconds). @default 1800 */
  readonly reflectionAgeSeconds?: number;
}

export interface MonitoringProps {
  /** The executor: the source of the anomaly, dead-letter and consumer-lag figures. */
  readonly executor: lambda.IFunction;
  /** Every function whose errors raise an alarm, by a stable name used in construct ids. */
  readonly functions: { readonly [name: string]: lambda.IFunction };
  /** @default - no API latency alarm */
  readonly api?: apigwv2.IHttpApi;
  /** @default {} (every threshold at its default) */
  readonly thresholds?: AlarmThresholds;
  /** @default - no e-mail subscription */
  readonly alarmEmail?: string;
  /** Powertools service name of the executor's metrics. @default 'executor' */
  readonly executorService?: string;
  /** Powertools service name of the refresh's metrics. @default 'refresh' */
  readonly refreshService?: string;
}

const DEFAULT_THRESHOLDS: Required<AlarmThresholds> = {
  criticalReadingsPerMinute: 100,
  functionErrors: 1,
  deadLetters: 1,
  offsetLag: 50_000,
  apiLatencyP95Ms: 2000,
  reflectionAgeSeconds: 1800,
};

/**
 * Alarms on what an operator of Tideline acts on — anomaly rate, function errors, dead letters,
 * consumer lag (freshness), API latency and stale reflections — all notifying one encrypted SNS
 * topic, and a dashboard showing the same figures against the same thresholds.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: { readonly [name: string]: cloudwatch.Alarm };
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const t = { ...DEFAULT_THRESHOLDS, ...props.thresholds };
    for (const [name, value] of Object.entries(t)) {
      if (!(Number.isFinite(value) && value > 0)) throw new StackConfigError(`thresholds.${name}`, 'must be a number above 0', value);
    }
    const executorService = props.executorService ?? 'executor';
    const refreshService = props.refreshService ?? 'refresh';

    // CloudWatch can publish to an encrypted topic only with a customer-managed key whose policy lets it.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the Tideline alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey');
    this.topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'Tideline alarms', masterKey: key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const tideline = (metricName: string, service: string, statistic: string, period: Duration) =>
      new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName, dimensionsMap: { service }, statistic, period });

    const alarms: Record<string, cloudwatch.Alarm> = {};
    const alarm = (name: string, metric: cloudwatch.Metric, threshold: number, description: string, more: Partial<cloudwatch.CreateAlarmOptions> = {}) => {
      const a = metric.createAlarm(this, `${name}Alarm`, {
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
        ...more,
      });
      a.addAlarmAction(new actions.SnsAction(this.topic));
      a.addOkAction(new actions.SnsAction(this.topic));
      alarms[name] = a;
      return a;
    };

    alarm('AnomalyRate', tideline('CriticalReadings', executorService, 'Sum', Duration.minutes(1)), t.criticalReadingsPerMinute,
      `At least ${t.criticalReadingsPerMinute} readings a minute judged CRITICAL_ANOMALY`);
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`${name}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), t.functionErrors,
        `${name} failed at least ${t.functionErrors} time(s) in 5 minutes`);
    }
    alarm('DeadLetters', tideline('DeadLetters', executorService, 'Sum', Duration.minutes(5)), t.deadLetters,
      `At least ${t.deadLetters} record(s) dead-lettered in 5 minutes: see the dead-letter table for the reasons`);
    alarm('ConsumerLag', new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: 'OffsetLag',
      dimensionsMap: { FunctionName: props.executor.functionName },
      statistic: 'Maximum',
      period: Duration.minutes(1),
    }), t.offsetLag, `The executor trails its topics by at least ${t.offsetLag} records for 5 minutes: judgments are not fresh`,
    { evaluationPeriods: 5, datapointsToAlarm: 5 });
    if (props.api) {
      alarm('ApiLatencyP95', props.api.metricLatency({ statistic: 'p95', period: Duration.minutes(5) }), t.apiLatencyP95Ms,
        `API latency p95 at least ${t.apiLatencyP95Ms} ms over 5 minutes`);
    }
    // No data means the refresh stopped reporting, which is itself staleness.
    alarm('StaleReflections', tideline('ReflectionAgeSeconds', refreshService, 'Maximum', Duration.minutes(5)), t.reflectionAgeSeconds,
      `The reflection version in force is at least ${t.reflectionAgeSeconds} s old, or the refresh stopped reporting`,
      { treatMissingData: cloudwatch.TreatMissingData.BREACHING, evaluationPeriods: 2, datapointsToAlarm: 2 });
    this.alarms = alarms;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Readings in, processed, critical',
        left: [
          tideline('RecordsIn', executorService, 'Sum', Duration.minutes(1)),
          tideline('ReadingsProcessed', executorService, 'Sum', Duration.minutes(1)),
          tideline('CriticalReadings', executorService, 'Sum', Duration.minutes(1)),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Event age at ingest (ms, p95)',
        left: [tideline('EventAgeMs', executorService, 'p95', Duration.minutes(1))],
        width: 12,
      }),
    );
    const alarmWidgets = Object.entries(alarms).map(([name, a]) => new cloudwatch.AlarmWidget({ title: name, alarm: a, width: 8 }));
    for (let i = 0; i < alarmWidgets.length; i += 3) this.dashboard.addWidgets(...alarmWidgets.slice(i, i + 3));
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(alarms), width: 24 }));
  }
}
