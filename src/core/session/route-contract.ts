// What Devlane and the cluster agree on, in one place: the headers a routed request carries, the
// marker a developer copy's answers get, and the labels on everything Devlane creates with the
// selectors that find it again. Routing, the proxy, the session view, debugging and sync all read
// them from here, so the strings on the wire and in the cluster cannot drift apart. No Node or
// editor dependency: the webview may show them too.
import { selectorString } from '../selectors';

/** Request header carrying a session's route key. */
export const routeHeader = 'x-devlane-route';
/** Response header naming the session whose developer copy served the request; absent from the original's responses. */
export const copyHeader = 'x-devlane-copy';
export const baggageHeader = 'baggage';
/** The W3C baggage member's key: `baggage: devlane=KEY`. */
export const baggageKey = 'devlane';

/** The baggage member that carries a route key: `devlane=KEY`. */
export const baggageMember = (routeKey: string): string => `${baggageKey}=${routeKey}`;
/** The two header lines a routed request carries, as a user types or pastes them. */
export const routeHeaderLine = (routeKey: string): string => `${routeHeader}: ${routeKey}`;
export const baggageLine = (routeKey: string): string => `${baggageHeader}: ${baggageMember(routeKey)}`;

/** The prefix of every label and annotation key Devlane owns. */
export const keyPrefix = 'devlane.dev/';

export const labels = {
  /** The session an object belongs to (the record carries it too). */
  session: 'devlane.dev/session',
  /** What the object is for: record, dev, dev-service, lease, router, origin, virtualservice. */
  role: 'devlane.dev/role',
  /** The Service a dev copy or router stands in for. */
  service: 'devlane.dev/service',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const managedBy = 'devlane';

/** The label Kubernetes puts on a Service's EndpointSlices. */
export const serviceNameLabel = 'kubernetes.io/service-name';

/** The labels that select one session's developer copy of one Service. */
export const devPodLabels = (session: string, service: string): Record<string, string> => ({
  [labels.session]: session,
  [labels.role]: 'dev',
  [labels.service]: service,
});
/** The labels that select the router pods standing in front of a Service. */
export const routerPodLabels = (service: string): Record<string, string> => ({
  [labels.role]: 'router',
  [labels.service]: service,
});

/** Label selector queries, as the API's labelSelector takes them. */
export const selectors = {
  devPods: (session: string, service: string) => selectorString(devPodLabels(session, service)),
  routerPods: (service: string) => selectorString(routerPodLabels(service)),
  /** Every object of one role (`record`, `lease`...) in a namespace, whatever its session. */
  role: (role: string) => selectorString({ [labels.role]: role }),
  /** One session's objects of one role. */
  sessionRole: (session: string, role: string) => selectorString({ [labels.session]: session, [labels.role]: role }),
  endpointSlices: (service: string) => selectorString({ [serviceNameLabel]: service }),
} as const;
