// The HTTP/1.1 side of the mesh proxy: what an Istio sidecar's HTTP connection manager does for
// one connection. Each request is routed on its own (keep-alive connections may go to different
// pods), bodies stream both ways, chunked encoding is re-framed by Node, and an Upgrade request
// (WebSocket) is routed on its headers; the upstream's response head (101, or a refusal) gets the
// route's response header operations, and then the bytes are spliced as they are.
//
// Connections whose first bytes are not an HTTP/1.x request line are handed back as plain TCP.

import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { applyHeaderOps, retryBackoffMs, type HeaderMutation, type RequestView, type RetryPolicy } from './istio';
import { spliceBoth } from './splice';

export type RouteResult =
  | {
      kind: 'upstream';
      socket: Duplex;
      request: HeaderMutation[];
      response: HeaderMutation[];
      path?: string;
      authority?: string;
      retry?: RetryPolicy;
    }
  /** An answer of the proxy's own; `response`: the chosen route's response header operations, if a route was chosen. */
  | { kind: 'respond'; status: number; body: string; headers?: Record<string, string>; response?: HeaderMutation[] };

export interface HttpContext {
  namespace: string;
  service: string;
  port: number;
  route(req: RequestView): Promise<RouteResult>;
}

/** Headers that belong to one hop (RFC 9110 7.6.1); a proxy does not forward them. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

const METHODS = ['GET ', 'POST ', 'PUT ', 'DELETE ', 'HEAD ', 'OPTIONS ', 'PATCH ', 'TRACE '];

/** 'http' when the bytes start an HTTP/1.x request, 'other' when they cannot, 'more' when too few bytes to tell. */
export function sniff(buf: Buffer): 'http' | 'other' | 'more' {
  const s = buf.subarray(0, 8).toString('latin1');
  if (METHODS.some((m) => s.startsWith(m))) return 'http';
  if (METHODS.some((m) => m.startsWith(s))) return 'more';
  return 'other';
}

function forwardHeaders(req: http.IncomingMessage, extraHop: string[]): Record<string, string | string[]> {
  const drop = new Set([...HOP_BY_HOP, ...extraHop]);
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !drop.has(k)) out[k] = v;
  return out;
}

function connectionTokens(h: string | string[] | undefined): string[] {
  return (Array.isArray(h) ? h.join(',') : (h ?? ''))
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}

export function viewOf(req: http.IncomingMessage, port: number): RequestView {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return { method: req.method ?? 'GET', url: req.url ?? '/', headers, port, authority: req.headers.host ?? '' };
}

function localReply(
  res: http.ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
  ops: HeaderMutation[] = [],
): void {
  if (res.headersSent) return void res.destroy();
  const out: Record<string, string | string[] | undefined> = { 'content-type': 'text/plain', ...headers };
  applyHeaderOps(out, ops);
  res.writeHead(status, { ...out, 'content-length': Buffer.byteLength(body) } as http.OutgoingHttpHeaders);
  res.end(body);
}

/** The text of a local answer on a raw socket (an upgrade request that is not passed on). */
function rawReply(
  status: number,
  body: string,
  headers: Record<string, string> = {},
  ops: HeaderMutation[] = [],
): string {
  const out: Record<string, string | string[] | undefined> = { 'content-type': 'text/plain', ...headers };
  applyHeaderOps(out, ops);
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n${headerLines({ ...out, 'content-length': String(Buffer.byteLength(body)), connection: 'close' })}\r\n${body}`;
}

function headerLines(headers: Record<string, string | string[] | undefined>): string {
  let text = '';
  for (const [k, v] of Object.entries(headers))
    for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) text += `${k}: ${x}\r\n`;
  return text;
}

const HEAD_LIMIT = 64 * 1024;

/**
 * Reads an HTTP/1.1 response head from `upstream`, applies the response operations and writes it
 * to `client`; the bytes after the head are handed back unread (unshifted) for the splice.
 * Resolves false when the upstream closed or sent no parseable head (the client is then closed).
 */
function relayResponseHead(upstream: Duplex, client: Duplex, ops: HeaderMutation[]): Promise<boolean> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const done = (ok: boolean) => {
      upstream.off('data', onData);
      upstream.off('end', onEnd);
      upstream.off('error', onEnd);
      upstream.pause();
      resolve(ok);
    };
    const onEnd = () => {
      client.destroy();
      upstream.destroy();
      done(false);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > HEAD_LIMIT) onEnd();
        return;
      }
      const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string | string[] | undefined> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        const k = line.slice(0, i).trim().toLowerCase();
        const v = line.slice(i + 1).trim();
        const cur = headers[k];
        headers[k] = cur === undefined ? v : [...(Array.isArray(cur) ? cur : [cur]), v];
      }
      applyHeaderOps(headers, ops);
      // Stop reading before handing the rest back: unshift on a flowing stream would emit it here again.
      done(true);
      client.write(`${lines[0]}\r\n${headerLines(headers)}\r\n`);
      const rest = buf.subarray(end + 4);
      if (rest.length) upstream.unshift(rest);
    };
    upstream.on('data', onData);
    upstream.once('end', onEnd);
    upstream.once('error', onEnd);
  });
}

export class MeshHttpServer {
  private readonly server: http.Server;
  private readonly contexts = new WeakMap<object, HttpContext>();

  constructor() {
    this.server = http.createServer({
      requestTimeout: 0,
      headersTimeout: 60_000,
      keepAliveTimeout: 60_000,
      noDelay: true,
    });
    this.server.on('request', (req, res) => void this.onRequest(req, res));
    this.server.on('upgrade', (req, socket, head) => void this.onUpgrade(req, socket, head));
    this.server.on('clientError', (_e, socket) => socket.destroy());
    this.server.timeout = 0;
  }

  /** Serves one client connection whose first bytes (`head`, already read) are an HTTP request. */
  serve(socket: Duplex, head: Buffer, ctx: HttpContext): void {
    this.contexts.set(socket, ctx);
    socket.unshift(head);
    this.server.emit('connection', socket);
    // The server reads through 'data' events as well as from the handle; the bytes already read
    // (unshifted above) are delivered first when the stream flows again.
    socket.resume();
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const ctx = this.contexts.get(req.socket);
    if (!ctx) return localReply(res, 500, 'no route context');
    let r: RouteResult;
    try {
      r = await ctx.route(viewOf(req, ctx.port));
    } catch (e) {
      return localReply(
        res,
        503,
        `upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: ${(e as Error).message}`,
      );
    }
    this.forward(req, res, ctx, r, 0);
  }

  /**
   * Sends the request upstream. A connection that closes before any answer is retried when the
   * route's policy says so (`reset`), up to its attempts, with Envoy's back-off and a new route
   * decision (a new endpoint); only a request without a body, which the emulation need not buffer.
   */
  private forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ctx: HttpContext,
    r: RouteResult,
    retries: number,
  ): void {
    if (r.kind === 'respond') {
      req.resume();
      return localReply(res, r.status, r.body, r.headers, r.response);
    }
    const headers = forwardHeaders(req, connectionTokens(req.headers.connection));
    applyHeaderOps(headers, r.request);
    if (r.authority) headers.host = r.authority;
    const upstream = r.socket;
    const bodiless = !req.headers['transfer-encoding'] && (req.headers['content-length'] ?? '0') === '0';
    const preq = http.request({
      method: req.method,
      path: r.path ?? req.url,
      headers,
      createConnection: () => upstream as never,
      setHost: false,
    });
    preq.on('response', (pres) => {
      const out = forwardHeaders(pres, connectionTokens(pres.headers.connection));
      applyHeaderOps(out, r.response);
      res.writeHead(pres.statusCode ?? 502, pres.statusMessage, out);
      pres.pipe(res);
      pres.on('error', () => res.destroy());
    });
    preq.on('error', (e) => {
      upstream.destroy();
      if (bodiless && r.retry?.onReset && retries < r.retry.attempts && !res.headersSent && !res.destroyed) {
        setTimeout(
          () => {
            if (res.destroyed) return;
            ctx.route(viewOf(req, ctx.port)).then(
              (again) => this.forward(req, res, ctx, again, retries + 1),
              (err: Error) =>
                localReply(
                  res,
                  503,
                  `upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: ${err.message}`,
                ),
            );
          },
          retryBackoffMs(retries + 1),
        );
        return;
      }
      localReply(
        res,
        503,
        `upstream connect error or disconnect/reset before headers. reset reason: connection termination, transport failure reason: ${e.message}`,
        {},
        r.response,
      );
    });
    res.on('close', () => {
      if (!res.writableFinished) preq.destroy();
    });
    if (bodiless) {
      req.resume();
      preq.end();
    } else req.pipe(preq);
  }

  private async onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const ctx = this.contexts.get(req.socket) ?? this.contexts.get(socket);
    const fail = (status: number, body: string, headers?: Record<string, string>, ops?: HeaderMutation[]): void =>
      void socket.end(rawReply(status, body, headers, ops));
    if (!ctx) return fail(500, 'no route context');
    let r: RouteResult;
    try {
      r = await ctx.route(viewOf(req, ctx.port));
    } catch (e) {
      return fail(
        503,
        `upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: ${(e as Error).message}`,
      );
    }
    if (r.kind === 'respond') return fail(r.status, r.body, r.headers, r.response);
    // Keep Connection/Upgrade (they are the point of this request); drop the other hop-by-hop headers.
    const headers: Record<string, string | string[] | undefined> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (!HOP_BY_HOP.has(k) || k === 'connection' || k === 'upgrade') headers[k] = v;
    applyHeaderOps(headers, r.request);
    if (r.authority) headers.host = r.authority;
    const upstream = r.socket;
    upstream.write(`${req.method} ${r.path ?? req.url} HTTP/1.1\r\n${headerLines(headers)}\r\n`);
    if (head.length) upstream.write(head);
    // Envoy applies the route's response operations to the upgrade's response (a 101, or a refusal).
    if (r.response.length > 0) {
      socket.pause(); // what the client sends meanwhile waits for the splice
      if (!(await relayResponseHead(upstream, socket, r.response))) return;
    }
    spliceBoth(upstream, socket);
  }
}
