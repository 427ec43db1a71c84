import { basename, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.js';
import { DirectoryObjectStore, influxHistorySource, InfluxSettingError, parseDuration, parseInfluxMap, parseRange } from '../../../shared/adapters/index.js';
import { DuckDbSqlEngine } from '../../../shared/adapters/duckdb/index.js';
import {
  backfill,
  BackfillOptionsError,
  csvHistorySource,
  parquetHistorySource,
  parseColumnMap,
  parseZoneOffset,
  refreshReflections,
  type BackfillProgress,
  type ColumnMap,
  type HistorySource,
} from '../../../shared/refresh/index.js';
import { dataDirFrom, startLocalStores } from '../../local/stores.js';

const FORMATS = ['skab', 'nab', 'csv', 'parquet'] as const;
type Format = (typeof FORMATS)[number];

const USAGE = `usage: tideline backfill [options] FILE...

Imports history into the local lake (all files or nothing), then refreshes the reflections.

  --format skab|nab|csv|parquet   file layout (default: parquet for .parquet, else csv with the
                                  delimiter guessed from the header)
  --map field=Column,...          which column feeds which field: temperature, pressure, vibration,
                                  status, sensor_id, ts (skab default: temperature=Temperature,
                                  pressure=Pressure,vibration=Accelerometer1RMS; nab: temperature=value)
  --sensor ID                     sensor id of the readings; {name} is the file name without extension
  --tz +01:00                     offset of times written without a zone (default: UTC)
  --as-of ISO-TIME                the refresh's clock: windows end at the start of its hour (default: now)
  --no-refresh                    import only

from InfluxDB 2.x instead of files (Flux, one query per --page of the range):
  --from influx --url URL --org ORG --bucket BUCKET --measurement M --range START/STOP|-30d
  --token TOKEN                   (or INFLUX_TOKEN; also INFLUX_URL, INFLUX_ORG, INFLUX_BUCKET)
  --map sensor_id=tag:device,temperature=temp_c,status=tag:state
                                  reading field = [tag:|field:]name (defaults: tag sensor_id, fields
                                  temperature, pressure, vibration, status where the measurement has them)
  --page 1h                       time span of one query (default 1h)

example: tideline backfill --format skab --sensor 'skab-valve1-{name}' --as-of 2020-03-09T16:00:00Z \\
           /work/shared/data/skab/data/valve1/0.csv /work/shared/data/skab/data/valve1/1.csv
`;

/** `tideline backfill`: history files → the lake (staged, then published) → a refresh. */
export default {
  summary: 'import history (SKAB/NAB CSV, any CSV, Parquet) into the lake, then refresh the reflections (--help)',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        map: { type: 'string' },
        sensor: { type: 'string' },
        tz: { type: 'string' },
        'as-of': { type: 'string' },
        'no-refresh': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
        from: { type: 'string' },
        url: { type: 'string' },
        token: { type: 'string' },
        org: { type: 'string' },
        bucket: { type: 'string' },
        measurement: { type: 'string' },
        range: { type: 'string' },
        page: { type: 'string' },
      },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (positionals.length === 0 && values.from === undefined) throw new UsageError(`name at least one file to import\n${USAGE}`);
    if (values.format !== undefined && !(FORMATS as readonly string[]).includes(values.format)) {
      throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`);
    }
    const asOf = values['as-of'] === undefined ? Date.now() : Date.parse(values['as-of']);
    if (Number.isNaN(asOf)) throw new UsageError(`--as-of must be an ISO-8601 time such as 2020-03-09T16:00:00Z, got "${values['as-of']}"`);
    let sources: HistorySource[];
    try {
      const columns: ColumnMap | undefined = values.map === undefined || values.from !== undefined ? undefined : parseColumnMap(values.map);
      const zone = values.tz === undefined ? 0 : parseZoneOffset(values.tz);
      sources = values.from !== undefined ? [influxSource(values, positionals)] : positionals.map((path) => {
        const format = (values.format as Format | undefined) ?? (extname(path).toLowerCase() === '.parquet' ? 'parquet' : 'csv');
        const sensorId = values.sensor?.replaceAll('{name}', basename(path, extname(path)));
        if (format === 'parquet') {
          if (!columns) throw new BackfillOptionsError('--map', 'a Parquet file needs a column map, e.g. --map temperature=temp,ts=time');
          return parquetHistorySource({ path: resolve(path), columns, sensorId, zoneOffsetMinutes: zone });
        }
        return csvHistorySource({ path: resolve(path), format, columns, sensorId, zoneOffsetMinutes: zone });
      });
    } catch (e) {
      if (e instanceof BackfillOptionsError) throw new UsageError(e.message);
      if (e instanceof InfluxSettingError) throw new UsageError(e.message);
      throw e;
    }

    const refresh = !values['no-refresh'];
    const stores = refresh ? await startLocalStores() : null;
    try {
      const lakeDir = stores ? stores.config.lakeDir : join(dataDirFrom(process.env), 'lake');
      const lake = new DirectoryObjectStore(lakeDir);
      const bar = progressBar();
      const started = performance.now();
      const result = await backfill(sources, lake, { onProgress: bar.update });
      bar.done();
      const seconds = (performance.now() - started) / 1000;
      const span = result.firstTs === null ? '' : ` from ${new Date(result.firstTs).toISOString()} to ${new Date(result.lastTs as number).toISOString()}`;
      process.stdout.write(`imported ${result.rows.toLocaleString('en-US')} readings${span} into ${result.files.length} lake files under ${lakeDir}/readings (${Math.round(result.rows / Math.max(seconds, 1e-3)).toLocaleString('en-US')} rows/s)\n`);
      if (!stores) return 0;
      if (result.lastTs !== null && result.lastTs < asOf - 90 * 86_400_000) {
        process.stderr.write(`note: the imported history ends more than 90 days before ${new Date(asOf).toISOString()}; pass --as-of to refresh as of its time\n`);
      }
      const sql = new DuckDbSqlEngine();
      try {
        const r = await refreshReflections(
          { lake, reflections: stores.ports.reflections, sql, lakeSql: { kind: 'duckdb', root: resolve(lakeDir) } },
          { now: asOf, force: true },
        );
        process.stdout.write(`reflections: version ${r.version} in force for ${r.sensors} sensors (windows end ${new Date(r.windowEnd).toISOString()}; ${r.hoursScanned} hour partitions read)\n`);
      } finally {
        await sql.close();
      }
      return 0;
    } finally {
      await stores?.stop();
    }
  },
} satisfies Command;

/** A one-line progress bar on stderr (redrawn in place on a terminal, a line every 2 s otherwise). */
function progressBar(): { update: (p: BackfillProgress) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  let last = 0;
  let line = '';
  const render = (p: BackfillProgress) => {
    const within = p.size ? Math.min(1, p.progress / p.size) : 0;
    const fraction = (p.sourceIndex + within) / p.sources;
    const width = 30;
    const filled = Math.round(fraction * width);
    const rate = p.rows / Math.max((performance.now() - started) / 1000, 1e-3);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${p.rows.toLocaleString('en-US')} rows ${Math.round(rate).toLocaleString('en-US')}/s ${basename(p.source)} (${p.sourceIndex + 1}/${p.sources})`;
  };
  return {
    update(p) {
      line = render(p);
      const now = performance.now();
      if (tty && now - last > 100) process.stderr.write(`\r${line}\u001b[K`);
      else if (!tty && now - last > 2000) process.stderr.write(`${line}\n`);
      else return;
      last = now;
    },
    done() {
      if (line) process.stderr.write(tty ? `\r${line}\u001b[K\n` : `${line}\n`);
    },
  };
}

/** `--from influx`: the InfluxDB source the options describe (settings also from INFLUX_URL, INFLUX_TOKEN, INFLUX_ORG, INFLUX_BUCKET). */
function influxSource(values: Record<string, string | boolean | undefined>, positionals: readonly string[]): HistorySource {
  if (values.from !== 'influx') throw new UsageError(`--from must be influx (leave it out to import files), got "${values.from}"`);
  if (positionals.length > 0) throw new UsageError(`--from influx imports no files; remove ${positionals.join(' ')}`);
  const setting = (option: string, variable: string | null): string => {
    const v = (values[option] as string | undefined) ?? (variable ? process.env[variable] : undefined);
    if (!v) throw new UsageError(`--from influx needs --${option}${variable ? ` (or ${variable})` : ''}`);
    return v;
  };
  return influxHistorySource({
    url: setting('url', 'INFLUX_URL'),
    token: (values.token as string | undefined) ?? process.env.INFLUX_TOKEN,
    org: setting('org', 'INFLUX_ORG'),
    bucket: setting('bucket', 'INFLUX_BUCKET'),
    measurement: setting('measurement', null),
    range: parseRange(setting('range', null), Date.now()),
    map: parseInfluxMap(values.map as string | undefined),
    pageMs: values.page === undefined ? undefined : parseDuration(values.page as string, '--page'),
  });
}
