// Istio: a session's route is an http route prepended to the Service's VirtualService (one created
// when there is none, ending in a default route to the Service itself, because a VirtualService
// whose routes do not match answers 404). Routes, subsets and DestinationRules already there are
// kept as they are; undo removes exactly this session's route. The session's route marks what the
// copy answers with `x-devlane-copy: <session>` (set, so the copy cannot forge another session's
// name); responses through every other route are left as they are.
// While the copy restarts after a save (nothing listens for 0.1–0.2 s), the session's routes have
// Envoy retry, with its back-off, for about `restartWaitMs`, so a request waits for the new
// process instead of failing. Envoy's retry policies do not look at the method, so the session
// has two routes: idempotent methods (RFC 9110 §9.2.2) first, retried on `connect-failure`,
// `refused-stream` and `reset` (the connection closed before any answer: the program may have read
// the request and been stopped with it, and sending an idempotent request again is safe); every
// other method (POST, PATCH...) only on `connect-failure` and `refused-stream`, where the program
// received nothing: a POST is never sent twice.
import { baggagePattern } from './match';
import type { EditResult } from './edit-result';
import { annotations } from '../core/session/names';
import { baggageHeader, copyHeader, labels, managedBy, routeHeader } from '../core/session/route-contract';
import type { Json, KubeObject } from '../core/resources';
import { envoyAttemptsFor } from '../core/session/restart-wait';

export const defaultRouteName = 'devlane-default';
export const sessionRouteName = (session: string) => `devlane-${session}`;
/** The session's route for idempotent methods, ahead of sessionRouteName's. */
export const idempotentRouteName = (session: string) => `devlane-${session}-idempotent`;
const sessionRouteNames = (session: string) => [idempotentRouteName(session), sessionRouteName(session)];

/** Only failures where the copy received nothing: a refused (or timed-out) connection, a refused HTTP/2 stream. */
export const sessionRetryOn = 'connect-failure,refused-stream';
/** Idempotent requests are retried after a reset before any answer too. */
export const idempotentRetryOn = `${sessionRetryOn},reset`;
/** RFC 9110 §9.2.2's idempotent methods, as an RE2 full match on `:method`. */
export const idempotentMethods = 'GET|HEAD|OPTIONS|TRACE|PUT|DELETE';

type VirtualService = KubeObject & { spec?: Json };

export function sessionRoute(session: string, routeKey: string, devService: string): Json {
  return {
    name: sessionRouteName(session),
    match: [
      { headers: { [routeHeader]: { exact: routeKey } } },
      { headers: { [baggageHeader]: { regex: baggagePattern(routeKey) } } },
    ],
    route: [{ destination: { host: devService } }],
    headers: { response: { set: { [copyHeader]: session } } },
    retries: { attempts: envoyAttemptsFor(), retryOn: sessionRetryOn },
  };
}

/** The session's routes, in order: idempotent methods (retried after a reset too), then the rest. */
export function sessionRoutes(session: string, routeKey: string, devService: string): Json[] {
  const all = sessionRoute(session, routeKey, devService);
  const idempotent = {
    ...all,
    name: idempotentRouteName(session),
    match: all.match.map((m: Json) => ({ ...m, method: { regex: idempotentMethods } })),
    retries: { attempts: envoyAttemptsFor(), retryOn: idempotentRetryOn },
  };
  return [idempotent, all];
}

/** Whether an Istio host names this Service, from a VirtualService in `vsNamespace`. */
export function hostNamesService(host: string, vsNamespace: string, namespace: string, service: string): boolean {
  const fqdn = `${service}.${namespace}.svc.cluster.local`;
  if (host === service) return vsNamespace === namespace;
  return host === `${service}.${namespace}` || host === `${service}.${namespace}.svc` || host === fqdn;
}

/** The VirtualService that routes mesh traffic for the Service: the oldest one bound to `mesh` naming it. */
export function findVirtualService(
  all: VirtualService[],
  namespace: string,
  service: string,
): VirtualService | undefined {
  return all
    .filter((vs) => {
      const gateways: string[] = vs.spec?.gateways ?? [];
      const mesh = gateways.length === 0 || gateways.includes('mesh');
      return (
        mesh &&
        (vs.spec?.hosts ?? []).some((h: string) =>
          hostNamesService(h, vs.metadata.namespace ?? namespace, namespace, service),
        )
      );
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
  const others = (next.spec.http ?? []).filter((r: Json) => !sessionRouteNames(session).includes(r.name));
  next.spec.http = [...sessionRoutes(session, routeKey, devService), ...others];
  return { kind: 'update', object: next };
}

export function removeIstioRoute(vs: VirtualService, session: string): EditResult {
  const http: Json[] = vs.spec?.http ?? [];
  const rest = http.filter((r) => !sessionRouteNames(session).includes(r.name));
  const createdByUs = vs.metadata.annotations?.[annotations.createdFor] !== undefined;
  if (createdByUs && rest.every((r) => r.name === defaultRouteName)) return { kind: 'delete' };
  if (rest.length === http.length) return { kind: 'unchanged' };
  const next = structuredClone(vs);
  next.spec!.http = rest;
  return { kind: 'update', object: next };
}
