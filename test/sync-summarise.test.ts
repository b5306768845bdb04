import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { summarisePost } from '../src/sync/summarise.js';
import { PostRecord } from '../src/upstream/schemas.js';

const sample = JSON.parse(
  readFileSync(new URL('../../shared/fixtures/upstream-sample.json', import.meta.url), 'utf8'),
);
const samplePosts: unknown[] = sample['GET /posts/summary/get?page=1&page_size=2'].posts;

describe('summarisePost', () => {
  it('flattens the contract sample post into a PostSummary row', () => {
    const post = PostRecord.parse(samplePosts[0]);
    expect(summarisePost(post)).toEqual({
      post_id: 8,
      summary: 'spices cooking #8: food video about spices, cooking, kitchen.',
      keywords: ['Food', 'spices', 'cooking', 'kitchen'],
      category: 'Food',
      username: 'studio_food',
      upvote_count: 20,
      view_count: 64,
      average_rating: 62,
      no_of_person_in_video: 0,
      estimated_duration: null,
      main_character_gender: null,
    });
  });

  it('is deterministic', () => {
    const post = PostRecord.parse(samplePosts[1]);
    expect(summarisePost(post)).toEqual(summarisePost(structuredClone(post)));
  });

  it('reads the main character gender from entities in the shapes seen upstream', () => {
    const base = { id: 1, title: 't' };
    expect(
      summarisePost({ ...base, post_summary: { entities: { main_character: { gender: 'female' } } } })
        .main_character_gender,
    ).toBe('female');
    expect(
      summarisePost({ ...base, post_summary: { entities: { gender: 'male' } } }).main_character_gender,
    ).toBe('male');
    expect(
      summarisePost({ ...base, post_summary: { entities: [{ name: 'x' }, { gender: 'female' }] } })
        .main_character_gender,
    ).toBe('female');
    expect(
      summarisePost({ ...base, post_summary: { entities: 'nonsense' } }).main_character_gender,
    ).toBeNull();
  });

  it('survives a summary that is missing, a string, JSON text or full of odd types', () => {
    expect(summarisePost({ id: 2, title: 'Title only' }).summary).toBe('Title only');
    expect(summarisePost({ id: 3, post_summary: 'plain words' }).summary).toBe('plain words');
    expect(
      summarisePost({ id: 4, post_summary: '{"description":"from json","keywords":"a, b"}' }),
    ).toMatchObject({
      summary: 'from json',
      keywords: ['a', 'b'],
    });
    const odd = summarisePost({
      id: 5,
      post_summary: {
        description: 42,
        keywords: [null, { keyword: 7 }, 'x', 'X'],
        no_of_person_in_video: 'two',
        estimated_duration: 30,
      },
    });
    expect(odd).toMatchObject({
      summary: '42',
      keywords: ['7', 'x'],
      no_of_person_in_video: null,
      estimated_duration: '30 seconds',
    });
  });

  it('falls back to tags when the summary names no keywords', () => {
    expect(summarisePost({ id: 6, tags: ['fitness', 'gym'], post_summary: {} }).keywords).toEqual([
      'fitness',
      'gym',
    ]);
  });
});
