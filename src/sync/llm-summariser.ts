// Optional PostSummary writer that asks an OpenAI-compatible chat-completions endpoint for the
// summary text, keywords and main character's gender. Off by default: the deterministic summariser
// stays the default because it needs no network and gives the same row for the same post.
import pRetry, { AbortError } from 'p-retry';
import { z } from 'zod';
import { describeError, FeedError } from '../shared/errors.js';
import { redact, registerSecret } from '../shared/redact.js';
import type { PostSummaryRow } from '../store/types.js';
import type { PostRecord } from '../upstream/schemas.js';
import { summarisePost } from './summarise.js';

export interface LlmSummariserOptions {
  /** Base URL of the API, e.g. `https://api.openai.com/v1`; `/chat/completions` is appended. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …`; never logged. */
  apiKey?: string;
  model: string;
  timeoutMs?: number;
  retries?: number;
  fetch?: typeof fetch;
}

/** One post's summary, plus the reason when the LLM answer was unusable and the deterministic row was kept. */
export interface SummaryOutcome {
  row: PostSummaryRow;
  fallbackReason?: string;
}

export type Summariser = (post: PostRecord) => Promise<SummaryOutcome>;

/** The deterministic summariser in the async shape the derivation step takes. */
export const deterministicSummariser: Summariser = async (post) => ({ row: summarisePost(post) });

const LlmAnswer = z.object({
  summary: z.string().min(1).max(4000),
  keywords: z.array(z.string().min(1).max(80)).max(30),
  main_character_gender: z.string().max(40).nullish(),
});

const CompletionBody = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
});

const INSTRUCTIONS =
  'You summarise short videos for a recommender. Reply with one JSON object only: ' +
  '{"summary": "two or three plain sentences on what the video shows and for whom", ' +
  '"keywords": ["5 to 12 lowercase topical keywords"], "main_character_gender": "male|female|null"}.';

/**
 * Creates a summariser backed by a chat-completions endpoint. Numbers and names still come from the
 * post itself; only the text fields come from the model. Any failure keeps the deterministic row.
 *
 * @example const summarise = createLlmSummariser({ baseUrl: 'http://127.0.0.1:9000/v1', model: 'gpt-4o-mini' });
 */
export function createLlmSummariser({
  baseUrl,
  apiKey,
  model,
  timeoutMs = 30_000,
  retries = 2,
  fetch: fetchImpl = fetch,
}: LlmSummariserOptions): Summariser {
  registerSecret(apiKey);
  const url = `${baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;

  const ask = async (post: PostRecord): Promise<z.infer<typeof LlmAnswer>> => {
    const body = JSON.stringify({
      model,
      temperature: 0,
      response_format: { type: 'json_object' },
      messages: [
        { role: 'system', content: INSTRUCTIONS },
        {
          role: 'user',
          content: JSON.stringify({
            title: post.title ?? null,
            category: post.category?.name ?? null,
            tags: post.tags ?? [],
            post_summary: post.post_summary ?? null,
          }),
        },
      ],
    });
    return pRetry(
      async () => {
        const response = await fetchImpl(url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!response.ok) {
          const error = new Error(`chat-completions answered HTTP ${response.status}`);
          // Client errors (bad key, unknown model) will not heal by retrying.
          throw response.status === 429 || response.status >= 500 ? error : new AbortError(error);
        }
        const completion = CompletionBody.safeParse(await response.json());
        if (!completion.success)
          throw new AbortError('chat-completions body has no choices[0].message.content');
        const content = completion.data.choices[0]!.message.content;
        let parsed: unknown;
        try {
          parsed = JSON.parse(content.replace(/^```(?:json)?\s*|\s*```$/g, ''));
        } catch {
          throw new AbortError('the model did not answer with JSON');
        }
        const answer = LlmAnswer.safeParse(parsed);
        if (!answer.success) {
          throw new AbortError(
            `the model's JSON does not match {summary, keywords}: ${answer.error.issues[0]?.message}`,
          );
        }
        return answer.data;
      },
      { retries, minTimeout: 200, maxTimeout: 2000, randomize: true },
    );
  };

  return async (post) => {
    const row = summarisePost(post);
    try {
      const answer = await ask(post);
      const keywords = [...new Set(answer.keywords.map((k) => k.trim()).filter(Boolean))];
      return {
        row: {
          ...row,
          summary: answer.summary.trim(),
          keywords: keywords.length > 0 ? keywords : row.keywords,
          main_character_gender: answer.main_character_gender ?? row.main_character_gender,
        },
      };
    } catch (error) {
      return {
        row,
        fallbackReason: `LLM summary failed (${redact(describeError(error))}); deterministic summary kept`,
      };
    }
  };
}

export interface SummariserConfig {
  summariser: 'deterministic' | 'llm';
  llmBaseUrl?: string;
  llmApiKey?: string;
  llmModel?: string;
}

/** Picks the summariser the configuration names, refusing an LLM choice that lacks URL or model. */
export function summariserFromConfig(config: SummariserConfig): Summariser {
  if (config.summariser === 'deterministic') return deterministicSummariser;
  if (!config.llmBaseUrl || !config.llmModel) {
    throw new FeedError(
      'config_invalid',
      'SUMMARISER=llm needs LLM_BASE_URL (an OpenAI-compatible base URL such as http://127.0.0.1:9000/v1) and LLM_MODEL',
    );
  }
  return createLlmSummariser({
    baseUrl: config.llmBaseUrl,
    apiKey: config.llmApiKey,
    model: config.llmModel,
  });
}
