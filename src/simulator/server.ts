// The simulated EmpowerVerse API: the six upstream endpoints over plain node:http, with token check, paging and faults.
//
// node:http directly (no framework) because the benchmark pulls 2,000,000 interactions through it on a
// shared 2-core machine: a page is built as one string from pre-serialised records and written once.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { FeedError } from '../shared/errors.js';
import { SOURCE_NAMES, SOURCES, type SourceName } from '../upstream/sources.js';
import type { SimulatorData } from './dataset.js';
import {
  decideFaults,
  duplicatePrefix,
  type FaultOptions,
  invalidRecordPositions,
  invalidRecordPredicate,
  invalidVariant,
  malformedBody,
  type ResolvedFaults,
  resolveFaults,
} from './faults.js';
import { type GenerateOptions, generateDataset } from './generate.js';

export interface SimulatorOptions {
  /** Records to serve; default: `generateDataset(generate)`. */
  data?: SimulatorData;
  /** Options for the generated dataset when `data` is not given. */
  generate?: GenerateOptions;
  /** Interface to bind; loopback by default. */
  host?: string;
  /** Port; 0 picks a free one. */
  port?: number;
  /** The `Flic-Token` the users and posts endpoints require. */
  token?: string;
  /** Records per page when the client sends no `page_size`. */
  defaultPageSize?: number;
  /** Largest accepted `page_size`; larger ones are answered 400. */
  maxPageSize?: number;
  /** Faults switched on from the start (all off by default). */
  faults?: FaultOptions;
  /** Seed for the random faults; default: the generated dataset's seed, else 42. */
  faultSeed?: number;
}

/** Counters since start (or the last `resetStats()`). */
export interface SimulatorStats {
  /** Every request, whatever its outcome. */
  requests: number;
  /** Responses by HTTP status (`"200"`, `"429"`, …); reset connections are counted in `faults.reset`. */
  byStatus: Record<string, number>;
  /** Requests that reached an endpoint (after auth), per source. */
  bySource: Record<SourceName, number>;
  /** Records sent in well-formed 200 pages, per source (duplicates and invalid ones included). */
  recordsServed: Record<SourceName, number>;
  faults: {
    error: number;
    rateLimit: number;
    reset: number;
    slow: number;
    malformed: number;
    invalidRecords: number;
    duplicateRecords: number;
  };
  /** `resonance_algorithm` values received on the interaction endpoints, with counts. */
  resonanceAlgorithms: Record<string, number>;
}

export interface RunningSimulator {
  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The dataset served (without runtime updates). */
  readonly data: SimulatorData;
  /** Stops listening, ends in-flight (also slow) responses at once and closes every connection. */
  close(): Promise<void>;
  /** A snapshot of the counters. */
  stats(): SimulatorStats;
  resetStats(): void;
  /** Replaces the whole fault configuration (`{}` switches everything off) and restarts attempt counting. */
  setFaults(faults: FaultOptions): void;
  /** The fault configuration in force. */
  faults(): ResolvedFaults;
  /** Forgets how often each page was requested, so scripted `times` faults fire again. */
  resetAttempts(): void;
  /**
   * Replaces records by `id` (or appends those with a new id), as if the platform's data changed;
   * a re-sync then sees them. Returns how many were replaced and added.
   */
  updateRecords(source: SourceName, records: readonly object[]): { updated: number; added: number };
  /** Records the endpoint serves now (dataset plus runtime additions). */
  count(source: SourceName): number;
  counts(): Record<SourceName, number>;
  /** Positions (0-based, paging order) of the records served invalid under the current faults. */
  invalidRecordPositions(source: SourceName): number[];
  /** Distinct valid records per endpoint: what a perfect sync stores under the current faults. */
  expectedValidCounts(): Record<SourceName, number>;
}

const MAX_PAGE = 1_000_000_000;
const ROUTES = new Map<string, SourceName>(SOURCE_NAMES.map((s) => [SOURCES[s].path, s]));
const ENDPOINT_LIST = SOURCE_NAMES.map((s) => SOURCES[s].path).join(', ');

function emptyStats(): SimulatorStats {
  const perSource = () => Object.fromEntries(SOURCE_NAMES.map((s) => [s, 0])) as Record<SourceName, number>;
  return {
    requests: 0,
    byStatus: {},
    bySource: perSource(),
    recordsServed: perSource(),
    faults: {
      error: 0,
      rateLimit: 0,
      reset: 0,
      slow: 0,
      malformed: 0,
      invalidRecords: 0,
      duplicateRecords: 0,
    },
    resonanceAlgorithms: {},
  };
}

/** Records changed at runtime, layered over the dataset. */
interface Overlay {
  replaced: Map<number, string>;
  appended: string[];
  appendedIndex: Map<number, number>;
}

class BadQuery extends Error {}

function parseIntParam(
  params: URLSearchParams,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const value = /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new BadQuery(`${name} must be an integer ${min}..${max}, got ${JSON.stringify(raw.slice(0, 40))}`);
  }
  return value;
}

/**
 * Starts the simulated API and resolves once it listens.
 *
 * @example
 * const sim = await startSimulator({ generate: { users: 100, posts: 30, interactions: 2000 }, token: 't' });
 * await fetch(`${sim.url}/posts/view?page=1&page_size=100`);
 * await sim.close();
 */
export async function startSimulator({
  data: given,
  generate,
  host = '127.0.0.1',
  port = 0,
  token = 'dev-token',
  defaultPageSize = 10,
  maxPageSize = 1000,
  faults: initialFaults = {},
  faultSeed,
}: SimulatorOptions = {}): Promise<RunningSimulator> {
  if (!token) throw new FeedError('config_invalid', 'the simulator needs a non-empty Flic-Token to check');
  if (!Number.isSafeInteger(maxPageSize) || maxPageSize < 1) {
    throw new FeedError('config_invalid', `maxPageSize must be an integer >= 1, got ${maxPageSize}`);
  }
  if (!Number.isSafeInteger(defaultPageSize) || defaultPageSize < 1 || defaultPageSize > maxPageSize) {
    throw new FeedError(
      'config_invalid',
      `defaultPageSize must be an integer 1..${maxPageSize}, got ${defaultPageSize}`,
    );
  }
  const data = given ?? generateDataset(generate);
  const seed = faultSeed ?? ((data as { seed?: unknown }).seed as number | undefined) ?? 42;
  const expectedToken = Buffer.from(token, 'utf8');

  let faults = resolveFaults(initialFaults);
  let invalidPredicates = new Map<SourceName, ((index: number) => boolean) | null>();
  let attempts = new Map<string, number>();
  let stats = emptyStats();
  const overlays = new Map<SourceName, Overlay>();
  const pending = new Set<{ timer: NodeJS.Timeout; res: ServerResponse }>();
  let closing: Promise<void> | null = null;

  const count = (source: SourceName) => data.count(source) + (overlays.get(source)?.appended.length ?? 0);

  const isInvalid = (source: SourceName) => {
    if (!invalidPredicates.has(source))
      invalidPredicates.set(source, invalidRecordPredicate(faults, seed, source));
    return invalidPredicates.get(source) ?? null;
  };

  const recordAt = (source: SourceName, index: number, overlay: Overlay | undefined): string => {
    if (overlay) {
      const replaced = overlay.replaced.get(index);
      if (replaced !== undefined) return replaced;
      const base = data.count(source);
      if (index >= base) return overlay.appended[index - base] as string;
    }
    return data.recordJson(source, index);
  };

  const tokenMatches = (header: string | string[] | undefined): boolean => {
    if (typeof header !== 'string') return false;
    const given = Buffer.from(header, 'utf8');
    return given.length === expectedToken.length && timingSafeEqual(given, expectedToken);
  };

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      ...headers,
    });
    res.end(body);
  };

  const sendError = (
    res: ServerResponse,
    status: number,
    message: string,
    headers?: Record<string, string>,
  ) => send(res, status, JSON.stringify({ status: 'error', message }), headers);

  /** The page's records as comma-joined JSON, with duplicates and invalid records applied. */
  const pageRecords = (
    source: SourceName,
    page: number,
    pageSize: number,
  ): { json: string; records: number } => {
    const total = count(source);
    const start = Math.min((page - 1) * pageSize, total);
    const end = Math.min(start + pageSize, total);
    const from = start < end ? start - duplicatePrefix(faults, seed, source, page, start) : start;
    stats.faults.duplicateRecords += start - from;
    const overlay = overlays.get(source);
    const invalid = isInvalid(source);
    let json = '';
    for (let i = from; i < end; i++) {
      let record = recordAt(source, i, overlay);
      if (invalid?.(i)) {
        record = invalidVariant(record, seed, source, i);
        stats.faults.invalidRecords++;
      }
      json += i === from ? record : ',' + record;
    }
    return { json, records: end - from };
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    stats.requests++;
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    let path = q < 0 ? raw : raw.slice(0, q);
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const source = ROUTES.get(path);
    if (!source)
      return sendError(res, 404, `no endpoint ${path.slice(0, 100)}; endpoints are ${ENDPOINT_LIST}`);
    if (req.method !== 'GET') {
      return sendError(res, 405, `${path} accepts GET only, got ${req.method}`, { allow: 'GET' });
    }
    const spec = SOURCES[source];
    const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    let page: number;
    let pageSize: number;
    try {
      page = parseIntParam(params, 'page', 1, MAX_PAGE, 1);
      pageSize = parseIntParam(params, 'page_size', 1, maxPageSize, defaultPageSize);
    } catch (error) {
      if (error instanceof BadQuery) return sendError(res, 400, error.message);
      throw error;
    }
    // The message never repeats what was sent: a wrong token is still somebody's secret.
    if (spec.needsToken && !tokenMatches(req.headers['flic-token'])) {
      return sendError(res, 401, `${path} needs a valid Flic-Token header`);
    }
    stats.bySource[source]++;
    if (spec.takesResonanceAlgorithm) {
      const algorithm = params.get('resonance_algorithm');
      if (algorithm !== null) {
        const key = algorithm.slice(0, 100);
        stats.resonanceAlgorithms[key] = (stats.resonanceAlgorithms[key] ?? 0) + 1;
      }
    }
    const attemptKey = `${source}:${page}`;
    const attempt = (attempts.get(attemptKey) ?? 0) + 1;
    attempts.set(attemptKey, attempt);
    const decision = decideFaults(faults, seed, source, page, attempt);

    const respond = () => {
      switch (decision.failure) {
        case 'reset':
          stats.faults.reset++;
          req.socket.destroy();
          return;
        case 'rate-limit':
          stats.faults.rateLimit++;
          return sendError(res, 429, 'too many requests (simulated)', {
            'retry-after': String(faults.retryAfterSeconds),
          });
        case 'error':
          stats.faults.error++;
          return sendError(res, 500, 'internal server error (simulated)');
      }
      const { json, records } = pageRecords(source, page, pageSize);
      if (decision.malformed) {
        stats.faults.malformed++;
        return send(res, 200, malformedBody(decision.malformed, source, json));
      }
      stats.recordsServed[source] += records;
      send(res, 200, `{"${spec.bodyKey}":[${json}]}`);
    };

    if (decision.delayMs > 0) {
      stats.faults.slow++;
      const entry = {
        res,
        timer: setTimeout(() => {
          pending.delete(entry);
          respond();
        }, decision.delayMs),
      };
      // A slow answer must not keep the process alive, and a client that gives up frees it.
      entry.timer.unref();
      pending.add(entry);
      res.on('close', () => {
        clearTimeout(entry.timer);
        pending.delete(entry);
      });
      return;
    }
    respond();
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      // A bug here must not take the simulator down; answer 500 like any server would.
      if (!res.headersSent) sendError(res, 500, `simulator failure: ${(error as Error).message}`);
      else res.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new FeedError(
          'config_invalid',
          `simulator cannot listen on ${host}:${port}: ${error.code ?? error.message}`,
          {
            cause: error,
          },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;

  return {
    url,
    host,
    port: boundPort,
    data,
    close() {
      if (!closing) {
        closing = new Promise<void>((resolve) => {
          for (const entry of pending) {
            clearTimeout(entry.timer);
            entry.res.destroy();
          }
          pending.clear();
          server.close(() => resolve());
          server.closeAllConnections();
        });
      }
      return closing;
    },
    stats: () => structuredClone(stats),
    resetStats() {
      stats = emptyStats();
    },
    setFaults(options) {
      faults = resolveFaults(options);
      invalidPredicates = new Map();
      attempts = new Map();
    },
    faults: () => faults,
    resetAttempts() {
      attempts = new Map();
    },
    updateRecords(source, records) {
      let overlay = overlays.get(source);
      if (!overlay) {
        overlay = { replaced: new Map(), appended: [], appendedIndex: new Map() };
        overlays.set(source, overlay);
      }
      let updated = 0;
      let added = 0;
      for (const record of records) {
        const id = (record as { id?: unknown }).id;
        if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
          throw new FeedError(
            'bad_request',
            `updateRecords(${source}) needs records with an integer id, got ${JSON.stringify(id)}`,
          );
        }
        const json = JSON.stringify(record);
        const index = data.indexOfId(source, id);
        if (index >= 0) {
          overlay.replaced.set(index, json);
          updated++;
          continue;
        }
        const appended = overlay.appendedIndex.get(id);
        if (appended !== undefined) {
          overlay.appended[appended] = json;
          updated++;
        } else {
          overlay.appendedIndex.set(id, overlay.appended.length);
          overlay.appended.push(json);
          added++;
        }
      }
      return { updated, added };
    },
    count,
    counts: () => Object.fromEntries(SOURCE_NAMES.map((s) => [s, count(s)])) as Record<SourceName, number>,
    invalidRecordPositions: (source) => invalidRecordPositions(faults, seed, source, count(source)),
    expectedValidCounts: () =>
      Object.fromEntries(
        SOURCE_NAMES.map((s) => [s, count(s) - invalidRecordPositions(faults, seed, s, count(s)).length]),
      ) as Record<SourceName, number>,
  };
}
