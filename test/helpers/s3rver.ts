import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../shared/adapters/index.js';

export interface LocalS3 {
  readonly client: S3Client;
  stop(): Promise<void>;
}

/**
 * A local S3 server (s3rver) in a child process. It signs its ListObjectsV2 continuation
 * tokens with DES, which OpenSSL 3 keeps in its legacy provider, hence the Node.js flag.
 */
export async function startS3rver(): Promise<LocalS3> {
  const port = await freePort();
  const bin = join(dirname(createRequire(import.meta.url).resolve('s3rver/package.json')), 'bin', 's3rver.js');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', bin, '-d', await mkdtemp(join(tmpdir(), 's3rver-')), '-a', '127.0.0.1', '-p', String(port), '-s'], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(endpoint);
      break;
    } catch {
      if (i > 100 || child.exitCode !== null) throw new Error(`s3rver did not start on port ${port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  return {
    client,
    stop: () => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill()))),
  };
}
