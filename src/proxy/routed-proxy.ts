// Open Routed URL: an HTTP proxy on 127.0.0.1 (never another interface) that sends every request
// to one Service of the namespace, through a port-forward to a pod behind it, with the session's
// route on it (x-devlane-route and baggage devlane=KEY). A browser or any HTTP client then
// exercises the session with no header plugin. WebSocket upgrades pass through with the same
// headers. In front of an Ingress, each request goes to the Service the Ingress's rules choose
// for its path (src/core/ingress.ts), with the rule's host as Host, as the ingress controller
// would send it. Requests that do not name the proxy as Host, or that another site's page made,
// are refused (src/core/local-origin.ts). Whoever owns the proxy (the session, in the editor) disposes it: listener,
// forwards and every open connection end together.
import * as http from 'node:http';
import * as net from 'node:net';
import type { ClusterConnection, PortForwardHandle } from '../cluster/api';
import { Disposable, toDisposable } from '../core/lifecycle';
import { type IngressObject, ingressBackend } from '../core/ingress';
import type { Logger } from '../core/logger';
import { type Backend, resolveBackend } from './backend';
import { downstreamHeaders, upstreamHeaders, withCopyMarker } from './headers';
import { localRequestProblem } from '../core/local-origin';
import { restartWaitMs } from '../core/session/restart-wait';
import { closedBeforeAnswer, mayReplay, replayBackoffMs, replayDeadline } from './replay';

export interface RoutedProxyOptions {
  cluster: Pick<ClusterConnection, 'objects' | 'portForward'>;
  namespace: string;
  /** The Service requests are for (with `ingress`: the Ingress's name, for messages). */
  service: string;
  /** The Service port (default: its first port). */
  port?: number;
  /** Stand in for this Ingress: its rules (for `host`, sent as Host) choose the Service per request. */
  ingress?: { object: IngressObject; host?: string };
  routeKey: string;
  /** The session's dev Service for a Service it holds: the first hop to that Service goes there. */
  devService?: (service: string) => string | undefined;
  logger: Logger;
}

/** Where one request goes: a Service (maybe the session's dev Service for it) and its port. */
interface Hop {
  service: string;
  port?: number | string;
  host: string;
}

interface Forward {
  backend: Backend;
  handle: PortForwardHandle;
  key: string;
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
    this._register(
      toDisposable(() => {
        this.controller.abort();
        this.server.close();
        for (const s of this.sockets) s.destroy();
        for (const f of this.forwards.values())
          void f.then(
            (x) => x.handle.dispose(),
            () => undefined,
          );
        this.forwards.clear();
      }),
    );
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

  /** Where a request for `path` goes first; undefined when an Ingress has no rule for it. */
  private hop(path: string): Hop | undefined {
    const ing = this.o.ingress;
    if (!ing) {
      const service = this.o.devService?.(this.o.service) ?? this.o.service;
      const host = this.o.port && this.o.port !== 80 ? `${this.o.service}:${this.o.port}` : this.o.service;
      return { service, port: this.o.port, host };
    }
    const b = ingressBackend(ing.object, ing.host, path);
    if (!b) return undefined;
    const host = ing.host && !ing.host.startsWith('*') ? ing.host : b.service;
    return { service: this.o.devService?.(b.service) ?? b.service, port: b.port ?? b.portName, host };
  }

  private forward(hop: Hop): Promise<Forward> {
    const key = `${hop.service}:${hop.port ?? ''}`;
    let f = this.forwards.get(key);
    if (!f) {
      f = (async () => {
        const backend = await resolveBackend(
          this.o.cluster.objects,
          this.o.namespace,
          hop.service,
          hop.port,
          this.controller.signal,
        );
        // A refused connection (a copy restarting after a save) waits for the program, up to restartWaitMs.
        const handle = await this.o.cluster.portForward({
          namespace: this.o.namespace,
          pod: backend.pod,
          remotePort: backend.port,
          localPort: 0,
          address: '127.0.0.1',
          retryRefusedMs: restartWaitMs,
        });
        if (this.isDisposed) handle.dispose();
        handle.onDidClose(() => this.drop(key, f));
        return { backend, handle, key };
      })();
      this.forwards.set(key, f);
      f.catch(() => this.drop(key, f));
    }
    return f;
  }

  private drop(key: string, f: Promise<Forward> | undefined): void {
    if (this.forwards.get(key) !== f) return;
    this.forwards.delete(key);
    void f?.then(
      (x) => x.handle.dispose(),
      () => undefined,
    );
  }

  private noRule(path: string): string {
    return `Ingress ${this.o.service} has no rule for ${this.o.ingress?.host ?? '(any host)'}${path.split('?')[0]} and no default backend`;
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const refused = localRequestProblem(req.headers, this.port);
    if (refused) return fail(res, refused, 403);
    const hop = this.hop(req.url ?? '/');
    if (!hop) return fail(res, this.noRule(req.url ?? '/'), 404);
    let fwd: Forward;
    try {
      fwd = await this.forward(hop);
    } catch (err) {
      return fail(
        res,
        `Devlane could not reach Service ${hop.service} in ${this.o.namespace}: ${(err as Error).message}`,
      );
    }
    // A request without a body and with an idempotent method is sent again when its connection
    // closed before any answer (the copy restarted under it, src/proxy/replay.ts), until the
    // deadline; one with a body streams through and is never sent twice.
    const bodiless = !req.headers['transfer-encoding'] && (req.headers['content-length'] ?? '0') === '0';
    const replayable = bodiless && mayReplay(req.method);
    const deadline = replayDeadline();
    // One listener for the request's whole life: each replay replaces the upstream it ends.
    let current: http.ClientRequest | undefined;
    res.on('close', () => current?.destroy());
    const send = (attempt: number, forward: Forward) => {
      const up = (current = http.request(
        {
          host: '127.0.0.1',
          port: forward.handle.localPort,
          method: req.method,
          path: req.url,
          headers: upstreamHeaders(req.headers, this.o.routeKey, hop.host),
          ...(attempt > 0 ? { agent: false } : {}),
        },
        (upRes) => {
          res.writeHead(
            upRes.statusCode ?? 502,
            upRes.statusMessage,
            withCopyMarker(downstreamHeaders(upRes.rawHeaders), forward.backend.labels),
          );
          upRes.pipe(res);
        },
      ));
      up.on('error', (err) => {
        if (replayable && closedBeforeAnswer(err) && !res.headersSent && !res.destroyed && Date.now() < deadline) {
          setTimeout(
            () => {
              if (res.destroyed) return;
              this.forward(hop).then(
                (f) => send(attempt + 1, f),
                (e: Error) =>
                  fail(res, `Devlane could not reach Service ${hop.service} in ${this.o.namespace}: ${e.message}`),
              );
            },
            replayBackoffMs(attempt + 1),
          );
          return;
        }
        // The forward may have gone with its pod: the next request finds another.
        this.drop(forward.key, this.forwards.get(forward.key));
        fail(res, `Devlane's forward to ${forward.backend.pod} failed: ${err.message}`);
      });
      if (bodiless) {
        req.resume();
        up.end();
      } else req.pipe(up);
    };
    send(0, fwd);
  }

  private async onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    const refused = localRequestProblem(req.headers, this.port);
    if (refused) {
      socket.end(
        `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n\r\n${refused}\n`,
      );
      return;
    }
    const hop = this.hop(req.url ?? '/');
    if (!hop) {
      socket.end(
        `HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${this.noRule(req.url ?? '/')}\n`,
      );
      return;
    }
    let fwd: Forward;
    try {
      fwd = await this.forward(hop);
    } catch (err) {
      socket.end(
        `HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${(err as Error).message}\n`,
      );
      return;
    }
    const up = net.connect({ host: '127.0.0.1', port: fwd.handle.localPort });
    this.sockets.add(up);
    up.on('close', () => this.sockets.delete(up));
    const headers = upstreamHeaders(req.headers, this.o.routeKey, hop.host, true);
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (const [k, v] of Object.entries(headers))
      for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${String(one)}`);
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

function fail(res: http.ServerResponse, message: string, status = 502): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}
