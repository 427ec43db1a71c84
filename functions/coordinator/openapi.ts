import { ANOMALY_CLASSIFICATIONS } from '../../shared/judgment/index.js';
import { SENSOR_STATUS } from '../../shared/readings/index.js';
import {
  AGGREGATES,
  ARROW_STREAM,
  GROUP_KEYS,
  METRIC_COLUMNS,
  QUERY_COLUMNS,
  VIEW_NAMES,
  VIEW_PARAMETERS,
  type QueryConfig,
} from '../../shared/query/index.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });
const jsonResponse = (description: string, schema: object) => ({ description, content: { 'application/json': { schema } } });
const resultResponses = {
  '200': {
    description: 'The result: JSON by default, an Arrow IPC stream when the request sends `Accept: application/vnd.apache.arrow.stream`.',
    headers: {
      'x-tideline-query-id': { schema: { type: 'string' } },
      'x-tideline-truncated': { schema: { type: 'string', enum: ['true', 'false'] } },
      'x-tideline-rows': { schema: { type: 'string' } },
    },
    content: { 'application/json': { schema: ref('QueryResult') }, [ARROW_STREAM]: { schema: { type: 'string', contentMediaType: ARROW_STREAM } } },
  },
  '400': errorResponse('The spec is malformed; `field` names where and the message says what to send.'),
  '401': errorResponse('No or a wrong x-api-key.'),
  '404': errorResponse('Unknown view.'),
  '413': errorResponse('The body is too large.'),
  '422': errorResponse('Over a limit; `limit` names it and the message says how to narrow the query.'),
  '502': errorResponse('A slice failed twice; the message names it. No partial answer is returned.'),
  '504': errorResponse('A slice did not finish within the query time limit; the message names it.'),
};
const isoOrMs = { oneOf: [{ type: 'string', format: 'date-time' }, { type: 'integer', description: 'epoch milliseconds' }] };

/** The OpenAPI 3.1 document of the coordinator's API, built from the same constants the validation uses. */
export function openApiDocument(config: QueryConfig): Record<string, unknown> {
  const { limits } = config;
  const viewParams = VIEW_PARAMETERS.map((name) => ({
    name,
    in: 'query',
    required: false,
    schema: { type: 'string' },
    description: {
      sensor: 'comma-separated sensor ids',
      sensor_prefix: 'sensor id prefix',
      from: `ISO-8601 with a zone or epoch ms; default: ${config.defaultRangeMs / 60_000} minutes before to`,
      to: 'ISO-8601 with a zone or epoch ms; default: now',
      classification: `comma-separated: ${ANOMALY_CLASSIFICATIONS.join(', ')}`,
      status: `comma-separated: ${Object.values(SENSOR_STATUS).join(', ')}`,
      limit: `rows (or groups), at most ${limits.maxRows}`,
      fan_out: `slices, at most ${limits.maxFanOut}`,
    }[name],
  }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tideline query API',
      version: '1.0.0',
      description: 'One API over the live stream and the history of judged sensor readings.',
    },
    security: [{ ApiKey: [] }],
    paths: {
      '/query': {
        post: {
          summary: 'Run a query spec: aggregates by group, or judged readings as rows',
          requestBody: { required: true, content: { 'application/json': { schema: ref('QuerySpec') } } },
          responses: resultResponses,
        },
      },
      '/views/{name}': {
        get: {
          summary: 'A named view of the use case, narrowed by query-string parameters',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string', enum: VIEW_NAMES } }, ...viewParams],
          responses: resultResponses,
        },
      },
      '/sensors/{id}': {
        get: {
          summary: 'Now vs normal: latest judged reading, its profile for this hour, open alerts',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': jsonResponse('The sensor now and its normal', ref('SensorNowVsNormal')),
            '400': errorResponse('Not a valid sensor id.'),
            '401': errorResponse('No or a wrong x-api-key.'),
            '404': errorResponse('No recent reading and no reflection for the sensor.'),
          },
        },
      },
      '/alerts': {
        get: {
          summary: 'Open alerts and recently closed ones, with their context',
          parameters: [
            { name: 'since', in: 'query', required: false, schema: { type: 'string' }, description: 'closed alerts opened since (ISO-8601 or epoch ms); default 24 h ago' },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 }, description: 'default 100' },
          ],
          responses: {
            '200': jsonResponse('Alerts', ref('Alerts')),
            '400': errorResponse('A bad parameter.'),
            '401': errorResponse('No or a wrong x-api-key.'),
          },
        },
      },
      '/metrics/sla': {
        get: {
          summary: 'Per hour from the query log: count, p50/p95/p99 latency, qps, mean concurrency (Little\'s law), SLA compliance',
          parameters: [
            { name: 'from', in: 'query', required: false, schema: { type: 'string' }, description: 'default 24 h before to' },
            { name: 'to', in: 'query', required: false, schema: { type: 'string' }, description: 'default now' },
          ],
          responses: {
            '200': jsonResponse('SLA figures per hour', ref('Sla')),
            '400': errorResponse('A bad parameter.'),
            '401': errorResponse('No or a wrong x-api-key.'),
            '422': errorResponse('The range is over the maximum.'),
          },
        },
      },
      '/health': {
        get: { summary: 'Liveness; needs no key', security: [], responses: { '200': jsonResponse('Alive', { type: 'object', required: ['status'], properties: { status: { const: 'ok' }, time: { type: 'string' } } }) } },
      },
      '/openapi.json': {
        get: { summary: 'This document; needs no key', security: [], responses: { '200': jsonResponse('OpenAPI 3.1', { type: 'object' }) } },
      },
    },
    components: {
      securitySchemes: { ApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'Local runtime: the key printed at start. On AWS, API Gateway authorizes with IAM and the key check is off.' } },
      schemas: {
        QuerySpec: {
          type: 'object',
          additionalProperties: false,
          properties: {
            sensors: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:\\-]{0,127}$' }, maxItems: limits.maxSensors },
            sensor_prefix: { type: 'string' },
            from: { ...isoOrMs, description: `default: ${config.defaultRangeMs / 60_000} minutes before to` },
            to: { ...isoOrMs, description: 'default: now; the range is [from, to)' },
            where: {
              type: 'object',
              additionalProperties: false,
              properties: {
                classification: { type: 'array', items: { enum: ANOMALY_CLASSIFICATIONS } },
                status: { type: 'array', items: { enum: Object.values(SENSOR_STATUS) } },
              },
            },
            select: { enum: ['aggregates', 'rows'], default: 'aggregates' },
            group_by: { type: 'array', items: { enum: [...GROUP_KEYS] } },
            metrics: { type: 'array', items: { enum: METRIC_COLUMNS } },
            aggregates: { type: 'array', items: { enum: [...AGGREGATES] }, default: ['count'] },
            columns: { type: 'array', items: { enum: QUERY_COLUMNS } },
            limit: { type: 'integer', minimum: 1, maximum: limits.maxRows },
            fan_out: { type: 'integer', minimum: 1, maximum: limits.maxFanOut, default: config.defaultFanOut },
          },
          'x-limits': { maxRangeHours: limits.maxRangeMs / 3_600_000, maxRows: limits.maxRows, maxFanOut: limits.maxFanOut, maxQueryMs: limits.maxQueryMs, maxSensors: limits.maxSensors },
        },
        QueryResult: {
          type: 'object',
          required: ['query_id', 'columns', 'rows', 'row_count', 'truncated'],
          properties: {
            query_id: { type: 'string' },
            columns: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, type: { enum: ['string', 'timestamp', 'double', 'int', 'bigint', 'boolean'] } } } },
            rows: { type: 'array', items: { type: 'object' } },
            row_count: { type: 'integer' },
            truncated: { type: 'boolean' },
            stats: { type: 'object', properties: { slices: { type: 'integer' }, filesRead: { type: 'integer' }, rowsScanned: { type: 'integer' } } },
          },
        },
        SensorNowVsNormal: {
          type: 'object',
          required: ['sensor_id', 'latest', 'normal_for_this_hour', 'profile', 'open_alerts'],
          properties: {
            sensor_id: { type: 'string' },
            latest: { type: ['object', 'null'] },
            normal_for_this_hour: { type: ['object', 'null'] },
            profile: { type: ['object', 'null'] },
            open_alerts: { type: 'array', items: { type: 'object' } },
          },
        },
        Alerts: {
          type: 'object',
          required: ['open', 'recently_closed'],
          properties: { open: { type: 'array', items: { type: 'object' } }, recently_closed: { type: 'array', items: { type: 'object' } }, since: { type: 'string' } },
        },
        Sla: {
          type: 'object',
          required: ['sla_ms', 'hours'],
          properties: {
            sla_ms: { type: 'number' },
            from: { type: 'string' },
            to: { type: 'string' },
            hours: {
              type: 'array',
              items: {
                type: 'object',
                properties: Object.fromEntries(
                  ['hour', 'query_count', 'p50_latency_ms', 'p95_latency_ms', 'p99_latency_ms', 'queries_per_second', 'avg_concurrent_queries', 'sla_compliance_rate'].map((k) => [k, { type: k === 'hour' ? 'string' : 'number' }]),
                ),
              },
            },
          },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['type', 'message'],
              properties: { type: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' }, limit: { type: 'string' }, slice: { type: 'string' } },
            },
          },
        },
      },
    },
  };
}
