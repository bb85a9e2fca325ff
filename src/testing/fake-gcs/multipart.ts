/**
 * `multipart/related` bodies of `uploadType=multipart` uploads: a JSON
 * metadata part, then the media part
 * (https://cloud.google.com/storage/docs/uploading-objects#uploading-an-object).
 */

import { badRequest } from './errors.ts';

export interface BodyPart {
  headers: Record<string, string>;
  body: Buffer;
}

export function boundaryOf(contentType: string | undefined): string {
  // Python's email package (gcloud) quotes the boundary with single quotes.
  const match = /boundary=(?:"([^"]+)"|'([^']+)'|([^;\s]+))/i.exec(contentType ?? '');
  const boundary = match?.[1] ?? match?.[2] ?? match?.[3];
  if (!boundary) throw badRequest('multipart upload without a boundary in its Content-Type');
  return boundary;
}

/**
 * Splits a multipart body into parts. Lines end in CRLF per RFC 2046, but
 * gcloud's Python email generator sends bare LF (and GCS accepts it), so the
 * line ending is taken from the first boundary line.
 */
export function parseMultipart(body: Buffer, boundary: string): BodyPart[] {
  const dash = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(dash);
  if (pos === -1) throw badRequest('multipart body without its boundary');
  pos += dash.length;
  const eol = Buffer.from(body[pos] === 0x0d && body[pos + 1] === 0x0a ? '\r\n' : '\n');
  const nextDelimiter = Buffer.concat([eol, dash]);
  const headerEnd = Buffer.concat([eol, eol]);
  const parts: BodyPart[] = [];
  for (;;) {
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts; // closing "--"
    if (body.subarray(pos, pos + eol.length).equals(eol)) pos += eol.length;
    let contentStart: number;
    let headerText = '';
    if (body.subarray(pos, pos + eol.length).equals(eol)) {
      contentStart = pos + eol.length;
    } else {
      const end = body.indexOf(headerEnd, pos);
      if (end === -1) throw badRequest('multipart part without the blank line after its headers');
      headerText = body.subarray(pos, end).toString('latin1');
      contentStart = end + headerEnd.length;
    }
    const end = body.indexOf(nextDelimiter, contentStart);
    if (end === -1) throw badRequest('multipart part without a closing boundary');
    parts.push({ headers: parseHeaders(headerText), body: body.subarray(contentStart, end) });
    pos = end + nextDelimiter.length;
  }
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}
