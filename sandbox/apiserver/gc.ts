// The garbage collector, as kube-controller-manager's does it: dependents (objects whose
// ownerReferences name an owner by uid) of an owner that is gone are deleted; an owner deleted
// in the foreground (finalizer foregroundDeletion) has its dependents deleted first and loses the
// finalizer once no dependent with blockOwnerDeletion is left; an owner deleted with the orphan
// policy (finalizer orphan) has its references stripped from its dependents. Runs after store
// events (never inside a store callback, so watchers see events in order).

import { ApiError, type KObject, type OwnerReference, type ResourceInfo } from '../core/types';
import type { Store } from './store';

const GC_USER = {
  name: 'system:serviceaccount:kube-system:generic-garbage-collector',
  groups: ['system:serviceaccounts', 'system:authenticated'],
};

export function startGarbageCollector(store: Store): { stop(): void; sweep(): void } {
  let scheduled = false;
  let stopped = false;
  const schedule = () => {
    if (scheduled || stopped) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (!stopped) sweep();
    });
  };
  const stops = store.resources().map((r) =>
    store.watch(r.key, undefined, { resourceVersion: store.currentResourceVersion() }, (ev) => {
      const m = ev.object.metadata;
      if (ev.type === 'DELETED' || m.ownerReferences?.length || m.deletionTimestamp) schedule();
    }),
  );

  function ignoreGone(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (!(e instanceof ApiError && (e.code === 404 || e.code === 409)))
        console.error('sandbox garbage collector:', e);
    }
  }

  function sweep(): void {
    const byUid = new Map<string, [ResourceInfo, KObject]>();
    const dependents = new Map<string, [ResourceInfo, KObject][]>();
    for (const [info, o] of store.all()) {
      byUid.set(o.metadata.uid!, [info, o]);
      for (const ref of o.metadata.ownerReferences ?? []) {
        if (!dependents.has(ref.uid)) dependents.set(ref.uid, []);
        dependents.get(ref.uid)!.push([info, o]);
      }
    }
    let again = false;
    for (const [uid, [info, owner]] of byUid) {
      const m = owner.metadata;
      if (!m.deletionTimestamp) continue;
      const deps = dependents.get(uid) ?? [];
      if (m.finalizers?.includes('orphan')) {
        for (const [dInfo, d] of deps)
          ignoreGone(() => {
            const cur = store.get(dInfo.key, d.metadata.namespace, d.metadata.name!);
            cur.metadata.ownerReferences = (cur.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
            if (cur.metadata.ownerReferences.length === 0) delete cur.metadata.ownerReferences;
            store.update(dInfo.key, cur.metadata.namespace, cur, { user: GC_USER });
          });
        ignoreGone(() => removeFinalizer(store, info, owner, 'orphan'));
        again = true;
        continue;
      }
      if (m.finalizers?.includes('foregroundDeletion')) {
        let blocking = 0;
        for (const [dInfo, d] of deps) {
          const ref = d.metadata.ownerReferences!.find((r) => r.uid === uid)!;
          if (ref.blockOwnerDeletion) blocking++;
          if (d.metadata.deletionTimestamp) continue;
          if (hasOtherLiveOwner(d, uid, byUid)) {
            ignoreGone(() => dropRef(store, dInfo, d, uid));
            if (ref.blockOwnerDeletion) blocking--;
            continue;
          }
          ignoreGone(() =>
            store.delete(dInfo.key, d.metadata.namespace, d.metadata.name!, {
              propagationPolicy: ref.blockOwnerDeletion ? 'Foreground' : 'Background',
              user: GC_USER,
            }),
          );
          again = true;
        }
        if (blocking === 0) {
          ignoreGone(() => removeFinalizer(store, info, owner, 'foregroundDeletion'));
          again = true;
        }
      }
    }
    // Dependents whose owners are all gone are collected; references to gone owners are dropped
    // from dependents that still have a live owner.
    for (const [, [info, o]] of byUid) {
      const refs = o.metadata.ownerReferences ?? [];
      if (refs.length === 0 || o.metadata.deletionTimestamp) continue;
      const live = refs.filter((r) => ownerExists(r, o, byUid));
      if (live.length === refs.length) continue;
      if (live.length === 0) {
        ignoreGone(() =>
          store.delete(info.key, o.metadata.namespace, o.metadata.name!, {
            propagationPolicy: 'Background',
            user: GC_USER,
          }),
        );
      } else {
        ignoreGone(() => {
          const cur = store.get(info.key, o.metadata.namespace, o.metadata.name!);
          cur.metadata.ownerReferences = (cur.metadata.ownerReferences ?? []).filter((r) =>
            live.some((l) => l.uid === r.uid),
          );
          store.update(info.key, cur.metadata.namespace, cur, { user: GC_USER });
        });
      }
      again = true;
    }
    if (again) schedule();
  }

  return {
    stop() {
      stopped = true;
      for (const s of stops) s();
    },
    sweep,
  };
}

/** The owner is there when an object with that uid exists in the dependent's namespace (or cluster-wide) and has the referenced kind. */
function ownerExists(ref: OwnerReference, dependent: KObject, byUid: Map<string, [ResourceInfo, KObject]>): boolean {
  const found = byUid.get(ref.uid);
  if (!found) return false;
  const [info, owner] = found;
  if (info.kind !== ref.kind) return false;
  return !info.namespaced || owner.metadata.namespace === dependent.metadata.namespace;
}

function hasOtherLiveOwner(d: KObject, uid: string, byUid: Map<string, [ResourceInfo, KObject]>): boolean {
  return (d.metadata.ownerReferences ?? []).some(
    (r) => r.uid !== uid && ownerExists(r, d, byUid) && !byUid.get(r.uid)![1].metadata.deletionTimestamp,
  );
}

function dropRef(store: Store, info: ResourceInfo, d: KObject, uid: string): void {
  const cur = store.get(info.key, d.metadata.namespace, d.metadata.name!);
  cur.metadata.ownerReferences = (cur.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
  store.update(info.key, cur.metadata.namespace, cur, { user: GC_USER });
}

function removeFinalizer(store: Store, info: ResourceInfo, o: KObject, finalizer: string): void {
  const cur = store.get(info.key, o.metadata.namespace, o.metadata.name!);
  if (!cur.metadata.finalizers?.includes(finalizer)) return;
  cur.metadata.finalizers = cur.metadata.finalizers.filter((f) => f !== finalizer);
  store.update(info.key, cur.metadata.namespace, cur, { user: GC_USER });
}
