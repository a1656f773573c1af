// The object store: what etcd plus the generic registry are to a real API server.
// One global resourceVersion counter (etcd's revision); a bounded history per resource for watches
// (older resourceVersions get 410 Gone); graceful deletion with deletionTimestamp and finalizers;
// status kept apart from the rest of the object for resources with a status subresource.
//
// Admission (defaults, validation, ClusterIP allocation, ...) is plugged in by the API server
// through `admit`; the store itself only enforces what any resource obeys.

import { randomUUID } from 'node:crypto';
import {
  ApiError,
  type Api,
  type DeleteOptions,
  type KObject,
  type ListOptions,
  type ResourceInfo,
  type ResourceKey,
  type WatchEvent,
  type WatchOptions,
  type WriteOptions,
} from '../core/types';
import { RESOURCES, VIRTUAL, apiVersionOf, hasStatus, tracksGeneration } from './registry';
import { fieldMatcher, labelMatcher, type Matcher } from './selectors';

export type AdmitOp = 'create' | 'update' | 'delete';

/** An admission step: may change `obj` (mutating) or throw an ApiError (validating). */
export type Admit = (
  op: AdmitOp,
  info: ResourceInfo,
  obj: KObject,
  old: KObject | undefined,
  opts: WriteOptions & { subresource?: string },
) => void;

interface HistoryEntry {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KObject;
  old?: KObject;
}

interface Watcher {
  namespace?: string;
  match: Matcher;
  handler: (ev: WatchEvent) => void;
  bookmarks: boolean;
}

interface Table {
  info: ResourceInfo;
  objects: Map<string, KObject>; // key: ns/name or name
  history: HistoryEntry[];
  /** The resourceVersion below which history was dropped: a watch from rv < floor is too old. */
  floor: number;
  watchers: Set<Watcher>;
}

interface Snapshot {
  items: KObject[];
  rv: string;
  at: number;
}

const HISTORY_LIMIT = 2000;
const SNAPSHOT_TTL_MS = 5 * 60_000;

const clone = <T>(o: T): T => structuredClone(o);

export class Store implements Api {
  private rv = 1;
  /** Below this resourceVersion every watch is too old: the server's start (openWatchWindow). */
  private watchFrom = 0;
  private readonly tables = new Map<ResourceKey, Table>();
  private readonly snapshots = new Map<string, Snapshot>();
  readonly admit: Admit[] = [];
  private readonly eventCounts = new Map<string, string>();

  constructor(resources: ResourceInfo[] = RESOURCES) {
    for (const info of resources) {
      this.tables.set(info.key, { info, objects: new Map(), history: [], floor: 0, watchers: new Set() });
    }
  }

  currentResourceVersion(): string {
    return String(this.rv);
  }

  resources(): ResourceInfo[] {
    return [...this.tables.values()].map((t) => t.info);
  }

  resource(key: ResourceKey): ResourceInfo {
    return this.table(key).info;
  }

  private table(key: ResourceKey): Table {
    const t = this.tables.get(key);
    if (!t) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${key})`);
    return t;
  }

  private id(info: ResourceInfo, namespace: string | undefined, name: string): string {
    return info.namespaced ? `${namespace ?? ''}/${name}` : name;
  }

  private notFound(info: ResourceInfo, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${info.resource}${info.group ? '.' + info.group : ''} "${name}" not found`, {
      name,
      group: info.group || undefined,
      kind: info.resource,
    });
  }

  private checkNamespace(info: ResourceInfo, namespace: string | undefined): void {
    if (info.namespaced && !namespace)
      throw new ApiError(400, 'BadRequest', `${info.kind} is namespaced: a namespace is required`);
  }

  tryGet(key: ResourceKey, namespace: string | undefined, name: string): KObject | undefined {
    const t = this.table(key);
    const o = t.objects.get(this.id(t.info, namespace, name));
    return o ? clone(o) : undefined;
  }

  get(key: ResourceKey, namespace: string | undefined, name: string): KObject {
    const o = this.tryGet(key, namespace, name);
    if (!o) throw this.notFound(this.table(key).info, name);
    return o;
  }

  list(
    key: ResourceKey,
    namespace: string | undefined,
    opts: ListOptions = {},
  ): { items: KObject[]; resourceVersion: string; continue?: string } {
    const t = this.table(key);
    let snap: Snapshot;
    let start = 0;
    if (opts.continue) {
      // Not a token this server could have given: 400, as upstream answers a token it cannot decode.
      if (!/^[0-9a-f-]{36}:\d+$/.test(opts.continue))
        throw new ApiError(400, 'BadRequest', 'invalid continue token: continue key is not valid');
      const found = this.snapshots.get(opts.continue);
      if (!found || Date.now() - found.at > SNAPSHOT_TTL_MS || Number(found.rv) < t.floor) {
        throw new ApiError(
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      snap = found;
      start = Number(opts.continue.split(':')[1]);
    } else {
      const match = this.matcher(key, opts);
      const items = [...t.objects.values()].filter(
        (o) => (!namespace || o.metadata.namespace === namespace) && match(o),
      );
      items.sort((a, b) =>
        this.id(t.info, a.metadata.namespace, a.metadata.name!).localeCompare(
          this.id(t.info, b.metadata.namespace, b.metadata.name!),
        ),
      );
      snap = { items, rv: String(this.rv), at: Date.now() };
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const page = snap.items.slice(start, start + limit);
    let next: string | undefined;
    if (start + page.length < snap.items.length) {
      const token = randomUUID();
      next = `${token}:${start + page.length}`;
      this.snapshots.set(next, snap);
      this.pruneSnapshots();
    }
    return { items: page.map(clone), resourceVersion: snap.rv, ...(next ? { continue: next } : {}) };
  }

  private pruneSnapshots(): void {
    const now = Date.now();
    for (const [k, s] of this.snapshots) if (now - s.at > SNAPSHOT_TTL_MS) this.snapshots.delete(k);
  }

  private matcher(key: ResourceKey, sel: { labelSelector?: string; fieldSelector?: string }): Matcher {
    const l = labelMatcher(sel.labelSelector);
    const f = fieldMatcher(key, sel.fieldSelector);
    return (o) => l(o) && f(o);
  }

  create(key: ResourceKey, namespace: string | undefined, input: KObject, opts: WriteOptions = {}): KObject {
    const t = this.table(key);
    const info = t.info;
    this.checkNamespace(info, namespace);
    const obj = clone(input);
    obj.apiVersion = apiVersionOf(info);
    obj.kind = info.kind;
    obj.metadata = obj.metadata ?? {};
    const meta = obj.metadata;
    if (info.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) {
        throw new ApiError(
          400,
          'BadRequest',
          `the namespace of the provided object (${meta.namespace}) does not match the namespace sent on the request (${namespace})`,
        );
      }
      meta.namespace = namespace;
    } else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    if (!meta.name) {
      throw new ApiError(
        422,
        'Invalid',
        `${info.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
        {
          kind: info.kind,
          causes: [
            {
              reason: 'FieldValueRequired',
              message: 'Required value: name or generateName is required',
              field: 'metadata.name',
            },
          ],
        },
      );
    }
    if (meta.resourceVersion) {
      throw new ApiError(500, 'InternalError', 'resourceVersion should not be set on objects to be created');
    }
    if (info.namespaced && key !== 'namespaces' && !VIRTUAL.has(key)) {
      const ns = this.tables.get('namespaces')!.objects.get(namespace!);
      if (!ns)
        throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, {
          name: namespace,
          kind: 'namespaces',
        });
      if (ns.metadata.deletionTimestamp) {
        throw new ApiError(
          403,
          'Forbidden',
          `${info.resource} "${meta.name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        );
      }
    }
    if (t.objects.has(this.id(info, namespace, meta.name))) {
      throw new ApiError(
        409,
        'AlreadyExists',
        `${info.resource}${info.group ? '.' + info.group : ''} "${meta.name}" already exists`,
        {
          name: meta.name,
          group: info.group || undefined,
          kind: info.resource,
        },
      );
    }
    meta.uid = randomUUID();
    meta.creationTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (tracksGeneration(info)) meta.generation = 1;
    for (const a of this.admit) a('create', info, obj, undefined, opts);
    if (VIRTUAL.has(key) || opts.dryRun) return obj;
    return this.commit(t, 'ADDED', obj, undefined);
  }

  update(
    key: ResourceKey,
    namespace: string | undefined,
    input: KObject,
    opts: WriteOptions & { subresource?: 'status' } = {},
  ): KObject {
    const t = this.table(key);
    const info = t.info;
    this.checkNamespace(info, namespace);
    const name = input.metadata?.name;
    if (!name)
      throw new ApiError(422, 'Invalid', `${info.kind} "" is invalid: metadata.name: Required value: name is required`);
    const id = this.id(info, namespace, name);
    const old = t.objects.get(id);
    if (!old) throw this.notFound(info, name);
    const want = input.metadata.resourceVersion;
    if (want && want !== old.metadata.resourceVersion) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${info.resource}${info.group ? '.' + info.group : ''} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        {
          name,
          group: info.group || undefined,
          kind: info.resource,
        },
      );
    }
    if (input.metadata.uid && input.metadata.uid !== old.metadata.uid) {
      throw new ApiError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${input.metadata.uid}, UID in object meta: ${old.metadata.uid}`,
      );
    }
    let obj = clone(input);
    if (opts.subresource === 'status') {
      // Only status changes through the status subresource.
      const merged = clone(old);
      merged.status = obj.status;
      obj = merged;
    } else if (hasStatus(info)) {
      obj.status = clone(old.status);
    }
    obj.apiVersion = apiVersionOf(info);
    obj.kind = info.kind;
    const meta = obj.metadata;
    meta.namespace = info.namespaced ? namespace : undefined;
    if (!info.namespaced) delete meta.namespace;
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    meta.deletionTimestamp = old.metadata.deletionTimestamp;
    meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    if (!meta.deletionTimestamp) {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    meta.generation = old.metadata.generation;
    if (meta.generation === undefined) delete meta.generation;
    if (tracksGeneration(info) && opts.subresource !== 'status' && specChanged(old, obj)) {
      meta.generation = (old.metadata.generation ?? 1) + 1;
    }
    if (old.metadata.deletionTimestamp) {
      // Once deleting, finalizers may only be removed (as the real server enforces).
      const before = new Set(old.metadata.finalizers ?? []);
      for (const f of meta.finalizers ?? []) {
        if (!before.has(f))
          throw new ApiError(
            422,
            'Invalid',
            `${info.kind} "${name}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ["${f}"]`,
          );
      }
    }
    for (const a of this.admit) a('update', info, obj, clone(old), opts);
    if (opts.dryRun) return obj;
    delete meta.resourceVersion;
    if (sameObject(old, obj)) return clone(old); // a no-op write does not bump the resourceVersion
    if (
      meta.deletionTimestamp &&
      (meta.finalizers ?? []).length === 0 &&
      !this.awaitsNode(info, obj) &&
      !awaitsNamespaceFinalizers(info, obj)
    ) {
      return this.remove(t, obj);
    }
    return this.commit(t, 'MODIFIED', obj, old);
  }

  delete(key: ResourceKey, namespace: string | undefined, name: string, opts: DeleteOptions = {}): KObject {
    const t = this.table(key);
    const info = t.info;
    this.checkNamespace(info, namespace);
    const id = this.id(info, namespace, name);
    const old = t.objects.get(id);
    if (!old) throw this.notFound(info, name);
    const pre = opts.preconditions;
    // rest.BeforeDelete's conflicts: named by kind, not resource, as the real server names them.
    const conflict = (why: string) => {
      const qualifiedKind = info.group ? `${info.kind}.${info.group}` : info.kind;
      return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedKind} "${name}": ${why}`, {
        name,
        group: info.group || undefined,
        kind: info.kind,
      });
    };
    if (pre?.uid && pre.uid !== old.metadata.uid) {
      throw conflict(
        `the UID in the precondition (${pre.uid}) does not match the UID in record (${old.metadata.uid}). The object might have been deleted and then recreated`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(
        `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${old.metadata.resourceVersion}). The object might have been modified`,
      );
    }
    const obj = clone(old);
    for (const a of this.admit) a('delete', info, obj, clone(old), opts);
    const meta = obj.metadata;
    const policy = opts.propagationPolicy ?? defaultPropagation(info);
    const finalizers = new Set(meta.finalizers ?? []);
    if (policy === 'Foreground') finalizers.add('foregroundDeletion');
    if (policy === 'Orphan') finalizers.add('orphan');
    const grace = this.gracePeriod(info, obj, opts);
    const graceful = grace !== undefined && grace > 0;
    if (opts.dryRun) return obj;
    if (finalizers.size > 0 || graceful || awaitsNamespaceFinalizers(info, obj)) {
      if (info.key === 'namespaces') obj.status = { ...(obj.status ?? {}), phase: 'Terminating' };
      const already = !!meta.deletionTimestamp;
      meta.finalizers = [...finalizers];
      if (meta.finalizers.length === 0) delete meta.finalizers;
      if (!already) {
        meta.deletionTimestamp = new Date(Date.now() + (graceful ? grace! * 1000 : 0))
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z');
        meta.deletionGracePeriodSeconds = graceful ? grace : 0;
      } else if (graceful && grace! < (meta.deletionGracePeriodSeconds ?? Infinity)) {
        meta.deletionGracePeriodSeconds = grace;
      }
      if (sameObject(old, obj)) return clone(old);
      return this.commit(t, 'MODIFIED', obj, old);
    }
    return this.remove(t, obj);
  }

  /** A pod bound to a node with a grace period waits for the node agent to confirm its containers stopped. */
  private gracePeriod(info: ResourceInfo, obj: KObject, opts: DeleteOptions): number | undefined {
    if (info.key !== 'pods') return undefined;
    const phase = obj.status?.phase;
    if (!obj.spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
    if (opts.gracePeriodSeconds !== undefined) return opts.gracePeriodSeconds;
    return obj.metadata.deletionGracePeriodSeconds ?? obj.spec?.terminationGracePeriodSeconds ?? 30;
  }

  private awaitsNode(info: ResourceInfo, obj: KObject): boolean {
    return info.key === 'pods' && (obj.metadata.deletionGracePeriodSeconds ?? 0) > 0;
  }

  private commit(t: Table, type: 'ADDED' | 'MODIFIED', obj: KObject, old: KObject | undefined): KObject {
    obj.metadata.resourceVersion = String(++this.rv);
    const stored = Object.freeze(obj) as KObject;
    t.objects.set(this.id(t.info, obj.metadata.namespace, obj.metadata.name!), stored);
    this.record(t, { rv: this.rv, type, object: stored, old });
    return clone(stored);
  }

  private remove(t: Table, obj: KObject): KObject {
    const old = t.objects.get(this.id(t.info, obj.metadata.namespace, obj.metadata.name!));
    t.objects.delete(this.id(t.info, obj.metadata.namespace, obj.metadata.name!));
    obj.metadata.resourceVersion = String(++this.rv);
    const stored = Object.freeze(obj) as KObject;
    this.record(t, { rv: this.rv, type: 'DELETED', object: stored, old });
    return clone(stored);
  }

  private record(t: Table, e: HistoryEntry): void {
    t.history.push(e);
    if (t.history.length > HISTORY_LIMIT) {
      const dropped = t.history.splice(0, t.history.length - HISTORY_LIMIT);
      t.floor = dropped[dropped.length - 1].rv;
    }
    for (const w of t.watchers) this.deliver(w, e);
  }

  /** Delivers an event to one watcher, translating selector transitions into ADDED/DELETED as the watch cache does. */
  private deliver(w: Watcher, e: HistoryEntry): void {
    const inNs = (o: KObject | undefined) => !!o && (!w.namespace || o.metadata.namespace === w.namespace);
    const now = inNs(e.object) && w.match(e.object);
    const before = e.type === 'MODIFIED' && inNs(e.old) && w.match(e.old!);
    let type: WatchEvent['type'] | undefined;
    if (e.type === 'ADDED') type = now ? 'ADDED' : undefined;
    else if (e.type === 'DELETED')
      type = inNs(e.object) && (w.match(e.object) || (e.old && w.match(e.old))) ? 'DELETED' : undefined;
    else if (now && before) type = 'MODIFIED';
    else if (now) type = 'ADDED';
    else if (before) type = 'DELETED';
    if (!type) return;
    try {
      w.handler({ type, object: clone(e.object) });
    } catch {
      // A watcher's failure is its own; the store goes on.
    }
  }

  watch(
    key: ResourceKey,
    namespace: string | undefined,
    opts: WatchOptions,
    handler: (ev: WatchEvent) => void,
  ): () => void {
    const t = this.table(key);
    const w: Watcher = { namespace, match: this.matcher(key, opts), handler, bookmarks: !!opts.allowWatchBookmarks };
    const from = opts.resourceVersion;
    if (from === undefined || from === '' || from === '0') {
      for (const o of t.objects.values()) {
        if ((!namespace || o.metadata.namespace === namespace) && w.match(o))
          handler({ type: 'ADDED', object: clone(o) });
      }
    } else {
      const rv = Number(from);
      if (!Number.isFinite(rv)) throw new ApiError(400, 'BadRequest', `invalid resource version: "${from}"`);
      const floor = Math.max(t.floor, this.watchFrom);
      if (rv < floor) {
        handler({
          type: 'ERROR',
          object: new ApiError(410, 'Expired', `too old resource version: ${from} (${floor + 1})`).status(),
        });
        return () => {};
      }
      for (const e of t.history) if (e.rv > rv) this.deliver(w, e);
    }
    t.watchers.add(w);
    return () => {
      t.watchers.delete(w);
    };
  }

  /** Sends a bookmark with the current resourceVersion to every watcher that asked for them. */
  bookmark(): void {
    for (const t of this.tables.values()) {
      for (const w of t.watchers) {
        if (!w.bookmarks) continue;
        w.handler({
          type: 'BOOKMARK',
          object: {
            apiVersion: apiVersionOf(t.info),
            kind: t.info.kind,
            metadata: { resourceVersion: String(this.rv) },
          },
        });
      }
    }
  }

  /**
   * The server has started: a watch from a resourceVersion older than now is too old (410), as a
   * real API server's watch cache starts at the resourceVersion it lists when it starts.
   */
  openWatchWindow(): void {
    this.watchFrom = this.rv;
  }

  /** Fault injection: forget every watch history, so any watch from an old resourceVersion gets 410. */
  expireHistory(): void {
    for (const t of this.tables.values()) {
      t.history = [];
      t.floor = this.rv;
    }
    this.snapshots.clear();
  }

  /** Ends every open watch: each handler gets nothing more, its stop function becomes a no-op. Returns how many. */
  dropWatches(): Set<(ev: WatchEvent) => void> {
    const dropped = new Set<(ev: WatchEvent) => void>();
    for (const t of this.tables.values()) {
      for (const w of t.watchers) dropped.add(w.handler);
      t.watchers.clear();
    }
    return dropped;
  }

  event(involved: KObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void {
    const ns = involved.metadata.namespace ?? 'default';
    const nsObj = this.tables.get('namespaces')!.objects.get(ns);
    if (!nsObj || nsObj.metadata.deletionTimestamp) return; // no events into a namespace that is going away
    const dedup = `${ns}/${involved.metadata.uid}/${reason}/${message}`;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const existingName = this.eventCounts.get(dedup);
    const existing = existingName ? this.tryGet('events', ns, existingName) : undefined;
    if (existing) {
      existing.count = (existing.count ?? 1) + 1;
      existing.lastTimestamp = now;
      this.update('events', ns, existing);
      return;
    }
    const name = `${involved.metadata.name}.${Date.now().toString(16)}${randomSuffix()}`;
    this.create('events', ns, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: {
        apiVersion: involved.apiVersion,
        kind: involved.kind,
        name: involved.metadata.name,
        namespace: involved.metadata.namespace,
        uid: involved.metadata.uid,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component },
      reportingComponent: component,
      reportingInstance: 'sandbox',
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
    this.eventCounts.set(dedup, name);
    if (this.eventCounts.size > 5000) this.eventCounts.delete(this.eventCounts.keys().next().value!);
  }

  /** Every stored object of every resource (for tests of the sandbox and for the garbage collector). */
  *all(): Generator<[ResourceInfo, KObject]> {
    for (const t of this.tables.values()) for (const o of t.objects.values()) yield [t.info, o];
  }
}

function defaultPropagation(info: ResourceInfo): 'Orphan' | 'Background' | 'Foreground' {
  // As in Kubernetes since apps/v1: everything defaults to background deletion.
  void info;
  return 'Background';
}

/** A namespace stays (Terminating) until the namespace controller has emptied it and cleared spec.finalizers. */
function awaitsNamespaceFinalizers(info: ResourceInfo, obj: KObject): boolean {
  return info.key === 'namespaces' && (obj.spec?.finalizers ?? []).length > 0;
}

function specChanged(a: KObject, b: KObject): boolean {
  const strip = (o: KObject) => {
    const { metadata: _m, status: _s, ...rest } = o;
    void _m;
    void _s;
    return JSON.stringify(rest);
  };
  return strip(a) !== strip(b);
}

function sameObject(a: KObject, b: KObject): boolean {
  const norm = (o: KObject) =>
    JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: undefined, managedFields: undefined } });
  return norm(a) === norm(b);
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUMS[Math.floor(Math.random() * ALPHANUMS.length)];
  return s;
}
