// Plain-text tables for CLI reports.
import type { StoreStats } from '../store/types.js';
import type { SyncReport } from '../sync/sync.js';

/** Renders rows as a left/right aligned text table (numbers right-aligned). */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[], raw: (string | number)[] | null) =>
    r
      .map((c, i) =>
        raw && typeof raw[i] === 'number' ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header, null), ...rows.map((r) => line(r.map(String), r))].join('\n') + '\n';
}

export function formatSyncReport(report: SyncReport): string {
  if (report.skipped) return `sync skipped: ${report.skipped}\n`;
  const rows = report.sources.map((s) => [
    s.source,
    s.status,
    s.startPage > 1 ? `page ${s.startPage}` : '',
    s.pages,
    s.records,
    s.changed,
    s.invalid,
    (s.durationMs / 1000).toFixed(1),
  ]);
  let out = table(['source', 'status', 'resumed', 'pages', 'records', 'changed', 'invalid', 'seconds'], rows);
  for (const s of report.sources) {
    if (s.error) out += `\n${s.source}: ${s.error}`;
    if (s.invalid > 0) {
      out += `\n${s.source}: ${s.invalid} invalid records skipped; first reasons:`;
      for (const bad of s.invalidSamples.slice(0, 5)) {
        out += `\n  page ${bad.page} #${bad.index}${bad.id !== undefined ? ` (id ${JSON.stringify(bad.id)})` : ''}: ${bad.reason}`;
      }
    }
  }
  return out.endsWith('\n') ? out : `${out}\n`;
}

export function formatStats(stats: StoreStats): string {
  let out = table(
    ['table', 'rows'],
    Object.entries(stats.tables).map(([name, rows]) => [name, rows]),
  );
  out += '\norphaned interactions (kept; they name a user or post not stored):\n';
  out += table(
    ['source', 'unknown user', 'unknown post'],
    Object.entries(stats.orphans).map(([source, o]) => [source, o.unknownUser, o.unknownPost]),
  );
  out += '\nlast sync per source:\n';
  out += table(
    ['source', 'last synced', 'records', 'state'],
    stats.sync.map((s) => [
      s.source,
      s.lastSyncedAt ?? 'never',
      s.lastRecordCount ?? '',
      s.status === 'running' ? `interrupted; resumes at page ${s.nextPage}` : 'complete',
    ]),
  );
  return out;
}
