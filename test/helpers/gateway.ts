// The cluster's Gateway data plane, if it runs one: the real cluster starts Traefik with its
// Kubernetes Gateway provider and a GatewayClass `devlane-gateway` (cluster/gateway.ts); the sandbox
// has none. A test finds it by the GatewayClass alone (accepted by its controller, the listener port
// in an annotation), so it works the same whoever started Traefik, and sends requests to the address
// the controller writes into its Gateway's status.
import { clusterMissing, isSandbox } from './cluster';
import { eventually, kubectl, kubectlJson, kubectlOk } from './kubectl';
import { prerequisite } from './prerequisite';

/* eslint-disable @typescript-eslint/no-explicit-any */

export const GATEWAY_CLASS = 'devlane-gateway';
/** The GatewayClass annotation naming the port of the data plane's one HTTP entrypoint. */
export const PORT_ANNOTATION = 'cluster.devlane.dev/http-port';

const accepted = (o: any) =>
  (o?.status?.conditions ?? []).some((c: any) => c.type === 'Accepted' && c.status === 'True');

/** The HTTP listener port of the cluster's Gateway data plane, or why there is none. */
export function gatewayPort(): number | string {
  const r = kubectl(['get', 'gatewayclass', GATEWAY_CLASS, '-o', 'json']);
  if (r.code !== 0) return `the cluster has no GatewayClass ${GATEWAY_CLASS}, so no Gateway data plane`;
  const gc = JSON.parse(r.stdout);
  const port = Number(gc.metadata?.annotations?.[PORT_ANNOTATION]);
  if (!accepted(gc)) return `GatewayClass ${GATEWAY_CLASS} is not accepted by its controller (is it running?)`;
  if (!Number.isInteger(port) || port <= 0) return `GatewayClass ${GATEWAY_CLASS} has no ${PORT_ANNOTATION}`;
  return port;
}

/**
 * `describe(name, needsGateway, ...)`: skipped on the sandbox, which routes no traffic by HTTPRoutes;
 * elsewhere the cluster must run a Gateway data plane (under CI a missing one fails the run).
 */
export const needsGateway = {
  get skip(): string | false {
    if (clusterMissing()) return clusterMissing();
    if (isSandbox)
      return 'routing by HTTPRoutes: the sandbox stores and validates them but runs no Gateway data plane (the real cluster runs Traefik)';
    const port = gatewayPort();
    return typeof port === 'number' ? false : prerequisite(port);
  },
};

/**
 * Creates a Gateway named `name` in the namespace with one HTTP listener for `hostname` (so that
 * Gateways of tests running at once never share a route), waits until the controller programmed it,
 * and returns the base URL its status address gives.
 */
export async function createGateway(namespace: string, name: string, hostname: string, port: number): Promise<string> {
  const gateway = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace },
    spec: {
      gatewayClassName: GATEWAY_CLASS,
      listeners: [{ name: 'http', protocol: 'HTTP', port, hostname }],
    },
  };
  kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(gateway) });
  const address = await eventually(
    `Gateway ${namespace}/${name} to be programmed with an address`,
    () => {
      const g = kubectlJson(['get', 'gateway', name, '-n', namespace]);
      const programmed = (g.status?.conditions ?? []).some((c: any) => c.type === 'Programmed' && c.status === 'True');
      return programmed && (g.status?.addresses?.[0]?.value as string | undefined);
    },
    60_000,
  );
  return `http://${address}:${port}`;
}
