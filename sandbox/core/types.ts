// The seams inside the sandbox. The API server owns the store; controllers, the node agent
// ("kubelet") and the Service proxies talk to it through `Api`, in process, with the same
// semantics a client sees over HTTP (validation, resourceVersion conflicts, graceful deletion,
// finalizers, garbage collection). Nothing here is imported by src/.

import type * as http from 'node:http';
import type { Duplex } from 'node:stream';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Any Kubernetes object as JSON. Specific shapes are read with the helpers of each module. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any;
}

/**
 * A resource as the API names it: `pods`, `deployments.apps`, `virtualservices.networking.istio.io`
 * (plural, then the group for non-core groups). Subresources are not part of the key.
 */
export type ResourceKey = string;

export interface ResourceInfo {
  key: ResourceKey;
  group: string; // '' for core
  version: string; // the served (and storage) version, e.g. 'v1'
  resource: string; // plural
  kind: string;
  listKind: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  verbs: string[];
  subresources: string[]; // e.g. ['status', 'log', 'exec', 'portforward'] for pods
  categories?: string[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KObject;
}

export interface Selector {
  labelSelector?: string; // Kubernetes syntax: "a=b,c!=d,e in (f,g),!h"
  fieldSelector?: string; // "metadata.name=x,spec.nodeName=y,status.phase!=Failed"
}

export interface ListOptions extends Selector {
  limit?: number;
  continue?: string;
}

export interface WatchOptions extends Selector {
  /** Start after this resourceVersion; '' or undefined means "from now" (after a synthetic ADDED of current state when sendInitialEvents is requested). */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** Who is writing (for managedFields and events); the admin identity for in-process callers. */
  user?: UserInfo;
  fieldManager?: string;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface UserInfo {
  name: string;
  groups: string[];
}

/**
 * The in-process client. Methods throw `ApiError` exactly where the HTTP API answers with a
 * Status (404, 409, 422, ...). Namespaced resources take a namespace; cluster-scoped ones take
 * undefined.
 */
export interface Api {
  resources(): ResourceInfo[];
  resource(key: ResourceKey): ResourceInfo; // throws ApiError 404 for an unknown resource

  get(key: ResourceKey, namespace: string | undefined, name: string): KObject; // throws 404
  tryGet(key: ResourceKey, namespace: string | undefined, name: string): KObject | undefined;
  list(
    key: ResourceKey,
    namespace: string | undefined,
    opts?: ListOptions,
  ): { items: KObject[]; resourceVersion: string; continue?: string };
  create(key: ResourceKey, namespace: string | undefined, obj: KObject, opts?: WriteOptions): KObject;
  /** Replace; metadata.resourceVersion, when set, is a precondition (409 on mismatch). */
  update(
    key: ResourceKey,
    namespace: string | undefined,
    obj: KObject,
    opts?: WriteOptions & { subresource?: 'status' },
  ): KObject;
  /**
   * Delete as the API does: objects with finalizers or (pods) a grace period get a deletionTimestamp
   * and stay until finalizers are gone / the node agent confirms; returns the object as it stands
   * afterwards, or the deleted object.
   */
  delete(key: ResourceKey, namespace: string | undefined, name: string, opts?: DeleteOptions): KObject;
  /**
   * Watch. The handler receives events in resourceVersion order. Returns a stop function.
   * A resourceVersion older than the kept history delivers one ERROR event with a 410 Status and stops.
   */
  watch(
    key: ResourceKey,
    namespace: string | undefined,
    opts: WatchOptions,
    handler: (ev: WatchEvent) => void,
  ): () => void;
  /** Record a core/v1 Event about an object (as the kubelet and controllers do). */
  event(involved: KObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void;
}

/** A Kubernetes Status-carrying error. */
export class ApiError extends Error {
  constructor(
    public readonly code: number,
    public readonly reason: string,
    message: string,
    public readonly details?: {
      name?: string;
      group?: string;
      kind?: string;
      causes?: { reason?: string; message: string; field?: string }[];
      retryAfterSeconds?: number;
    },
  ) {
    super(message);
  }

  status(): KObject {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/**
 * Pod subresources that stream, served by the node agent. The API server authenticates and
 * authorizes the request (including the subresource: `pods/log`, `pods/exec`, `pods/portforward`),
 * looks the pod up, then hands over.
 */
export interface PodStreams {
  log(pod: KObject, query: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): void;
  /** WebSocket upgrade for exec (channel.k8s.io protocols, v1..v5). */
  exec(pod: KObject, query: URLSearchParams, req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** WebSocket upgrade for port-forward (portforward.k8s.io protocol). */
  portforward(pod: KObject, query: URLSearchParams, req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** What a fault-injection request can ask for. */
export type Fault =
  | { kind: 'drop-watches' }
  | { kind: 'api-down'; ms: number }
  | { kind: 'expire-history' }
  | { kind: 'latency'; ms: number } // 0 clears it
  | { kind: 'kill-container'; namespace: string; pod: string; container?: string }
  | { kind: 'unready'; namespace: string; pod: string; ms?: number } // readiness forced false; ms=0 clears
  | { kind: 'idle-stream-timeout'; ms: number }; // streams (exec/port-forward/log/watch) idle longer are cut; 0 clears

/**
 * The pod network as the node agent offers it (sandbox/node/). Every pod has its own network
 * namespace and its own IP on loopback (127.X.0.0/17 of the instance), which is local only inside
 * that namespace; traffic from outside reaches it through the agent.
 */
export interface PodNetwork {
  /**
   * A TCP connection to `host:port` inside the network namespace of the pod whose IP is `podIP`.
   * `host` is the pod IP (what a Service or another pod dials) or `127.0.0.1` (what the kubelet's
   * port-forward dials). Rejects with an Error whose `code` is 'ECONNREFUSED' or 'EHOSTUNREACH'.
   */
  connect(podIP: string, host: string, port: number): Promise<Duplex>;
}

/** One Service port as pods dial it: `ip:port` inside the pod, carried to the host over `socketPath`. */
export interface ServicePort {
  namespace: string;
  service: string;
  ip: string;
  port: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  /** A unix socket on the host; a connection to it is one connection to ip:port (the proxy routes it). */
  socketPath: string;
}

/** The Service network (sandbox/net/): ClusterIPs on the host's loopback, proxies that follow selectors and Istio routes. */
export interface ServiceNetwork {
  ports(): ServicePort[];
  /** /etc/hosts lines for every Service: `IP name name.ns name.ns.svc name.ns.svc.cluster.local` (short name only in its own namespace is resolved by the pod's search path, so list `name` for the pod's namespace). */
  hosts(podNamespace: string): string;
  /** Called whenever ports() or hosts() may have changed. Returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** The addresses of one sandbox instance: a /16 of 127.0.0.0/8 that no other instance on the machine uses. */
export interface AddressBlock {
  /** e.g. 42 for 127.42.0.0/16: pods get 127.42.0.1 - 127.42.127.254, Services 127.42.128.1 - 127.42.255.254. */
  octet: number;
}
