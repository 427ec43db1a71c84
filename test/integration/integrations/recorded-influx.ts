import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'influx');
export const RECORDED = { org: 'streamtech', bucket: 'sensor_metrics', measurement: 'pump', token: 'recorded-token' } as const;

/** A write the server received: the query string and the line-protocol body. */
export interface RecordedWrite {
  readonly query: URLSearchParams;
  readonly lines: string[];
}

/** How the server answers writes, in turn; after the list runs out, 204. */
export type WriteReply = { status: number; body?: object; headers?: Record<string, string> } | 'hang';

export interface RecordedInflux {
  readonly url: string;
  readonly queries: string[];
  readonly writes: RecordedWrite[];
  /** Replace the recorded page for a given page start (e.g. a page with a bad value). */
  pageOverrides: Map<string, string>;
  writeReplies: WriteReply[];
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));

/**
 * A local HTTP server answering InfluxDB 2.x's /api/v2/query and /api/v2/write with responses
 * recorded in InfluxDB's own shapes (annotated CSV with #datatype/#group/#default, JSON error
 * bodies {"code","message"}, 204 on a write). No InfluxDB 2.x server can be installed here.
 */
export async function startRecordedInflux(): Promise<RecordedInflux> {
  const hanging: ServerResponse[] = [];
  const state = {
    queries: [] as string[],
    writes: [] as RecordedWrite[],
    pageOverrides: new Map<string, string>(),
    writeReplies: [] as WriteReply[],
  };
  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.headers.authorization !== `Token ${RECORDED.token}`) return json(res, 401, { code: 'unauthorized', message: 'unauthorized access' });
    if (url.searchParams.get('org') !== RECORDED.org) return json(res, 404, { code: 'not found', message: `organization name "${url.searchParams.get('org')}" not found` });
    if (req.method === 'POST' && url.pathname === '/api/v2/query') {
      const { query } = JSON.parse(body) as { query: string };
      state.queries.push(query);
      const bucket = /bucket: "([^"]*)"/.exec(query)?.[1];
      if (bucket !== RECORDED.bucket) return json(res, 404, { code: 'not found', message: `failed to initialize execute state: could not find bucket "${bucket}"` });
      const measurement = /measurement: "([^"]*)"|r\._measurement == "([^"]*)"/.exec(query);
      const csv = (text: string) => res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' }).end(text);
      if ((measurement?.[1] ?? measurement?.[2]) !== RECORDED.measurement) return csv('\r\n');
      if (query.includes('schema.measurementTagKeys')) return csv(readFileSync(join(FIXTURES, 'tag-keys.csv'), 'utf8'));
      if (query.includes('schema.measurementFieldKeys')) return csv(readFileSync(join(FIXTURES, 'field-keys.csv'), 'utf8'));
      const start = /range\(start: time\(v: "(\d{4}-\d{2}-\d{2}T\d{2})/.exec(query)?.[1];
      if (!start) return json(res, 400, { code: 'invalid', message: 'compilation failed: no range' });
      const override = state.pageOverrides.get(start);
      if (override) return csv(readFileSync(join(FIXTURES, override), 'utf8'));
      try {
        return csv(readFileSync(join(FIXTURES, `page-${start}.csv`), 'utf8'));
      } catch {
        return csv('\r\n');
      }
    }
    if (req.method === 'POST' && url.pathname === '/api/v2/write') {
      if (url.searchParams.get('bucket') !== RECORDED.bucket) return json(res, 404, { code: 'not found', message: `bucket "${url.searchParams.get('bucket')}" not found` });
      const reply = state.writeReplies.shift();
      if (reply === 'hang') {
        hanging.push(res);
        return;
      }
      if (reply && reply.status !== 204) return json(res, reply.status, reply.body ?? {}, reply.headers);
      state.writes.push({ query: url.searchParams, lines: body.split('\n').filter((l) => l !== '') });
      return res.writeHead(204).end();
    }
    return json(res, 404, { code: 'not found', message: 'path not found' });
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ...state,
    get pageOverrides() {
      return state.pageOverrides;
    },
    set pageOverrides(v) {
      state.pageOverrides = v;
    },
    get writeReplies() {
      return state.writeReplies;
    },
    set writeReplies(v) {
      state.writeReplies = v;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
