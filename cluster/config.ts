// The configuration files of every component, as text. One node, one bridge; every address and
// port of the cluster is named here.

import { stringify } from 'yaml';
import { IDENTITIES, caData, type Identity, type Pki } from './pki';

export const NODE_NAME = 'devlane-node';
export const CONTEXT_PREFIX = 'kube';

/** Pods on the bridge; Services in a range routed onto the same bridge; nothing else. */
export const NET = {
  bridge: 'devlane0',
  /**
   * The bridge's own hardware address, set once. A Linux bridge without one takes the lowest address
   * of its ports, so it changed whenever a pod's veth came or went; pods kept the old one in their
   * neighbour cache and lost the gateway (the cluster DNS, Services) for seconds: a lookup that
   * failed with EAI_AGAIN, a call between pods that stalled 5 s. Locally administered, unicast.
   */
  bridgeMac: '02:64:6c:00:00:01',
  podCidr: '10.213.0.0/24',
  gateway: '10.213.0.1',
  serviceCidr: '10.213.128.0/24',
  kubernetesServiceIp: '10.213.128.1',
  dnsIp: '10.213.0.1',
} as const;

export const PORTS = {
  etcdClient: 12379,
  etcdPeer: 12380,
  apiserver: 16443,
  kubelet: 10250,
  kubeletHealthz: 11248,
  proxyHealthz: 11256,
  proxyMetrics: 11249,
  controllerManager: 11257,
  scheduler: 11259,
  dnsHealth: 18080,
  dnsReady: 18181,
  /** Traefik's one HTTP entrypoint, on the loopback address (cluster/gateway.ts). */
  gatewayHttp: 18480,
} as const;

export const apiserverUrl = `https://${NET.gateway}:${PORTS.apiserver}`;

/** A kubeconfig for one identity (components), or for the people (contexts kube-admin, kube-alice, kube-bob). */
export function kubeconfig(pki: Pki, who: Identity | 'people'): string {
  const cluster = {
    name: 'devlane-cluster',
    cluster: { server: apiserverUrl, 'certificate-authority-data': caData(pki) },
  };
  const people = ['admin', 'alice', 'bob'] as const;
  const ids: Identity[] = who === 'people' ? [...people] : [who];
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [cluster],
    users: ids.map((u) => ({ name: u, user: { token: pki.tokens[u] } })),
    contexts: ids.map((u) => ({
      name: `${CONTEXT_PREFIX}-${u}`,
      context: { cluster: 'devlane-cluster', user: u, namespace: u === 'alice' || u === 'bob' ? 'shop' : 'default' },
    })),
    'current-context': `${CONTEXT_PREFIX}-${who === 'people' ? 'alice' : who}`,
  });
}

export const userOf = (id: Identity): string => IDENTITIES[id].user;

export function containerdConfig(state: string, pauseImage: string): string {
  // containerd 1.6's config format (version 2). Everything it keeps lives under the state dir.
  return `version = 2
root = "${state}/containerd/root"
state = "${state}/containerd/state"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "${state}/containerd/containerd.sock"

[ttrpc]
  address = "${state}/containerd/containerd.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pauseImage}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # Lowering a process's oom_score_adj needs CAP_SYS_RESOURCE, which some machines (this project's
  # among them) withhold even from root: keep containers at or above containerd's own score.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${state}/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${state}/cni/net.d"
`;
}

export function cniConfig(state: string): string {
  return JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: 'devlane',
      plugins: [
        {
          type: 'bridge',
          bridge: NET.bridge,
          isGateway: true,
          // No default route and no masquerade: a pod reaches pods, Services and the cluster DNS, nothing else.
          isDefaultGateway: false,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: `${state}/cni/ipam`,
            ranges: [[{ subnet: NET.podCidr, gateway: NET.gateway }]],
            routes: [{ dst: NET.serviceCidr }],
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

export function kubeletConfig(pki: Pki, state: string): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: NET.gateway,
    port: PORTS.kubelet,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: PORTS.kubeletHealthz,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: pki.ca } },
    authorization: { mode: 'Webhook' },
    cgroupDriver: 'cgroupfs',
    // Several machines this runs on still mount cgroup v1; the kubelet warns and carries on.
    failCgroupV1: false,
    clusterDNS: [NET.dnsIp],
    clusterDomain: 'cluster.local',
    // Pods with dnsPolicy Default get this file: no nameserver, so nothing is resolved off the machine.
    resolvConf: `${state}/resolv.conf`,
    containerRuntimeEndpoint: `unix://${state}/containerd/containerd.sock`,
    failSwapOn: false,
    // The images were built here and cannot be pulled again: never collect them, never evict for disk.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: {
      'memory.available': '50Mi',
      'nodefs.available': '1%',
      'nodefs.inodesFree': '1%',
      'imagefs.available': '1%',
    },
    serializeImagePulls: false,
    registerNode: true,
    // Faster than the defaults, for a single node whose pods come and go all day in tests.
    nodeStatusUpdateFrequency: '4s',
    syncFrequency: '10s',
  });
}

export function kubeProxyConfig(kubeconfigPath: string): string {
  return stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'nftables',
    clientConnection: { kubeconfig: kubeconfigPath },
    clusterCIDR: NET.podCidr,
    hostnameOverride: NODE_NAME,
    bindAddress: NET.gateway,
    healthzBindAddress: `127.0.0.1:${PORTS.proxyHealthz}`,
    metricsBindAddress: `127.0.0.1:${PORTS.proxyMetrics}`,
    nodePortAddresses: [`${NET.gateway}/32`],
    // Leave the machine's conntrack sysctls as they are.
    conntrack: { maxPerCore: 0, min: 0 },
  });
}

export function corefile(kubeconfigPath: string): string {
  return `.:53 {
    bind ${NET.dnsIp}
    errors
    health 127.0.0.1:${PORTS.dnsHealth}
    ready 127.0.0.1:${PORTS.dnsReady}
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfigPath} ${CONTEXT_PREFIX}-coredns
        pods insecure
    }
    cache 30
}
`;
}

/** A binding of the ClusterRole `name` to a component's identity, as YAML. */
export const clusterRoleBinding = (name: string, id: Identity): string => `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ${name}
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "${name}" }
subjects:
  - { apiGroup: rbac.authorization.k8s.io, kind: User, name: "${IDENTITIES[id].user}" }
`;

/** What the cluster itself needs bound before components start: CoreDNS's read access. */
export const bootstrapManifests = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: devlane:coredns
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
${clusterRoleBinding('devlane:coredns', 'coredns')}`;
