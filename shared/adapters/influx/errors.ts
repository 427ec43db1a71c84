import { TidelineError } from '../../errors.js';

/**
 * InfluxDB cannot be used as configured: `setting` names the option or variable to fix
 * (e.g. `--url / INFLUX_URL` for an unreachable server, `--token / INFLUX_TOKEN` for a refused one).
 */
export class InfluxSettingError extends TidelineError {
  constructor(
    readonly setting: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${setting}: ${message}`, options);
  }
}

/** Where a request went, to name the right setting in an error. */
export interface InfluxTarget {
  readonly url: string;
  readonly org: string;
  readonly bucket: string;
  /** How each setting is spelt where the user gave it: CLI options or environment variables. */
  readonly names: { readonly url: string; readonly token: string; readonly org: string; readonly bucket: string };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER']);

/** The server's own message from an HttpError body ({"code","message"}), or the status line. */
function serverMessage(e: { statusCode?: number; statusMessage?: string; json?: { message?: string }; body?: string }): string {
  return e.json?.message ?? (e.body && e.body.length < 300 ? e.body : `${e.statusCode} ${e.statusMessage ?? ''}`.trim());
}

/**
 * Turns a failure of the InfluxDB client into an InfluxSettingError naming what to fix:
 * unreachable → url; 401/403 → token; unknown organization → org; unknown bucket → bucket.
 * Anything else keeps the server's message under the url setting.
 */
export function explainInfluxError(e: unknown, target: InfluxTarget): InfluxSettingError {
  if (e instanceof InfluxSettingError) return e;
  const err = e as { code?: string; name?: string; statusCode?: number; statusMessage?: string; json?: { message?: string }; body?: string; message?: string };
  const { names } = target;
  if (err?.name === 'RequestTimedOutError') {
    return new InfluxSettingError(names.url, `InfluxDB at ${target.url} did not answer in time; check ${names.url} or narrow the range`, { cause: e });
  }
  if (err?.code && NETWORK_CODES.has(err.code)) {
    return new InfluxSettingError(names.url, `cannot reach InfluxDB at ${target.url} (${err.code}); check ${names.url} and that the server runs`, { cause: e });
  }
  if (typeof err?.statusCode === 'number') {
    const msg = serverMessage(err);
    if (err.statusCode === 401 || err.statusCode === 403) {
      return new InfluxSettingError(names.token, `InfluxDB refused the token (${err.statusCode}: ${msg}); check ${names.token} and its access to org "${target.org}" and bucket "${target.bucket}"`, { cause: e });
    }
    if (err.statusCode === 404 && /organi[sz]ation/i.test(msg)) {
      return new InfluxSettingError(names.org, `InfluxDB has no organization "${target.org}" (${msg}); check ${names.org}`, { cause: e });
    }
    if (err.statusCode === 404 && /bucket/i.test(msg)) {
      return new InfluxSettingError(names.bucket, `InfluxDB has no bucket "${target.bucket}" in org "${target.org}" (${msg}); check ${names.bucket}`, { cause: e });
    }
    return new InfluxSettingError(names.url, `InfluxDB at ${target.url} answered ${err.statusCode}: ${msg}`, { cause: e });
  }
  return new InfluxSettingError(names.url, `InfluxDB at ${target.url} failed: ${err?.message ?? String(e)}`, { cause: e });
}
