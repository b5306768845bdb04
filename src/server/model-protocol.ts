// The messages between the server and its model worker threads (model-holder.ts ↔ model-worker.ts).
import type { MessagePort } from 'node:worker_threads';
import type { BuildOptions, FeedRequest, FeedResult, ModelName, TrainingData } from '../recommend/index.js';
import type { ErrorCode } from '../shared/errors.js';

/** Where a worker gets its training data: it reads the store itself, or receives it on a port. */
export type WorkerDataSource =
  | { kind: 'database'; url: string; schema?: string }
  | { kind: 'port'; port: MessagePort };

/** `workerData` of a model worker. */
export interface ModelWorkerInit {
  generation: number;
  source: WorkerDataSource;
  build: BuildOptions;
  /** Ports of sibling workers of the same generation: each gets a copy of the training data once this
   * worker's snapshot is built, so every worker of a generation holds an identical snapshot. */
  share: MessagePort[];
}

/** Training data as it crosses threads, with the FeedEvent watermark it was read up to. */
export interface TrainingDataMessage {
  type: 'data';
  data: TrainingData;
  feedEventWatermark: number;
  loadSeconds: number;
}

/** What a built snapshot holds, for /ready, /metrics and logs. */
export interface ModelInfo {
  generation: number;
  /** ISO time the snapshot became ready. */
  builtAt: string;
  loadSeconds: number;
  buildSeconds: number;
  users: number;
  posts: number;
  interactions: number;
  /** Distinct (user, post) pairs. */
  pairs: number;
  /** FeedEvent rows with an id up to this one are inside the snapshot. */
  feedEventWatermark: number;
  models: ModelName[];
  notes: string[];
}

export type ToWorker = { type: 'feed'; id: number; request: FeedRequest };

export type FromWorker =
  | { type: 'ready'; info: ModelInfo }
  | { type: 'failed'; message: string }
  | { type: 'feed'; id: number; ok: true; result: FeedResult }
  | { type: 'feed'; id: number; ok: false; code: ErrorCode; message: string };
