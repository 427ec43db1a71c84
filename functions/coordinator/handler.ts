import { coordinatorPortsFrom, dynamoClientFrom, lakeFrom } from '../../shared/adapters/index.js';
import { loadTidelineConfig } from '../../shared/config/index.js';
import { loadQueryConfig } from '../../shared/query/index.js';
import { LAMBDA_RESPONSE_LIMIT_BYTES, makeApiGatewayHandler } from './api-gateway.js';
import { createCoordinatorApp } from './app.js';

// Built once per container: configuration errors fail the cold start, naming the variable.
// On AWS, API Gateway authorizes with IAM; TIDELINE_API_KEY stays unset, so the key check is off.
// Lambda freezes the process once the handler returns, so a response waits for its query-log write.
const config = loadTidelineConfig(process.env);
const query = loadQueryConfig(process.env);
const ports = coordinatorPortsFrom(config, query, dynamoClientFrom(config), lakeFrom(config));

/** Lambda entry: API Gateway HTTP API (payload 2.0) → the query API. */
export const handler = makeApiGatewayHandler(createCoordinatorApp({ ports, config: query, criticalZ: config.judgment.criticalZ, awaitQueryLog: true }), {
  maxResponseBytes: LAMBDA_RESPONSE_LIMIT_BYTES,
});
