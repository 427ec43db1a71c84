import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { TidelineError } from '../../errors.js';

/** DynamoDB Local could not be started (no Java, port taken, jar missing); the message says which. */
export class DynamoDbLocalError extends TidelineError {}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** The Java process's id, so a runtime killed with -9 can stop an orphaned emulator on its next start. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** A free loopback port, chosen by the OS. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function emulatorDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
  } catch {
    throw new DynamoDbLocalError('DynamoDB Local is missing: run `npm install` (it ships in the amplify-dynamodb-simulator package)');
  }
}

/**
 * Starts AWS's DynamoDB Local (the jar shipped in amplify-dynamodb-simulator) on loopback.
 * In memory unless `dbPath` is given (then data survives restarts). Resolves once it answers.
 */
export async function startDynamoDbLocal(
  options: {
    port?: number;
    dbPath?: string;
    /** @default 30000 */
    startTimeoutMs?: number;
    /** Run in its own process group, so a terminal's Ctrl-C reaches only the caller, which stops it last. @default false */
    ownProcessGroup?: boolean;
  } = {},
): Promise<DynamoDbLocal> {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error) throw new DynamoDbLocalError('Java is not installed: DynamoDB Local needs a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)');
  const port = options.port ?? (await freePort());
  const dir = emulatorDir();
  const args = [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-Xmx1g',
    '-jar', join(dir, 'DynamoDBLocal.jar'),
    '-port', String(port),
    '-sharedDb',
    ...(options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory']),
  ];
  const child: ChildProcess = spawn('java', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: options.ownProcessGroup ?? false });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const endpoint = `http://127.0.0.1:${port}`;
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new DynamoDbLocalError(`DynamoDB Local exited (code ${child.exitCode}) on port ${port}: ${output.trim().slice(-500)}`);
    try {
      // Any HTTP answer means it is listening (it answers 400 to a bare GET).
      await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new DynamoDbLocalError(`DynamoDB Local did not answer on port ${port} within ${timeoutMs / 1000} s: ${output.trim().slice(-500)}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  return {
    endpoint,
    port,
    pid: child.pid,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
