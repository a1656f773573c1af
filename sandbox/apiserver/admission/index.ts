// Installs the API server's admission on the store: defaulting (mutating) first, then the schema
// and semantic validation. Other components append their own hooks after these (the Service
// network allocates ClusterIPs), as admission plugins run in a fixed order on a real server.

import type { KObject, ResourceInfo } from '../../core/types';
import { hasStatus } from '../registry';
import type { Store } from '../store';
import { defaultObject, defaultPodOnCreate } from './defaults';
import { invalid } from './fielderrors';
import { schemaErrors } from './schema';
import { objectErrors, updateErrors } from './semantic';

export function installAdmission(store: Store, o: { nodeName: string }): void {
  store.admit.push((op, info, obj, old, opts) => {
    if (op === 'delete') return;
    if (op === 'create') {
      // Status is not the client's to set on create (PrepareForCreate), except a Node's (the kubelet registers it).
      if (hasStatus(info) && info.key !== 'nodes' && info.key !== 'namespaces') delete obj.status;
      if (info.key === 'pods') {
        defaultPodOnCreate(obj, o.nodeName);
        markSidecar(store, obj);
      }
    }
    dropEmptyMetadata(obj);
    defaultObject(info.key, obj, op);
    validate(info, obj, op === 'update' ? old : undefined, opts.subresource);
  });
}

/**
 * ObjectMeta's maps and lists are `omitempty` in Go: a real server stores `labels: {}` as no labels
 * at all, and `kubectl apply` of an object that says `labels: {}` then finds a difference each time.
 */
function dropEmptyMetadata(obj: KObject): void {
  const meta = obj.metadata as Record<string, unknown>;
  for (const f of ['labels', 'annotations', 'finalizers', 'ownerReferences']) {
    const v = meta[f];
    if (
      v !== undefined &&
      (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v !== null && Object.keys(v).length === 0)
    )
      delete meta[f];
  }
}

/**
 * Istio's sidecar injector (a mutating webhook) adds a proxy to each pod created in a namespace
 * labelled istio-injection=enabled, unless the pod opts out, and marks the pod with the
 * sidecar.istio.io/status annotation and the security.istio.io/tlsMode label. The sandbox's mesh
 * is emulated at the Services (net/), so no container is added; the marks are, so that clients
 * tell a pod in the mesh from one that is not exactly as they would on a real cluster.
 */
function markSidecar(store: Store, pod: KObject): void {
  const ns = pod.metadata.namespace ? store.tryGet('namespaces', undefined, pod.metadata.namespace) : undefined;
  if (ns?.metadata.labels?.['istio-injection'] !== 'enabled') return;
  const annotations = (pod.metadata.annotations ??= {});
  if (
    annotations['sidecar.istio.io/inject'] === 'false' ||
    pod.metadata.labels?.['sidecar.istio.io/inject'] === 'false'
  )
    return;
  annotations['sidecar.istio.io/status'] ??= JSON.stringify({
    initContainers: [],
    containers: ['istio-proxy'],
    volumes: [],
    imagePullSecrets: null,
    revision: 'default',
  });
  (pod.metadata.labels ??= {})['security.istio.io/tlsMode'] ??= 'istio';
}

export function validate(
  info: ResourceInfo,
  obj: Parameters<typeof objectErrors>[1],
  old: Parameters<typeof objectErrors>[1] | undefined,
  subresource?: string,
): void {
  const errs = schemaErrors(info.key, obj);
  // The semantic checks read typed fields: they run when the schema found nothing, or only missing
  // fields (as upstream, which reports both: a Deployment with no selector also has a template its
  // selector does not match). A cause the schema already gave is not repeated.
  if (errs.every((e) => e.type === 'Required')) {
    const seen = new Set(errs.map((e) => `${e.type} ${e.field}`));
    errs.push(...objectErrors(info.key, obj).filter((e) => !seen.has(`${e.type} ${e.field}`)));
  }
  if (old) errs.push(...updateErrors(info.key, obj, old, subresource));
  if (errs.length) throw invalid(info, obj.metadata.name ?? '', errs);
}
