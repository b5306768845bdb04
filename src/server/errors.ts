// The HTTP boundary's error handling: request validation with messages that name the parameter and what
// it accepts, one error body `{"status": "error", "message": …}` for every failure, and no stack trace or
// internal detail in any response.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { FeedError } from '../shared/errors.js';
import { isDatabaseUnavailable } from '../store/unavailable.js';
import { acceptedBy } from './schemas.js';

/** The error body of every failed request. */
export function errorJson(message: string): string {
  return JSON.stringify({ status: 'error', message });
}

/** A request value as the message quotes it: JSON, cut short. */
function quote(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const PART_NAMES: Record<string, string> = {
  querystring: 'query string',
  body: 'request body',
  params: 'path parameters',
  headers: 'headers',
};

/** The shape of an object schema (unwrapping refinements), to find each field's accepted values. */
function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const def = (schema as unknown as { _zod?: { def?: { shape?: Record<string, z.ZodType> } } })._zod?.def;
  return def?.shape;
}

/**
 * One message for a failed validation: each bad field with what it accepts and what it got, e.g.
 * `page_size must be an integer 1..100, got "500"`; cross-field rules speak for themselves.
 */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  data: unknown,
  schema: z.ZodType,
  part = 'querystring',
): string {
  const shape = shapeOf(schema);
  const raw = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : undefined;
  const messages: string[] = [];
  const seen = new Set<string>();
  for (const issue of issues) {
    const key = issue.path.map(String).join('.');
    if (seen.has(key)) continue;
    seen.add(key);
    if (issue.path.length === 0) {
      if (issue.code === 'custom') messages.push(issue.message);
      else messages.push(`${PART_NAMES[part] ?? part} must be a JSON object, got ${quote(data)}`);
      continue;
    }
    const top = String(issue.path[0]);
    const accepted = acceptedBy(shape?.[top]);
    const value = issue.path.reduce<unknown>(
      (v, k) => (typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined),
      raw,
    );
    messages.push(`${key} must be ${accepted ?? issue.message.toLowerCase()}, got ${quote(value)}`);
  }
  return messages.join('; ');
}

/**
 * Fastify validator compiler for zod schemas: parses the request part, or fails with a
 * `FeedError('bad_request')` whose message `formatIssues` wrote.
 */
export function validatorCompiler({ schema, httpPart }: { schema: z.ZodType; httpPart?: string }) {
  return (data: unknown): { value: unknown } | { error: Error } => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    return { error: new FeedError('bad_request', formatIssues(result.error.issues, data, schema, httpPart)) };
  };
}

/** The answer of a request that needed the database while it is unreachable. */
export const DATABASE_UNAVAILABLE = 'the database is unreachable right now; try again shortly (see /ready)';

/** Status and client-safe message of anything a handler threw. */
export function describeHttpError(error: unknown): { status: number; message: string; internal: boolean } {
  // A lost database is not a bug of the request: 503, try again (also when a store error wraps it).
  if (!(error instanceof FeedError && error.status === 503) && isDatabaseUnavailable(error)) {
    return { status: 503, message: DATABASE_UNAVAILABLE, internal: false };
  }
  if (error instanceof FeedError) {
    const status = error.status;
    // 4xx and 503 messages are written for clients; other 5xx messages may name internals.
    const safe = status < 500 || status === 503;
    return { status, message: safe ? error.message : 'internal error', internal: !safe };
  }
  const { statusCode, code } = (error ?? {}) as Partial<FastifyError>;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const message =
      code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'unsupported content type: send the body as JSON with Content-Type: application/json'
        : (error as Error).message || 'bad request';
    return { status: statusCode, message, internal: false };
  }
  return { status: 500, message: 'internal error', internal: true };
}

/** Sends already-serialised JSON (no schema serializer runs on a string or buffer with a JSON content type). */
export function sendJsonText(reply: FastifyReply, text: string | Buffer, status?: number): FastifyReply {
  if (status !== undefined) reply.code(status);
  return reply.type('application/json; charset=utf-8').send(text);
}

function sendError(reply: FastifyReply, status: number, message: string): void {
  void sendJsonText(reply, errorJson(message), status);
}

/** Installs the error handler and the not-found handler: every failure answers `{status, message}`. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, message, internal } = describeHttpError(error);
    if (internal) request.log.error({ err: error }, 'request failed');
    const databaseLost =
      message === DATABASE_UNAVAILABLE || (error instanceof FeedError && error.code === 'store_unavailable');
    if (databaseLost) reply.header('retry-after', '1');
    sendError(reply, status, message);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const shown = path.length > 100 ? `${path.slice(0, 97)}...` : path;
    sendError(reply, 404, `no route ${request.method} ${shown}; the API is described at /docs`);
  });
}

/** For Fastify's `frameworkErrors` option: errors raised before routing (a malformed URL, …). */
export function frameworkErrorHandler(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const status = typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 400;
  sendError(reply, status, status === 400 ? `bad request: ${error.message}` : error.message);
}
