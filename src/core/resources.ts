// The Kubernetes objects the explorer reads, as the JSON the API server sends (not client-node's
// classes): only the fields Devlane uses are typed; everything else passes through untouched.

/** A part of an object Devlane passes through field by field (pod templates, routes) without typing it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- passed through, not read
export type Json = Record<string, any>;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  managedFields?: unknown[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  nodePort?: number;
}

export interface Service extends KubeObject {
  spec?: { type?: string; clusterIP?: string; selector?: Record<string, string>; ports?: ServicePort[] };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface Container {
  name: string;
  image?: string;
  ports?: ContainerPort[];
}

export interface ContainerState {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { reason?: string; exitCode?: number; message?: string; finishedAt?: string };
}

export interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  containerID?: string;
  started?: boolean;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface Pod extends KubeObject {
  spec?: { containers: Container[]; initContainers?: Container[]; nodeName?: string };
  status?: {
    phase?: string;
    reason?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface Workload extends KubeObject {
  spec?: { replicas?: number; selector?: LabelSelector; template?: { metadata?: { labels?: Record<string, string> } } };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    // DaemonSets count differently.
    desiredNumberScheduled?: number;
    numberReady?: number;
  };
}

export interface Namespace extends KubeObject {
  status?: { phase?: string };
}

/** The resource kinds the explorer watches, with where the API serves them. */
export const resourceKinds = {
  Namespace: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  Service: { group: '', version: 'v1', plural: 'services', namespaced: true },
  Pod: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  StatefulSet: { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true },
  DaemonSet: { group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true },
  // Watched by the Sessions view: session records and participants' Leases.
  ConfigMap: { group: '', version: 'v1', plural: 'configmaps', namespaced: true },
  Lease: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true },
} as const;

export type ResourceKind = keyof typeof resourceKinds;
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';
export const workloadKinds: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

export interface KindTypes {
  Namespace: Namespace;
  Service: Service;
  Pod: Pod;
  Deployment: Workload;
  StatefulSet: Workload;
  DaemonSet: Workload;
  ConfigMap: ConfigMapObject;
  Lease: LeaseResource;
}

export interface ConfigMapObject extends KubeObject {
  data?: Record<string, string>;
}

export interface LeaseResource extends KubeObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string };
}

/** The collection path: `/api/v1/namespaces/NS/pods`, `/apis/apps/v1/deployments` ... */
export function collectionPath(kind: ResourceKind, namespace?: string): string {
  const k = resourceKinds[kind];
  const prefix = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  if (k.namespaced && namespace) return `${prefix}/namespaces/${encodeURIComponent(namespace)}/${k.plural}`;
  return `${prefix}/${k.plural}`;
}

export function objectPath(kind: ResourceKind, namespace: string | undefined, name: string): string {
  return `${collectionPath(kind, namespace)}/${encodeURIComponent(name)}`;
}

export function isResourceKind(value: string): value is ResourceKind {
  return Object.prototype.hasOwnProperty.call(resourceKinds, value);
}

/** A reference to one object in one context: enough to find it again. */
export interface ObjectRef {
  context: string;
  kind: ResourceKind;
  namespace?: string;
  name: string;
}
