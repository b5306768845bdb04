// Reading the recommender's TrainingData out of a store, on each dialect.
import { afterEach, describe, expect, it } from 'vitest';
import { InteractionKind } from '../src/recommend/types.js';
import { loadTrainingDataFromStore, upstreamTimeToSeconds } from '../src/store/training-data.js';
import type { SourceName, SourceRecords } from '../src/upstream/sources.js';
import {
  inspire,
  like,
  post,
  rating,
  StoreFactory,
  storeBackends,
  user,
  view,
} from './support/store-backends.js';

const backends = await storeBackends();

describe('upstreamTimeToSeconds', () => {
  it('reads "YYYY-MM-DD HH:MM:SS" as UTC epoch seconds', () => {
    expect(upstreamTimeToSeconds('1970-01-01 00:00:00')).toBe(0);
    expect(upstreamTimeToSeconds('2024-01-31 03:43:47')).toBe(Date.parse('2024-01-31T03:43:47Z') / 1000);
  });
});

describe.each(backends)('loadTrainingDataFromStore on $dialect', ({ dialect, skipReason }) => {
  const factory = new StoreFactory(dialect);
  afterEach(() => factory.cleanup());

  it.skipIf(skipReason !== null)(
    'returns users, posts with summary text, and every interaction as columns',
    async () => {
      const store = await factory.open();
      const write = (source: SourceName, records: object[]) =>
        store.writePage(source, records as SourceRecords[typeof source][], { page: 1, pageSize: 100 });
      await write('users', [user(2), user(1)]);
      await write('posts', [
        post(10, { created_at: 1_700_000_000_000 }),
        post(11, { category: null, tags: [{ name: 'tagged' }], post_summary: { description: 'own text' } }),
      ]);
      await store.writeSummaries([
        {
          post_id: 10,
          summary: 'summary of ten',
          keywords: ['food', 'spices'],
          category: 'Food',
          username: 'studio_food',
          upvote_count: 1,
          view_count: 2,
          average_rating: 3,
          no_of_person_in_video: null,
          estimated_duration: null,
          main_character_gender: null,
        },
      ]);
      await write('views', [view(1, 1, 10, '2024-01-31 03:43:47'), view(2, 3, 99)]);
      await write('likes', [like(1, 2, 11)]);
      await write('inspires', [inspire(1, 1, 11)]);
      await write('ratings', [rating(1, 2, 10, 80, '2024-02-01 00:00:00')]);

      const data = await loadTrainingDataFromStore(store, { batchSize: 1 });
      expect([...data.users]).toEqual([1, 2]);
      expect(data.posts).toEqual([
        {
          id: 10,
          title: 'post #10',
          category: 'Food',
          categoryId: 6,
          projectCode: 'flic',
          creator: 'studio_food',
          createdAt: 1_700_000_000_000,
          summary: 'summary of ten',
          keywords: ['food', 'spices'],
        },
        {
          id: 11,
          title: 'post #11',
          category: null,
          categoryId: null,
          projectCode: 'flic',
          creator: 'studio_food',
          createdAt: 1704876421000,
          summary: 'own text',
          keywords: ['tagged'],
        },
      ]);
      const ev = data.interactions;
      expect(ev.length).toBe(5);
      expect([...ev.userId]).toEqual([1, 3, 2, 1, 2]);
      expect([...ev.postId]).toEqual([10, 99, 11, 11, 10]);
      expect([...ev.kind]).toEqual([
        InteractionKind.view,
        InteractionKind.view,
        InteractionKind.like,
        InteractionKind.inspire,
        InteractionKind.rating,
      ]);
      expect(ev.at[0]).toBe(Date.parse('2024-01-31T03:43:47Z') / 1000);
      expect(ev.at[4]).toBe(Date.parse('2024-02-01T00:00:00Z') / 1000);
      expect(Number.isNaN(ev.ratingPercent[0])).toBe(true);
      expect(ev.ratingPercent[4]).toBe(80);
    },
  );
});
