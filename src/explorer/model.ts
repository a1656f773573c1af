// The Clusters tree as data: fed by informers, read synchronously from their caches, and firing
// change events for exactly the rows that changed. src/ui/ renders it and adds nothing but
// VS Code types. Informers start when a row that needs them is expanded and are released when
// it collapses or disappears (the pool stops them after a grace period).
import type { ExplorerNode, NodeKind } from './nodes';
import { childId, hasAncestorIn, isDescendant } from './nodes';
import { type ForwardRegistry } from './forwards';
import {
  contextRow,
  containerRows,
  errorRow,
  messageRow,
  namespaceRow,
  podRow,
  type Row,
  serviceRow,
  workloadRow,
} from './rows';
import type { ChangeBatch, ClusterConnection, Clusters, InformerLease } from '../cluster/api';
import { treeItemContexts } from '../core/contributions';
import { ClusterError, classifyError } from '../core/errors';
import { Emitter, type Event } from '../core/events';
import { Disposable, DisposableStore, toDisposable } from '../core/lifecycle';
import {
  type KindTypes,
  type KubeObject,
  type Namespace,
  type ObjectRef,
  type Pod,
  type ResourceKind,
  type Service,
  type Workload,
  type WorkloadKind,
  workloadKinds,
} from '../core/resources';
import { matchesLabelSelector, matchesServiceSelector } from '../core/selectors';
import { type WherePrefs, whereDevlaneWorks } from '../core/where';

/** The user's choices of context and namespaces (src/core/where.ts), and when they change. */
export interface ExplorerPrefs extends WherePrefs {
  readonly onDidChange: Event<void>;
}

/** Filled by the session issues: which session has taken over a service. */
export interface SessionDecorations {
  takenOverBy(service: ObjectRef): string | undefined;
  readonly onDidChange: Event<void>;
}

export interface ExplorerOptions {
  decorations?: SessionDecorations;
  /** Row changes within this window are reported together. */
  batchMs?: number;
}

const root = '';

export class ExplorerModel extends Disposable {
  private readonly nodes = new Map<string, ExplorerNode>();
  private readonly childrenOf = new Map<string, string[]>();
  private readonly holds = new Map<
    string,
    { store: DisposableStore; leases: Map<string, InformerLease<KubeObject>> }
  >();
  private readonly changed = new Set<string>();
  private readonly builtFrom = new WeakMap<ExplorerNode, { source: object; key: string }>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly _onDidChange = this._register(new Emitter<ExplorerNode[] | undefined>());
  /** The rows to render again; undefined means the whole tree. */
  readonly onDidChange = this._onDidChange.event;

  constructor(
    private readonly clusters: Clusters,
    private readonly prefs: ExplorerPrefs,
    private readonly forwards: ForwardRegistry,
    private readonly options: ExplorerOptions = {},
  ) {
    super();
    this._register(clusters.onDidChange(() => this.reset()));
    this._register(prefs.onDidChange(() => this.markChanged(root)));
    this._register(forwards.onDidChange(() => this.markChanged(root)));
    if (options.decorations) this._register(options.decorations.onDidChange(() => this.markChanged(root)));
    this._register(toDisposable(() => this.releaseAll()));
  }

  getChildren(node?: ExplorerNode): ExplorerNode[] {
    if (this.isDisposed) return [];
    if (!node) return this.setChildren(root, this.rootChildren());
    const build = this.builders[node.kind];
    return this.setChildren(node.id, build ? build(node) : []);
  }

  /** The row was collapsed: what it watched is no longer needed. */
  collapsed(node: ExplorerNode): void {
    for (const id of [...this.holds.keys()]) if (id === node.id || isDescendant(id, node.id)) this.release(id);
  }

  /** Parent of a row, for TreeDataProvider.getParent (reveal). */
  getParent(node: ExplorerNode): ExplorerNode | undefined {
    const i = node.id.lastIndexOf('/');
    return i < 0 ? undefined : this.nodes.get(node.id.slice(0, i));
  }

  // ---- building rows ------------------------------------------------------------------------

  private readonly builders: Partial<Record<NodeKind, (node: ExplorerNode) => ExplorerNode[]>> = {
    context: (n) => this.contextChildren(n),
    namespace: (n) => this.namespaceChildren(n),
    service: (n) => this.serviceChildren(n),
    workload: (n) => this.workloadChildren(n),
    pod: (n) => this.podChildren(n),
    portForwards: (n) => this.forwardChildren(n),
  };

  private rootChildren(): ExplorerNode[] {
    const state = this.clusters.kubeconfig;
    const out: ExplorerNode[] = [];
    for (const p of state.problems) {
      const error = new ClusterError(
        'config',
        `${p.path}: ${p.message}`,
        'Fix the file, then Refresh; the other files are still used.',
      );
      out.push(
        this.upsert(childId(root, `problem:${p.path}`), 'error', {
          ...errorRow(error),
          retry: () => this.clusters.reload(),
        }),
      );
    }
    const forwards = this.forwards.list();
    if (forwards.length) {
      out.push(
        this.upsert(childId(root, 'forwards'), 'portForwards', {
          label: 'Port Forwards',
          description: String(forwards.length),
          icon: { id: 'plug' },
          expandable: 'expanded',
          contextValue: treeItemContexts.portForwards,
        }),
      );
    }
    const active = this.activeContext();
    const contexts = [...state.contexts].sort((a, b) => Number(b.name === active) - Number(a.name === active));
    for (const ctx of contexts) {
      const row = contextRow(ctx, ctx.name === active);
      out.push(
        this.upsert(childId(root, `ctx:${ctx.name}`), 'context', {
          ...row,
          ref: { context: ctx.name, kind: 'Namespace', name: '' },
        }),
      );
    }
    return out;
  }

  private contextChildren(node: ExplorerNode): ExplorerNode[] {
    const context = node.ref!.context;
    const summary = this.clusters.kubeconfig.contexts.find((c) => c.name === context);
    const conn = this.connect(context);
    if (!summary || conn instanceof ClusterError)
      return [this.errorNode(node, conn instanceof ClusterError ? conn : undefined, () => this.clusters.reload())];
    const namespaces = this.lease(node, conn, 'Namespace');
    const preferred = this.preferredNamespace(context);
    const out = this.statusRows(node, namespaces, 'namespaces');
    const nsNode = (name: string) => this.namespaceNode(node, name, namespaces.get(name));
    if (namespaces.status.hasSynced) {
      const names = [...namespaces.values()]
        .map((n) => n.metadata.name)
        .sort((a, b) => Number(b === preferred) - Number(a === preferred) || byName(a, b));
      out.push(...names.map(nsNode));
    } else if (namespaces.status.phase === 'error') {
      // Listing namespaces may be forbidden while the default namespace is fully usable.
      out.push(nsNode(preferred));
    }
    return out;
  }

  private preferredNamespace(context: string): string {
    return whereDevlaneWorks(this.prefs, this.clusters.kubeconfig, { context }).namespace;
  }

  private namespaceNode(contextNode: ExplorerNode, name: string, ns: Namespace | undefined): ExplorerNode {
    const context = contextNode.ref!.context;
    const isDefault = name === this.preferredNamespace(context);
    const expand = isDefault && context === this.activeContext();
    return this.cachedRow(childId(contextNode.id, `ns:${name}`), 'namespace', ns, `${isDefault}${expand}`, () => ({
      ...namespaceRow(name, ns, isDefault, expand),
      ref: { context, kind: 'Namespace', name, namespace: name },
    }));
  }

  private serviceNode(nsNode: ExplorerNode, svc: Service): ExplorerNode {
    const ref: ObjectRef = {
      context: nsNode.ref!.context,
      kind: 'Service',
      namespace: nsNode.ref!.namespace,
      name: svc.metadata.name,
    };
    const takenOverBy = this.options.decorations?.takenOverBy(ref);
    return this.cachedRow(childId(nsNode.id, `svc:${svc.metadata.name}`), 'service', svc, takenOverBy ?? '', () => ({
      ...serviceRow(svc, takenOverBy),
      ref,
    }));
  }

  private namespaceChildren(node: ExplorerNode): ExplorerNode[] {
    const { context, namespace } = node.ref!;
    const conn = this.connect(context);
    if (conn instanceof ClusterError) return [this.errorNode(node, conn, () => this.clusters.reload())];
    const services = this.lease(node, conn, 'Service', namespace);
    const out = this.statusRows(node, services, 'services');
    if (!services.status.hasSynced) return out;
    const sorted = [...services.values()].sort((a, b) => byName(a.metadata.name, b.metadata.name));
    for (const svc of sorted) out.push(this.serviceNode(node, svc));
    if (sorted.length === 0)
      out.push(this.upsert(childId(node.id, 'empty'), 'message', messageRow('No services in this namespace')));
    return out;
  }

  private serviceChildren(node: ExplorerNode): ExplorerNode[] {
    const { context, namespace, name } = node.ref!;
    const conn = this.connect(context);
    if (conn instanceof ClusterError) return [this.errorNode(node, conn, () => this.clusters.reload())];
    const svc = this.lease(node, conn, 'Service', namespace).get(name);
    const selector = svc?.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) {
      return [
        this.upsert(
          childId(node.id, 'no-selector'),
          'message',
          messageRow('No selector: this Service has no pods Devlane can show'),
        ),
      ];
    }
    const pods = this.lease(node, conn, 'Pod', namespace);
    const out = this.statusRows(node, pods, 'pods');
    const workloads: { kind: WorkloadKind; w: Workload }[] = [];
    for (const kind of workloadKinds) {
      const lease = this.lease(node, conn, kind, namespace);
      // A 404 on a whole collection means this cluster does not serve that kind (e.g. no
      // StatefulSets API): nothing to show, and not an error the user can act on.
      if (lease.status.phase === 'error' && lease.status.error?.kind === 'not-found') continue;
      out.push(...this.statusRows(node, lease, kind, false));
      for (const w of lease.values())
        if (matchesServiceSelector(selector, w.spec?.template?.metadata?.labels)) workloads.push({ kind, w });
    }
    workloads.sort((a, b) => byName(a.kind, b.kind) || byName(a.w.metadata.name, b.w.metadata.name));
    for (const { kind, w } of workloads) {
      const ref: ObjectRef = { context, kind, namespace, name: w.metadata.name };
      out.push(
        this.cachedRow(childId(node.id, `wl:${kind}:${w.metadata.name}`), 'workload', w, '', () => ({
          ...workloadRow(kind, w),
          ref,
        })),
      );
    }
    // Pods the Service selects that no listed workload owns (bare pods, or a workload of another kind).
    const loose = [...pods.values()].filter(
      (p) =>
        matchesServiceSelector(selector, p.metadata.labels) &&
        !workloads.some(({ w }) => matchesLabelSelector(w.spec?.selector, p.metadata.labels)),
    );
    out.push(...this.podNodes(node, context, namespace!, loose));
    if (out.length === 0 && pods.status.hasSynced)
      out.push(this.upsert(childId(node.id, 'empty'), 'message', messageRow('No pods match this Service')));
    return out;
  }

  private workloadChildren(node: ExplorerNode): ExplorerNode[] {
    const { context, namespace, name } = node.ref!;
    const kind = node.workloadKind!;
    const conn = this.connect(context);
    if (conn instanceof ClusterError) return [this.errorNode(node, conn, () => this.clusters.reload())];
    const workload = this.lease(node, conn, kind, namespace).get(name);
    const pods = this.lease(node, conn, 'Pod', namespace);
    const out = this.statusRows(node, pods, 'pods');
    const mine = [...pods.values()].filter((p) => matchesLabelSelector(workload?.spec?.selector, p.metadata.labels));
    out.push(...this.podNodes(node, context, namespace!, mine));
    if (out.length === 0 && pods.status.hasSynced)
      out.push(this.upsert(childId(node.id, 'empty'), 'message', messageRow('No pods')));
    return out;
  }

  private podChildren(node: ExplorerNode): ExplorerNode[] {
    const { context, namespace, name } = node.ref!;
    const conn = this.connect(context);
    if (conn instanceof ClusterError) return [this.errorNode(node, conn, () => this.clusters.reload())];
    const pod = this.lease(node, conn, 'Pod', namespace).get(name);
    if (!pod) return [];
    return containerRows(pod).map(({ name: container, row }) =>
      this.upsert(childId(node.id, `c:${container}`), 'container', { ...row, ref: node.ref, container }),
    );
  }

  private forwardChildren(node: ExplorerNode): ExplorerNode[] {
    return this.forwards.list().map((f) => {
      const h = f.handle;
      return this.upsert(childId(node.id, f.id), 'portForward', {
        label: `${h.address}:${h.localPort} → ${h.pod}:${h.remotePort}`,
        description: `${f.context} · ${h.namespace}`,
        tooltip: `Forwarding local port ${h.localPort} to port ${h.remotePort} of pod ${h.namespace}/${h.pod}`,
        icon: { id: 'arrow-swap' },
        expandable: 'none',
        contextValue: treeItemContexts.portForward,
        forward: h,
        ref: { context: f.context, kind: 'Pod', namespace: h.namespace, name: h.pod },
      });
    });
  }

  private podNodes(parent: ExplorerNode, context: string, namespace: string, pods: Pod[]): ExplorerNode[] {
    return pods
      .sort((a, b) => byName(a.metadata.name, b.metadata.name))
      .map((p) =>
        this.cachedRow(childId(parent.id, `pod:${p.metadata.name}`), 'pod', p, '', () => ({
          ...podRow(p),
          ref: { context, kind: 'Pod', namespace, name: p.metadata.name },
        })),
      );
  }

  /** A spinner while the first list runs; an error row (with Retry) while the informer is failing. */
  private statusRows(
    parent: ExplorerNode,
    lease: InformerLease<KubeObject>,
    what: string,
    showLoading = true,
  ): ExplorerNode[] {
    const { phase, error } = lease.status;
    if (phase === 'error' && error) return [this.errorNode(parent, error, () => lease.retryNow(), what)];
    if (phase === 'starting' && showLoading)
      return [this.upsert(childId(parent.id, `loading:${what}`), 'message', messageRow(`Loading ${what}…`, true))];
    return [];
  }

  private errorNode(
    parent: ExplorerNode,
    error: ClusterError | undefined,
    retry: () => void,
    what = 'connection',
  ): ExplorerNode {
    const e = error ?? new ClusterError('config', 'This context is no longer in the kubeconfig', 'Refresh the view.');
    return this.upsert(childId(parent.id, `error:${what}`), 'error', { ...errorRow(e), retry });
  }

  // ---- node identity and bookkeeping --------------------------------------------------------

  /**
   * Like upsert, but skips building the row when it was built from the same object (informers
   * replace objects on change, so identity means unchanged) and the same extra inputs (`key`).
   * Re-rendering 2,000 unchanged services then costs a map lookup each.
   */
  private cachedRow(
    id: string,
    kind: NodeKind,
    source: object | undefined,
    key: string,
    build: () => Row,
  ): ExplorerNode {
    const existing = this.nodes.get(id);
    const built = existing && this.builtFrom.get(existing);
    if (existing && source && built?.source === source && built.key === key) return existing;
    const node = this.upsert(id, kind, build());
    if (source) this.builtFrom.set(node, { source, key });
    return node;
  }

  /** Returns the same object for the same id, so the view can refresh a row by identity. */
  private upsert(id: string, kind: NodeKind, row: Row): ExplorerNode {
    let node = this.nodes.get(id);
    if (!node) {
      node = { id, kind, ...row };
      this.nodes.set(id, node);
    } else {
      // Every field is reassigned, so a description that went away does not linger.
      const fresh: Partial<ExplorerNode> = {
        description: undefined,
        tooltip: undefined,
        ref: undefined,
        error: undefined,
        retry: undefined,
        forward: undefined,
      };
      Object.assign(node, fresh, row);
    }
    return node;
  }

  private setChildren(parentId: string, children: ExplorerNode[]): ExplorerNode[] {
    const before = this.childrenOf.get(parentId);
    const ids = children.map((c) => c.id);
    if (before) {
      const keep = new Set(ids);
      for (const id of before) if (!keep.has(id)) this.drop(id);
    }
    this.childrenOf.set(parentId, ids);
    return children;
  }

  /** A row left the tree: forget it and everything under it, and release what they watched. */
  private drop(id: string): void {
    for (const child of this.childrenOf.get(id) ?? []) this.drop(child);
    this.childrenOf.delete(id);
    this.nodes.delete(id);
    this.release(id);
  }

  private connect(context: string): ClusterConnection | ClusterError {
    try {
      return this.clusters.connection(context);
    } catch (err) {
      return classifyError(err, { action: `connect with context "${context}"` });
    }
  }

  private activeContext(): string | undefined {
    return whereDevlaneWorks(this.prefs, this.clusters.kubeconfig)?.context;
  }

  /** Holds an informer for as long as the row exists and is expanded; events refresh the row. */
  private lease<K extends ResourceKind>(
    node: ExplorerNode,
    conn: ClusterConnection,
    kind: K,
    namespace?: string,
  ): InformerLease<KindTypes[K]> {
    let hold = this.holds.get(node.id);
    if (!hold) {
      hold = { store: new DisposableStore(), leases: new Map() };
      this.holds.set(node.id, hold);
    }
    const key = `${kind}/${namespace ?? ''}`;
    let lease = hold.leases.get(key) as InformerLease<KindTypes[K]> | undefined;
    if (!lease) {
      const l = hold.store.add(conn.watch(kind, namespace));
      hold.leases.set(key, l);
      hold.store.add(l.onDidChange((batch) => this.onBatch(node, kind, batch as ChangeBatch<KubeObject>)));
      hold.store.add(l.onDidChangeStatus(() => this.markChanged(node.id)));
      lease = l;
    }
    return lease;
  }

  /** Decides which rows a batch of object changes affects, from the point of view of `node`. */
  private onBatch(node: ExplorerNode, kind: ResourceKind, batch: ChangeBatch<KubeObject>): void {
    if (!this.nodes.has(node.id)) return;
    const membershipChanged = batch.added.length > 0 || batch.deleted.length > 0;
    switch (node.kind) {
      case 'context':
      case 'namespace':
        // Rows are the objects themselves: a new or removed object changes the list; an update
        // changes only its own row, which is rebuilt here because the view re-reads just that row.
        if (membershipChanged) this.markChanged(node.id);
        for (const { after } of batch.updated) {
          const id = childId(node.id, `${node.kind === 'context' ? 'ns' : 'svc'}:${after.metadata.name}`);
          if (!this.nodes.has(id)) continue;
          if (node.kind === 'context') this.namespaceNode(node, after.metadata.name, after as Namespace);
          else this.serviceNode(node, after as Service);
          this.markChanged(id);
        }
        break;
      case 'service':
      case 'workload':
      case 'pod':
        if (this.touches(node, kind, batch)) this.markChanged(node.id);
        break;
    }
  }

  /** Whether a change to pods or workloads is visible under this service, workload or pod row. */
  private touches(node: ExplorerNode, kind: ResourceKind, batch: ChangeBatch<KubeObject>): boolean {
    const { name, namespace } = node.ref!;
    let test: (o: KubeObject) => boolean;
    if (node.kind === 'pod' || kind === 'Service' || (node.kind === 'workload' && kind !== 'Pod')) {
      test = (o) => o.metadata.name === name;
    } else if (node.kind === 'workload') {
      const workload = this.holds.get(node.id)?.leases.get(`${node.workloadKind}/${namespace}`)?.get(name) as
        Workload | undefined;
      test = (o) => matchesLabelSelector(workload?.spec?.selector, o.metadata.labels);
    } else {
      const svc = this.holds.get(node.id)?.leases.get(`Service/${namespace}`)?.get(name) as Service | undefined;
      const selector = svc?.spec?.selector;
      test =
        kind === 'Pod'
          ? (o) => matchesServiceSelector(selector, o.metadata.labels)
          : (o) => matchesServiceSelector(selector, (o as Workload).spec?.template?.metadata?.labels);
    }
    // Plain loops: a relist can bring 10,000 changes, seen by every expanded row.
    for (const o of batch.added) if (test(o)) return true;
    for (const o of batch.deleted) if (test(o)) return true;
    for (const u of batch.updated) if (test(u.after) || test(u.before)) return true;
    return false;
  }

  private markChanged(id: string): void {
    this.changed.add(id);
    if (this.flushTimer || this.isDisposed) return;
    this.flushTimer = setTimeout(() => this.flush(), this.options.batchMs ?? 0);
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.changed.has(root)) {
      this.changed.clear();
      this._onDidChange.fire(undefined);
      return;
    }
    // A refreshed row re-renders its subtree, so its descendants need no event of their own.
    const ids = this.changed;
    const out: ExplorerNode[] = [];
    for (const id of ids) {
      const node = this.nodes.get(id);
      if (node && !hasAncestorIn(id, ids)) out.push(node);
    }
    ids.clear();
    if (out.length) this._onDidChange.fire(out);
  }

  private release(id: string): void {
    const hold = this.holds.get(id);
    if (!hold) return;
    this.holds.delete(id);
    hold.store.dispose();
  }

  private reset(): void {
    this.releaseAll();
    this.nodes.clear();
    this.childrenOf.clear();
    this.markChanged(root);
  }

  private releaseAll(): void {
    for (const id of [...this.holds.keys()]) this.release(id);
    if (this.flushTimer && this.isDisposed) clearTimeout(this.flushTimer);
  }
}

/** Kubernetes names are lower-case ASCII: a plain comparison sorts them, and is much cheaper than localeCompare. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
