/**
 * A minimal S3 REST server (path-style) for the s3:// store's tests: the
 * calls the store makes, with CRC32C checks like S3's
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html).
 * Signatures are not verified. Test support only, not part of strato/testing.
 */

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32c } from '@node-rs/crc32';
import { crc32cBase64 } from '../../src/storage/checksum.ts';

interface S3Object {
  data: Buffer;
  crc32c: string;
  etag: string;
  metadata: Record<string, string>;
  modified: Date;
}

export interface FakeS3 {
  endpoint: string;
  buckets: Map<string, Map<string, S3Object>>;
  /** Multipart uploads started and not completed or aborted. */
  openUploads(): number;
  close(): Promise<void>;
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const crcOf = (data: Buffer) => crc32cBase64(crc32c(data));

export async function startFakeS3(buckets: Record<string, string>): Promise<FakeS3> {
  const store = new Map<string, Map<string, S3Object>>(Object.keys(buckets).map((b) => [b, new Map()]));
  const uploads = new Map<
    string,
    { bucket: string; key: string; parts: Map<number, Buffer>; metadata: Record<string, string> }
  >();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => reply(res, 500, error.message));
  });

  function reply(res: ServerResponse, status: number, code: string, headers: Record<string, string> = {}) {
    const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`;
    res.writeHead(status, { 'content-type': 'application/xml', ...headers });
    res.end(body);
  }

  function xml(res: ServerResponse, body: string, headers: Record<string, string> = {}) {
    res.writeHead(200, { 'content-type': 'application/xml', ...headers });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>${body}`);
  }

  async function bodyOf(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  function metadataOf(req: IncomingMessage): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith('x-amz-meta-') && typeof value === 'string') out[name.slice(11)] = value;
    }
    return out;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    const [bucketName, ...rest] = url.pathname.slice(1).split('/');
    const key = decodeURIComponent(rest.join('/'));
    const bucket = store.get(bucketName ?? '');
    if (!bucket) return reply(res, 404, 'NoSuchBucket');
    const q = url.searchParams;
    if (key === '') {
      if (req.method === 'HEAD') return void res.writeHead(200).end();
      if (q.has('location'))
        return xml(
          res,
          `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${buckets[bucketName!]}</LocationConstraint>`,
        );
      const prefix = q.get('prefix') ?? '';
      const delimiter = q.get('delimiter') ?? '';
      const max = Number(q.get('max-keys') ?? 1000);
      // Continuation token: base64 of the last key returned, or of a rolled-up prefix ("P" + prefix).
      const token = Buffer.from(q.get('continuation-token') ?? '', 'base64').toString();
      const skipPrefix = token.startsWith('P') ? token.slice(1) : undefined;
      const after = token.startsWith('K') ? token.slice(1) : '';
      const contents: string[] = [];
      const prefixes = new Set<string>();
      let last = '';
      let next: string | undefined;
      for (const name of [...bucket.keys()].sort()) {
        if (!name.startsWith(prefix) || name <= after) continue;
        if (skipPrefix !== undefined && (name <= skipPrefix || name.startsWith(skipPrefix))) continue;
        const cut = delimiter ? name.indexOf(delimiter, prefix.length) : -1;
        const rolledUp = cut === -1 ? undefined : name.slice(0, cut + delimiter.length);
        if (rolledUp !== undefined && prefixes.has(rolledUp)) continue;
        if (contents.length + prefixes.size >= max) {
          next = Buffer.from(last).toString('base64');
          break;
        }
        if (rolledUp !== undefined) {
          prefixes.add(rolledUp);
          last = `P${rolledUp}`;
          continue;
        }
        const o = bucket.get(name)!;
        contents.push(
          `<Contents><Key>${xmlEscape(name)}</Key><LastModified>${o.modified.toISOString()}</LastModified><ETag>${o.etag}</ETag><Size>${o.data.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
        );
        last = `K${name}`;
      }
      return xml(
        res,
        `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucketName}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${contents.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${next ? 'true' : 'false'}</IsTruncated>${contents.join('')}${[...prefixes].map((p) => `<CommonPrefixes><Prefix>${xmlEscape(p)}</Prefix></CommonPrefixes>`).join('')}${next ? `<NextContinuationToken>${xmlEscape(next)}</NextContinuationToken>` : ''}</ListBucketResult>`,
      );
    }
    if (req.method === 'POST' && q.has('uploads')) {
      const id = randomBytes(8).toString('hex');
      uploads.set(id, { bucket: bucketName!, key, parts: new Map(), metadata: metadataOf(req) });
      return xml(
        res,
        `<InitiateMultipartUploadResult><Bucket>${bucketName}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    const uploadId = q.get('uploadId');
    if (uploadId) {
      const upload = uploads.get(uploadId);
      if (!upload) return reply(res, 404, 'NoSuchUpload');
      if (req.method === 'PUT') {
        const data = await bodyOf(req);
        const declared = req.headers['x-amz-checksum-crc32c'];
        if (declared && declared !== crcOf(data)) return reply(res, 400, 'BadDigest');
        upload.parts.set(Number(q.get('partNumber')), data);
        return void res
          .writeHead(200, { etag: `"part-${q.get('partNumber')}"`, 'x-amz-checksum-crc32c': crcOf(data) })
          .end();
      }
      if (req.method === 'DELETE') {
        uploads.delete(uploadId);
        return void res.writeHead(204).end();
      }
      await bodyOf(req);
      const data = Buffer.concat(
        [...upload.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, part]) => part),
      );
      const declared = req.headers['x-amz-checksum-crc32c'];
      if (declared && declared !== crcOf(data)) return reply(res, 400, 'BadDigest');
      uploads.delete(uploadId);
      bucket.set(key, {
        data,
        crc32c: crcOf(data),
        etag: '"multipart"',
        metadata: upload.metadata,
        modified: new Date(),
      });
      return xml(
        res,
        `<CompleteMultipartUploadResult><Bucket>${bucketName}</Bucket><Key>${xmlEscape(key)}</Key><ETag>"multipart"</ETag><ChecksumCRC32C>${crcOf(data)}</ChecksumCRC32C></CompleteMultipartUploadResult>`,
      );
    }
    if (req.method === 'PUT') {
      const data = await bodyOf(req);
      const declared = req.headers['x-amz-checksum-crc32c'];
      if (declared && declared !== crcOf(data)) return reply(res, 400, 'BadDigest');
      const etag = `"${randomBytes(8).toString('hex')}"`;
      bucket.set(key, { data, crc32c: crcOf(data), etag, metadata: metadataOf(req), modified: new Date() });
      return void res.writeHead(200, { etag, 'x-amz-checksum-crc32c': crcOf(data) }).end();
    }
    const object = bucket.get(key);
    if (req.method === 'DELETE') {
      bucket.delete(key);
      return void res.writeHead(204).end();
    }
    if (!object) return reply(res, 404, 'NoSuchKey');
    const headers: Record<string, string> = {
      etag: object.etag,
      'last-modified': object.modified.toUTCString(),
      'content-type': 'application/octet-stream',
      ...Object.fromEntries(Object.entries(object.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])),
      ...(req.headers['x-amz-checksum-mode'] === 'ENABLED' ? { 'x-amz-checksum-crc32c': object.crc32c } : {}),
    };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      if (start >= object.data.length) return reply(res, 416, 'InvalidRange');
      const end = range[2] ? Math.min(Number(range[2]) + 1, object.data.length) : object.data.length;
      res.writeHead(206, {
        ...headers,
        'content-length': String(end - start),
        'content-range': `bytes ${start}-${end - 1}/${object.data.length}`,
      });
      return void res.end(req.method === 'HEAD' ? undefined : object.data.subarray(start, end));
    }
    res.writeHead(200, { ...headers, 'content-length': String(object.data.length) });
    res.end(req.method === 'HEAD' ? undefined : object.data);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    buckets: store,
    openUploads: () => uploads.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
