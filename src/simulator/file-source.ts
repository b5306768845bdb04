// A dataset backed by a folder of JSON files (users.json, posts.json, views.json, …), and the export that writes one.
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FeedError } from '../shared/errors.js';
import { SOURCE_NAMES, type SourceName } from '../upstream/sources.js';
import type { SimulatorData } from './dataset.js';

/** The file that holds each source in a dataset folder. */
export const DATASET_FILES: Readonly<Record<SourceName, string>> = Object.freeze({
  users: 'users.json',
  posts: 'posts.json',
  views: 'views.json',
  likes: 'likes.json',
  inspires: 'inspires.json',
  ratings: 'ratings.json',
});

/**
 * Records loaded from files, served as they are: whatever a file holds (extra fields, nulls, even
 * records that fail the schema) reaches the client unchanged.
 */
export class FileDataset implements SimulatorData {
  readonly label: string;
  readonly dir: string;
  private readonly records: Record<SourceName, unknown[]>;
  private readonly idIndex = new Map<SourceName, Map<number, number>>();

  constructor(dir: string, records: Record<SourceName, unknown[]>) {
    this.dir = dir;
    this.label = `files ${dir}`;
    this.records = records;
  }

  count(source: SourceName): number {
    return this.records[source].length;
  }

  recordJson(source: SourceName, index: number): string {
    const list = this.records[source];
    if (!(index >= 0 && index < list.length)) {
      throw new RangeError(`${source} index must be 0..${list.length - 1}, got ${index}`);
    }
    return JSON.stringify(list[index]) ?? 'null';
  }

  indexOfId(source: SourceName, id: number): number {
    let index = this.idIndex.get(source);
    if (!index) {
      const built = new Map<number, number>();
      this.records[source].forEach((record, i) => {
        const recordId = (record as { id?: unknown } | null)?.id;
        if (typeof recordId === 'number' && !built.has(recordId)) built.set(recordId, i);
      });
      this.idIndex.set(source, built);
      index = built;
    }
    return index.get(id) ?? -1;
  }
}

/**
 * Loads a dataset folder. Each of the six files is optional (a missing one serves no records); a file
 * that is not a JSON array is an error naming the file.
 *
 * @example
 * const data = await loadDatasetFromFolder('fixtures/tiny');
 * await startSimulator({ data });
 */
export async function loadDatasetFromFolder(dir: string): Promise<FileDataset> {
  const records = {} as Record<SourceName, unknown[]>;
  let found = 0;
  for (const source of SOURCE_NAMES) {
    const path = join(dir, DATASET_FILES[source]);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        records[source] = [];
        continue;
      }
      throw new FeedError('bad_request', `cannot read dataset file ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    found++;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new FeedError(
        'bad_request',
        `dataset file ${path} is not valid JSON: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    if (!Array.isArray(parsed)) {
      throw new FeedError(
        'bad_request',
        `dataset file ${path} must hold a JSON array of records, got ${typeof parsed}`,
      );
    }
    records[source] = parsed;
  }
  if (found === 0) {
    // Almost certainly a wrong path: say what was looked for rather than serving nothing.
    const names = SOURCE_NAMES.map((s) => DATASET_FILES[s]).join(', ');
    throw new FeedError('bad_request', `dataset folder ${dir} holds none of ${names}`);
  }
  return new FileDataset(dir, records);
}

/** Records per write: keeps memory flat when exporting millions of interactions. */
const CHUNK = 2000;

/**
 * Writes every source of a dataset as `<dir>/<source>.json` (a JSON array per file), streaming, and
 * returns the record counts written. Creates the folder.
 *
 * @example
 * await writeDatasetToFolder(generateDataset({ seed: 1 }), 'out/dataset');
 */
export async function writeDatasetToFolder(
  data: SimulatorData,
  dir: string,
): Promise<Record<SourceName, number>> {
  await mkdir(dir, { recursive: true });
  const counts = {} as Record<SourceName, number>;
  for (const source of SOURCE_NAMES) {
    const n = data.count(source);
    const file = await open(join(dir, DATASET_FILES[source]), 'w');
    try {
      await file.write('[');
      for (let start = 0; start < n; start += CHUNK) {
        const end = Math.min(n, start + CHUNK);
        const parts: string[] = [];
        for (let i = start; i < end; i++) parts.push(data.recordJson(source, i));
        await file.write((start === 0 ? '\n' : ',\n') + parts.join(',\n'));
      }
      await file.write(n > 0 ? '\n]\n' : ']\n');
    } finally {
      await file.close();
    }
    counts[source] = n;
  }
  return counts;
}
