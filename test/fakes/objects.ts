// Small builders for the Kubernetes objects the tests feed in.
import type { ContainerStatus, Namespace, Pod, Service, Workload } from '../../src/core/resources';

let rv = 1;
const nextRv = () => String(rv++);

export function namespace(name: string): Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, resourceVersion: nextRv() },
    status: { phase: 'Active' },
  };
}

export function service(
  name: string,
  selector: Record<string, string> | undefined,
  ports: { port: number; targetPort?: number }[] = [{ port: 80 }],
): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'shop', resourceVersion: nextRv() },
    spec: { selector, ports },
  };
}

export function deployment(name: string, labels: Record<string, string>, replicas = 1, ready = replicas): Workload {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop', resourceVersion: nextRv() },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels } } },
    status: { replicas, readyReplicas: ready },
  };
}

export interface PodOptions {
  labels?: Record<string, string>;
  containers?: string[];
  phase?: string;
  statuses?: Partial<ContainerStatus>[];
  deleting?: boolean;
}

export function pod(name: string, o: PodOptions = {}): Pod {
  const containers = o.containers ?? ['app'];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      labels: o.labels ?? {},
      resourceVersion: nextRv(),
      ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: { containers: containers.map((c) => ({ name: c, image: 'node:20', ports: [{ containerPort: 8080 }] })) },
    status: {
      phase: o.phase ?? 'Running',
      containerStatuses: containers.map((c, i) => ({
        name: c,
        ready: true,
        restartCount: 0,
        containerID: `containerd://${name}-${c}-0`,
        state: { running: { startedAt: '2024-01-01T00:00:00Z' } },
        ...(o.statuses?.[i] ?? {}),
      })),
    },
  };
}
