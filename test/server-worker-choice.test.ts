// Which serving worker answers a request: the least loaded one that has the snapshot in force, and not one
// busy installing the next snapshot (during a swap, workers install one at a time while the others serve).
import { describe, expect, it } from 'vitest';
import { pickWorker, type WorkerChoice } from '../src/server/model-holder.js';

const worker = (name: string, load: number, over: Partial<WorkerChoice> = {}) => ({
  name,
  alive: true,
  installed: new Set([1]),
  installing: false,
  load,
  ...over,
});

describe('pickWorker', () => {
  it('sends to the least loaded live worker that has the generation', () => {
    const workers = [
      worker('a', 3),
      worker('b', 1),
      worker('c', 0, { alive: false }),
      worker('d', 0, { installed: new Set([2]) }),
    ];
    expect(pickWorker(workers, 1)?.name).toBe('b');
    expect(pickWorker(workers, 2)?.name).toBe('d');
    expect(pickWorker(workers, 3)).toBeUndefined();
  });

  it('passes over a worker installing the next snapshot, however idle, while another serves', () => {
    const workers = [worker('a', 0, { installing: true }), worker('b', 40)];
    expect(pickWorker(workers, 1)?.name).toBe('b');
    expect(pickWorker([worker('b', 40), worker('a', 0, { installing: true })], 1)?.name).toBe('b');
  });

  it('uses an installing worker when every worker is installing', () => {
    const workers = [worker('a', 2, { installing: true }), worker('b', 1, { installing: true })];
    expect(pickWorker(workers, 1)?.name).toBe('b');
  });
});
