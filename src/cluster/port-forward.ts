// Port forwarding over the API server's WebSocket port-forward protocol: a local TCP listener;
// each accepted connection gets its own WebSocket to .../pods/P/portforward?ports=N. Frames carry
// a channel byte (0: data, 1: error) and each channel starts with the port as two bytes.
// Written here rather than with client-node's PortForward so that both directions respect
// back-pressure (a large download must not buffer in memory) and idle tunnels get keepalives.
import * as net from 'node:net';
import WebSocket from 'ws';
import type { PortForwardHandle, PortForwardRequest } from './api';
import type { KubeHttp } from './http';
import { onUpgradeRefused } from './upgrade';
import { ClusterError, classifyError } from '../core/errors';
import { Emitter } from '../core/events';
import { Disposable, toDisposable } from '../core/lifecycle';
import type { Logger } from '../core/logger';

const protocols = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
];
const highWater = 1 << 20;
const lowWater = 256 << 10;
const defaultKeepaliveMs = 30_000;
/** How much of a new connection `admit` sees at most, when no header block ends sooner. */
const maxStart = 16 << 10;

export async function startPortForward(
  http: KubeHttp,
  req: PortForwardRequest,
  logger: Logger,
): Promise<PortForwardHandle> {
  const forward = new KubePortForward(http, req, logger);
  try {
    await forward.start();
    return forward;
  } catch (err) {
    forward.dispose();
    throw err;
  }
}

class KubePortForward extends Disposable implements PortForwardHandle {
  readonly namespace: string;
  pod: string;
  readonly remotePort: number;
  readonly address: string;
  localPort = 0;
  private readonly server = net.createServer((socket) => this.tunnel(socket));
  private readonly sockets = new Set<net.Socket>();
  private readonly _onDidClose = this._register(new Emitter<Error | undefined>());
  readonly onDidClose = this._onDidClose.event;
  private readonly _onDidFailConnection = this._register(new Emitter<string>());
  readonly onDidFailConnection = this._onDidFailConnection.event;
  private readonly stopped = new AbortController();

  constructor(
    private readonly http: KubeHttp,
    private readonly req: PortForwardRequest,
    private readonly logger: Logger,
  ) {
    super();
    this.namespace = req.namespace;
    this.pod = req.pod;
    this.remotePort = req.remotePort;
    this.address = req.address ?? '127.0.0.1';
    this._register(
      toDisposable(() => {
        this.stopped.abort();
        this.server.close();
        for (const s of this.sockets) s.destroy();
        this._onDidClose.fire(undefined);
      }),
    );
  }

  private get action(): string {
    return `forward port ${this.remotePort} of pod ${this.namespace}/${this.pod}`;
  }

  async start(): Promise<void> {
    // Open one tunnel first, so that a missing pod or permission is reported now, not on first use.
    if (this.req.checkFirst !== false) (await this.connect()).ws.close();
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new ClusterError(
            'config',
            err.code === 'EADDRINUSE'
              ? `Local port ${this.req.localPort} is already in use`
              : `Cannot listen on ${this.address}:${this.req.localPort}: ${err.message}`,
            'Pick another local port.',
          ),
        ),
      );
      this.server.listen(this.req.localPort, this.address, () => resolve());
    });
    this.localPort = (this.server.address() as net.AddressInfo).port;
    this.server.on('error', (err) =>
      this.logger.warn(`port-forward ${this.address}:${this.localPort}: ${err.message}`),
    );
    this.logger.info(
      `forwarding ${this.address}:${this.localPort} -> ${this.namespace}/${this.pod}:${this.remotePort}`,
    );
  }

  /** The pod for a new connection: the resolver's answer when there is one (a replaced copy), else the last known. */
  private async target(): Promise<void> {
    if (!this.req.resolvePod) return;
    try {
      const pod = await this.req.resolvePod(this.stopped.signal);
      if (pod !== this.pod)
        this.logger.info(`port-forward ${this.address}:${this.localPort} now goes to pod ${this.namespace}/${pod}`);
      this.pod = pod;
    } catch (err) {
      this.logger.warn(
        `port-forward ${this.address}:${this.localPort}: cannot find the pod to reach (${(err as Error).message}); trying ${this.pod}`,
      );
    }
  }

  /**
   * Opens a tunnel. The server's first frames (each channel's port header) can arrive in the same
   * read as the upgrade response, and `ws` emits them before any `.then` after 'open' runs; they are
   * kept from the start and handed to pipe(), or the first data would lose its first two bytes.
   */
  private async connect(): Promise<{ ws: WebSocket; early: Buffer[] }> {
    const opts = await this.http.requestOptions(this.action);
    const base = this.http.target.server.replace(/\/+$/, '').replace(/^http/, 'ws');
    const url = `${base}/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods/${encodeURIComponent(this.pod)}/portforward?ports=${this.remotePort}`;
    const ws = new WebSocket(url, protocols, opts as WebSocket.ClientOptions);
    const early: Buffer[] = [];
    ws.on('message', (data: Buffer) => early.push(data));
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (!settled) {
          settled = true;
          fn();
        }
      };
      ws.once('open', () => settle(() => resolve({ ws, early })));
      onUpgradeRefused(ws, this.http, this.action, (e) => settle(() => reject(e)));
      // After a settle this also swallows the error that terminate() emits.
      ws.on('error', (err) => settle(() => reject(classifyError(err, this.http.errorContext(this.action)))));
    });
  }

  private tunnel(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    if (!this.req.admit) return this.open(socket, Buffer.alloc(0));
    const admit = this.req.admit;
    let start = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      start = Buffer.concat([start, chunk]);
      // The first header block (HTTP, or a DAP message's), or enough bytes to judge by.
      if (start.indexOf('\r\n\r\n') < 0 && start.length < maxStart) return;
      socket.off('data', onData);
      socket.pause();
      const refused = admit(start, socket.remotePort ?? 0);
      if (!refused) return this.open(socket, start);
      this.logger.warn(
        `port-forward ${this.address}:${this.localPort}: refused a connection from port ${socket.remotePort}: ${refused}`,
      );
      socket.destroy();
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  }

  /** Carries a local connection to the pod; `start` is what the client already sent. */
  private open(socket: net.Socket, start: Buffer): void {
    socket.pause(); // until the WebSocket is open
    this.target()
      .then(() => this.connect())
      .then(
        ({ ws, early }) => this.pipe(socket, ws, early, start),
        (err: Error) => {
          this.logger.warn(`port-forward connection to ${this.pod}:${this.remotePort} failed: ${err.message}`);
          this._onDidFailConnection.fire(err.message);
          socket.destroy();
        },
      );
  }

  /**
   * `early`: frames the server sent with the upgrade; `start`: what the local client already sent.
   * `replay`: while set, a copy of everything sent to the pod, so that a refused connection can be
   * tried again with the same bytes (retryRefusedMs); dropped at the pod's first byte.
   */
  private pipe(
    socket: net.Socket,
    ws: WebSocket,
    early: Buffer[],
    start: Buffer,
    replay = this.newReplay(start),
  ): void {
    if (socket.destroyed) return ws.close();
    const needsPortHeader = [true, true];
    let inFlight = 0;
    const keepalive = setInterval(() => ws.ping(), this.req.keepaliveMs ?? defaultKeepaliveMs);
    let current: Replay | undefined = replay;
    let detached = false;

    const onMessage = (data: Buffer) => {
      const channel = data[0];
      let payload = data.subarray(1);
      if (channel <= 1 && needsPortHeader[channel]) {
        needsPortHeader[channel] = false;
        payload = payload.subarray(2);
      }
      if (payload.length === 0) return;
      if (channel === 0) current = undefined; // the pod answered: it has the bytes, never send them again
      if (channel === 1 && current && refusedMessage(payload.toString('utf8')) && Date.now() < current.deadline) {
        // Nothing listened: the pod received nothing. Wait, then send the same bytes on a new tunnel.
        detach();
        this.retry(socket, current);
        return;
      }
      if (channel === 0) {
        // Back-pressure from the local client: stop reading from the cluster until it drains.
        if (!socket.write(payload)) {
          ws.pause();
          socket.once('drain', () => ws.resume());
        }
      } else if (channel === 1) {
        const message = payload.toString('utf8').trim();
        this.logger.warn(`port-forward to ${this.pod}:${this.remotePort}: ${message}`);
        this._onDidFailConnection.fire(message);
        socket.destroy();
      }
    };
    ws.removeAllListeners('message');
    const send = (chunk: Buffer) => {
      if (current) {
        current.chunks.push(chunk);
        current.bytes += chunk.length;
        if (current.bytes > maxReplay) current = undefined;
      }
      const frame = Buffer.allocUnsafe(chunk.length + 1);
      frame[0] = 0;
      chunk.copy(frame, 1);
      inFlight += frame.length;
      // Back-pressure towards the cluster: stop reading locally while too much is unsent.
      if (inFlight > highWater) socket.pause();
      ws.send(frame, (err) => {
        inFlight -= frame.length;
        if (err) socket.destroy();
        else if (inFlight < lowWater && socket.isPaused()) socket.resume();
      });
    };
    const close = () => {
      clearInterval(keepalive);
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
      socket.destroy();
    };
    const onWsError = (err: Error) => {
      this.logger.warn(`port-forward to ${this.pod}:${this.remotePort}: ${err.message}`);
      close();
    };
    /** Lets go of this tunnel but not of the local connection, which a retry carries on. */
    const detach = () => {
      detached = true;
      clearInterval(keepalive);
      socket.off('data', send);
      socket.off('end', close);
      socket.off('error', close);
      socket.off('close', close);
      ws.off('close', close);
      ws.off('error', onWsError);
      ws.removeAllListeners('message');
      ws.on('error', () => undefined);
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
    };
    socket.on('end', close);
    socket.on('error', close);
    socket.on('close', close);
    ws.on('close', close);
    ws.on('error', onWsError);
    // Frames that came with the upgrade first: a refusal can be among them.
    for (const data of early.splice(0)) if (!detached) onMessage(data);
    if (detached) return;
    ws.on('message', onMessage);
    if (start.length) {
      // What a retry replays is already in `current`; count it once.
      const kept = current;
      current = undefined;
      send(start);
      current = kept;
    }
    socket.on('data', send);
    socket.resume();
  }

  private newReplay(start: Buffer): Replay | undefined {
    const ms = this.req.retryRefusedMs ?? 0;
    if (ms <= 0) return undefined;
    return { chunks: start.length ? [start] : [], bytes: start.length, deadline: Date.now() + ms, tries: 0 };
  }

  /** After a refusal: back off, keep what the local client sends meanwhile, then open a new tunnel with all of it. */
  private retry(socket: net.Socket, replay: Replay): void {
    replay.tries++;
    const onData = (chunk: Buffer) => {
      replay.chunks.push(chunk);
      replay.bytes += chunk.length;
    };
    const onGone = () => clearTimeout(timer);
    socket.on('data', onData);
    socket.once('close', onGone);
    if (replay.tries === 1) socket.on('error', () => socket.destroy());
    // 25 ms doubling to 200 ms: a restart of 0.1–0.2 s is caught within a try or two.
    const timer = setTimeout(
      () => {
        socket.off('data', onData);
        socket.off('close', onGone);
        if (socket.destroyed || this.isDisposed) return;
        socket.pause();
        this.connect().then(
          ({ ws, early }) => this.pipe(socket, ws, early, Buffer.concat(replay.chunks), replay),
          (err: Error) => {
            this.logger.warn(`port-forward connection to ${this.pod}:${this.remotePort} failed: ${err.message}`);
            this._onDidFailConnection.fire(err.message);
            socket.destroy();
          },
        );
      },
      Math.min(25 * 2 ** (replay.tries - 1), 200),
    );
    socket.resume();
  }
}

interface Replay {
  chunks: Buffer[];
  bytes: number;
  deadline: number;
  tries: number;
}

/** Most a refused connection keeps to send again; a larger upload fails as it would without retrying. */
const maxReplay = 1 << 20;

/** The kubelet's (or the container runtime's) words for a port nothing listens on: the pod received nothing. */
export function refusedMessage(message: string): boolean {
  return /connection refused/i.test(message);
}
