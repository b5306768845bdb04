// Renders an EvalReport as aligned plain-text tables: models as rows, metrics as columns.
import type { EvalReport, GroupMetrics, ModelResult } from './run.js';

const HEADER = ['model', 'users', 'Recall@10', 'NDCG@10', 'Recall@20', 'NDCG@20', 'Coverage@20'];

function metricCells(m: GroupMetrics): string[] {
  return [
    String(m.users),
    m.recall10.toFixed(4),
    m.ndcg10.toFixed(4),
    m.recall20.toFixed(4),
    m.ndcg20.toFixed(4),
    m.coverage20.toFixed(4),
  ];
}

/** Left-aligns the first column and right-aligns the rest. */
function alignedTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

function modelTable(models: ModelResult[], pick: (m: ModelResult) => GroupMetrics): string {
  return alignedTable(
    HEADER,
    models.map((m) => [m.model, ...metricCells(pick(m))]),
  );
}

/**
 * Formats a report: a protocol line, the all-users table, the cold-users table, and any warnings.
 *
 * @example process.stdout.write(formatReport(evaluate(data, { positives: 'movielens' })))
 */
export function formatReport(report: EvalReport): string {
  const { protocol: p, dataset: d, split: s } = report;
  const lines: string[] = [];
  lines.push(
    `dataset: ${d.users} users, ${d.posts} posts, ${d.interactions} interactions (${d.events} user-post events)`,
  );
  lines.push(
    `protocol (${p.split} split): per user with ≥ ${p.minEvents} events, the chronologically last ` +
      `${Math.round(p.holdoutFraction * 100)}% of events (rounded up) held out; positives: ${p.positives} rule; ` +
      `full catalogue minus the user's training posts ranked, top ${p.depth}, no sampling`,
  );
  lines.push(
    `users: ${s.testedUsers} tested, ${s.evaluatedUsers} with held-out positives (averaged), ` +
      `${s.coldUsers} cold (≤ ${p.coldThreshold} training events); ${s.heldOutPositives} held-out positives`,
  );
  lines.push(`build: ${report.buildSeconds.toFixed(1)} s on ${s.trainRows} training rows`);
  lines.push('');
  lines.push('all users');
  lines.push(modelTable(report.models, (m) => m.all));
  lines.push(`cold users (≤ ${p.coldThreshold} training events)`);
  lines.push(modelTable(report.models, (m) => m.cold));
  for (const m of report.models) {
    if (m.invalidItems > 0) {
      lines.push(`warning: ${m.model} returned ${m.invalidItems} seen or repeated posts (dropped)`);
    }
  }
  return lines.join('\n').replace(/\n*$/, '\n');
}
