// The cluster's Gateway API data plane: Traefik (built from source, cluster/build.ts) as one more
// host process, watching Gateways, HTTPRoutes and EndpointSlices through its Kubernetes Gateway
// provider as an identity of its own, and proxying to pod IPs on the bridge as the host reaches
// them. It serves one HTTP entrypoint on the loopback address, so nothing off the machine (nor any
// pod) reaches it; the GatewayClass it implements names that port, and Traefik writes the address
// into every Gateway's status, which is how a test finds where to send requests.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { TRAEFIK_VERSION } from './build';
import { PORTS, apiserverUrl, clusterRoleBinding } from './config';
import { kubectl } from './http';
import type { Pki } from './pki';
import type { Procs } from './procs';

export const GATEWAY_CLASS = 'devlane-gateway';
const CONTROLLER = 'traefik.io/gateway-controller';
const ADDRESS = '127.0.0.1';

/** Traefik's static configuration; it holds the provider's token, so it is written readable by root only. */
function traefikConfig(pki: Pki): string {
  return stringify({
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    log: { level: 'WARN', noColor: true },
    // A Gateway listener is served by the entrypoint with the same port.
    entryPoints: { http: { address: `${ADDRESS}:${PORTS.gatewayHttp}` } },
    providers: {
      kubernetesGateway: {
        endpoint: apiserverUrl,
        token: pki.tokens.gateway,
        certAuthFilePath: pki.ca,
        statusAddress: { ip: ADDRESS },
      },
    },
  });
}

/**
 * What the provider reads (secrets and configmaps for listeners' certificates and BackendTLSPolicies,
 * which it watches cluster-wide), the status it writes, and the GatewayClass. The port annotation
 * tells a client which listener port the data plane serves (test/helpers/gateway.ts).
 */
const manifests = () => `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: devlane:gateway
rules:
  - apiGroups: [""]
    resources: [namespaces]
    verbs: [list, watch]
  - apiGroups: [""]
    resources: [services, secrets, configmaps]
    verbs: [get, list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
  - apiGroups: [gateway.networking.k8s.io]
    resources: [gatewayclasses, gateways, httproutes, grpcroutes, tcproutes, tlsroutes, referencegrants, backendtlspolicies]
    verbs: [get, list, watch]
  - apiGroups: [gateway.networking.k8s.io]
    resources: [gatewayclasses/status, gateways/status, httproutes/status, grpcroutes/status, tcproutes/status, tlsroutes/status, backendtlspolicies/status]
    verbs: [update]
---
${clusterRoleBinding('devlane:gateway', 'gateway')}---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: ${GATEWAY_CLASS}
  annotations:
    cluster.devlane.dev/http-port: "${PORTS.gatewayHttp}"
spec:
  controllerName: ${CONTROLLER}
  description: Traefik on the node, one HTTP entrypoint at ${ADDRESS}:${PORTS.gatewayHttp}
`;

/** Starts Traefik once the Gateway API CRDs are installed; ready when it has accepted the GatewayClass. */
export async function startGateway(
  procs: Procs,
  traefik: string,
  pki: Pki,
  state: string,
  admin: string,
  say: (m: string) => void,
): Promise<void> {
  const manifest = join(state, 'etc/gateway.yaml');
  writeFileSync(manifest, manifests());
  await kubectl(admin, ['apply', '-f', manifest]);
  const config = join(state, 'etc/traefik.yaml');
  writeFileSync(config, traefikConfig(pki), { mode: 0o600 });
  const p = procs.start('traefik', traefik, [`--configfile=${config}`]);
  await procs.waitFor(p, `GatewayClass ${GATEWAY_CLASS} was accepted`, async () => {
    const gc = JSON.parse(await kubectl(admin, ['get', 'gatewayclass', GATEWAY_CLASS, '-o', 'json']));
    return (gc.status?.conditions ?? []).some(
      (c: { type: string; status: string }) => c.type === 'Accepted' && c.status === 'True',
    );
  });
  say(`Traefik ${TRAEFIK_VERSION} serves GatewayClass ${GATEWAY_CLASS} at ${ADDRESS}:${PORTS.gatewayHttp}`);
}
