import { stat as statCallback } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '../../ports/index.js';

/**
 * The lake as a directory on disk (DuckDB reads it in place of Athena reading S3).
 * Writes go to a temporary name and are renamed, so a reader never sees half a file.
 */
export class DirectoryObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  private path(key: string): string {
    if (key.startsWith('/') || key.split('/').includes('..')) throw new Error(`object key "${key}" must be relative without ".."`);
    return join(this.root, key);
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomUUID()}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, path);
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return await readFile(this.path(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async version(key: string): Promise<string | null> {
    const path = this.path(key);
    // The callback form: a refresh asks for the version of each of its 92 day files on every run,
    // and fs/promises' stat costs several times as much of the event loop per call.
    return new Promise((resolve, reject) =>
      statCallback(path, { bigint: true }, (e, s) => {
        if (e) return e.code === 'ENOENT' ? resolve(null) : reject(e);
        // A put renames a new file into place, so a rewrite always changes the inode.
        resolve(`${s.ino}-${s.size}-${s.mtimeNs}`);
      }),
    );
  }

  async delete(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((k) => rm(this.path(k), { force: true })));
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    // Keys are built as strings and subdirectories read side by side: a refresh lists every hour
    // directory of 92 days on each run.
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      const below: Promise<void>[] = [];
      for (const e of entries) {
        if (e.isDirectory()) below.push(walk(join(dir, e.name), `${keyPrefix}${e.name}/`));
        else if (!e.name.endsWith('.tmp')) out.push(keyPrefix + e.name);
      }
      await Promise.all(below);
    };
    // Walk from the deepest whole directory of the prefix, then filter by the rest.
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    await walk(join(this.root, base), base === '' ? '' : `${base}/`);
    return out.filter((k) => k.startsWith(prefix)).sort();
  }
}
