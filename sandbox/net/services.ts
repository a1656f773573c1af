// The Service network: ClusterIP/NodePort allocation (an admission step), and for every TCP
// Service port a proxy that listens at ClusterIP:port on the host and on a unix socket that the
// node agent connects pods to. Each connection goes to one ready endpoint of the Service (read
// from its EndpointSlices, so selector and readiness changes apply to the next connection), as
// kube-proxy does. In namespaces labelled istio-injection=enabled, HTTP follows VirtualServices.

import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import {
  ApiError,
  type AddressBlock,
  type KObject,
  type PodNetwork,
  type ServiceNetwork,
  type ServicePort,
} from '../core/types';
import type { Admit, Store } from '../apiserver/store';
import { Informer } from '../controllers/informer';
import { serviceAllocator } from './allocator';
import { MeshHttpServer, sniff, type HttpContext, type RouteResult } from './http-proxy';
import {
  decide,
  retryBackoffMs,
  retryPolicy,
  subsetLabels,
  unsupported,
  virtualServiceFor,
  type HeaderMutation,
  type RequestView,
  type RetryPolicy,
} from './istio';
import { spliceBoth } from './splice';

const SLICES = 'endpointslices.discovery.k8s.io';
const VS = 'virtualservices.networking.istio.io';
const DR = 'destinationrules.networking.istio.io';
const AFFINITY_DEFAULT_S = 10800;

interface Endpoint {
  ip: string;
  port: number;
  pod?: KObject;
}

interface PortProxy {
  key: string;
  namespace: string;
  service: string;
  ip: string;
  port: number;
  socketPath: string;
  servers: net.Server[];
  ready: boolean;
}

export interface ServiceNetworkHandle extends ServiceNetwork {
  stop(): Promise<void>;
}

export async function startServiceNetwork(o: {
  store: Store;
  stateDir: string;
  block: AddressBlock;
  pods: PodNetwork;
  log?: (m: string) => void;
}): Promise<ServiceNetworkHandle> {
  const net_ = new Network(
    o.store,
    o.stateDir,
    o.block,
    o.pods,
    o.log ?? ((m) => process.stderr.write(`service-network: ${m}\n`)),
  );
  await net_.start();
  return net_;
}

class Network implements ServiceNetworkHandle {
  private readonly informers: Record<'services' | 'slices' | 'pods' | 'namespaces' | 'vs' | 'dr', Informer>;
  private readonly proxies = new Map<string, PortProxy>();
  private readonly sockets = new Set<Duplex>();
  private readonly listeners = new Set<() => void>();
  private readonly rr = new Map<string, number>();
  private readonly affinity = new Map<string, { ep: Endpoint; until: number }>();
  private readonly mesh = new MeshHttpServer();
  private readonly admits: Admit[];
  private readonly socketDir: string;
  private signature = '';
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly store: Store,
    stateDir: string,
    block: AddressBlock,
    private readonly pods: PodNetwork,
    private readonly log: (m: string) => void,
  ) {
    this.socketDir = join(stateDir, 'svc');
    const onError = (e: unknown) => log(`informer: ${(e as Error).message ?? e}`);
    const inf = (k: string) => new Informer(store, k, onError);
    this.informers = {
      services: inf('services'),
      slices: inf(SLICES),
      pods: inf('pods'),
      namespaces: inf('namespaces'),
      vs: inf(VS),
      dr: inf(DR),
    };
    this.admits = [serviceAllocator(store, block), istioValidation];
  }

  async start(): Promise<void> {
    mkdirSync(this.socketDir, { recursive: true });
    if (join(this.socketDir, 'x'.repeat(17) + '.sock').length > 107) {
      throw new Error(
        `the state directory ${this.socketDir} is too long for unix socket paths (108 bytes); nothing was started; use a shorter --state-dir`,
      );
    }
    this.store.admit.push(...this.admits);
    const reconcile = () => this.schedule();
    this.informers.services.on(reconcile);
    this.informers.slices.on(reconcile); // headless Services list their endpoints in hosts()
    for (const i of Object.values(this.informers)) i.start();
    await this.reconcile();
  }

  // ---- ServiceNetwork ----

  ports(): ServicePort[] {
    return [...this.proxies.values()]
      .filter((p) => p.ready)
      .map((p) => ({
        namespace: p.namespace,
        service: p.service,
        ip: p.ip,
        port: p.port,
        protocol: 'TCP',
        socketPath: p.socketPath,
      }));
  }

  hosts(podNamespace: string): string {
    const lines: string[] = [];
    for (const svc of this.informers.services.list()) {
      const ns = svc.metadata.namespace!;
      const name = svc.metadata.name!;
      const names = `${name}.${ns}.svc.cluster.local ${name}.${ns}.svc ${name}.${ns}${ns === podNamespace ? ` ${name}` : ''}`;
      const ip = svc.spec?.clusterIP;
      if (ip === 'None') for (const addr of this.headlessAddresses(svc)) lines.push(`${addr} ${names}`);
      else if (ip && svc.spec?.type !== 'ExternalName') lines.push(`${ip} ${names}`);
    }
    return lines.sort().join('\n') + (lines.length ? '\n' : '');
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const a of this.admits) {
      const i = this.store.admit.indexOf(a);
      if (i >= 0) this.store.admit.splice(i, 1);
    }
    for (const i of Object.values(this.informers)) i.stop();
    for (const s of this.sockets) s.destroy();
    await Promise.all([...this.proxies.values()].map((p) => this.close(p)));
    this.proxies.clear();
  }

  // ---- listeners ----

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.reconcile();
    });
  }

  private desired(): Map<string, { namespace: string; service: string; ip: string; port: number }> {
    const out = new Map<string, { namespace: string; service: string; ip: string; port: number }>();
    for (const svc of this.informers.services.list()) {
      const ip = svc.spec?.clusterIP;
      if (!ip || ip === 'None' || svc.spec?.type === 'ExternalName') continue;
      for (const sp of svc.spec?.ports ?? []) {
        if ((sp.protocol ?? 'TCP') !== 'TCP') continue; // UDP/SCTP are not proxied (README)
        const key = `${svc.metadata.namespace}/${svc.metadata.name}/${sp.port}`;
        out.set(key, { namespace: svc.metadata.namespace!, service: svc.metadata.name!, ip, port: sp.port });
      }
    }
    return out;
  }

  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    const want = this.desired();
    const work: Promise<void>[] = [];
    for (const [key, p] of this.proxies) {
      const w = want.get(key);
      if (!w || w.ip !== p.ip) {
        this.proxies.delete(key);
        work.push(this.close(p));
      }
    }
    for (const [key, w] of want) {
      if (this.proxies.has(key)) continue;
      const p: PortProxy = {
        key,
        ...w,
        socketPath: join(this.socketDir, createHash('sha256').update(key).digest('hex').slice(0, 16) + '.sock'),
        servers: [],
        ready: false,
      };
      this.proxies.set(key, p);
      work.push(this.open(p));
    }
    await Promise.all(work);
    this.notify();
  }

  private notify(): void {
    const sig = JSON.stringify([this.ports(), this.hostsSignature()]);
    if (sig === this.signature) return;
    this.signature = sig;
    for (const l of this.listeners) {
      try {
        l();
      } catch (e) {
        this.log(`onChange listener failed: ${(e as Error).message}`);
      }
    }
  }

  private hostsSignature(): string {
    return this.informers.services
      .list()
      .map(
        (s) =>
          `${s.metadata.namespace}/${s.metadata.name}=${s.spec?.clusterIP}:${s.spec?.clusterIP === 'None' ? this.headlessAddresses(s).join(',') : ''}`,
      )
      .sort()
      .join(';');
  }

  private async open(p: PortProxy): Promise<void> {
    rmSync(p.socketPath, { force: true });
    const listen = (server: net.Server, arg: net.ListenOptions, what: string) =>
      new Promise<boolean>((resolve) => {
        server.once('error', (e) => {
          this.log(
            `cannot listen on ${what} for Service ${p.namespace}/${p.service} port ${p.port}: ${e.message}; that way in is unavailable, the others still work`,
          );
          resolve(false);
        });
        server.listen(arg, () => resolve(true));
      });
    // noDelay: a proxy must not hold small writes back (Nagle with delayed ACKs adds ~40 ms stalls).
    const host = net.createServer({ pauseOnConnect: true, noDelay: true }, (s) => this.accept(p, s, true));
    const unix = net.createServer({ pauseOnConnect: true }, (s) => this.accept(p, s, false));
    p.servers = [host, unix];
    const [, okUnix] = await Promise.all([
      listen(host, { host: p.ip, port: p.port }, `${p.ip}:${p.port}`),
      listen(unix, { path: p.socketPath }, p.socketPath),
    ]);
    p.ready = okUnix && this.proxies.get(p.key) === p;
    if (this.proxies.get(p.key) !== p) await this.close(p);
  }

  private async close(p: PortProxy): Promise<void> {
    p.ready = false;
    await Promise.all(p.servers.map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))));
    rmSync(p.socketPath, { force: true });
  }

  // ---- connections ----

  private track(s: Duplex): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private meshEnabled(namespace: string): boolean {
    return this.informers.namespaces.get(undefined, namespace)?.metadata.labels?.['istio-injection'] === 'enabled';
  }

  private accept(p: PortProxy, client: net.Socket, fromHost: boolean): void {
    this.track(client);
    client.on('error', () => client.destroy());
    if (!this.meshEnabled(p.namespace)) return void this.forwardTcp(p, client, Buffer.alloc(0), fromHost);
    // Sniff the first bytes: HTTP/1.x goes through the mesh HTTP proxy, anything else is plain TCP.
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const kind = sniff(head);
      if (kind === 'more') return;
      done(kind);
    };
    const onEnd = () => done('other');
    const done = (kind: 'http' | 'other') => {
      client.off('data', onData);
      client.off('end', onEnd);
      client.pause();
      if (kind === 'http') this.mesh.serve(client, head, this.httpContext(p, client));
      else this.forwardTcp(p, client, head, fromHost);
    };
    client.on('data', onData);
    client.on('end', onEnd);
    client.resume();
  }

  private async forwardTcp(p: PortProxy, client: net.Socket, head: Buffer, fromHost: boolean): Promise<void> {
    const svc = this.informers.services.get(p.namespace, p.service);
    const eps = svc ? this.endpoints(svc, p.port) : [];
    const ep = svc && this.choose(svc, p.port, eps, fromHost ? client.remoteAddress : undefined);
    if (!ep) return refuse(client); // no ready endpoint: rejected, as kube-proxy does
    let upstream: Duplex;
    try {
      upstream = await this.dial(ep);
    } catch {
      return refuse(client);
    }
    this.splice(client, upstream, head);
  }

  private splice(client: Duplex, upstream: Duplex, head: Buffer): void {
    this.track(upstream);
    if (head.length) upstream.write(head);
    spliceBoth(client, upstream);
    client.resume();
  }

  private dial(ep: Endpoint): Promise<Duplex> {
    if (ep.pod) return this.pods.connect(ep.ip, ep.ip, ep.port);
    // An endpoint that is not a pod (the API server behind `kubernetes`, hand-written Endpoints): on the host.
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: ep.ip, port: ep.port, noDelay: true });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  }

  /** Ready endpoints of a Service port, from its EndpointSlices; `labels` narrows them to pods carrying them (a subset). */
  private endpoints(svc: KObject, port: number, labels?: Record<string, string>): Endpoint[] {
    const sp = (svc.spec?.ports ?? []).find((x: { port: number }) => x.port === port);
    if (!sp) return [];
    const ns = svc.metadata.namespace!;
    const out: Endpoint[] = [];
    const seen = new Set<string>();
    for (const slice of this.informers.slices.list(ns)) {
      if (
        slice.metadata.labels?.['kubernetes.io/service-name'] !== svc.metadata.name ||
        (slice.addressType ?? 'IPv4') !== 'IPv4'
      )
        continue;
      const slicePort = (slice.ports ?? []).find((x: { name?: string }) => (x.name ?? '') === (sp.name ?? ''));
      if (!slicePort?.port) continue;
      for (const e of slice.endpoints ?? []) {
        if (e.conditions?.ready === false) continue;
        const ip = e.addresses?.[0];
        if (!ip || seen.has(`${ip}:${slicePort.port}`)) continue;
        const pod =
          e.targetRef?.kind === 'Pod'
            ? this.informers.pods.get(e.targetRef.namespace ?? ns, e.targetRef.name)
            : undefined;
        if (labels && !Object.entries(labels).every(([k, v]) => pod?.metadata.labels?.[k] === v)) continue;
        seen.add(`${ip}:${slicePort.port}`);
        out.push({
          ip,
          port: slicePort.port,
          pod:
            e.targetRef?.kind === 'Pod'
              ? (pod ?? { apiVersion: 'v1', kind: 'Pod', metadata: { name: e.targetRef.name } })
              : undefined,
        });
      }
    }
    return out.sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }) || a.port - b.port);
  }

  private headlessAddresses(svc: KObject): string[] {
    const ips = new Set<string>();
    for (const slice of this.informers.slices.list(svc.metadata.namespace)) {
      if (slice.metadata.labels?.['kubernetes.io/service-name'] !== svc.metadata.name) continue;
      for (const e of slice.endpoints ?? [])
        if (e.conditions?.ready !== false && e.addresses?.[0]) ips.add(e.addresses[0]);
    }
    return [...ips].sort();
  }

  /** Round robin, or the remembered endpoint for this client with sessionAffinity ClientIP. */
  private choose(
    svc: KObject,
    port: number,
    eps: Endpoint[],
    clientIp: string | undefined,
    tag = '',
  ): Endpoint | undefined {
    if (eps.length === 0) return undefined;
    const key = `${svc.metadata.namespace}/${svc.metadata.name}/${port}${tag}`;
    const sticky = svc.spec?.sessionAffinity === 'ClientIP' && clientIp;
    if (sticky) {
      const a = this.affinity.get(`${key}@${clientIp}`);
      if (a && a.until > Date.now() && eps.some((e) => e.ip === a.ep.ip && e.port === a.ep.port)) return a.ep;
    }
    const n = this.rr.get(key) ?? 0;
    this.rr.set(key, n + 1);
    const ep = eps[n % eps.length];
    if (sticky) {
      const secs = svc.spec?.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? AFFINITY_DEFAULT_S;
      this.affinity.set(`${key}@${clientIp}`, { ep, until: Date.now() + secs * 1000 });
    }
    return ep;
  }

  // ---- Istio ----

  private httpContext(p: PortProxy, client: net.Socket): HttpContext {
    return { namespace: p.namespace, service: p.service, port: p.port, route: (req) => this.route(p, req, client) };
  }

  private async route(p: PortProxy, req: RequestView, client: net.Socket): Promise<RouteResult> {
    const vs = virtualServiceFor(p.namespace, p.service, this.informers.vs.list());
    let target = {
      namespace: p.namespace,
      service: p.service,
      port: p.port as number | undefined,
      subset: undefined as string | undefined,
    };
    let request: HeaderMutation[] = [];
    let response: HeaderMutation[] = [];
    let path: string | undefined;
    let authority: string | undefined;
    // Without a VirtualService the client's sidecar still has Istio's default retry policy.
    let retry: RetryPolicy = retryPolicy(undefined);
    if (vs) {
      const d = decide(vs, req);
      const delay = d.kind !== 'no-route' ? (d.delayMs ?? 0) : 0;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      // A VirtualService for the host that no route matches: Envoy answers 404 (response flag NR).
      if (d.kind === 'no-route') return { kind: 'respond', status: 404, body: '' };
      if (d.kind === 'respond')
        return { kind: 'respond', status: d.status, body: d.body, headers: d.headers, response: d.response };
      target = { ...d.destination, port: d.destination.port, subset: d.destination.subset };
      ({ request, response, path, authority, retry } = d);
    }
    // Envoy's own answers once a route is chosen carry the route's response header operations too.
    const unavailable: RouteResult = { kind: 'respond', status: 503, body: 'no healthy upstream', response };
    const svc = this.informers.services.get(target.namespace, target.service);
    if (!svc) return unavailable;
    const ports: number[] = (svc.spec?.ports ?? []).map((x: { port: number }) => x.port);
    const port = target.port ?? (ports.length === 1 ? ports[0] : ports.includes(p.port) ? p.port : undefined);
    if (port === undefined || !ports.includes(port)) return unavailable;
    let labels: Record<string, string> | undefined;
    if (target.subset) {
      labels = subsetLabels(
        { namespace: target.namespace, service: target.service, subset: target.subset },
        vs?.metadata.namespace ?? p.namespace,
        this.informers.dr.list(),
      );
      if (!labels) return unavailable; // unknown subset: no such cluster (NC)
    }
    // A failed connection is retried as the route's retry policy says, with Envoy's back-off; each
    // try picks an endpoint again. Nothing was sent on a connection that failed, so any method may
    // be retried. No ready endpoint is Envoy's local 503 (no healthy upstream), never retried.
    let socket: Duplex | undefined;
    for (let attempt = 0; !socket; attempt++) {
      const eps = this.endpoints(svc, port, labels);
      const ep = this.choose(svc, port, eps, client.remoteAddress, target.subset ? `#${target.subset}` : '');
      if (!ep) return unavailable;
      try {
        socket = await this.dial(ep);
      } catch (e) {
        if (!retry.onConnectFailure || attempt >= retry.attempts || client.destroyed) {
          const body = `upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: ${(e as Error).message}`;
          return { kind: 'respond', status: 503, body, response };
        }
        await new Promise((r) => setTimeout(r, retryBackoffMs(attempt + 1)));
      }
    }
    this.track(socket);
    return { kind: 'upstream', socket, request, response, path, authority, retry };
  }
}

/** Ends a client connection the way a refused one looks: a TCP reset (a unix socket can only be closed). */
function refuse(client: net.Socket): void {
  try {
    client.resetAndDestroy();
  } catch {
    client.destroy();
  }
}

/** Refuses VirtualServices that use what the sandbox's Istio emulation does not implement (README.md). */
const istioValidation: Admit = (op, info, obj) => {
  if (info.key !== VS || op === 'delete') return;
  const problems = unsupported(obj);
  if (problems.length === 0) return;
  throw new ApiError(
    400,
    'BadRequest',
    `admission webhook "validation.istio.sandbox.devlane.dev" denied the request: configuration is invalid: ${problems.join('; ')}`,
  );
};
