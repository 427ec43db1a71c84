import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectStore } from '../../ports/index.js';

/** The lake in S3: keys live under an optional prefix in one bucket. */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix = '',
    /** Keys per ListObjectsV2 page (S3's maximum is 1,000). */
    private readonly pageSize = 1000,
  ) {}

  async put(key: string, body: Uint8Array): Promise<string | null> {
    const res = await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: body }));
    // The same ETag a HEAD of the object returns (version).
    return res.ETag ?? null;
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
    } catch (e) {
      if (e instanceof NoSuchKey || (e as { name?: string }).name === 'NoSuchKey') return null;
      throw e;
    }
  }

  async version(key: string): Promise<string | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return res.ETag ?? `${res.ContentLength}-${res.LastModified?.getTime()}`;
    } catch (e) {
      // HEAD has no body, so a missing key comes back as NotFound rather than NoSuchKey.
      const name = (e as { name?: string }).name;
      if (name === 'NotFound' || name === 'NoSuchKey') return null;
      throw e;
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      const res = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: chunk.map((k) => ({ Key: this.prefix + k })), Quiet: true } }),
      );
      if (res.Errors?.length) throw new Error(`S3 DeleteObjects failed for ${res.Errors.length} keys, first: ${res.Errors[0].Key}: ${res.Errors[0].Message}`);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token, MaxKeys: this.pageSize }),
      );
      for (const o of res.Contents ?? []) if (o.Key) out.push(o.Key.slice(this.prefix.length));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }
}
