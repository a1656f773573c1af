// The ServiceAccount controller (a `default` ServiceAccount in every active namespace, recreated
// when deleted) and the API server's own `kubernetes` Service in `default`, whose Endpoints point
// at the API server when its address is known.

import { ApiError, type Api, type KObject } from '../core/types';
import type { Informer } from './informer';
import { WorkQueue, type SyncResult } from './queue';
import { stableJson } from './util';

const KUBERNETES = 'kubernetes';
const SLICES = 'endpointslices.discovery.k8s.io';

export interface ApiServerAddress {
  /** The address pods and the host reach the API server at, e.g. 127.0.0.1. */
  host: string;
  port: number;
}

export class ServiceAccountController {
  readonly queue: WorkQueue;

  constructor(
    private readonly api: Api,
    private readonly namespaces: Informer,
    serviceAccounts: Informer,
    log: (m: string) => void,
  ) {
    this.queue = new WorkQueue('serviceaccount', (ns) => this.sync(ns), log);
    namespaces.on((_t, ns) => this.queue.add(ns.metadata.name!));
    serviceAccounts.on((type, sa) => {
      if (type === 'DELETED' && sa.metadata.name === 'default') this.queue.add(sa.metadata.namespace!);
    });
  }

  sync(ns: string): SyncResult {
    const namespace = this.namespaces.get(undefined, ns);
    if (!namespace || namespace.metadata.deletionTimestamp || namespace.status?.phase === 'Terminating') return;
    if (this.api.tryGet('serviceaccounts', ns, 'default')) return;
    try {
      this.api.create('serviceaccounts', ns, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'default', namespace: ns },
      });
    } catch (e) {
      // Already there (a race with someone else), or the namespace is going away: nothing to do.
      if (e instanceof ApiError && (e.code === 409 || e.code === 403 || e.code === 404)) return;
      throw e;
    }
    return undefined;
  }
}

/** Keeps `default/kubernetes` (and, with an address, its Endpoints and EndpointSlice) in place. */
export class KubernetesServiceController {
  readonly queue: WorkQueue;

  constructor(
    private readonly api: Api,
    private readonly apiserver: ApiServerAddress | undefined,
    services: Informer,
    endpoints: Informer,
    namespaces: Informer,
    log: (m: string) => void,
  ) {
    this.queue = new WorkQueue('kubernetes-service', () => this.sync(), log);
    const mine = (o: KObject) => o.metadata.namespace === 'default' && o.metadata.name === KUBERNETES;
    services.on((_t, o) => mine(o) && this.queue.add(KUBERNETES));
    endpoints.on((_t, o) => mine(o) && this.queue.add(KUBERNETES));
    namespaces.on((_t, o) => o.metadata.name === 'default' && this.queue.add(KUBERNETES));
    this.queue.add(KUBERNETES);
  }

  private sync(): SyncResult {
    if (!this.api.tryGet('namespaces', undefined, 'default')) return;
    const port = this.apiserver?.port ?? 6443;
    if (!this.api.tryGet('services', 'default', KUBERNETES)) {
      // No clusterIP asked for: the Service network's allocator keeps the first address of the range for this Service.
      this.api.create('services', 'default', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: KUBERNETES,
          namespace: 'default',
          labels: { component: 'apiserver', provider: 'kubernetes' },
        },
        spec: {
          type: 'ClusterIP',
          sessionAffinity: 'None',
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
        },
      });
    }
    if (!this.apiserver) return;
    const subsets = [{ addresses: [{ ip: this.apiserver.host }], ports: [{ name: 'https', port, protocol: 'TCP' }] }];
    const ep = this.api.tryGet('endpoints', 'default', KUBERNETES);
    const labels = { 'endpointslice.kubernetes.io/skip-mirror': 'true' };
    if (!ep)
      this.api.create('endpoints', 'default', {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: KUBERNETES, namespace: 'default', labels },
        subsets,
      });
    else if (stableJson(ep.subsets) !== stableJson(subsets))
      this.api.update('endpoints', 'default', { ...ep, subsets });
    const slice = this.api.tryGet(SLICES, 'default', KUBERNETES);
    const body = {
      addressType: 'IPv4',
      endpoints: [{ addresses: [this.apiserver.host], conditions: { ready: true } }],
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    };
    const sliceLabels = { 'kubernetes.io/service-name': KUBERNETES };
    if (!slice)
      this.api.create(SLICES, 'default', {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: KUBERNETES, namespace: 'default', labels: sliceLabels },
        ...body,
      });
    else if (stableJson({ e: slice.endpoints, p: slice.ports }) !== stableJson({ e: body.endpoints, p: body.ports }))
      this.api.update(SLICES, 'default', { ...slice, ...body });
    return undefined;
  }
}
