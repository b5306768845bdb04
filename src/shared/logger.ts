// Structured logging (pino). Secrets are redacted by key name and by registered value.
import { type Logger, pino } from 'pino';
import { redact } from './redact.js';

export type { Logger };

export interface LoggerOptions {
  /** pino level; `silent` turns logging off. */
  level?: string;
  /** Where to write: defaults to stderr so stdout stays for command output. */
  destination?: NodeJS.WritableStream;
}

/** Creates the process logger: JSON lines on stderr, secrets removed. */
export function createLogger({
  level = process.env.LOG_LEVEL ?? 'info',
  destination,
}: LoggerOptions = {}): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          'token',
          'flicToken',
          'adminToken',
          'dataToken',
          'eventsToken',
          'apiKey',
          'headers["flic-token"]',
          'headers.authorization',
        ],
        censor: '[REDACTED]',
      },
      hooks: {
        // Values registered as secrets are scrubbed from messages too, wherever they came from.
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? redact(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    (destination ?? pino.destination(2)) as pino.DestinationStream,
  );
}
