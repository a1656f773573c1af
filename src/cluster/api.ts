// What the layers above src/cluster/ see of a cluster. Nothing here imports client-node, so the
// explorer, log and (later) session code depend on these interfaces only; the implementations
// live next to this file, and tests drive the layers above with their own fakes.
import type { AccessCheck, ApiType } from '../core/api-types';
import type { ClusterError } from '../core/errors';
import type { Event } from '../core/events';
import type { ContextSummary } from '../core/kubeconfig';
import type { IDisposable } from '../core/lifecycle';
import type { KindTypes, KubeObject, ResourceKind } from '../core/resources';

export interface InformerStatus {
  /** starting: the first list has not finished; synced: the cache follows the server; error: the
   *  last attempt failed and a retry is scheduled; stopped: nothing uses it any more. */
  phase: 'starting' | 'synced' | 'error' | 'stopped';
  error?: ClusterError;
  /** True once a list has succeeded: the cache is usable (possibly stale) even while in error. */
  hasSynced: boolean;
}

/** Changes since the last batch; an object appears at most once. */
export interface ChangeBatch<T> {
  added: T[];
  updated: { before: T; after: T }[];
  deleted: T[];
}

/** A live, read-only cache of one resource kind in one namespace (or cluster-wide). */
export interface InformerView<T extends KubeObject> {
  readonly status: InformerStatus;
  /** Objects are keyed by name: an informer covers one namespace. */
  get(name: string): T | undefined;
  values(): IterableIterator<T>;
  readonly size: number;
  readonly onDidChange: Event<ChangeBatch<T>>;
  readonly onDidChangeStatus: Event<InformerStatus>;
  /** Skip the current back-off wait and try again now. */
  retryNow(): void;
}

/** One user's hold on an informer; the informer stops when the last lease is disposed. */
export interface InformerLease<T extends KubeObject> extends InformerView<T>, IDisposable {}

export interface LogRequest {
  namespace: string;
  pod: string;
  container: string;
  /** Resume after this RFC 3339 time (lines at or before it may repeat; callers de-duplicate). */
  sinceTime?: string;
  tailLines?: number;
}

export interface PortForwardRequest {
  namespace: string;
  pod: string;
  remotePort: number;
  /** 0 picks a free port. */
  localPort: number;
  /** Defaults to 127.0.0.1: a forward is for this machine only. */
  address?: string;
  /** WebSocket ping interval on each tunnel, so idle-stream cuts (hardened clusters: 5 min) spare it; default 30 s. */
  keepaliveMs?: number;
  /**
   * Asked before each new connection which pod to reach (a developer copy that was replaced has a
   * new name); `pod` is used until it answers, and when it fails.
   */
  resolvePod?: (signal: AbortSignal) => Promise<string>;
  /**
   * Opens (and at once closes) one connection before listening, so that a missing pod or permission
   * is reported by portForward itself. Default true. Turn it off for a server that an empty
   * connection upsets (debugpy 1.6 stops answering new clients after one); the caller then checks
   * the first real connection.
   */
  checkFirst?: boolean;
  /**
   * Looks at the start of each new local connection (what its client sent first, up to the end of
   * its first header block) and the connecting client's port; a reason refuses the connection
   * before anything reaches the cluster.
   */
  admit?: (start: Buffer, peerPort: number) => string | undefined;
  /**
   * When the pod refuses a connection (nothing listens on the port: a developer copy whose program
   * is restarting after a save), try again with back-off for up to this long instead of closing
   * the local connection, sending what the local client had sent so far. Only a refusal is retried:
   * the pod received nothing then; once the pod has answered a byte, or more than 1 MiB waits, a
   * failure closes the connection as usual. Default 0 (no retry).
   */
  retryRefusedMs?: number;
}

export interface PortForwardHandle extends IDisposable {
  readonly namespace: string;
  /** The pod the latest connection went to. */
  readonly pod: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly address: string;
  /** Fires once, when the forward stops; with the reason if it was not stopped on purpose. */
  readonly onDidClose: Event<Error | undefined>;
  /** A connection could not reach the pod's port (the API server's or kubelet's message, e.g. nothing listens there). */
  readonly onDidFailConnection: Event<string>;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WriteOptions {
  /** Server-side dry-run (`dryRun=All`): validated and admitted, never stored. */
  dryRun?: boolean;
  signal: AbortSignal;
}

export interface DeleteOptions extends WriteOptions {
  /** The delete fails with a conflict unless the object still has this uid / resourceVersion. */
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecStreamRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
}

/** How a long-lived exec ended: the process's exit code, or the error that cut the stream. */
export type ExecStreamEnd =
  { exitCode: number; message?: string; error?: undefined } | { error: ClusterError; exitCode?: undefined };

/** A running process in a container with its stdin open (see src/cluster/exec-stream.ts). */
export interface ExecStream {
  /** Resolves once the data is sent and the socket's buffer is below its high-water mark. */
  write(data: Buffer | string): Promise<void>;
  /** Closes the process's stdin (v5), or the stream (v4). */
  endInput(): void;
  onStdout(listener: (data: Buffer) => void): void;
  onStderr(listener: (data: Buffer) => void): void;
  /** Called once, when the process ended or the stream was cut. */
  onClose(listener: (end: ExecStreamEnd) => void): void;
  close(): void;
}

/**
 * Reads and writes of any kind, as raw JSON. Errors are ClusterErrors: 'not-found', 'conflict'
 * (resourceVersion precondition failed), 'already-exists', 'invalid', 'forbidden', ...
 * `update` always carries the object's metadata.resourceVersion as its precondition.
 */
export interface ObjectApi {
  get<T extends KubeObject>(
    type: ApiType,
    namespace: string | undefined,
    name: string,
    signal: AbortSignal,
  ): Promise<T>;
  /** Like get, but undefined for an object that does not exist. */
  tryGet<T extends KubeObject>(
    type: ApiType,
    namespace: string | undefined,
    name: string,
    signal: AbortSignal,
  ): Promise<T | undefined>;
  list<T extends KubeObject>(
    type: ApiType,
    namespace: string | undefined,
    opts: ListOptions,
    signal: AbortSignal,
  ): Promise<T[]>;
  create<T extends KubeObject>(type: ApiType, obj: T, opts: WriteOptions): Promise<T>;
  update<T extends KubeObject>(type: ApiType, obj: T, opts: WriteOptions): Promise<T>;
  patch<T extends KubeObject>(
    type: ApiType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    kind: 'merge' | 'json',
    opts: WriteOptions,
  ): Promise<T>;
  delete(type: ApiType, namespace: string | undefined, name: string, opts: DeleteOptions): Promise<void>;
  /** A SelfSubjectAccessReview: may the current user do this? */
  accessReview(check: AccessCheck, signal: AbortSignal): Promise<{ allowed: boolean; reason?: string }>;
  /** Whether the API server serves this kind (e.g. Istio's VirtualService CRD is installed). */
  serves(type: ApiType, signal: AbortSignal): Promise<boolean>;
  /**
   * A live cache of the objects of one type in a namespace that match `opts`, narrowed on the
   * server (list, then watch, as the informers do); it stops when disposed.
   */
  watchSelected<T extends KubeObject>(type: ApiType, namespace: string, opts: ListOptions): InformerLease<T>;
  /** Runs a short command in a container and collects its output. */
  exec(namespace: string, pod: string, container: string, command: string[], signal: AbortSignal): Promise<ExecResult>;
  /** Starts a process with stdin open and keeps the stream until it ends or is closed. */
  openExec(request: ExecStreamRequest, signal: AbortSignal): Promise<ExecStream>;
}

/** The user as the API server authenticates them (not the kubeconfig's name for the entry). */
export interface UserIdentity {
  username: string;
  groups: string[];
  /** server: a SelfSubjectReview answered; kubeconfig: it could not be asked, so the user entry's name stands in. */
  source: 'server' | 'kubeconfig';
}

/** Asks who the current user is; answered once per connection. */
export interface IdentityApi {
  whoAmI(signal: AbortSignal): Promise<UserIdentity>;
}

/** One kubeconfig context: the cluster as seen with that context's user. */
export interface ClusterConnection extends IdentityApi {
  readonly context: ContextSummary;
  watch<K extends ResourceKind>(kind: K, namespace?: string): InformerLease<KindTypes[K]>;
  getObject(kind: ResourceKind, namespace: string | undefined, name: string, signal: AbortSignal): Promise<KubeObject>;
  /**
   * Follows one container's log; `onChunk` receives raw bytes, each line prefixed with the API
   * server's timestamp. Resolves when the stream ends (the container stopped or the server closed
   * it); rejects with a ClusterError on failure, or when `signal` aborts.
   */
  followLog(request: LogRequest, onChunk: (chunk: Buffer) => void, signal: AbortSignal): Promise<void>;
  portForward(request: PortForwardRequest): Promise<PortForwardHandle>;
  readonly objects: ObjectApi;
}

export interface KubeconfigState {
  files: string[];
  source: 'setting' | 'KUBECONFIG' | 'default';
  problems: { path: string; message: string }[];
  contexts: ContextSummary[];
  currentContext: string | undefined;
}

export interface Clusters extends IDisposable {
  readonly kubeconfig: KubeconfigState;
  /** Throws a ClusterError (kind 'config') for a context that is not in the kubeconfig. */
  connection(context: string): ClusterConnection;
  /** Fires after the kubeconfig was read again; connections of changed contexts are replaced. */
  readonly onDidChange: Event<void>;
  reload(): void;
}
