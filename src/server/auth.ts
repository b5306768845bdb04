// Who may call what: token checks in constant time (admin and events Bearer tokens, the data routes'
// Flic-Token), and whether the routes that carry personal data may answer without a token.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorJson, sendJsonText } from './errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether `given` equals `expected`, in time independent of where they differ (both are hashed first,
 * so their lengths leak nothing either).
 */
export function tokensEqual(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/**
 * An `onRequest` hook that answers 401 (with `message` and a `WWW-Authenticate` challenge) unless the
 * request carries `Authorization: Bearer <token>`. It runs before the body is read.
 * @example app.post('/events', { onRequest: requireBearer(token, 'events', 'needs …') }, handler)
 */
export function requireBearer(token: string, realm: string, message: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    if (!tokensEqual(bearerToken(typeof header === 'string' ? header : undefined), token)) {
      reply.header('www-authenticate', `Bearer realm="${realm}"`);
      return sendJsonText(reply, errorJson(message), 401);
    }
  };
}

/**
 * Whether a bind address only takes connections from this machine: `localhost`, 127.0.0.0/8, `::1`
 * (also IPv4-mapped). Anything else — `0.0.0.0`, `::`, a LAN address, a host name — counts as exposed.
 * @example isLoopbackAddress('127.0.0.1') // true; isLoopbackAddress('0.0.0.0') // false
 */
export function isLoopbackAddress(address: string): boolean {
  const host = address
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice('::ffff:'.length) : host;
  if (isIPv4(v4)) return v4.startsWith('127.');
  // The URL parser writes an IPv6 address in its shortest form: every spelling of ::1 becomes [::1].
  return isIPv6(host) && new URL(`http://[${host}]/`).hostname === '[::1]';
}

/**
 * How the routes that carry personal data answer: `token` when a DATA_TOKEN is set (they need it), else
 * `open` while the service listens on loopback addresses only (or not at all: `inject`), and `refused`
 * when it listens where other machines reach it — the safe default, enabled by setting DATA_TOKEN.
 * @example personalDataAccess({ dataToken: undefined, boundAddresses: ['0.0.0.0'] }) // 'refused'
 */
export function personalDataAccess({
  dataToken,
  boundAddresses,
}: {
  dataToken: string | undefined;
  boundAddresses: readonly string[];
}): 'token' | 'open' | 'refused' {
  if (dataToken !== undefined) return 'token';
  return boundAddresses.every(isLoopbackAddress) ? 'open' : 'refused';
}
