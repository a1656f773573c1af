// The objects a fresh cluster has: the four standard namespaces, the node, and the bootstrap RBAC
// policy (cluster-admin, admin, edit, view, system:basic-user, system:discovery,
// system:public-info-viewer with their default bindings), as kube-apiserver's RBAC post-start hook
// creates them. The `default` ServiceAccounts are the controllers' job.

import { ApiError, type KObject } from '../core/types';
import type { PolicyRule } from './rbac';
import type { Store } from './store';

const BOOTSTRAP = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AUTOUPDATE = { 'rbac.authorization.kubernetes.io/autoupdate': 'true' };

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

const viewRules: PolicyRule[] = [
  {
    apiGroups: [''],
    resources: [
      'configmaps',
      'endpoints',
      'persistentvolumeclaims',
      'persistentvolumeclaims/status',
      'pods',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'serviceaccounts',
      'services',
      'services/status',
    ],
    verbs: READ,
  },
  {
    apiGroups: [''],
    resources: [
      'bindings',
      'events',
      'limitranges',
      'namespaces/status',
      'pods/log',
      'pods/status',
      'replicationcontrollers/status',
      'resourcequotas',
      'resourcequotas/status',
    ],
    verbs: READ,
  },
  { apiGroups: [''], resources: ['namespaces'], verbs: READ },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  {
    apiGroups: ['apps'],
    resources: [
      'controllerrevisions',
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/scale',
      'deployments/status',
      'replicasets',
      'replicasets/scale',
      'replicasets/status',
      'statefulsets',
      'statefulsets/scale',
      'statefulsets/status',
    ],
    verbs: READ,
  },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: READ },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingresses/status', 'networkpolicies'], verbs: READ },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets', 'poddisruptionbudgets/status'], verbs: READ },
];

const editRules: PolicyRule[] = [
  {
    apiGroups: [''],
    resources: ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'],
    verbs: READ,
  },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
  {
    apiGroups: [''],
    resources: ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'],
    verbs: ['create', 'delete', 'deletecollection', 'patch', 'update'],
  },
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  {
    apiGroups: [''],
    resources: [
      'configmaps',
      'endpoints',
      'events',
      'persistentvolumeclaims',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'secrets',
      'serviceaccounts',
      'services',
      'services/proxy',
    ],
    verbs: WRITE,
  },
  { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
  {
    apiGroups: ['apps'],
    resources: [
      'daemonsets',
      'deployments',
      'deployments/rollback',
      'deployments/scale',
      'replicasets',
      'replicasets/scale',
      'statefulsets',
      'statefulsets/scale',
    ],
    verbs: WRITE,
  },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: WRITE },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: WRITE },
  {
    apiGroups: ['networking.istio.io'],
    resources: ['virtualservices', 'destinationrules'],
    verbs: [...READ, ...WRITE],
  },
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes'], verbs: [...READ, ...WRITE] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: WRITE },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: WRITE },
  ...viewRules,
];

const adminRules: PolicyRule[] = [
  { apiGroups: ['authorization.k8s.io'], resources: ['localsubjectaccessreviews'], verbs: ['create'] },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings', 'roles'], verbs: [...READ, ...WRITE] },
  ...editRules,
];

function clusterRole(name: string, rules: PolicyRule[], extraLabels: Record<string, string> = {}): KObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { ...BOOTSTRAP, ...extraLabels }, annotations: AUTOUPDATE },
    rules,
  };
}

function binding(name: string, role: string, groups: string[]): KObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: BOOTSTRAP, annotations: AUTOUPDATE },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: groups.map((g) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: g })),
  };
}

export function bootstrapObjects(nodeName: string): [string, KObject][] {
  const ns = (name: string): [string, KObject] => [
    'namespaces',
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  ];
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const node: KObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: nodeName,
      labels: {
        'kubernetes.io/hostname': nodeName,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/control-plane': '',
      },
    },
    spec: {},
    status: {
      conditions: [
        {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          message: 'kubelet has sufficient memory available',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
        {
          type: 'DiskPressure',
          status: 'False',
          reason: 'KubeletHasNoDiskPressure',
          message: 'kubelet has no disk pressure',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
        {
          type: 'PIDPressure',
          status: 'False',
          reason: 'KubeletHasSufficientPID',
          message: 'kubelet has sufficient PID available',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: nodeName },
      ],
      capacity: { cpu: '8', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      allocatable: { cpu: '8', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: '',
        osImage: 'Devlane sandbox',
        containerRuntimeVersion: 'sandbox://bubblewrap',
        kubeletVersion: 'v1.32.0',
        kubeProxyVersion: 'v1.32.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    },
  };
  return [
    ns('default'),
    ns('kube-system'),
    ns('kube-public'),
    ns('kube-node-lease'),
    ['nodes', node],
    [
      'clusterroles.rbac.authorization.k8s.io',
      clusterRole('cluster-admin', [
        { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
        { nonResourceURLs: ['*'], verbs: ['*'] },
      ]),
    ],
    ['clusterroles.rbac.authorization.k8s.io', clusterRole('admin', adminRules)],
    ['clusterroles.rbac.authorization.k8s.io', clusterRole('edit', editRules)],
    ['clusterroles.rbac.authorization.k8s.io', clusterRole('view', viewRules)],
    [
      'clusterroles.rbac.authorization.k8s.io',
      clusterRole('system:basic-user', [
        {
          apiGroups: ['authorization.k8s.io'],
          resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
          verbs: ['create'],
        },
        { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
      ]),
    ],
    [
      'clusterroles.rbac.authorization.k8s.io',
      clusterRole('system:discovery', [
        {
          nonResourceURLs: [
            '/api',
            '/api/*',
            '/apis',
            '/apis/*',
            '/healthz',
            '/livez',
            '/openapi',
            '/openapi/*',
            '/readyz',
            '/version',
            '/version/',
          ],
          verbs: ['get'],
        },
      ]),
    ],
    [
      'clusterroles.rbac.authorization.k8s.io',
      clusterRole('system:public-info-viewer', [
        { nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'], verbs: ['get'] },
      ]),
    ],
    ['clusterrolebindings.rbac.authorization.k8s.io', binding('cluster-admin', 'cluster-admin', ['system:masters'])],
    [
      'clusterrolebindings.rbac.authorization.k8s.io',
      binding('system:basic-user', 'system:basic-user', ['system:authenticated']),
    ],
    [
      'clusterrolebindings.rbac.authorization.k8s.io',
      binding('system:discovery', 'system:discovery', ['system:authenticated']),
    ],
    [
      'clusterrolebindings.rbac.authorization.k8s.io',
      binding('system:public-info-viewer', 'system:public-info-viewer', [
        'system:authenticated',
        'system:unauthenticated',
      ]),
    ],
  ];
}

/** Creates what is missing (a store that already holds them keeps its own). */
export function bootstrap(store: Store, nodeName: string): void {
  for (const [key, obj] of bootstrapObjects(nodeName)) {
    try {
      store.create(key, undefined, obj);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
    }
  }
}
