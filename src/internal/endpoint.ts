/**
 * Service endpoints as users write them, for Cloud Storage
 * (STORAGE_EMULATOR_HOST, --endpoint) and Vertex AI (STRATO_VERTEX_ENDPOINT)
 * alike: `http://HOST:PORT` is plaintext (a fake or an emulator on loopback),
 * `https://HOST[:PORT]` and a bare `HOST[:PORT]` are TLS — the convention of
 * the Google client libraries' emulator variables.
 */

import { StratoError } from '../errors.ts';
import { isUri } from './uri.ts';

export interface Endpoint {
  /** False for `http://`: plaintext. */
  tls: boolean;
  /** The host name or address, without brackets for IPv6. */
  host: string;
  /** The port written, else 443 (TLS) or 80 (plaintext). */
  port: number;
  /** `http(s)://host:port` with no trailing slash, for HTTP clients. */
  url: string;
}

/**
 * Parses `value`, which came from `source` (the env var or flag the user set,
 * named in the error). Anything but a scheme, host and port — a path, a query,
 * credentials, another scheme — is E_USAGE with an example.
 */
export function parseEndpoint(value: string, source: string, example = 'http://127.0.0.1:PORT'): Endpoint {
  const text = value.trim();
  const fail = (why: string) =>
    new StratoError('E_USAGE', `${source}="${value}" is not HOST:PORT or http(s)://HOST:PORT (${why})`, {
      hint: `e.g. ${example} (a fake of \`strato fake-cloud\`), or https://HOST for a TLS endpoint`,
    });
  const hasScheme = isUri(text);
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `https://${text}`);
  } catch {
    throw fail('not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw fail(`scheme ${url.protocol}// is not http or https`);
  if (url.hostname === '') throw fail('no host');
  if (url.pathname !== '/' || url.search || url.hash)
    throw fail('a path or query is not part of an endpoint');
  if (url.username || url.password) throw fail('credentials do not belong in an endpoint');
  const tls = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : tls ? 443 : 80;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { tls, host, port, url: `${url.protocol}//${url.host}` };
}
