// Gathers what each dashboard page shows (store queries, the model holder, live events, metrics) into
// the view its template renders. Catalogue-wide figures go through the data-versioned cache; while a
// sync writes they are computed fresh.
import type { EvalRunOptions } from '../../eval/cli.js';
import type { EvalReport } from '../../eval/run.js';
import { DEFAULT_PAGE_SIZE, MODEL_NAMES } from '../../recommend/index.js';
import { FeedError } from '../../shared/errors.js';
import { latestEvalRun } from '../../store/eval-runs.js';
import { countFeedEvents } from '../../store/feed-events.js';
import { listSyncRuns } from '../../store/sync-runs.js';
import type { DashboardContext } from './context.js';
import { postLabels, usernames } from './data/catalogue.js';
import { countsByKind, interactionsOf, interactionsPerDay, type KindCounts } from './data/interactions.js';
import { feedsPerModel, liveEffect, similarPosts } from './data/model-views.js';
import { coInteractionNeighbours, postDetail, postSummary } from './data/post-detail.js';
import { userDetail } from './data/user-detail.js';
import type { Figure, FigureName } from './figures.js';
import type { OverviewView } from './pages/overview.js';
import type { PlotsView } from './pages/plots.js';
import type { PostsIndexView, PostView } from './pages/posts.js';
import type { ExpectedRecords, SyncView } from './pages/sync.js';
import type { UsersIndexView, UserView } from './pages/users.js';

const HISTORY_LIMIT = 50;
const AUDIENCE_LIMIT = 100;
const NEIGHBOURS = 10;

/** A catalogue-wide figure, once per change of the stored data (fresh while a sync writes). */
const cached = <N extends FigureName>(d: DashboardContext, name: N): Promise<Figure<N>> =>
  d.cache.get(name, () => d.figures.compute(name), { fresh: d.server.sync.isRunning });

const total = (counts: KindCounts) =>
  Object.values(counts).reduce((n, byKind) => n + Object.values(byKind).reduce((a, b) => a + b, 0), 0);

export async function overviewView(d: DashboardContext): Promise<OverviewView> {
  const { store, model, liveEvents } = d.server;
  return {
    stats: await cached(d, 'stats'),
    receivedEvents: await countFeedEvents(store),
    runs: await listSyncRuns(store.db, { limit: 10 }),
    model: {
      info: model.info,
      building: model.isBuilding,
      buildStep: model.buildStep,
      lastError: model.lastError,
      workers: model.workerCount,
      liveEvents: liveEvents.size,
    },
    requests: await d.requests.summary(),
    perDay: await cached(d, 'perDay'),
    now: Date.now(),
  };
}

export async function plotsView(d: DashboardContext): Promise<PlotsView> {
  const { store } = d.server;
  return {
    perDay: await cached(d, 'perDay'),
    receivedPerDay: await cached(d, 'receivedPerDay'),
    categories: await cached(d, 'categories'),
    tail: await cached(d, 'tail'),
    eval: await latestEvalRun<EvalReport, EvalRunOptions>(store.db),
  };
}

/** The selectable models the snapshot in force built, the server's default first. */
function modelsToCompare(d: DashboardContext): string[] {
  const built = (d.server.model.info?.models ?? []).filter((m) =>
    (MODEL_NAMES as readonly string[]).includes(m),
  );
  return [d.server.defaultModel, ...built.filter((m) => m !== d.server.defaultModel)];
}

export async function userView(d: DashboardContext, userId: number): Promise<UserView> {
  const { store, model, liveEvents } = d.server;
  const user = await userDetail(store.db, userId);
  const counts = await countsByKind(store.db, { userId });
  if (user === null && total(counts) === 0) {
    throw new FeedError('not_found', `no user ${userId}: no stored record and no stored interactions`);
  }
  const history = await interactionsOf(store.db, { userId }, HISTORY_LIMIT);
  const perDay = await interactionsPerDay(store.db, { userId });
  const live = liveEvents.forUser(userId) ?? [];
  const modelReady = model.info !== null;
  const feeds = modelReady
    ? await feedsPerModel(
        model,
        userId,
        modelsToCompare(d),
        live.length > 0 ? live : undefined,
        DEFAULT_PAGE_SIZE,
      )
    : [];
  const effect =
    modelReady && live.length > 0
      ? await liveEffect(model, userId, d.server.defaultModel, live, DEFAULT_PAGE_SIZE).catch(() => null)
      : null;
  const ids = [
    ...history.map((e) => e.postId),
    ...feeds.flatMap((f) => f.result?.items.map((i) => i.postId) ?? []),
    ...(effect ? [...effect.before, ...effect.after].map((i) => i.postId) : []),
    ...live.map((e) => e.postId),
  ];
  return {
    userId,
    user,
    counts,
    history,
    historyLimit: HISTORY_LIMIT,
    perDay,
    servedModel: d.server.defaultModel,
    feeds,
    modelReady,
    live,
    effect,
    labels: await postLabels(store.db, ids),
  };
}

export async function usersIndexView(
  d: DashboardContext,
  query: string,
  error?: string,
): Promise<UsersIndexView> {
  const { db } = d.server.store;
  const active = await cached(d, 'activeUsers');
  return {
    query,
    ...(error !== undefined ? { error } : {}),
    mostActive: active,
    names: await usernames(
      db,
      active.map((u) => u.id),
    ),
  };
}

export async function postView(d: DashboardContext, postId: number): Promise<PostView> {
  const { store, model } = d.server;
  const post = await postDetail(store.db, postId);
  const counts = await countsByKind(store.db, { postId });
  if (post === null && total(counts) === 0) {
    throw new FeedError('not_found', `no post ${postId}: no stored record and no stored interactions`);
  }
  const interactions = await interactionsOf(store.db, { postId }, AUDIENCE_LIMIT);
  const similar = model.info === null ? null : await similarPosts(model, postId, NEIGHBOURS);
  const coInteraction = await coInteractionNeighbours(store.db, postId, NEIGHBOURS);
  const ids = [
    ...(similar?.result?.items.map((i) => i.postId) ?? []),
    ...coInteraction.neighbours.map((n) => n.postId),
  ];
  return {
    postId,
    post,
    summary: await postSummary(store.db, postId),
    counts,
    interactions,
    interactionLimit: AUDIENCE_LIMIT,
    names: await usernames(
      store.db,
      interactions.map((e) => e.userId),
    ),
    similar,
    coInteraction,
    labels: await postLabels(store.db, ids),
  };
}

export async function postsIndexView(
  d: DashboardContext,
  query: string,
  error?: string,
): Promise<PostsIndexView> {
  const { db } = d.server.store;
  const active = await cached(d, 'activePosts');
  return {
    query,
    ...(error !== undefined ? { error } : {}),
    mostActive: active,
    labels: await postLabels(
      db,
      active.map((p) => p.id),
    ),
  };
}

/** Records of each source's last complete pass (the progress yardstick of a running one). */
export async function expectedRecords(d: DashboardContext): Promise<ExpectedRecords> {
  const rows = await d.server.store.db
    .selectFrom('sync_state')
    .select(['source', 'last_record_count'])
    .execute();
  return Object.fromEntries(
    rows.map((r) => [r.source, r.last_record_count === null ? null : Number(r.last_record_count)]),
  );
}

export async function syncView(
  d: DashboardContext,
  messages: { notice?: string; error?: string } = {},
): Promise<SyncView> {
  return {
    status: await d.server.sync.status(),
    expected: await expectedRecords(d),
    runs: await listSyncRuns(d.server.store.db, { limit: 50 }),
    ...messages,
  };
}
