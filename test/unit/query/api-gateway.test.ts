import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { isApiGatewayV2Event, toApiGatewayResult, toApiRequest } from '../../../functions/coordinator/api-gateway.js';

const event = (over: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: '$default',
    rawPath: '/views/ml_features_realtime',
    rawQueryString: 'sensor=a,b',
    headers: { Accept: 'application/vnd.apache.arrow.stream', 'x-api-key': 'k' },
    queryStringParameters: { sensor: 'a,b' },
    requestContext: { http: { method: 'GET', path: '/views/ml_features_realtime', protocol: 'HTTP/1.1', sourceIp: '1.2.3.4', userAgent: 'x' } },
    isBase64Encoded: false,
    ...over,
  }) as APIGatewayProxyEventV2;

describe('the API Gateway adapter', () => {
  it('turns an HTTP API event into the core request, header names lower-case', () => {
    expect(toApiRequest(event())).toEqual({ method: 'GET', path: '/views/ml_features_realtime', query: { sensor: 'a,b' }, headers: { accept: 'application/vnd.apache.arrow.stream', 'x-api-key': 'k' }, body: null });
  });

  it('decodes a base64 body', () => {
    expect(toApiRequest(event({ body: Buffer.from('{"a":1}').toString('base64'), isBase64Encoded: true })).body).toBe('{"a":1}');
  });

  it('sends binary bodies base64 and text as it is', () => {
    expect(toApiGatewayResult({ status: 200, headers: {}, body: new Uint8Array([1, 2, 3]) })).toEqual({ statusCode: 200, headers: {}, body: 'AQID', isBase64Encoded: true });
    expect(toApiGatewayResult({ status: 400, headers: { a: 'b' }, body: '{}' })).toEqual({ statusCode: 400, headers: { a: 'b' }, body: '{}', isBase64Encoded: false });
  });

  it('joins a binary body sent in pieces before encoding it', () => {
    const pieces = [new Uint8Array([1]), new Uint8Array([2, 3]), new Uint8Array(0), new Uint8Array([4, 5, 6]).subarray(1)];
    expect(toApiGatewayResult({ status: 200, headers: {}, body: pieces })).toEqual({ statusCode: 200, headers: {}, body: Buffer.from([1, 2, 3, 5, 6]).toString('base64'), isBase64Encoded: true });
  });

  it('recognises only payload 2.0 events', () => {
    expect(isApiGatewayV2Event(event())).toBe(true);
    expect(isApiGatewayV2Event({ ...event(), version: '1.0' })).toBe(false);
    expect(isApiGatewayV2Event({ eventSource: 'aws:kafka', records: {} })).toBe(false);
  });
});
