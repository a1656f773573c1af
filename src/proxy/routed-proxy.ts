// Open Routed URL: an HTTP proxy on 127.0.0.1 (never another interface) that sends every request
// to one Service of the namespace, through a port-forward to a pod behind it, with the session's
// route on it (x-devlane-route and baggage devlane=KEY). A browser or any HTTP client then
// exercises the session with no header plugin. WebSocket upgrades pass through with the same
// headers. Whoever owns the proxy (the session, in the editor) disposes it: listener, forwards
// and every open connection end together.
import * as http from 'node:http';
import * as net from 'node:net';
import type { ClusterConnection, PortForwardHandle } from '../cluster/api';
import { Disposable, toDisposable } from '../core/lifecycle';
import type { Logger } from '../core/logger';
import { type Backend, resolveBackend } from './backend';
import { downstreamHeaders, upstreamHeaders } from './headers';

export interface RoutedProxyOptions {
  cluster: Pick<ClusterConnection, 'objects' | 'portForward'>;
  namespace: string;
  /** The Service requests are for. */
  service: string;
  /** The Service port (default: its first port). */
  port?: number;
  routeKey: string;
  /** The session's dev Service for `service`, while the session holds it: the first hop goes there. */
  devService?: () => string | undefined;
  logger: Logger;
}

interface Forward {
  backend: Backend;
  handle: PortForwardHandle;
}

export class RoutedProxy extends Disposable {
  private readonly server = http.createServer((req, res) => void this.onRequest(req, res));
  private readonly sockets = new Set<net.Socket>();
  private readonly forwards = new Map<string, Promise<Forward>>();
  private readonly controller = new AbortController();
  private port = 0;

  private constructor(private readonly o: RoutedProxyOptions) {
    super();
    this.server.on('upgrade', (req, socket, head) => void this.onUpgrade(req, socket as net.Socket, head));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this._register(toDisposable(() => {
      this.controller.abort();
      this.server.close();
      for (const s of this.sockets) s.destroy();
      for (const f of this.forwards.values()) void f.then((x) => x.handle.dispose(), () => undefined);
      this.forwards.clear();
    }));
  }

  static async start(o: RoutedProxyOptions): Promise<RoutedProxy> {
    const proxy = new RoutedProxy(o);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
    });
    proxy.port = (proxy.server.address() as net.AddressInfo).port;
    o.logger.info(`routed proxy for ${o.namespace}/${o.service} on ${proxy.url}`);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** The Service the next request goes to first. */
  private target(): string {
    return this.o.devService?.() ?? this.o.service;
  }

  private forward(): Promise<Forward> {
    const service = this.target();
    let f = this.forwards.get(service);
    if (!f) {
      f = (async () => {
        const backend = await resolveBackend(this.o.cluster.objects, this.o.namespace, service, service === this.o.service ? this.o.port : undefined, this.controller.signal);
        const handle = await this.o.cluster.portForward({ namespace: this.o.namespace, pod: backend.pod, remotePort: backend.port, localPort: 0, address: '127.0.0.1' });
        if (this.isDisposed) handle.dispose();
        handle.onDidClose(() => this.drop(service, f));
        return { backend, handle };
      })();
      this.forwards.set(service, f);
      f.catch(() => this.drop(service, f));
    }
    return f;
  }

  private drop(service: string, f: Promise<Forward> | undefined): void {
    if (this.forwards.get(service) !== f) return;
    this.forwards.delete(service);
    void f?.then((x) => x.handle.dispose(), () => undefined);
  }

  private host(): string {
    return this.o.port && this.o.port !== 80 ? `${this.o.service}:${this.o.port}` : this.o.service;
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let fwd: Forward;
    try {
      fwd = await this.forward();
    } catch (err) {
      return fail(res, `Devlane could not reach Service ${this.target()} in ${this.o.namespace}: ${(err as Error).message}`);
    }
    const up = http.request({ host: '127.0.0.1', port: fwd.handle.localPort, method: req.method, path: req.url, headers: upstreamHeaders(req.headers, this.o.routeKey, this.host()) }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, downstreamHeaders(upRes.rawHeaders));
      upRes.pipe(res);
    });
    up.on('error', (err) => {
      // The forward may have gone with its pod: the next request finds another.
      this.drop(fwd.backend.service, this.forwards.get(fwd.backend.service));
      fail(res, `Devlane's forward to ${fwd.backend.pod} failed: ${err.message}`);
    });
    res.on('close', () => up.destroy());
    req.pipe(up);
  }

  private async onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    let fwd: Forward;
    try {
      fwd = await this.forward();
    } catch (err) {
      socket.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${(err as Error).message}\n`);
      return;
    }
    const up = net.connect({ host: '127.0.0.1', port: fwd.handle.localPort });
    this.sockets.add(up);
    up.on('close', () => this.sockets.delete(up));
    const headers = upstreamHeaders(req.headers, this.o.routeKey, this.host(), true);
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${String(one)}`);
    up.on('connect', () => {
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('close', () => up.destroy());
  }
}

function fail(res: http.ServerResponse, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}
