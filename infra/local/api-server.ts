import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiRequest, ApiResponse } from '../../functions/coordinator/app.js';

/** A Lambda handler for API Gateway HTTP API (payload 2.0) events, e.g. the coordinator's. */
export type ApiGatewayV2Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** A fixed page served beside the API (the dashboard), needing no key. */
export interface StaticRoute {
  readonly contentType: string;
  readonly body: string | Uint8Array | (() => string | Uint8Array | Promise<string | Uint8Array>);
}

/** A runtime-agnostic API core, e.g. the coordinator's (`createCoordinatorApp`). */
export interface ApiCore {
  handle(req: ApiRequest): Promise<ApiResponse>;
}

interface ApiServerCommonOptions {
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default 127.0.0.1 (this machine only) */
  readonly host?: string;
  /** GET paths served as they are, before the handler, e.g. { '/': { contentType: 'text/html', body } }. */
  readonly staticRoutes?: Readonly<Record<string, StaticRoute>>;
  /** API Gateway refuses bodies over 10 MB; so does this server. @default 10485760 */
  readonly maxBodyBytes?: number;
}

/**
 * What answers the requests, one of:
 * - `app`: the core itself, called with the request and its response written as it is (binary
 *   bodies straight to the socket). The local runtime serves the coordinator this way.
 * - `handler`: a Lambda handler for API Gateway HTTP API (payload 2.0) events, called with the
 *   event API Gateway would build and its result written back with base64 bodies decoded, so
 *   the handler cannot tell the difference. Tests serve the Lambda adapter this way (its binary
 *   contract, its 6 MB guard) through real HTTP.
 */
export type ApiServerOptions = ApiServerCommonOptions & ({ readonly app: ApiCore; readonly handler?: never } | { readonly handler: ApiGatewayV2Handler; readonly app?: never });

export interface ApiServer {
  /** e.g. http://127.0.0.1:43121 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const TEXT_TYPES = /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript))/i;

/**
 * API Gateway's stand-in on one machine: an HTTP server in front of the API's core, or in front
 * of a Lambda handler for API Gateway events (see {@link ApiServerOptions}).
 *
 * Serving the core directly is the node runtime's thin adapter, as Hono has one per runtime:
 * API Gateway's binary contract (a body base64-encoded by the handler, decoded again here) cost
 * the headline query's 5.6 MB Arrow answer two passes over 7.5 million characters and their
 * garbage on every request, for nothing a socket needs. The Lambda path keeps that contract.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const maxBody = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const server: Server = createServer((req, res) => {
    serve(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'InternalError', message: `local API server: ${(e as Error).message}` } }));
    });
  });
  server.keepAliveTimeout = 30_000;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const page = req.method === 'GET' ? options.staticRoutes?.[url.pathname] : undefined;
    if (page) {
      const body = typeof page.body === 'function' ? await page.body() : page.body;
      res.writeHead(200, { 'content-type': page.contentType });
      res.end(body);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBody) {
        res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify({ error: { type: 'PayloadTooLarge', message: `request body over ${maxBody} bytes` } }));
        req.destroy();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks);
    if (options.app) {
      const answer = await options.app.handle(toApiRequest(req, url, body));
      if (typeof answer.body === 'string' || answer.body instanceof Uint8Array) {
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
        return;
      }
      // A body in pieces goes out as it is, in one writev, with its length up front.
      const pieces = answer.body;
      res.writeHead(answer.status, { ...answer.headers, 'content-length': String(pieces.reduce((n, p) => n + p.byteLength, 0)) });
      res.cork();
      for (const piece of pieces) res.write(piece);
      res.end();
      res.uncork();
      return;
    }
    const result = await options.handler(toEvent(req, url, body));
    const headers: Record<string, string> = { ...(result.headers as Record<string, string> | undefined) };
    const out = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
    res.writeHead(result.statusCode ?? 200, headers);
    res.end(out);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/** Header names lower-case, repeated headers joined with commas, as API Gateway passes them. */
function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  return headers;
}

/** Query parameters, repeated ones joined with commas, as API Gateway passes them. */
function queryOf(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  return query;
}

/** The core's request: what the API Gateway adapter would make of the same request's event. */
function toApiRequest(req: IncomingMessage, url: URL, body: Buffer): ApiRequest {
  return { method: (req.method ?? 'GET').toUpperCase(), path: url.pathname, query: queryOf(url), headers: headersOf(req), body: body.length === 0 ? null : body.toString('utf8') };
}

/** The HTTP API payload 2.0 event of a request, as API Gateway builds it. */
function toEvent(req: IncomingMessage, url: URL, body: Buffer): APIGatewayProxyEventV2 {
  const headers = headersOf(req);
  const query = queryOf(url);
  const text = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? 'application/json');
  const method = (req.method ?? 'GET').toUpperCase();
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies: headers.cookie?.split(';').map((c) => c.trim()),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body: body.length === 0 ? undefined : text ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body.length > 0 && !text,
  };
}
