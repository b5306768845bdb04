// The one shape the simulator server reads data through, whether generated or loaded from files.
import { SOURCE_NAMES, type SourceName } from '../upstream/sources.js';

/**
 * Records of the six sources, addressed by 0-based position in the order the API pages them.
 * Implementations hand out each record as JSON text so the server can build pages without
 * re-serialising objects (the hot path at 2,000,000 interactions).
 */
export interface SimulatorData {
  /** Where the data came from, for logs: `generated seed=42` or `files /path`. */
  readonly label: string;
  /** Number of records the endpoint serves in total. */
  count(source: SourceName): number;
  /** JSON text of the record at `index` (0 <= index < count). */
  recordJson(source: SourceName, index: number): string;
  /** Position of the record whose `id` is `id`, or -1. */
  indexOfId(source: SourceName, id: number): number;
}

/** Record counts per endpoint of any dataset. */
export function datasetCounts(data: SimulatorData): Record<SourceName, number> {
  const counts = {} as Record<SourceName, number>;
  for (const source of SOURCE_NAMES) counts[source] = data.count(source);
  return counts;
}

/** The record at `index`, parsed. */
export function readRecord(data: SimulatorData, source: SourceName, index: number): unknown {
  return JSON.parse(data.recordJson(source, index));
}

/**
 * Every record of one source, parsed, in paging order (memory stays flat: one record at a time).
 *
 * @example
 * for (const view of iterateRecords(dataset, 'views')) console.log(view);
 */
export function* iterateRecords(
  data: SimulatorData,
  source: SourceName,
): Generator<unknown, void, undefined> {
  const n = data.count(source);
  for (let i = 0; i < n; i++) yield JSON.parse(data.recordJson(source, i));
}
