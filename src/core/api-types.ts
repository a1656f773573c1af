// Where the API server serves a kind, for the generic object API that sessions use (the explorer's
// fixed list of kinds lives in resources.ts). Plain data: src/cluster/ turns it into paths.

export interface ApiType {
  group: string; // '' for the core group
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

const t = (group: string, version: string, kind: string, plural: string, namespaced = true): ApiType => ({
  group,
  version,
  kind,
  plural,
  namespaced,
});

/** The kinds a routed session reads or writes. */
export const apiTypes = {
  configMap: t('', 'v1', 'ConfigMap', 'configmaps'),
  secret: t('', 'v1', 'Secret', 'secrets'),
  service: t('', 'v1', 'Service', 'services'),
  pod: t('', 'v1', 'Pod', 'pods'),
  event: t('', 'v1', 'Event', 'events'),
  namespace: t('', 'v1', 'Namespace', 'namespaces', false),
  pvc: t('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims'),
  deployment: t('apps', 'v1', 'Deployment', 'deployments'),
  replicaSet: t('apps', 'v1', 'ReplicaSet', 'replicasets'),
  lease: t('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  virtualService: t('networking.istio.io', 'v1', 'VirtualService', 'virtualservices'),
  httpRoute: t('gateway.networking.k8s.io', 'v1', 'HTTPRoute', 'httproutes'),
  ingress: t('networking.k8s.io', 'v1', 'Ingress', 'ingresses'),
  endpointSlice: t('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices'),
  networkPolicy: t('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies'),
  podDisruptionBudget: t('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
} as const;

export type ApiTypeName = keyof typeof apiTypes;

export function apiVersionOf(type: ApiType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export function apiTypeForKind(kind: string): ApiType | undefined {
  return Object.values(apiTypes).find((x) => x.kind === kind);
}

/** `/api/v1/namespaces/NS/configmaps[/NAME]`, `/apis/apps/v1/...` */
export function apiPath(type: ApiType, namespace: string | undefined, name?: string): string {
  const prefix = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  const ns = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${prefix}${ns}/${type.plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}

/** One verb on one resource, as an access review asks it. */
export interface AccessCheck {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace: string;
}

export function accessCheckText(c: AccessCheck): string {
  const res = c.subresource ? `${c.resource}/${c.subresource}` : c.resource;
  return `${c.verb} ${res}${c.group ? `.${c.group}` : ''} in namespace "${c.namespace}"`;
}
