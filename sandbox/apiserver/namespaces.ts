// The namespace lifecycle controller: a namespace being deleted (Terminating, with the
// `kubernetes` finalizer in spec.finalizers) has everything in it deleted, pods gracefully;
// once nothing is left, the finalizer is cleared and the store removes the namespace.

import { ApiError } from '../core/types';
import type { Store } from './store';

const NS_USER = {
  name: 'system:serviceaccount:kube-system:namespace-controller',
  groups: ['system:serviceaccounts', 'system:authenticated'],
};

export function startNamespaceController(store: Store): { stop(): void } {
  let scheduled = false;
  let stopped = false;
  const terminating = new Set<string>();
  const schedule = () => {
    if (scheduled || stopped || terminating.size === 0) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (!stopped) reconcile();
    });
  };
  const stops = [
    store.watch('namespaces', undefined, {}, (ev) => {
      const name = ev.object.metadata.name!;
      if (ev.type !== 'DELETED' && ev.object.metadata.deletionTimestamp) terminating.add(name);
      else terminating.delete(name);
      schedule();
    }),
  ];
  // Whatever disappears from a terminating namespace may be the last thing in it.
  for (const r of store.resources()) {
    if (!r.namespaced) continue;
    stops.push(
      store.watch(r.key, undefined, { resourceVersion: store.currentResourceVersion() }, (ev) => {
        if (ev.type === 'DELETED' && terminating.has(ev.object.metadata.namespace ?? '')) schedule();
      }),
    );
  }

  function reconcile(): void {
    for (const ns of [...terminating]) {
      let remaining = 0;
      for (const r of store.resources()) {
        if (!r.namespaced || r.key === 'events') continue;
        for (const o of store.list(r.key, ns).items) {
          remaining++;
          if (o.metadata.deletionTimestamp) continue;
          try {
            store.delete(r.key, ns, o.metadata.name!, { propagationPolicy: 'Background', user: NS_USER });
          } catch (e) {
            if (!(e instanceof ApiError && e.code === 404)) console.error('sandbox namespace controller:', e);
          }
        }
      }
      if (remaining > 0) {
        // Pods end when the node agent confirms; finalizers when their owners remove them.
        continue;
      }
      // Events go last, as the real controller deletes them with everything else.
      for (const e of store.list('events', ns).items) {
        try {
          store.delete('events', ns, e.metadata.name!, { user: NS_USER });
        } catch {
          // gone already
        }
      }
      try {
        const cur = store.get('namespaces', undefined, ns);
        cur.spec = { ...(cur.spec ?? {}), finalizers: [] };
        store.update('namespaces', undefined, cur, { user: NS_USER });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) console.error('sandbox namespace controller:', e);
      }
    }
  }

  return {
    stop() {
      stopped = true;
      for (const s of stops) s();
    },
  };
}
