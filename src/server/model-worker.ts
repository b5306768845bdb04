// A model worker thread: loads the training data (from the store, or from a sibling), builds one snapshot,
// then answers feed requests from it. Builds and scoring never run on the server's event loop.
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { buildSnapshot, type ModelName, type ModelSnapshot } from '../recommend/index.js';
import { describeError, FeedError } from '../shared/errors.js';
import { maxFeedEventId } from '../store/feed-events.js';
import { openStore } from '../store/open.js';
import { loadTrainingDataFromStore } from '../store/training-data.js';
import { ColdFeeds } from './cold-feeds.js';
import type {
  FromWorker,
  ModelInfo,
  ModelWorkerInit,
  ToWorker,
  TrainingDataMessage,
  WorkerDataSource,
} from './model-protocol.js';

const port = parentPort;
if (port === null) throw new Error('model-worker.ts runs as a worker thread only');
const init = workerData as ModelWorkerInit;
const post = (message: FromWorker) => port.postMessage(message);

async function readData(source: WorkerDataSource): Promise<TrainingDataMessage> {
  if (source.kind === 'port') {
    return new Promise((resolve) => {
      source.port.once('message', (message: TrainingDataMessage) => {
        source.port.close();
        resolve(message);
      });
    });
  }
  const started = performance.now();
  const store = await openStore(source.url, {
    migrate: false,
    ...(source.schema ? { schema: source.schema } : {}),
  });
  try {
    // The watermark first: events stored while the load runs stay in the server's live overlay.
    const feedEventWatermark = await maxFeedEventId(store);
    const data = await loadTrainingDataFromStore(store, { feedEventsUpToId: feedEventWatermark });
    return { type: 'data', data, feedEventWatermark, loadSeconds: (performance.now() - started) / 1000 };
  } finally {
    await store.close();
  }
}

function share(ports: readonly MessagePort[], message: TrainingDataMessage): void {
  for (const sibling of ports) {
    sibling.postMessage(message);
    sibling.close();
  }
}

let snapshot: ModelSnapshot | null = null;
let feeds: ColdFeeds | null = null;

port.on('message', (message: ToWorker) => {
  if (message.type !== 'feed') return;
  if (snapshot === null || feeds === null) {
    post({
      type: 'feed',
      id: message.id,
      ok: false,
      code: 'model_unavailable',
      message: 'model not built yet',
    });
    return;
  }
  try {
    post({ type: 'feed', id: message.id, ok: true, result: feeds.feed(message.request) });
  } catch (error) {
    const known = error instanceof FeedError;
    post({
      type: 'feed',
      id: message.id,
      ok: false,
      code: known ? error.code : 'internal',
      message: known ? error.message : describeError(error),
    });
  }
});

try {
  const message = await readData(init.source);
  const started = performance.now();
  snapshot = buildSnapshot(message.data, init.build);
  feeds = new ColdFeeds(snapshot);
  const buildSeconds = (performance.now() - started) / 1000;
  const stats = snapshot.stats;
  const info: ModelInfo = {
    generation: init.generation,
    builtAt: new Date().toISOString(),
    loadSeconds: message.loadSeconds,
    buildSeconds,
    users: stats.users,
    posts: stats.posts,
    interactions: stats.interactions,
    pairs: stats.pairs,
    feedEventWatermark: message.feedEventWatermark,
    models: [...snapshot.models.keys()] as ModelName[],
    notes: stats.notes,
  };
  post({ type: 'ready', info });
  // Siblings build one after another from this exact data, leaving a core to serve requests meanwhile.
  share(init.share, message);
} catch (error) {
  post({ type: 'failed', message: describeError(error) });
}
