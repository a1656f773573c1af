// The Endpoints and EndpointSlice controllers (pkg/controller/endpoint, pkg/controller/endpointslice):
// for every Service with a selector, the pods it selects that have an IP, with their readiness,
// the target port resolved per pod (a named targetPort is looked up in that pod's container ports),
// written only when something changed. Services without a selector are left to their owner.

import { ApiError, type Api, type KObject } from '../core/types';
import { selectorMapMatches } from '../apiserver/selectors';
import type { Informer } from './informer';
import { WorkQueue, keyOf, splitKey, type SyncResult } from './queue';
import { isPodReady, ownerRefTo, stableJson } from './util';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
const HEADLESS_LABEL = 'service.kubernetes.io/headless';
const SLICES = 'endpointslices.discovery.k8s.io';

interface PortOut {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}
interface PodEndpoint {
  pod: KObject;
  ip: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  ports: PortOut[];
}

/** The port a Service port reaches on this pod, or undefined when a named targetPort is not declared by the pod. */
export function resolveTargetPort(
  sp: { port: number; targetPort?: number | string; protocol?: string },
  pod: KObject,
): number | undefined {
  const tp = sp.targetPort ?? sp.port;
  if (typeof tp === 'number') return tp;
  if (/^\d+$/.test(tp)) return Number(tp);
  for (const c of [...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (p.name === tp && (p.protocol ?? 'TCP') === (sp.protocol ?? 'TCP')) return p.containerPort;
    }
  }
  return undefined;
}

/** The pods of a Service as both controllers see them (ShouldPodBeInEndpoints, podToEndpoint). */
export function podEndpoints(svc: KObject, pods: KObject[], includeTerminating: boolean): PodEndpoint[] {
  const publish = !!svc.spec?.publishNotReadyAddresses;
  const out: PodEndpoint[] = [];
  for (const pod of pods) {
    if (!selectorMapMatches(svc.spec?.selector, pod.metadata.labels)) continue;
    const ip = pod.status?.podIP;
    if (!ip) continue;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const terminating = !!pod.metadata.deletionTimestamp;
    if (terminating && !includeTerminating) continue;
    const podReady = isPodReady(pod);
    const ports: PortOut[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = resolveTargetPort(sp, pod);
      if (port === undefined) continue;
      ports.push({
        ...(sp.name ? { name: sp.name } : {}),
        port,
        protocol: sp.protocol ?? 'TCP',
        ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}),
      });
    }
    if ((svc.spec?.ports ?? []).length > 0 && ports.length === 0) continue;
    out.push({ pod, ip, ready: publish || (podReady && !terminating), serving: podReady, terminating, ports });
  }
  return out.sort(
    (a, b) =>
      a.ip.localeCompare(b.ip, 'en', { numeric: true }) || a.pod.metadata.name!.localeCompare(b.pod.metadata.name!),
  );
}

function address(e: PodEndpoint): Record<string, unknown> {
  const pod = e.pod;
  return {
    ip: e.ip,
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
}

const portsKey = (ports: PortOut[]) =>
  stableJson([...ports].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port));

/** Endpoints.subsets, repacked as RepackSubsets does: addresses grouped by identical port sets. */
export function endpointSubsets(eps: PodEndpoint[]): Record<string, unknown>[] {
  const groups = new Map<string, { ports: PortOut[]; ready: PodEndpoint[]; notReady: PodEndpoint[] }>();
  for (const e of eps) {
    const k = portsKey(e.ports);
    const g = groups.get(k) ?? {
      ports: [...e.ports].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port),
      ready: [],
      notReady: [],
    };
    (e.ready ? g.ready : g.notReady).push(e);
    groups.set(k, g);
  }
  return [...groups.values()].map((g) => ({
    ...(g.ready.length ? { addresses: g.ready.map(address) } : {}),
    ...(g.notReady.length ? { notReadyAddresses: g.notReady.map(address) } : {}),
    ...(g.ports.length ? { ports: g.ports } : {}),
  }));
}

export class EndpointsController {
  readonly queue: WorkQueue;

  constructor(
    private readonly api: Api,
    private readonly services: Informer,
    private readonly pods: Informer,
    private readonly endpoints: Informer,
    private readonly slices: Informer,
    log: (m: string) => void,
  ) {
    this.queue = new WorkQueue('endpoints', (k) => this.sync(k), log);
    services.on((_t, svc) => this.queue.add(keyOf(svc.metadata.namespace, svc.metadata.name!)));
    pods.on((_t, pod, old) => {
      const ns = pod.metadata.namespace;
      for (const svc of services.list(ns)) {
        if (
          selectorMapMatches(svc.spec?.selector, pod.metadata.labels) ||
          (old && selectorMapMatches(svc.spec?.selector, old.metadata.labels))
        ) {
          this.queue.add(keyOf(ns, svc.metadata.name!));
        }
      }
    });
    // Someone else changed or removed what we manage: put it back.
    endpoints.on((_t, ep) => this.queue.add(keyOf(ep.metadata.namespace, ep.metadata.name!)));
    slices.on((_t, s) => {
      const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY) this.queue.add(keyOf(s.metadata.namespace, svc));
    });
  }

  sync(key: string): SyncResult {
    const [ns, name] = splitKey(key);
    const svc = this.services.get(ns, name);
    if (!svc) {
      // The Service is gone: its Endpoints go too (EndpointSlices also carry an ownerReference for the GC).
      if (this.endpoints.get(ns, name)) this.remove('endpoints', ns, name);
      for (const s of this.managedSlices(ns, name)) this.remove(SLICES, ns, s.metadata.name!);
      return;
    }
    if (!svc.spec?.selector || Object.keys(svc.spec.selector).length === 0) return; // not ours to manage
    if (svc.metadata.deletionTimestamp) return;
    const pods = this.pods.list(ns);
    this.syncEndpoints(svc, podEndpoints(svc, pods, !!svc.spec?.publishNotReadyAddresses));
    this.syncSlices(svc, podEndpoints(svc, pods, true));
    return undefined;
  }

  private remove(key: string, ns: string, name: string): void {
    try {
      this.api.delete(key, ns, name);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }

  private labelsFor(svc: KObject, extra: Record<string, string>): Record<string, string> {
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}), ...extra };
    if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    return labels;
  }

  private syncEndpoints(svc: KObject, eps: PodEndpoint[]): void {
    const ns = svc.metadata.namespace!;
    const name = svc.metadata.name!;
    const subsets = endpointSubsets(eps);
    const labels = this.labelsFor(svc, {});
    const cur = this.endpoints.get(ns, name);
    const want: KObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name, namespace: ns, ...(Object.keys(labels).length ? { labels } : {}) },
      ...(subsets.length ? { subsets } : {}),
    };
    if (!cur) {
      this.api.create('endpoints', ns, want);
      return;
    }
    if (
      stableJson(cur.subsets ?? []) === stableJson(subsets) &&
      stableJson(cur.metadata.labels ?? {}) === stableJson(labels)
    )
      return;
    const next: KObject = { ...cur, metadata: { ...cur.metadata, labels } };
    if (subsets.length) next.subsets = subsets;
    else delete next.subsets;
    this.api.update('endpoints', ns, next);
  }

  private managedSlices(ns: string, svcName: string): KObject[] {
    return this.slices
      .list(ns)
      .filter(
        (s) =>
          s.metadata.labels?.[SERVICE_NAME_LABEL] === svcName && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY,
      );
  }

  private syncSlices(svc: KObject, eps: PodEndpoint[]): void {
    const ns = svc.metadata.namespace!;
    const name = svc.metadata.name!;
    const labels = this.labelsFor(svc, { [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY });
    // One slice per distinct port set; none at all gives one placeholder slice without endpoints.
    const wanted = new Map<string, { ports?: PortOut[]; endpoints: Record<string, unknown>[] }>();
    for (const e of eps) {
      const k = portsKey(e.ports);
      const w = wanted.get(k) ?? { ports: e.ports.map((p) => ({ ...p, name: p.name ?? '' })), endpoints: [] };
      w.endpoints.push({
        addresses: [e.ip],
        conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
        ...(e.pod.spec?.nodeName ? { nodeName: e.pod.spec.nodeName } : {}),
        targetRef: { kind: 'Pod', namespace: ns, name: e.pod.metadata.name, uid: e.pod.metadata.uid },
      });
      wanted.set(k, w);
    }
    if (wanted.size === 0) wanted.set('placeholder', { endpoints: [] });
    const existing = this.managedSlices(ns, name);
    const unused = new Set(existing);
    for (const [k, w] of wanted) {
      const match = existing.find(
        (s) => unused.has(s) && (k === 'placeholder' ? !s.ports?.length : s.ports?.length && portsKey(s.ports) === k),
      );
      const body = { addressType: 'IPv4', endpoints: w.endpoints, ...(w.ports ? { ports: w.ports } : {}) };
      const owner = [ownerRefTo(svc)];
      if (match) {
        unused.delete(match);
        const same =
          stableJson({
            a: match.addressType,
            e: match.endpoints ?? [],
            p: match.ports ?? [],
            l: match.metadata.labels ?? {},
            o: match.metadata.ownerReferences ?? [],
          }) === stableJson({ a: 'IPv4', e: w.endpoints, p: w.ports ?? [], l: labels, o: owner });
        if (same) continue;
        const next: KObject = { ...match, ...body, metadata: { ...match.metadata, labels, ownerReferences: owner } };
        if (!w.ports) delete next.ports;
        this.api.update(SLICES, ns, next);
      } else {
        this.api.create(SLICES, ns, {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { generateName: `${name}-`, namespace: ns, labels, ownerReferences: owner },
          ...body,
        });
      }
    }
    for (const s of unused) this.remove(SLICES, ns, s.metadata.name!);
  }
}
