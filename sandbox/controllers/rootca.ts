// The root CA publisher (kube-controller-manager's root-ca-cert-publisher): a `kube-root-ca.crt`
// ConfigMap holding the API server's CA in every active namespace, put back when changed or deleted.

import { ApiError, type Api } from '../core/types';
import type { Informer } from './informer';
import { WorkQueue, type SyncResult } from './queue';

export const ROOT_CA = 'kube-root-ca.crt';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export class RootCaPublisher {
  readonly queue: WorkQueue;

  constructor(
    private readonly api: Api,
    private readonly caCertPem: string,
    private readonly namespaces: Informer,
    configMaps: Informer,
    log: (m: string) => void,
  ) {
    this.queue = new WorkQueue('root-ca-cert-publisher', (ns) => this.sync(ns), log);
    namespaces.on((_t, ns) => this.queue.add(ns.metadata.name!));
    configMaps.on((_t, cm) => {
      if (cm.metadata.name === ROOT_CA) this.queue.add(cm.metadata.namespace!);
    });
  }

  sync(ns: string): SyncResult {
    const namespace = this.namespaces.get(undefined, ns);
    if (!namespace || namespace.metadata.deletionTimestamp || namespace.status?.phase === 'Terminating') return;
    const data = { 'ca.crt': this.caCertPem };
    const annotations = { 'kubernetes.io/description': DESCRIPTION };
    try {
      const cm = this.api.tryGet('configmaps', ns, ROOT_CA);
      if (!cm) {
        this.api.create('configmaps', ns, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: ROOT_CA, namespace: ns, annotations },
          data,
        });
      } else if (
        cm.data?.['ca.crt'] !== this.caCertPem ||
        cm.metadata.annotations?.['kubernetes.io/description'] !== DESCRIPTION ||
        Object.keys(cm.data ?? {}).length !== 1
      ) {
        this.api.update('configmaps', ns, {
          ...cm,
          metadata: { ...cm.metadata, annotations: { ...(cm.metadata.annotations ?? {}), ...annotations } },
          data,
        });
      }
    } catch (e) {
      // A race with another writer, or the namespace is going away: the next event syncs again.
      if (e instanceof ApiError && (e.code === 409 || e.code === 403 || e.code === 404)) return;
      throw e;
    }
    return undefined;
  }
}
