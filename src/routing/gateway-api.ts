// Gateway API: a session's route is a set of rules added to each HTTPRoute that sends traffic to
// the Service. Every existing rule that routes to the Service gets a twin for the session: the same
// matches (paths, methods, query) each with the route-key header or the baggage member added, the
// same filters, and the Service's backendRef replaced by the dev Service. Gateway API's precedence
// prefers, for the same path, the match with more header conditions, so the twin wins for keyed
// requests whatever order the rules are in. Undo removes exactly the rules carrying this session's
// key. The twin also sets `x-devlane-copy: <session>` on the responses it routes (a
// ResponseHeaderModifier filter; merged into the rule's own one, since a rule may hold only one).
// Only traffic an HTTPRoute routes is affected: requests through a Gateway (or a GAMMA mesh
// whose HTTPRoutes name the Service as parent), not Pod-to-Service calls that bypass them.
// No restart wait: a keyed request that arrives while the copy restarts after a save fails as the
// implementation fails it. The twin sets no `retry` (GEP-1731) on purpose: before Gateway API
// v1.7 the spec asked implementations to retry "connection errors (disconnect, reset, timeout)",
// which re-sends a POST the copy read before it was stopped; `codes` retries the copy's own 502
// or 503 whatever the method; a `backoff` an implementation cannot honour gets the whole
// HTTPRoute (the original's rules too) rejected; and where the CRD predates the field (standard
// channel before v1.7) the API server drops it. Doing it honestly would need the GatewayClass to
// claim `HTTPRouteRetryConnectionError` in its supportedFeatures, and only `attempts` set.
import { baggagePattern } from './match';
import { baggageHeader, copyHeader, routeHeader } from '../core/session/route-contract';
import type { EditResult } from './edit-result';
import type { Json, KubeObject } from '../core/resources';

export type HttpRoute = KubeObject & { spec?: Json };

const isServiceRef = (ref: Json, routeNamespace: string, namespace: string, service: string) =>
  (ref.group ?? '') === '' &&
  (ref.kind ?? 'Service') === 'Service' &&
  ref.name === service &&
  (ref.namespace ?? routeNamespace) === namespace;

/** A rule Devlane added for some session (it matches on the route-key header). */
const isSessionRule = (rule: Json) =>
  (rule.matches ?? []).some((m: Json) =>
    (m.headers ?? []).some((h: Json) => String(h.name).toLowerCase() === routeHeader),
  );

const carriesKey = (rule: Json, routeKey: string) =>
  (rule.matches ?? []).some((m: Json) =>
    (m.headers ?? []).some((h: Json) => String(h.name).toLowerCase() === routeHeader && h.value === routeKey),
  );

/**
 * Whether a RegularExpression header match must match the whole value or any part of it is left
 * to the implementation: Envoy's match the whole value, Traefik's (Go's regexp) any part, where the
 * bare pattern would also take `devlane=KEYx` or `xdevlane=KEY`. Anchored, it means the same on both.
 */
export const anchoredBaggagePattern = (routeKey: string): string => `^${baggagePattern(routeKey)}$`;

/** The rules (not Devlane's own) that send traffic to the Service. */
function serviceRules(route: HttpRoute, namespace: string, service: string): Json[] {
  const ns = route.metadata.namespace ?? namespace;
  return (route.spec?.rules ?? []).filter(
    (r: Json) =>
      !isSessionRule(r) && (r.backendRefs ?? []).some((ref: Json) => isServiceRef(ref, ns, namespace, service)),
  );
}

/** The HTTPRoutes in the namespace with a rule routing to the Service, oldest first. */
export function findHttpRoutes(all: HttpRoute[], namespace: string, service: string): HttpRoute[] {
  return all
    .filter((r) => serviceRules(r, namespace, service).length > 0)
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
}

/**
 * The rule's filters with `x-devlane-copy: <session>` set on responses. Gateway API allows one
 * ResponseHeaderModifier per rule, so an existing one gets the header (replacing any operation
 * of the rule's own on that name); otherwise a new filter is added.
 */
export function markedFilters(filters: Json[] | undefined, session: string): Json[] {
  const out: Json[] = structuredClone(filters ?? []);
  const isCopy = (h: Json) => String(h.name ?? h).toLowerCase() === copyHeader;
  let modifier = out.find((f) => f.type === 'ResponseHeaderModifier');
  if (!modifier) {
    modifier = { type: 'ResponseHeaderModifier', responseHeaderModifier: {} };
    out.push(modifier);
  }
  const m: Json = (modifier.responseHeaderModifier ??= {});
  m.set = [...(m.set ?? []).filter((h: Json) => !isCopy(h)), { name: copyHeader, value: session }];
  for (const k of ['add', 'remove']) {
    if (m[k] === undefined) continue;
    m[k] = m[k].filter((h: Json) => !isCopy(h));
    if (m[k].length === 0) delete m[k];
  }
  return out;
}

/** The session's twin of each rule that routes to the Service. */
export function sessionRules(
  route: HttpRoute,
  namespace: string,
  service: string,
  routeKey: string,
  devService: string,
  session: string,
): Json[] {
  const ns = route.metadata.namespace ?? namespace;
  const keyed = [
    { type: 'Exact', name: routeHeader, value: routeKey },
    { type: 'RegularExpression', name: baggageHeader, value: anchoredBaggagePattern(routeKey) },
  ];
  return serviceRules(route, namespace, service).map((rule) => {
    const matches: Json[] = rule.matches?.length ? rule.matches : [{ path: { type: 'PathPrefix', value: '/' } }];
    const twin: Json = {
      matches: matches.flatMap((m) =>
        keyed.map((h) => ({ ...structuredClone(m), headers: [...(m.headers ?? []), h] })),
      ),
      // Only the Service's backends, now the copy; other backends of a split (a canary) are not the session's.
      backendRefs: (rule.backendRefs as Json[])
        .filter((ref) => isServiceRef(ref, ns, namespace, service))
        .map((ref) => {
          const copy: Json = { ...structuredClone(ref), name: devService };
          delete copy.weight;
          return copy;
        }),
    };
    for (const k of ['timeouts', 'sessionPersistence']) if (rule[k] !== undefined) twin[k] = structuredClone(rule[k]);
    twin.filters = markedFilters(rule.filters, session);
    return twin;
  });
}

export function addGatewayRoute(
  route: HttpRoute,
  namespace: string,
  service: string,
  routeKey: string,
  devService: string,
  session: string,
): EditResult {
  const twins = sessionRules(route, namespace, service, routeKey, devService, session);
  if (twins.length === 0) return { kind: 'unchanged' };
  const next = structuredClone(route);
  const others = (next.spec?.rules ?? []).filter((r: Json) => !carriesKey(r, routeKey));
  next.spec = { ...next.spec, rules: [...twins, ...others] };
  return { kind: 'update', object: next };
}

export function removeGatewayRoute(route: HttpRoute, routeKey: string): EditResult {
  const rules: Json[] = route.spec?.rules ?? [];
  const rest = rules.filter((r) => !carriesKey(r, routeKey));
  if (rest.length === rules.length) return { kind: 'unchanged' };
  const next = structuredClone(route);
  next.spec!.rules = rest;
  return { kind: 'update', object: next };
}
