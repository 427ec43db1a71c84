import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { dynamoClientFrom, influxSinkFrom, ingestPortsFrom, lakeFrom } from '../../shared/adapters/index.js';
import { loadTidelineConfig } from '../../shared/config/index.js';
import { makeExecutorHandler } from './executor.js';

// Built once per container: configuration errors fail the cold start, naming the variable.
const config = loadTidelineConfig(process.env);
const metrics = new Metrics({ namespace: 'Tideline', serviceName: 'executor' });
// Optional: judged readings and alerts to InfluxDB when INFLUX_SINK_BUCKET is set.
const influx = influxSinkFrom(process.env, { onMetric: (name, value) => metrics.addMetric(name, MetricUnit.Count, value) });
const ports = { ...ingestPortsFrom(config, dynamoClientFrom(config), lakeFrom(config)), sinks: influx ? [influx] : [] };

/** Lambda entry: MSK event source mapping → ingest; a query slice from the coordinator → its partial result. */
export const handler = makeExecutorHandler({
  ports,
  config,
  metrics,
  // A frozen container runs no timers: give buffered sink lines a bounded chance before returning.
  afterBatch: influx ? () => influx.flush(2000).then(() => undefined) : undefined,
});
