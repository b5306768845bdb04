// A tiny scriptable upstream API on 127.0.0.1 for client tests: each request is answered by a handler.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface StubRequest {
  readonly path: string;
  readonly page: number;
  readonly pageSize: number;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Settles when the exchange ends: answered, or dropped by either side (an aborted client request). */
  readonly closed: Promise<void>;
}

/** How the stub answers one request. */
export type StubReply =
  /** A response; `json` is serialised, `raw` is sent as is. */
  | { status?: number; headers?: Record<string, string>; json?: unknown; raw?: string }
  /** Drops the connection without a response: a network error for the client. */
  | { destroy: true }
  /** Sends headers and half a body, then drops the connection. */
  | { truncate: true }
  /** Never answers (until the stub closes): a timeout for the client. */
  | { hang: true };

export type StubHandler = (request: StubRequest) => StubReply | Promise<StubReply>;

export interface UpstreamStub {
  readonly baseUrl: string;
  /** Every request received, in arrival order. */
  readonly requests: StubRequest[];
  close(): Promise<void>;
}

/** Starts the stub on 127.0.0.1 with a free port. */
export async function startUpstreamStub(handler: StubHandler): Promise<UpstreamStub> {
  const requests: StubRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    const request: StubRequest = {
      path: url.pathname,
      page: Number(url.searchParams.get('page')),
      pageSize: Number(url.searchParams.get('page_size')),
      query: url.searchParams,
      headers: req.headers,
      closed: new Promise<void>((resolve) => res.on('close', () => resolve())),
    };
    requests.push(request);
    Promise.resolve()
      .then(() => handler(request))
      .then((reply) => answer(res, reply))
      .catch((error: unknown) => {
        res.statusCode = 599;
        res.end(String(error));
      });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function answer(res: ServerResponse, reply: StubReply): void {
  if ('destroy' in reply) {
    res.socket?.destroy();
    return;
  }
  if ('hang' in reply) return;
  if ('truncate' in reply) {
    const body = JSON.stringify({
      posts: [{ id: 1, post_id: 1, user_id: 1, viewed_at: '2024-01-01 00:00:00' }],
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
    res.write(body.slice(0, body.length >> 1), () => res.socket?.destroy());
    return;
  }
  const body = reply.raw ?? (reply.json === undefined ? '' : JSON.stringify(reply.json));
  res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
  res.end(body);
}

/** `count` valid view records with ids `firstId…`, in the contract's shape. */
export function viewRecords(count: number, firstId = 1): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    id: firstId + i,
    post_id: ((firstId + i) % 97) + 1,
    user_id: ((firstId + i) % 89) + 1,
    viewed_at: '2024-04-19 11:26:55',
  }));
}

/** `count` valid user records with ids `firstId…` (a few contract fields are enough: the rest are optional). */
export function userRecords(count: number, firstId = 1): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    id: firstId + i,
    username: `user_${firstId + i}`,
    first_name: 'User',
    last_login: null,
  }));
}

/**
 * A handler serving `records` under `bodyKey` in pages of the requested size, an empty list past the end.
 *
 * @example startUpstreamStub(pagedHandler('posts', viewRecords(25)))
 */
export function pagedHandler(bodyKey: 'users' | 'posts', records: readonly unknown[]): StubHandler {
  return ({ page, pageSize }) => ({
    json: { [bodyKey]: records.slice((page - 1) * pageSize, page * pageSize) },
  });
}
