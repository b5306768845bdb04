// Live sync progress: bars per source on a terminal, periodic structured log lines otherwise.
import cliProgress from 'cli-progress';
import type { Logger } from '../shared/logger.js';

export interface SourceProgress {
  pages: number;
  records: number;
  invalid: number;
}

/** What sync tells whoever watches it. */
export interface ProgressReporter {
  /** A source starts; `expected` is the record count of its last complete pass (for an ETA), if any. */
  start(source: string, info: { startPage: number; expected: number | null }): void;
  update(source: string, progress: SourceProgress): void;
  finish(source: string, progress: SourceProgress & { status: string }): void;
  stop(): void;
}

export const silentProgress: ProgressReporter = {
  start() {},
  update() {},
  finish() {},
  stop() {},
};

const rate = (records: number, startedAt: number) => {
  const seconds = (performance.now() - startedAt) / 1000;
  return seconds > 0 ? Math.round(records / seconds) : 0;
};

/** Bars on an interactive terminal: records, pages, rate and (on a refresh) ETA. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const multibar = new cliProgress.MultiBar(
    {
      stream,
      format: ' {source} |{bar}| {value}{ofTotal} records | {pages} pages | {rate}/s | {state}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, { bar: cliProgress.SingleBar; startedAt: number; expected: number | null }>();
  const payload = (
    source: string,
    p: SourceProgress,
    startedAt: number,
    expected: number | null,
    state: string,
  ) => ({
    source: source.padEnd(9),
    pages: p.pages,
    rate: rate(p.records, startedAt),
    ofTotal: expected ? `/${expected}` : '',
    state,
  });
  return {
    start(source, { startPage, expected }) {
      const startedAt = performance.now();
      const state = startPage > 1 ? `resumed at page ${startPage}` : 'syncing';
      // Paged endpoints announce no total: a bar is drawn only when the last pass gives an estimate.
      const bar = multibar.create(
        expected ?? 1,
        0,
        payload(source, { pages: 0, records: 0, invalid: 0 }, startedAt, expected, state),
        expected ? {} : { format: ' {source} | {value} records | {pages} pages | {rate}/s | {state}' },
      );
      bars.set(source, { bar, startedAt, expected });
    },
    update(source, p) {
      const entry = bars.get(source);
      if (!entry) return;
      const remaining = entry.expected ? Math.max(0, entry.expected - p.records) : null;
      const perSecond = rate(p.records, entry.startedAt);
      const eta =
        remaining !== null && perSecond > 0 ? `ETA ${Math.ceil(remaining / perSecond)}s` : 'syncing';
      if (!entry.expected || p.records > entry.expected) entry.bar.setTotal(Math.max(p.records, 1));
      entry.bar.update(p.records, payload(source, p, entry.startedAt, entry.expected, eta));
    },
    finish(source, p) {
      const entry = bars.get(source);
      if (!entry) return;
      entry.bar.setTotal(Math.max(p.records, 1));
      const state = p.invalid > 0 ? `${p.status}, ${p.invalid} invalid skipped` : p.status;
      entry.bar.update(p.records, payload(source, p, entry.startedAt, null, state));
    },
    stop() {
      multibar.stop();
    },
  };
}

/** Structured log lines at most every `intervalMs` per source, plus one at the end of each. */
export function logProgress(logger: Logger, intervalMs = 2000): ProgressReporter {
  const state = new Map<string, { startedAt: number; lastLog: number }>();
  return {
    start(source, info) {
      state.set(source, { startedAt: performance.now(), lastLog: 0 });
      logger.info({ source, ...info }, 'sync source started');
    },
    update(source, p) {
      const entry = state.get(source);
      if (!entry) return;
      const now = performance.now();
      if (now - entry.lastLog < intervalMs) return;
      entry.lastLog = now;
      logger.info({ source, ...p, perSecond: rate(p.records, entry.startedAt) }, 'sync progress');
    },
    finish(source, p) {
      const entry = state.get(source);
      logger.info(
        { source, ...p, perSecond: entry ? rate(p.records, entry.startedAt) : undefined },
        'sync source finished',
      );
    },
    stop() {},
  };
}
