// A cluster made of in-memory informers, for driving the layers above src/cluster/ in unit tests.
// Tests change objects and statuses by hand and see what the explorer or log code does with it.
import type {
  ObjectApi,
  ChangeBatch,
  ClusterConnection,
  Clusters,
  InformerLease,
  InformerStatus,
  InformerView,
  KubeconfigState,
  LogRequest,
  PortForwardHandle,
  PortForwardRequest,
  UserIdentity,
} from '../../src/cluster/api';
import { ClusterError } from '../../src/core/errors';
import { Emitter } from '../../src/core/events';
import type { ContextSummary } from '../../src/core/kubeconfig';
import type { KindTypes, KubeObject, ResourceKind } from '../../src/core/resources';

export class FakeInformer<T extends KubeObject> implements InformerView<T> {
  status: InformerStatus = { phase: 'starting', hasSynced: false };
  readonly objects = new Map<string, T>();
  leases = 0;
  retries = 0;
  readonly changes = new Emitter<ChangeBatch<T>>();
  readonly statuses = new Emitter<InformerStatus>();
  readonly onDidChange = this.changes.event;
  readonly onDidChangeStatus = this.statuses.event;

  get size() {
    return this.objects.size;
  }
  get(name: string) {
    return this.objects.get(name);
  }
  values() {
    return this.objects.values();
  }
  retryNow() {
    this.retries++;
  }

  /** The first list finished with these objects. */
  sync(items: T[] = []): this {
    for (const item of items) this.objects.set(item.metadata.name, item);
    this.setStatus({ phase: 'synced', hasSynced: true });
    return this;
  }

  fail(error: ClusterError): void {
    this.setStatus({ phase: 'error', error, hasSynced: this.status.hasSynced });
  }

  setStatus(status: InformerStatus): void {
    this.status = status;
    this.statuses.fire(status);
  }

  /** Applies changes and fires them as one batch, as the real informer does. */
  apply(change: { upsert?: T[]; remove?: string[] }): void {
    const batch: ChangeBatch<T> = { added: [], updated: [], deleted: [] };
    for (const obj of change.upsert ?? []) {
      const before = this.objects.get(obj.metadata.name);
      this.objects.set(obj.metadata.name, obj);
      if (before) batch.updated.push({ before, after: obj });
      else batch.added.push(obj);
    }
    for (const name of change.remove ?? []) {
      const before = this.objects.get(name);
      if (!before) continue;
      this.objects.delete(name);
      batch.deleted.push(before);
    }
    this.changes.fire(batch);
  }
}

export type LogScript = (req: LogRequest, onChunk: (chunk: Buffer) => void, signal: AbortSignal) => Promise<void>;

/** For fakes that never reach the object API: any call fails, naming the method. */
export const unusedObjectApi = new Proxy({} as ObjectApi, {
  get: (_t, method) => () => Promise.reject(new Error(`ObjectApi.${String(method)} is not faked here`)),
});

export class FakeConnection implements ClusterConnection {
  readonly objects = unusedObjectApi;
  readonly informers = new Map<string, FakeInformer<KubeObject>>();
  logScript: LogScript = () => new Promise(() => {});
  readonly logRequests: LogRequest[] = [];

  constructor(readonly context: ContextSummary) {}

  informer<K extends ResourceKind>(kind: K, namespace?: string): FakeInformer<KindTypes[K]> {
    const key = `${kind}/${namespace ?? ''}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new FakeInformer<KubeObject>();
      this.informers.set(key, inf);
    }
    return inf as unknown as FakeInformer<KindTypes[K]>;
  }

  watch<K extends ResourceKind>(kind: K, namespace?: string): InformerLease<KindTypes[K]> {
    const inf = this.informer(kind, namespace);
    inf.leases++;
    let disposed = false;
    return {
      get status() {
        return inf.status;
      },
      get size() {
        return inf.size;
      },
      get: (name) => inf.get(name),
      values: () => inf.values(),
      onDidChange: inf.onDidChange,
      onDidChangeStatus: inf.onDidChangeStatus,
      retryNow: () => inf.retryNow(),
      dispose: () => {
        if (!disposed) inf.leases--;
        disposed = true;
      },
    };
  }

  /** Total leases currently held on all informers. */
  get leaseCount(): number {
    let n = 0;
    for (const inf of this.informers.values()) n += inf.leases;
    return n;
  }

  async getObject(kind: ResourceKind, namespace: string | undefined, name: string): Promise<KubeObject> {
    const obj = this.informer(kind, namespace).get(name);
    if (!obj) throw new ClusterError('not-found', `${kind} ${name} not found`, '');
    return obj;
  }

  followLog(req: LogRequest, onChunk: (chunk: Buffer) => void, signal: AbortSignal): Promise<void> {
    this.logRequests.push(req);
    return this.logScript(req, onChunk, signal);
  }

  portForward(_req: PortForwardRequest): Promise<PortForwardHandle> {
    return Promise.reject(new Error('not in the fake'));
  }

  /** The fake's server knows users by their kubeconfig entry's name. */
  whoAmI(): Promise<UserIdentity> {
    return Promise.resolve({ username: this.context.user, groups: ['system:authenticated'], source: 'server' });
  }
}

export function contextSummary(
  name: string,
  namespace = 'default',
  extra: Partial<ContextSummary> = {},
): ContextSummary {
  return { name, cluster: `${name}-cluster`, user: `${name}-user`, namespace, source: '/fake/kubeconfig', ...extra };
}

export class FakeClusters implements Clusters {
  readonly connections = new Map<string, FakeConnection>();
  readonly changes = new Emitter<void>();
  readonly onDidChange = this.changes.event;
  reloads = 0;

  constructor(public kubeconfig: KubeconfigState) {}

  static of(contexts: ContextSummary[], current?: string): FakeClusters {
    return new FakeClusters({
      files: ['/fake/kubeconfig'],
      source: 'default',
      problems: [],
      contexts,
      currentContext: current ?? contexts[0]?.name,
    });
  }

  connection(context: string): FakeConnection {
    const summary = this.kubeconfig.contexts.find((c) => c.name === context);
    if (!summary) throw new ClusterError('config', `Context "${context}" is not in the kubeconfig`, '');
    if (summary.problem)
      throw new ClusterError('config', `Context "${context}" cannot be used: ${summary.problem}`, '');
    let conn = this.connections.get(context);
    if (!conn) {
      conn = new FakeConnection(summary);
      this.connections.set(context, conn);
    }
    return conn;
  }

  reload(): void {
    this.reloads++;
    this.changes.fire();
  }

  dispose(): void {}
}
