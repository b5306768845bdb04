// Untrusted input of the dashboard (path ids, search boxes, the sign-in form), validated with zod; a bad
// value is a `FeedError('bad_request')` naming the field, what it accepts and what came.
import { z } from 'zod';
import { FeedError } from '../../shared/errors.js';

/** A decimal id from a path or a query string ("42"); "4.2", "0x2a", "-1", "" are refused. */
export const IdText = z
  .string()
  .trim()
  .regex(/^\d{1,15}$/)
  .transform(Number)
  .pipe(z.number().int().positive());

/** What a search box sends: a non-empty text of bounded length. */
export const SearchText = z.string().trim().min(1).max(200);

export const SignInForm = z.object({
  token: z.string().min(1).max(4096),
  next: z.string().max(500).optional(),
});
export type SignInForm = z.infer<typeof SignInForm>;

const quote = (value: unknown) => {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}..."` : text;
};

/**
 * `value` parsed by `schema`, or a bad_request error saying `${name} must be ${accepts}, got …`.
 * @example const id = parseInput(IdText, request.params.id, 'user id', 'a positive integer');
 */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, name: string, accepts: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new FeedError(
    'bad_request',
    `${name} must be ${accepts}, got ${value === undefined ? 'nothing' : quote(value)}`,
  );
}

/**
 * Where a sign-in may send the browser next: a path inside the dashboard only (never another site, never
 * a protocol-relative `//host`), else the overview.
 * @example safeNext('/dashboard/users/4') // '/dashboard/users/4'; safeNext('https://evil.example') // '/dashboard'
 */
export function safeNext(next: string | undefined): string {
  if (next === undefined) return '/dashboard';
  return /^\/dashboard(?:[/?][A-Za-z0-9\-._~%/?=&+]*)?$/.test(next) && !next.includes('//')
    ? next
    : '/dashboard';
}
