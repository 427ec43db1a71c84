import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { gzipSync } from 'node:zlib';
import { ARROW_STREAM, QueryLimitError } from '../../shared/query/index.js';
import { bodyBytes, queryErrorResponse, type ApiRequest, type ApiResponse } from './app.js';

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
  return { statusCode: res.status, headers: { ...res.headers }, body: bodyBytes(res.body).toString('base64'), isBase64Encoded: true };
}

/**
 * What a synchronous Lambda invocation may return, counted on the serialised response (binary
 * bodies base64-encoded): 6 MB, as Lambda's quotas state it (6,291,556 bytes).
 */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6_291_556;

export interface ApiGatewayHandlerOptions {
  /**
   * The largest response to hand back, as Lambda counts it. A larger one is gzip-compressed when
   * the client accepts gzip; if it is still too large, it is refused with a 422 saying how to
   * narrow the query, instead of Lambda failing it as a 502 with no explanation.
   * @default no limit (the local server has none); the Lambda entry sets {@link LAMBDA_RESPONSE_LIMIT_BYTES}
   */
  readonly maxResponseBytes?: number;
}

/** Wraps the core as a Lambda handler for API Gateway HTTP APIs. */
export function makeApiGatewayHandler(
  app: { handle(req: ApiRequest): Promise<ApiResponse> },
  options: ApiGatewayHandlerOptions = {},
): (event: unknown) => Promise<APIGatewayProxyStructuredResultV2> {
  const { maxResponseBytes } = options;
  return async (event) => {
    if (!isApiGatewayV2Event(event)) {
      return { statusCode: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { type: 'EventShapeError', message: 'coordinator expects an API Gateway HTTP API (payload format 2.0) event' } }) };
    }
    const req = toApiRequest(event);
    const res = await app.handle(req);
    const result = toApiGatewayResult(res);
    if (maxResponseBytes === undefined) return result;
    const size = serialisedBytes(result);
    if (size <= maxResponseBytes) return result;
    if (acceptsGzip(req)) {
      const gzipped = toApiGatewayResult({ ...res, headers: { ...res.headers, 'content-encoding': 'gzip', vary: 'accept-encoding' }, body: gzipSync(typeof res.body === 'string' ? res.body : bodyBytes(res.body), { level: 1 }) });
      if (serialisedBytes(gzipped) <= maxResponseBytes) return gzipped;
    }
    return toApiGatewayResult(queryErrorResponse(tooLarge(req, res, size, maxResponseBytes)));
  };
}

/** Bytes of the result as Lambda serialises it. */
function serialisedBytes(result: APIGatewayProxyStructuredResultV2): number {
  return Buffer.byteLength(JSON.stringify(result));
}

function acceptsGzip(req: ApiRequest): boolean {
  return (req.headers['accept-encoding'] ?? '').split(',').some((t) => {
    const [coding, ...params] = t.trim().toLowerCase().split(';');
    return (coding === 'gzip' || coding === '*') && !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
  });
}

const MB = 1024 * 1024;

function tooLarge(req: ApiRequest, res: ApiResponse, size: number, max: number): QueryLimitError {
  const rows = Number(res.headers['x-tideline-rows']);
  const arrow = typeof res.body !== 'string';
  const what = `the response is ${(size / MB).toFixed(1)} MB as Lambda returns it${arrow ? ' (Arrow, base64-encoded)' : ''}, over the ${(max / MB).toFixed(1)} MB a Lambda function may return`;
  const ways: string[] = [];
  // Size grows about linearly with rows; aim a little under the limit.
  if (Number.isInteger(rows) && rows > 0) ways.push(`ask for at most about ${Math.max(1, Math.floor((rows * max * 0.9) / size))} rows (limit)`);
  ways.push('fewer columns (POST /query with columns)', 'a shorter time range (from/to) or fewer sensors');
  if (!arrow) ways.push(`the Arrow form (Accept: ${ARROW_STREAM}), which is several times smaller`);
  if (!acceptsGzip(req)) ways.push('Accept-Encoding: gzip');
  return new QueryLimitError('maxResponseBytes (Lambda response payload, 6 MB)', 'limit', `${what}; ${ways.join(', or ')}`);
}
