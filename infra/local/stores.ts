import { rmSync } from 'node:fs';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import {
  createTables,
  DirectoryObjectStore,
  dynamoClientFrom,
  ingestPortsFrom,
  startDynamoDbLocal,
  type DynamoDbLocal,
} from '../../shared/adapters/index.js';
import { loadTidelineConfig, type TidelineConfig } from '../../shared/config/index.js';
import type { IngestPorts } from '../../shared/ingest/index.js';
import { TidelineError } from '../../shared/errors.js';

/** A local port is taken or out of range; the message names the setting that moves it. */
export class PortInUseError extends TidelineError {}

export interface LocalStores {
  readonly dataDir: string;
  readonly config: TidelineConfig;
  readonly dynamodb: DynamoDbLocal;
  readonly ports: IngestPorts;
  readonly dynamo: ReturnType<typeof dynamoClientFrom>;
  stop(): Promise<void>;
}

/** The data directory: TIDELINE_DATA_DIR, or `.tideline` under the working directory. */
export function dataDirFrom(env: NodeJS.ProcessEnv): string {
  return resolve(env.TIDELINE_DATA_DIR || '.tideline');
}

/** Resolves when `port` on loopback is free; otherwise a PortInUseError naming `setting`. */
export async function ensurePortFree(port: number, setting: string): Promise<void> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PortInUseError(`${setting} must be a port from 0 to 65535, got ${port}`);
  if (port === 0) return;
  await new Promise<void>((ok, fail) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        e.code === 'EADDRINUSE'
          ? new PortInUseError(`port ${port} on 127.0.0.1 is taken (another Tideline, or another program): stop it, or set ${setting} to a free port`)
          : e,
      ),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => ok()));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface EmulatorRecord {
  readonly pid: number;
  readonly port: number;
}

/**
 * A runtime killed with -9 leaves its DynamoDB Local running on the same files. If it still
 * answers, the next start adopts it (no JVM start, nothing lost: it never stopped); if it is
 * there but does not answer, it is stopped. Only a process that is DynamoDB Local on this data
 * directory's files is touched.
 */
async function adoptOrStopOrphan(recordFile: string, dbPath: string): Promise<DynamoDbLocal | null> {
  let record: EmulatorRecord;
  try {
    record = JSON.parse(await readFile(recordFile, 'utf8')) as EmulatorRecord;
  } catch {
    return null;
  }
  const { pid, port } = record;
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return null;
  const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  if (!cmdline.some((a) => a.endsWith('DynamoDBLocal.jar')) || cmdline[cmdline.indexOf('-dbPath') + 1] !== dbPath) return null;
  const endpoint = `http://127.0.0.1:${port}`;
  const answers = await fetch(endpoint, { signal: AbortSignal.timeout(2000) }).then(() => true, () => false);
  const stop = async () => {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  };
  if (answers) return { endpoint, port, pid, stop };
  await stop();
  return null;
}

/**
 * An empty SQLite database in WAL mode, written where DynamoDB Local (-sharedDb) keeps its data
 * before its first start. SQLite keeps the journal mode in the file, so every write DynamoDB Local
 * makes then costs one fsync of the log instead of the rollback journal's several: about 3x the
 * item writes per second, the executor's bottleneck on one machine. Layout per
 * https://www.sqlite.org/fileformat2.html (header, then page 1 as an empty table b-tree leaf).
 */
export function emptyWalDatabase(): Buffer {
  const page = Buffer.alloc(4096);
  page.write('SQLite format 3\0', 0, 'latin1');
  page.writeUInt16BE(4096, 16); // page size
  page[18] = 2; // write version 2: WAL
  page[19] = 2; // read version 2: WAL
  page[21] = 64; // payload fractions, fixed by the format
  page[22] = 32;
  page[23] = 32;
  page.writeUInt32BE(1, 24); // change counter
  page.writeUInt32BE(1, 28); // size in pages
  page.writeUInt32BE(4, 44); // schema format
  page.writeUInt32BE(1, 56); // UTF-8
  page.writeUInt32BE(1, 92); // version-valid-for = change counter, so the size above is trusted
  page.writeUInt32BE(3045001, 96);
  page[100] = 0x0d; // leaf table b-tree, no cells
  page.writeUInt16BE(4096, 105); // cell content starts at the end of the page
  return page;
}

async function ensureWalDatabase(dbPath: string): Promise<void> {
  const file = join(dbPath, 'shared-local-instance.db');
  const exists = await access(file).then(() => true, () => false);
  if (!exists) await writeFile(file, emptyWalDatabase(), { flag: 'wx' });
}

/**
 * Starts the stand-ins the handlers need on one machine: DynamoDB Local keeping its data under
 * the data directory (a restart loses nothing), the tables from the shared specs, and the lake
 * as a directory. TIDELINE_DYNAMODB_PORT fixes DynamoDB Local's port (default: a free one).
 */
export async function startLocalStores(env: NodeJS.ProcessEnv = process.env): Promise<LocalStores> {
  const dataDir = dataDirFrom(env);
  const dbPath = join(dataDir, 'dynamodb');
  await mkdir(dbPath, { recursive: true });
  const recordFile = join(dataDir, 'dynamodb.json');
  let dynamodb = await adoptOrStopOrphan(recordFile, dbPath);
  if (!dynamodb) {
    const port = env.TIDELINE_DYNAMODB_PORT ? Number(env.TIDELINE_DYNAMODB_PORT) : undefined;
    if (port !== undefined) await ensurePortFree(port, 'TIDELINE_DYNAMODB_PORT');
    await ensureWalDatabase(dbPath);
    // Generous: a busy laptop can take a while to start the JVM; a failure still names the port and the output.
    // Its own process group: Ctrl-C in the terminal must not kill it under the batch in flight; the runtime stops it last.
    dynamodb = await startDynamoDbLocal({ dbPath, port, startTimeoutMs: 120_000, ownProcessGroup: true });
    if (dynamodb.pid) await writeFile(recordFile, JSON.stringify({ pid: dynamodb.pid, port: dynamodb.port } satisfies EmulatorRecord));
  }
  const emulator = dynamodb;
  // The emulator runs in its own process group, so nothing stops it when this process exits
  // without stop(): a second Ctrl-C (process.exit), an uncaught error. Only kill -9 skips this
  // hook; the next start adopts that orphan. SIGKILL because the hook cannot wait; SQLite keeps
  // every committed write across a killed process.
  const stopOnExit = () => {
    if (emulator.pid === undefined) return;
    try {
      process.kill(emulator.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    rmSync(recordFile, { force: true });
  };
  process.on('exit', stopOnExit);
  try {
    const config = loadTidelineConfig({ ...env, DYNAMODB_ENDPOINT: emulator.endpoint, LAKE_DIR: join(dataDir, 'lake') });
    const dynamo = dynamoClientFrom(config);
    await createTables(dynamo, config.tables);
    const ports = ingestPortsFrom(config, dynamo, new DirectoryObjectStore(config.lakeDir));
    const stop = async () => {
      dynamo.destroy();
      await emulator.stop();
      process.off('exit', stopOnExit);
      await rm(recordFile, { force: true });
    };
    return { dataDir, config, dynamodb: emulator, ports, dynamo, stop };
  } catch (e) {
    await emulator.stop();
    process.off('exit', stopOnExit);
    throw e;
  }
}
