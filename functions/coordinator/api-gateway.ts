import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiRequest, ApiResponse } from './app.js';

/** True when `event` is an API Gateway HTTP API (payload 2.0) event. */
export function isApiGatewayV2Event(event: unknown): event is APIGatewayProxyEventV2 {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Record<string, unknown>;
  const http = (e.requestContext as { http?: { method?: unknown } } | undefined)?.http;
  return e.version === '2.0' && typeof e.rawPath === 'string' && typeof http?.method === 'string';
}

/** API Gateway v2 event → the core's request. */
export function toApiRequest(event: APIGatewayProxyEventV2): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  const body = event.body === undefined || event.body === null ? null : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return { method: event.requestContext.http.method, path: event.rawPath, query: { ...(event.queryStringParameters ?? {}) }, headers, body };
}

/** The core's response → API Gateway v2 result; binary bodies (Arrow) go base64, as API Gateway expects. */
export function toApiGatewayResult(res: ApiResponse): APIGatewayProxyStructuredResultV2 {
  if (typeof res.body === 'string') return { statusCode: res.status, headers: { ...res.headers }, body: res.body, isBase64Encoded: false };
  return { statusCode: res.status, headers: { ...res.headers }, body: Buffer.from(res.body.buffer, res.body.byteOffset, res.body.byteLength).toString('base64'), isBase64Encoded: true };
}

/** Wraps the core as a Lambda handler for API Gateway HTTP APIs. */
export function makeApiGatewayHandler(app: { handle(req: ApiRequest): Promise<ApiResponse> }): (event: unknown) => Promise<APIGatewayProxyStructuredResultV2> {
  return async (event) => {
    if (!isApiGatewayV2Event(event)) {
      return { statusCode: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { type: 'EventShapeError', message: 'coordinator expects an API Gateway HTTP API (payload format 2.0) event' } }) };
    }
    return toApiGatewayResult(await app.handle(toApiRequest(event)));
  };
}
