// The HTTP/1.1 side of the mesh proxy: what an Istio sidecar's HTTP connection manager does for
// one connection. Each request is routed on its own (keep-alive connections may go to different
// pods), bodies stream both ways, chunked encoding is re-framed by Node, and an Upgrade request
// (WebSocket) is routed on its headers and then spliced byte for byte.
//
// Connections whose first bytes are not an HTTP/1.x request line are handed back as plain TCP.

import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { applyHeaderOps, type HeaderOps, type RequestView } from './istio';
import { spliceBoth } from './splice';

export type RouteResult =
  | { kind: 'upstream'; socket: Duplex; request: HeaderOps[]; response: HeaderOps[]; path?: string; authority?: string }
  | { kind: 'respond'; status: number; body: string; headers?: Record<string, string> };

export interface HttpContext {
  namespace: string;
  service: string;
  port: number;
  route(req: RequestView): Promise<RouteResult>;
}

/** Headers that belong to one hop (RFC 9110 7.6.1); a proxy does not forward them. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

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
  return (Array.isArray(h) ? h.join(',') : (h ?? '')).split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
}

export function viewOf(req: http.IncomingMessage, port: number): RequestView {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return { method: req.method ?? 'GET', url: req.url ?? '/', headers, port, authority: req.headers.host ?? '' };
}

function localReply(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export class MeshHttpServer {
  private readonly server: http.Server;
  private readonly contexts = new WeakMap<object, HttpContext>();

  constructor() {
    this.server = http.createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 60_000, noDelay: true });
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
      return localReply(res, 503, `upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: ${(e as Error).message}`);
    }
    if (r.kind === 'respond') {
      req.resume();
      return localReply(res, r.status, r.body, r.headers);
    }
    const headers = forwardHeaders(req, connectionTokens(req.headers.connection));
    applyHeaderOps(headers, r.request);
    if (r.authority) headers.host = r.authority;
    const upstream = r.socket;
    const preq = http.request({ method: req.method, path: r.path ?? req.url, headers, createConnection: () => upstream as never, setHost: false });
    preq.on('response', (pres) => {
      const out = forwardHeaders(pres, connectionTokens(pres.headers.connection));
      applyHeaderOps(out, r.response);
      res.writeHead(pres.statusCode ?? 502, pres.statusMessage, out);
      pres.pipe(res);
      pres.on('error', () => res.destroy());
    });
    preq.on('error', (e) => {
      upstream.destroy();
      localReply(res, 503, `upstream connect error or disconnect/reset before headers. reset reason: connection termination, transport failure reason: ${e.message}`);
    });
    res.on('close', () => {
      if (!res.writableFinished) preq.destroy();
    });
    req.pipe(preq);
  }

  private async onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const ctx = this.contexts.get(req.socket) ?? this.contexts.get(socket);
    const fail = (status: number, body: string) => {
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    };
    if (!ctx) return fail(500, 'no route context');
    let r: RouteResult;
    try {
      r = await ctx.route(viewOf(req, ctx.port));
    } catch (e) {
      return fail(503, `upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: ${(e as Error).message}`);
    }
    if (r.kind === 'respond') return fail(r.status, r.body);
    // Keep Connection/Upgrade (they are the point of this request); drop the other hop-by-hop headers.
    const headers: Record<string, string | string[] | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) || k === 'connection' || k === 'upgrade') headers[k] = v;
    applyHeaderOps(headers, r.request);
    if (r.authority) headers.host = r.authority;
    let text = `${req.method} ${r.path ?? req.url} HTTP/1.1\r\n`;
    for (const [k, v] of Object.entries(headers)) for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) text += `${k}: ${x}\r\n`;
    const upstream = r.socket;
    upstream.write(text + '\r\n');
    if (head.length) upstream.write(head);
    spliceBoth(upstream, socket);
  }
}
