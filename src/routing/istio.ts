// Istio: a session's route is an http route prepended to the Service's VirtualService (one created
// when there is none, ending in a default route to the Service itself, because a VirtualService
// whose routes do not match answers 404). Routes, subsets and DestinationRules already there are
// kept as they are; undo removes exactly this session's route. The session's route marks what the
// copy answers with `x-devlane-copy: <session>` (set, so the copy cannot forge another session's
// name); responses through every other route are left as they are.
// While the copy restarts after a save (nothing listens for 0.1–0.2 s), the session's route has
// Envoy retry what was refused before anything was sent (`connect-failure`, and HTTP/2's
// `refused-stream`, which says the same), with Envoy's back-off, for about `restartWaitMs`: a
// request waits for the new process instead of failing. Nothing that may have reached the program
// is retried (no `reset`, no `5xx`): a POST is never sent twice.
import { baggagePattern } from './match';
import type { EditResult } from './edit-result';
import { annotations } from '../core/session/names';
import { baggageHeader, copyHeader, labels, managedBy, routeHeader } from '../core/session/route-contract';
import type { Json, KubeObject } from '../core/resources';
import { envoyAttemptsFor } from '../core/session/restart-wait';

export const defaultRouteName = 'devlane-default';
export const sessionRouteName = (session: string) => `devlane-${session}`;

/** Only failures where the copy received nothing: a refused (or timed-out) connection, a refused HTTP/2 stream. */
export const sessionRetryOn = 'connect-failure,refused-stream';

type VirtualService = KubeObject & { spec?: Json };

export function sessionRoute(session: string, routeKey: string, devService: string): Json {
  return {
    name: sessionRouteName(session),
    match: [{ headers: { [routeHeader]: { exact: routeKey } } }, { headers: { [baggageHeader]: { regex: baggagePattern(routeKey) } } }],
    route: [{ destination: { host: devService } }],
    headers: { response: { set: { [copyHeader]: session } } },
    retries: { attempts: envoyAttemptsFor(), retryOn: sessionRetryOn },
  };
}

/** Whether an Istio host names this Service, from a VirtualService in `vsNamespace`. */
export function hostNamesService(host: string, vsNamespace: string, namespace: string, service: string): boolean {
  const fqdn = `${service}.${namespace}.svc.cluster.local`;
  if (host === service) return vsNamespace === namespace;
  return host === `${service}.${namespace}` || host === `${service}.${namespace}.svc` || host === fqdn;
}

/** The VirtualService that routes mesh traffic for the Service: the oldest one bound to `mesh` naming it. */
export function findVirtualService(all: VirtualService[], namespace: string, service: string): VirtualService | undefined {
  return all
    .filter((vs) => {
      const gateways: string[] = vs.spec?.gateways ?? [];
      const mesh = gateways.length === 0 || gateways.includes('mesh');
      return mesh && (vs.spec?.hosts ?? []).some((h: string) => hostNamesService(h, vs.metadata.namespace ?? namespace, namespace, service));
    })
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''))[0];
}

/** A VirtualService Devlane creates when the Service has none: only the default route to the Service. */
export function newVirtualService(namespace: string, name: string, service: string): VirtualService {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: {
      name,
      namespace,
      labels: { [labels.role]: 'virtualservice', [labels.service]: service, [labels.managedBy]: managedBy },
      annotations: { [annotations.createdFor]: service },
    },
    spec: { hosts: [service], http: [{ name: defaultRouteName, route: [{ destination: { host: service } }] }] },
  };
}

export function addIstioRoute(vs: VirtualService, session: string, routeKey: string, devService: string): EditResult {
  const next = structuredClone(vs);
  next.spec ??= {};
  const others = (next.spec.http ?? []).filter((r: Json) => r.name !== sessionRouteName(session));
  next.spec.http = [sessionRoute(session, routeKey, devService), ...others];
  return { kind: 'update', object: next };
}

export function removeIstioRoute(vs: VirtualService, session: string): EditResult {
  const http: Json[] = vs.spec?.http ?? [];
  const rest = http.filter((r) => r.name !== sessionRouteName(session));
  const createdByUs = vs.metadata.annotations?.[annotations.createdFor] !== undefined;
  if (createdByUs && rest.every((r) => r.name === defaultRouteName)) return { kind: 'delete' };
  if (rest.length === http.length) return { kind: 'unchanged' };
  const next = structuredClone(vs);
  next.spec!.http = rest;
  return { kind: 'update', object: next };
}
