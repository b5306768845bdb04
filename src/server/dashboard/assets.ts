// The dashboard's static files: its stylesheet, its script, its icon, and Chart.js read from node_modules
// (the service itself serves it: no CDN, nothing fetched at run time). Public: they hold no data, and the
// sign-in page needs them before anyone is signed in.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DASHBOARD_SCRIPT } from './client-script.js';
import { DASHBOARD_CSS } from './styles.js';

interface Asset {
  type: string;
  body: () => Buffer;
}

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#3a5bd9"/><path d="M8 22V10h4v12zM14 22V14h4v8zM20 22v-5h4v5z" fill="#fff"/></svg>`;

/** Chart.js's self-contained browser build, found next to the package's entry point. */
function chartJsBundle(): Buffer {
  const entry = createRequire(import.meta.url).resolve('chart.js');
  return readFileSync(join(dirname(entry), 'chart.umd.min.js'));
}

/** Reads `load` once, on first use. */
function once(load: () => Buffer): () => Buffer {
  let value: Buffer | undefined;
  return () => (value ??= load());
}

const ASSETS: Record<string, Asset> = {
  'dashboard.css': { type: 'text/css; charset=utf-8', body: once(() => Buffer.from(DASHBOARD_CSS)) },
  'dashboard.js': {
    type: 'text/javascript; charset=utf-8',
    body: once(() => Buffer.from(DASHBOARD_SCRIPT)),
  },
  'chart.umd.min.js': { type: 'text/javascript; charset=utf-8', body: once(chartJsBundle) },
  'favicon.svg': { type: 'image/svg+xml', body: once(() => Buffer.from(FAVICON)) },
};

export const ASSET_NAMES = Object.keys(ASSETS);

const etags = new Map<string, string>();
const etagOf = (name: string, body: Buffer) => {
  let tag = etags.get(name);
  if (tag === undefined) {
    tag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    etags.set(name, tag);
  }
  return tag;
};

/** `GET <prefix>/assets/:name`, revalidated by ETag. */
export function registerAssetRoutes(app: FastifyInstance): void {
  app.get<{ Params: { name: string } }>(
    '/assets/:name',
    { schema: { hide: true } },
    async (request, reply) => {
      const asset = Object.hasOwn(ASSETS, request.params.name) ? ASSETS[request.params.name] : undefined;
      if (asset === undefined) {
        return reply
          .code(404)
          .type('text/plain; charset=utf-8')
          .send(`no dashboard asset ${request.params.name.slice(0, 80)}; known: ${ASSET_NAMES.join(', ')}`);
      }
      const body = asset.body();
      const etag = etagOf(request.params.name, body);
      reply.header('etag', etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.type(asset.type).send(body);
    },
  );
}
