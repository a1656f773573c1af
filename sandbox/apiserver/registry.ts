// The resources the sandbox serves, with the facts discovery publishes about them.
// One storage version per resource; a request for another version of the same group is refused
// with 404 by the HTTP layer, as a server that does not serve that version would.

import type { ResourceInfo } from '../core/types';

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function r(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<ResourceInfo> = {},
): ResourceInfo {
  return {
    key: group ? `${resource}.${group}` : resource,
    group,
    version,
    resource,
    kind,
    listKind: `${kind}List`,
    singular: kind.toLowerCase(),
    shortNames: [],
    namespaced,
    verbs: CRUD,
    subresources: [],
    ...extra,
  };
}

export const RESOURCES: ResourceInfo[] = [
  r('', 'v1', 'namespaces', 'Namespace', false, {
    shortNames: ['ns'],
    subresources: ['status', 'finalize'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  r('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'], subresources: ['status'] }),
  r('', 'v1', 'pods', 'Pod', true, {
    shortNames: ['po'],
    subresources: ['status', 'log', 'exec', 'portforward', 'eviction'],
    categories: ['all'],
  }),
  r('', 'v1', 'services', 'Service', true, {
    shortNames: ['svc'],
    subresources: ['status'],
    categories: ['all'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  r('', 'v1', 'endpoints', 'Endpoints', true, { shortNames: ['ep'], singular: 'endpoints', listKind: 'EndpointsList' }),
  r('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, {
    shortNames: ['pvc'],
    subresources: ['status'],
  }),
  r('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  r('', 'v1', 'secrets', 'Secret', true),
  r('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
  r('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  r('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  r('apps', 'v1', 'deployments', 'Deployment', true, {
    shortNames: ['deploy'],
    subresources: ['status', 'scale'],
    categories: ['all'],
  }),
  r('apps', 'v1', 'replicasets', 'ReplicaSet', true, {
    shortNames: ['rs'],
    subresources: ['status', 'scale'],
    categories: ['all'],
  }),
  r('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  r('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, { verbs: ['create'] }),
  r('authorization.k8s.io', 'v1', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, { verbs: ['create'] }),
  r('authentication.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', false, { verbs: ['create'] }),
  r('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  r('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  r('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  r('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  r('networking.istio.io', 'v1', 'virtualservices', 'VirtualService', true, {
    shortNames: ['vs'],
    subresources: ['status'],
    categories: ['istio-io', 'networking-istio-io'],
  }),
  r('networking.istio.io', 'v1', 'destinationrules', 'DestinationRule', true, {
    shortNames: ['dr'],
    subresources: ['status'],
    categories: ['istio-io', 'networking-istio-io'],
  }),
  r('gateway.networking.k8s.io', 'v1', 'httproutes', 'HTTPRoute', true, {
    subresources: ['status'],
    categories: ['gateway-api'],
  }),
  // Stored and validated only: no ingress controller serves them (sandbox/README.md).
  r('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, { shortNames: ['ing'], subresources: ['status'] }),
  // Stored and validated only: the pod network enforces no policy, and evictions ignore budgets (sandbox/README.md).
  r('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, { shortNames: ['netpol'] }),
  r('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, {
    shortNames: ['pdb'],
    subresources: ['status'],
  }),
];

/** Resources whose writes do not store anything (reviews). */
export const VIRTUAL = new Set([
  'selfsubjectaccessreviews.authorization.k8s.io',
  'selfsubjectrulesreviews.authorization.k8s.io',
  'selfsubjectreviews.authentication.k8s.io',
]);

/** Resources with a status subresource: a main-resource update keeps the stored status, a status update keeps everything else. */
export function hasStatus(info: ResourceInfo): boolean {
  return info.subresources.includes('status');
}

/**
 * Resources whose spec changes bump metadata.generation: those with a spec and a status subresource,
 * but for the few whose upstream registry never sets a generation.
 */
const NO_GENERATION = new Set(['namespaces', 'nodes', 'services', 'persistentvolumeclaims']);
export function tracksGeneration(info: ResourceInfo): boolean {
  return hasStatus(info) && !NO_GENERATION.has(info.key);
}

export function apiVersionOf(info: ResourceInfo): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}
