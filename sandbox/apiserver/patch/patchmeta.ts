// The strategic-merge-patch metadata of the built-in types we serve: which lists merge (and by
// which key) instead of being replaced, as the `patchStrategy`/`patchMergeKey` struct tags of
// k8s.io/api declare them. Fields not listed here are replaced whole (atomic), as in Kubernetes.

export interface FieldMeta {
  /** 'merge' for merging lists; 'retainKeys' for unions; both may be present. */
  strategies?: ('merge' | 'retainKeys')[];
  mergeKey?: string;
  /** The fields of the value (of each element, for a list). */
  fields?: TypeMeta;
}
export type TypeMeta = Record<string, FieldMeta>;

const merge = (mergeKey?: string, fields?: TypeMeta): FieldMeta => ({
  strategies: ['merge'],
  ...(mergeKey ? { mergeKey } : {}),
  ...(fields ? { fields } : {}),
});
const mergeRetain = (mergeKey: string, fields?: TypeMeta): FieldMeta => ({
  strategies: ['merge', 'retainKeys'],
  mergeKey,
  ...(fields ? { fields } : {}),
});
const nested = (fields: TypeMeta): FieldMeta => ({ fields });

const objectMeta: TypeMeta = {
  finalizers: merge(),
  ownerReferences: merge('uid'),
};

const container: TypeMeta = {
  ports: merge('containerPort'),
  env: merge('name'),
  volumeMounts: merge('mountPath'),
  volumeDevices: merge('devicePath'),
};

const podSpec: TypeMeta = {
  volumes: mergeRetain('name'),
  initContainers: merge('name', container),
  containers: merge('name', container),
  ephemeralContainers: merge('name', container),
  imagePullSecrets: merge('name'),
  hostAliases: merge('ip'),
  topologySpreadConstraints: merge('topologyKey'),
  resourceClaims: mergeRetain('name'),
  schedulingGates: merge('name'),
};

const conditions = merge('type');

const podTemplate: FieldMeta = nested({ metadata: nested(objectMeta), spec: nested(podSpec) });

/**
 * Every built-in kind we serve, by `group/kind` ('' for core). Custom resources (Istio, Gateway
 * API) are absent: a real server refuses strategic merge patch for them with 415, and kubectl
 * sends them a JSON merge patch.
 */
const byGroupKind: Record<string, TypeMeta> = {
  '/Pod': {
    spec: nested(podSpec),
    status: nested({ conditions, podIPs: merge('ip'), hostIPs: merge('ip') }),
  },
  'apps/Deployment': {
    spec: nested({ template: podTemplate, strategy: { strategies: ['retainKeys'] } }),
    status: nested({ conditions }),
  },
  'apps/ReplicaSet': { spec: nested({ template: podTemplate }), status: nested({ conditions }) },
  '/Service': { spec: nested({ ports: merge('port') }), status: nested({ conditions }) },
  '/Namespace': { status: nested({ conditions }) },
  '/Node': { status: nested({ conditions, addresses: merge('type'), images: {} }) },
  '/ServiceAccount': { secrets: merge('name') },
  '/PersistentVolumeClaim': { status: nested({ conditions }) },
  '/Endpoints': {},
  '/ConfigMap': {},
  '/Secret': {},
  '/Event': {},
  'discovery.k8s.io/EndpointSlice': {},
  'coordination.k8s.io/Lease': {},
  'rbac.authorization.k8s.io/Role': {},
  'rbac.authorization.k8s.io/ClusterRole': {},
  'rbac.authorization.k8s.io/RoleBinding': {},
  'rbac.authorization.k8s.io/ClusterRoleBinding': {},
  'autoscaling/Scale': {},
  // k8s.io/api/networking/v1: rules, tls and status.loadBalancer.ingress are atomic lists.
  'networking.k8s.io/Ingress': {},
  // k8s.io/api/networking/v1: ingress, egress and policyTypes carry no patch strategy (atomic).
  'networking.k8s.io/NetworkPolicy': {},
  // k8s.io/api/policy/v1: status.conditions merge by type.
  'policy/PodDisruptionBudget': { status: nested({ conditions }) },
};

/** The patch metadata of a built-in kind, or undefined for kinds (custom resources) that take no strategic merge patch. */
export function patchMetaFor(group: string, kind: string): TypeMeta | undefined {
  const m = byGroupKind[`${group}/${kind}`];
  if (!m) return undefined;
  return { metadata: nested(objectMeta), ...m };
}
