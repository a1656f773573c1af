// Where a routed request goes first: a Service has no path from a laptop, so the proxy forwards to
// one Ready pod behind it, through the API server's port-forward. When the session holds the
// Service itself, the first hop goes to the session's dev Service (what a mesh sidecar or the
// Devlane router would do with the key); every later hop is routed in the cluster.
import type { ObjectApi } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import { ClusterError } from '../core/errors';
import type { Pod, Service } from '../core/resources';
import { selectorString } from '../core/selectors';

export interface Backend {
  service: string;
  pod: string;
  port: number;
  /** The pod's labels: whether it is a session's copy, a router, or an original pod. */
  labels: Record<string, string>;
}

const isReady = (p: Pod) =>
  !p.metadata.deletionTimestamp &&
  p.status?.phase === 'Running' &&
  (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** The pod port that a Service port sends to (a named targetPort is looked up in the pod). */
export function podPort(svc: Service, pod: Pod, port?: number | string): number {
  const ports = svc.spec?.ports ?? [];
  const sp =
    port === undefined
      ? ports[0]
      : (ports.find((p) => (typeof port === 'number' ? p.port === port : p.name === port)) ??
        (typeof port === 'number' ? ports[0] : undefined));
  if (!sp)
    throw new ClusterError(
      'invalid',
      port === undefined
        ? `Service ${svc.metadata.name} has no ports`
        : `Service ${svc.metadata.name} has no port named "${port}"`,
      'Pick a Service that serves HTTP, or fix the Ingress.',
    );
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? []) if (p.name === target) return p.containerPort;
  throw new ClusterError(
    'invalid',
    `Service ${svc.metadata.name} sends port ${sp.port} to "${target}", which pod ${pod.metadata.name} does not name`,
    'Check the Service and the pod template.',
  );
}

export async function resolveBackend(
  api: ObjectApi,
  namespace: string,
  service: string,
  port: number | string | undefined,
  signal: AbortSignal,
): Promise<Backend> {
  const svc = await api.get<Service>(apiTypes.service, namespace, service, signal);
  const selector = svc.spec?.selector;
  if (!selector || Object.keys(selector).length === 0)
    throw new ClusterError(
      'invalid',
      `Service ${service} has no selector, so no pod to forward to`,
      'Pick a Service that selects pods.',
    );
  const labelSelector = selectorString(selector);
  const pods = await api.list<Pod>(apiTypes.pod, namespace, { labelSelector }, signal);
  const pod = pods.find(isReady);
  if (!pod)
    throw new ClusterError(
      'not-found',
      `No Ready pod behind Service ${service} in ${namespace}`,
      'Wait for its pods to become Ready (see the Clusters view), then try again.',
    );
  return { service, pod: pod.metadata.name, port: podPort(svc, pod, port), labels: pod.metadata.labels ?? {} };
}
