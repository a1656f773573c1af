// Shared fixtures for controller tests: a fresh Store with namespaces, a stand-in kubelet that
// makes pods Running and Ready (or not), and a poll helper that waits for what a client would see.

import { Store } from '../../../../sandbox/apiserver/store';
import type { KObject } from '../../../../sandbox/core/types';

export function newStore(...namespaces: string[]): Store {
  const store = new Store();
  for (const ns of ['default', ...namespaces])
    store.create('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  return store;
}

/** Polls until `check` returns a value other than undefined/false; fails with the last observation. */
export async function eventually<T>(check: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = check();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(
        `timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`,
      );
    await new Promise((r) => setTimeout(r, 10));
  }
}

let nextIp = 1;

/** Marks a pod Running with an IP and the given readiness, through the status subresource. */
export function setPodReady(store: Store, pod: KObject, ready: boolean): KObject {
  const cur = store.get('pods', pod.metadata.namespace, pod.metadata.name!);
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const prev = (cur.status?.conditions ?? []).find((c: { type: string }) => c.type === 'Ready');
  const status = {
    phase: 'Running',
    podIP: cur.status?.podIP ?? `127.77.0.${nextIp++}`,
    conditions: [
      {
        type: 'Ready',
        status: ready ? 'True' : 'False',
        lastTransitionTime: prev && (prev.status === 'True') === ready ? prev.lastTransitionTime : now,
      },
    ],
  };
  return store.update('pods', cur.metadata.namespace, { ...cur, status }, { subresource: 'status' });
}

/** A stand-in kubelet: every new pod becomes Running, and Ready when `ready(pod)` says so. Returns stop(). */
export function fakeKubelet(store: Store, ready: (pod: KObject) => boolean = () => true): () => void {
  return store.watch('pods', undefined, {}, (ev) => {
    if (ev.type !== 'ADDED' || ev.object.status?.phase) return;
    setImmediate(() => {
      if (store.tryGet('pods', ev.object.metadata.namespace, ev.object.metadata.name!))
        setPodReady(store, ev.object, ready(ev.object));
    });
  });
}

export function deployment(
  name: string,
  ns: string,
  replicas: number,
  extra: Record<string, unknown> = {},
  image = 'demo:1',
): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image, ports: [{ name: 'http', containerPort: 8080 }] }] },
      },
      ...extra,
    },
  };
}
