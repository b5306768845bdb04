// Derives the flat, text-ready PostSummary row from a stored post, deterministically and offline.
//
// `post_summary` is machine-written and its keys vary from post to post, so every field is read
// defensively: a missing or oddly typed value yields null/empty, never an exception.

import type { PostSummaryRow } from '../store/types.js';
import type { PostRecord } from '../upstream/schemas.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asText = (value: unknown): string | null => {
  if (typeof value === 'string') return value.trim() || null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
};

const asNumber = (value: unknown): number | null => {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return null;
};

/** A summary may arrive as an object, or as a JSON string of one. */
function summaryObject(raw: unknown): Json {
  if (isObject(raw)) return raw;
  if (typeof raw === 'string') {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (isObject(parsed)) return parsed;
    } catch {
      // Plain text: treated as the description below.
    }
    return { description: raw };
  }
  return {};
}

/** Keywords arrive as `[{keyword}]`, as strings, or as one comma-separated string. */
function keywordsOf(summary: Json, tags: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (value: unknown) => {
    const text = asText(isObject(value) ? (value.keyword ?? value.name ?? value.value) : value);
    if (!text) return;
    const key = text.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    out.push(text);
  };
  const raw = summary.keywords;
  if (Array.isArray(raw)) raw.forEach(add);
  else if (typeof raw === 'string') raw.split(',').forEach(add);
  // Tags are the creator's own keywords: used when the summary names none.
  if (out.length === 0 && Array.isArray(tags)) tags.forEach(add);
  return out;
}

/** The main character's gender, from `entities` in any of the shapes seen upstream. */
function mainCharacterGender(summary: Json): string | null {
  const entities = summary.entities;
  if (isObject(entities)) {
    const main = entities.main_character ?? entities.mainCharacter;
    if (isObject(main)) return asText(main.gender);
    return asText(entities.main_character_gender ?? entities.gender ?? main);
  }
  if (Array.isArray(entities)) {
    for (const entity of entities) {
      if (isObject(entity) && asText(entity.gender)) return asText(entity.gender);
    }
  }
  return asText(summary.main_character_gender);
}

/**
 * Flattens one post into its PostSummary row.
 *
 * @example summarisePost({ id: 8, title: 'spices', post_summary: { description: 'Food video' } }).summary
 * // 'Food video'
 */
export function summarisePost(post: PostRecord): PostSummaryRow {
  const summary = summaryObject(post.post_summary);
  const description = asText(summary.description) ?? asText(summary.summary) ?? asText(post.title) ?? '';
  const duration = summary.estimated_duration;
  return {
    post_id: post.id,
    summary: description,
    keywords: keywordsOf(summary, post.tags),
    category: asText(post.category?.name),
    username: asText(post.username),
    upvote_count: asNumber(post.upvote_count) ?? 0,
    view_count: asNumber(post.view_count) ?? 0,
    average_rating: asNumber(post.average_rating) ?? 0,
    no_of_person_in_video: asNumber(summary.no_of_person_in_video),
    estimated_duration: typeof duration === 'number' ? `${duration} seconds` : asText(duration),
    main_character_gender: mainCharacterGender(summary),
  };
}
