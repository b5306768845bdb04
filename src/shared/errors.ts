// The project's one error type: a closed set of codes, each with the HTTP status it maps to.
//
// Messages name the thing that was wrong and what is accepted (`page_size must be 1..100, got 500`).
// They never contain secrets; `cause` keeps the underlying error for logs.

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'config_invalid'
  | 'upstream_unavailable'
  | 'upstream_malformed'
  | 'store_failed'
  | 'store_unavailable'
  | 'model_unavailable'
  | 'conflict'
  | 'internal';

export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  config_invalid: 500,
  upstream_unavailable: 502,
  upstream_malformed: 502,
  store_failed: 500,
  store_unavailable: 503,
  model_unavailable: 503,
  internal: 500,
} as const satisfies Record<ErrorCode, number>;

export class FeedError extends Error {
  override readonly name = 'FeedError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** Normalises anything thrown into a message safe to show: no stack, no secret. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
