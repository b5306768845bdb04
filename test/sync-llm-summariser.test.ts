// The optional LLM summariser against a local fake OpenAI-compatible chat-completions server.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../src/simulator/index.js';
import { openStore } from '../src/store/open.js';
import { loadPostSummaries } from '../src/store/queries.js';
import type { Store } from '../src/store/types.js';
import { createLlmSummariser, summariserFromConfig } from '../src/sync/llm-summariser.js';
import { runSync } from '../src/sync/sync.js';

const API_KEY = 'sk-test-llm-key-4242';
let server: Server;
let baseUrl: string;
let requests: {
  authorization: string | undefined;
  body: { model: string; messages: { content: string }[] };
}[];
let simulator: RunningSimulator;
let store: Store;
let dir: string;

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return JSON.parse(text);
}

beforeEach(async () => {
  requests = [];
  server = createServer(async (req, res) => {
    const body = (await readJson(req)) as (typeof requests)[number]['body'];
    requests.push({ authorization: req.headers.authorization, body });
    const post = JSON.parse(body.messages[1]!.content) as { title: string };
    // The request number drives the fake's behaviour: most get a clean answer, two a broken one.
    if (req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
    if (requests.length === 3) return void res.writeHead(400).end('{"error":"bad"}');
    const content =
      requests.length === 5
        ? 'not json at all'
        : JSON.stringify({
            summary: `LLM: ${post.title}`,
            keywords: ['llm', 'video'],
            main_character_gender: 'female',
          });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content } }] }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  dir = mkdtempSync(join(tmpdir(), 'ev-llm-'));
  simulator = await startSimulator({
    generate: { users: 20, posts: 12, interactions: 100 },
    token: 't0k3n-llm',
  });
  store = await openStore(join(dir, 'data.db'));
});

afterEach(async () => {
  await store.close();
  await simulator.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('LLM summariser', () => {
  it('writes the model text for each post, keeps deterministic rows where the model fails, and reports them', async () => {
    const summarise = createLlmSummariser({ baseUrl, apiKey: API_KEY, model: 'tiny-model', retries: 0 });
    const report = await runSync({
      store,
      upstream: { baseUrl: simulator.url, token: 't0k3n-llm', pageSize: 100 },
      only: ['posts', 'summaries'],
      summarise,
    });
    const summaries = report.sources.find((s) => s.source === 'summaries')!;
    expect(summaries.status).toBe('complete');
    expect(summaries.records).toBe(12);
    expect(requests).toHaveLength(12);
    expect(
      requests.every((r) => r.authorization === `Bearer ${API_KEY}` && r.body.model === 'tiny-model'),
    ).toBe(true);

    const rows = (await loadPostSummaries(store)).summaries;
    const llmRows = rows.filter((r) => r.summary.startsWith('LLM: '));
    const failed = summaries.invalidSamples.map((s) => s.reason);
    expect(failed).toHaveLength(2);
    expect(llmRows).toHaveLength(10);
    expect(llmRows[0]).toMatchObject({ keywords: ['llm', 'video'], main_character_gender: 'female' });
    expect(failed.some((r) => /HTTP 400/.test(r))).toBe(true);
    expect(failed.some((r) => /did not answer with JSON/.test(r))).toBe(true);
    expect(JSON.stringify(report)).not.toContain(API_KEY);
  });

  it('is off by default and refuses an llm choice without URL or model', () => {
    expect(() => summariserFromConfig({ summariser: 'llm', llmModel: 'm' })).toThrow(/LLM_BASE_URL/);
    expect(summariserFromConfig({ summariser: 'deterministic' })).toBeTypeOf('function');
  });
});
