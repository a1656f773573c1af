// Istio's HTTP routing for sidecar ("mesh") traffic, as pure functions: which VirtualService
// applies to a Service, which of its http routes a request takes, and where that route sends it.
// What is covered, ignored and refused is listed in README.md; `unsupported()` is the refusal list.

import type { KObject } from '../core/types';

export const DOMAIN = 'svc.cluster.local';

export interface RequestView {
  method: string;
  /** Path with query, as on the request line. */
  url: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string | undefined>;
  /** The Service port the connection arrived on. */
  port: number;
  authority: string;
}

export interface Destination {
  namespace: string;
  service: string;
  port?: number;
  subset?: string;
}

/** Istio's `HeaderOperations`, as written in a VirtualService (`headers.request` / `headers.response`). */
export interface HeaderOps {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

/**
 * One Envoy header parser (what Istio compiles a route's or a weighted destination's operations
 * into): names lower-case, each list in evaluation order. Envoy evaluates one parser as: every
 * remove, then every overwrite (`set`), then every append (`add`); a value that is empty is skipped.
 */
export interface HeaderMutation {
  remove: string[];
  set: [string, string][];
  add: [string, string][];
}

export type Decision =
  | {
      kind: 'forward';
      destination: Destination;
      request: HeaderMutation[];
      response: HeaderMutation[];
      path?: string;
      authority?: string;
      delayMs?: number;
      route?: string;
      retry: RetryPolicy;
    }
  | {
      kind: 'respond';
      status: number;
      body: string;
      headers?: Record<string, string>;
      response: HeaderMutation[];
      delayMs?: number;
    }
  | { kind: 'no-route' };

/** What a route's `retries` makes Envoy do when the connection to an endpoint fails. */
export interface RetryPolicy {
  /** Retries after the first try. */
  attempts: number;
  /** Whether a connection failure (refused, reset before connect, timed out) is retried. */
  onConnectFailure: boolean;
  /** Whether a request whose connection closed before any answer is retried (`reset`, `5xx`, `gateway-error`). */
  onReset: boolean;
}

/**
 * A route's retry policy as Istio compiles it: without `retries`, Istio's default (2 retries on
 * `connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes`); `attempts: 0`
 * turns retries off. Of the `retryOn` policies, the ones that cover a failed connection are
 * emulated (`connect-failure`, and `5xx`, `gateway-error` and `reset`, which Envoy's router says
 * include it), and so is `reset` (with `5xx` and `gateway-error`) for a request without a body
 * whose connection closed before any answer; retries on an answer's status code are not (README.md).
 */
export function retryPolicy(route: { retries?: { attempts?: number; retryOn?: string } } | undefined): RetryPolicy {
  const r = route?.retries;
  if (!r) return { attempts: 2, onConnectFailure: true, onReset: false };
  const on = String(r.retryOn ?? '')
    .split(',')
    .map((x) => x.trim());
  // Istio: retryOn unset means its default list, which includes connect-failure.
  const onConnectFailure =
    r.retryOn === undefined || on.some((x) => ['connect-failure', '5xx', 'gateway-error', 'reset'].includes(x));
  const onReset = on.some((x) => ['reset', '5xx', 'gateway-error'].includes(x));
  return { attempts: Math.max(0, Number(r.attempts ?? 0) | 0), onConnectFailure, onReset };
}

/** Envoy's fully jittered exponential back-off before retry `n` (1-based): [0, (2^n - 1) × 25 ms), capped at 250 ms. */
export function retryBackoffMs(n: number, rand: () => number = Math.random): number {
  return Math.floor(rand() * Math.min((2 ** Math.min(n, 30) - 1) * 25, 250));
}

/** The FQDN an Istio host names, relative to the namespace of the object it is written in. */
export function resolveHost(host: string, namespace: string): string {
  if (host === '*' || host.startsWith('*.')) return host;
  const parts = host.split('.');
  if (parts.length === 1) return `${host}.${namespace}.${DOMAIN}`;
  if (parts.length === 2) return `${host}.${DOMAIN}`; // name.ns (see README: Istio proper keeps this as a literal host)
  if (parts.length === 3 && parts[2] === 'svc') return `${host}.cluster.local`;
  return host;
}

export function hostMatches(pattern: string, fqdn: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return fqdn.endsWith(pattern.slice(1));
  return pattern === fqdn;
}

/** The Service a FQDN names, when it is a cluster Service name. */
export function serviceOf(fqdn: string): { namespace: string; service: string } | undefined {
  const m = new RegExp(`^([^.]+)\\.([^.]+)\\.${DOMAIN.replace(/\./g, '\\.')}$`).exec(fqdn);
  return m ? { service: m[1], namespace: m[2] } : undefined;
}

const appliesToMesh = (vs: KObject) => {
  const g: string[] | undefined = vs.spec?.gateways;
  return !g || g.length === 0 || g.includes('mesh');
};

const byAge = (a: KObject, b: KObject) =>
  (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
  `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`);

/** The VirtualService sidecars use for a Service: the oldest one bound to `mesh` whose hosts name it (Istio ignores later duplicates). */
export function virtualServiceFor(svcNamespace: string, svcName: string, all: KObject[]): KObject | undefined {
  const fqdn = `${svcName}.${svcNamespace}.${DOMAIN}`;
  const exported = (vs: KObject) => {
    const e: string[] | undefined = vs.spec?.exportTo;
    return (
      !e ||
      e.length === 0 ||
      e.includes('*') ||
      (e.includes('.') && vs.metadata.namespace === svcNamespace) ||
      e.includes(svcNamespace)
    );
  };
  return all
    .filter((vs) => appliesToMesh(vs) && exported(vs) && (vs.spec?.http ?? []).length > 0)
    .filter((vs) =>
      (vs.spec?.hosts ?? []).some((h: string) => hostMatches(resolveHost(h, vs.metadata.namespace!), fqdn)),
    )
    .sort(byAge)[0];
}

interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

/** RE2 full match, approximated by an anchored JavaScript regular expression. */
export function fullMatch(re: string, value: string): boolean {
  return new RegExp(`^(?:${re})$`).test(value);
}

export function stringMatches(m: StringMatch | undefined, value: string | undefined, ignoreCase = false): boolean {
  if (!m) return true;
  if (value === undefined) return false;
  const v = ignoreCase ? value.toLowerCase() : value;
  if (m.exact !== undefined) return v === (ignoreCase ? m.exact.toLowerCase() : m.exact);
  if (m.prefix !== undefined) return v.startsWith(ignoreCase ? m.prefix.toLowerCase() : m.prefix);
  if (m.regex !== undefined) return fullMatch(m.regex, value);
  return true; // an empty match only asks for presence
}

function splitUrl(url: string): { path: string; query: URLSearchParams; rawQuery: string } {
  const i = url.indexOf('?');
  const path = i < 0 ? url : url.slice(0, i);
  const rawQuery = i < 0 ? '' : url.slice(i);
  return { path, query: new URLSearchParams(rawQuery), rawQuery };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function matchBlock(m: any, req: RequestView): boolean {
  const { path, query } = splitUrl(req.url);
  if (m.gateways && m.gateways.length && !m.gateways.includes('mesh')) return false;
  if (m.port !== undefined && m.port !== req.port) return false;
  if (m.uri && !stringMatches(m.uri, path, !!m.ignoreUriCase)) return false;
  if (m.method && !stringMatches(m.method, req.method)) return false;
  if (m.scheme && !stringMatches(m.scheme, 'http')) return false;
  if (m.authority && !stringMatches(m.authority, req.authority)) return false;
  for (const [name, sm] of Object.entries((m.headers ?? {}) as Record<string, StringMatch>)) {
    if (!stringMatches(sm, req.headers[name.toLowerCase()])) return false;
  }
  for (const [name, sm] of Object.entries((m.withoutHeaders ?? {}) as Record<string, StringMatch>)) {
    const v = req.headers[name.toLowerCase()];
    if (v !== undefined && stringMatches(sm, v)) return false;
  }
  for (const [name, sm] of Object.entries((m.queryParams ?? {}) as Record<string, StringMatch>)) {
    const v = query.get(name);
    if (v === null || !stringMatches(sm, v)) return false;
  }
  return true;
}

/** The first http route whose match list (OR of blocks) accepts the request; a route without match accepts all. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function selectRoute(vs: KObject, req: RequestView): { route: any; matched: any } | undefined {
  for (const route of vs.spec?.http ?? []) {
    const blocks = route.match ?? [];
    if (blocks.length === 0) return { route, matched: undefined };
    const hit = blocks.find((b: unknown) => matchBlock(b, req));
    if (hit) return { route, matched: hit };
  }
  return undefined;
}

/** A weighted choice; `rand` in [0, 1). Missing weights count as 0 unless all are missing (then equal shares). */
export function pickWeighted<T extends { weight?: number }>(items: T[], rand: number): T | undefined {
  if (items.length === 0) return undefined;
  const anyWeight = items.some((i) => i.weight !== undefined);
  const weights = items.map((i) => (anyWeight ? (i.weight ?? 0) : 1));
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) return items[0];
  let x = rand * total;
  for (let k = 0; k < items.length; k++) {
    if (x < weights[k]) return items[k];
    x -= weights[k];
  }
  return items[items.length - 1];
}

function durationMs(d: string | undefined): number {
  if (!d) return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d);
  if (!m) return 0;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

function percentHit(p: { value?: number } | undefined, rand: number): boolean {
  return rand * 100 < (p?.value ?? 100);
}

interface Headers {
  request?: HeaderOps;
  response?: HeaderOps;
}
type RouteDestination = {
  destination?: { host: string; port?: { number?: number }; subset?: string };
  weight?: number;
  headers?: Headers;
};

/** `host` and `:`-prefixed names are not headers Envoy lets a route touch (Istio drops them; `host` in a request set/add is an authority rewrite). */
const internalHeader = (name: string) => name.startsWith(':') || name.toLowerCase() === 'host';
const authorityHeader = (name: string) => name.toLowerCase() === 'host' || name.toLowerCase() === ':authority';

/** The literal value of a header operation: Envoy's `%%` is a `%` (other `%VAR%` substitutions are refused at admission). */
const literal = (value: string) => value.replace(/%%/g, '%');

const sortedEntries = (m: Record<string, string> | undefined) =>
  Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * Compiles Istio header operations into one Envoy header parser, as Istio does: operations of
 * several levels (a route and its single destination) are concatenated in that order; `set` and
 * `add` entries are sorted by name within each level.
 */
export function headerMutation(...levels: (HeaderOps | undefined)[]): HeaderMutation {
  const out: HeaderMutation = { remove: [], set: [], add: [] };
  for (const ops of levels) {
    for (const name of ops?.remove ?? []) if (!internalHeader(name)) out.remove.push(name.toLowerCase());
    for (const [name, value] of sortedEntries(ops?.set))
      if (!internalHeader(name)) out.set.push([name.toLowerCase(), literal(value)]);
    for (const [name, value] of sortedEntries(ops?.add))
      if (!internalHeader(name)) out.add.push([name.toLowerCase(), literal(value)]);
  }
  return out;
}

const isEmpty = (m: HeaderMutation) => m.remove.length + m.set.length + m.add.length === 0;
const parsers = (...ms: HeaderMutation[]) => ms.filter((m) => !isEmpty(m));

/** The authority a request `set`/`add` of `host` or `:authority` rewrites to (set wins over add). */
function headerAuthority(ops: HeaderOps | undefined): string | undefined {
  const pick = (m: Record<string, string> | undefined) =>
    Object.entries(m ?? {})
      .filter(([k]) => authorityHeader(k))
      .map(([, v]) => v)
      .at(-1);
  return pick(ops?.set) ?? pick(ops?.add);
}

/** Where one request goes under a VirtualService. */
export function decide(vs: KObject, req: RequestView, rand: () => number = Math.random): Decision {
  const sel = selectRoute(vs, req);
  if (!sel) return { kind: 'no-route' };
  const { route, matched } = sel;
  const vsNs = vs.metadata.namespace!;
  const routeHeaders: Headers = route.headers ?? {};
  const destinations: RouteDestination[] = route.route ?? [];
  // Istio folds a lone destination's operations into the route's parser; with several, each
  // destination gets its own (Envoy's weighted-cluster level), evaluated before the route's, so
  // the route's operations win a conflict.
  const single = destinations.length === 1 ? destinations[0].headers : undefined;
  const routeResponse = parsers(headerMutation(routeHeaders.response, single?.response));
  const fault = route.fault ?? {};
  const delayMs = fault.delay && percentHit(fault.delay.percentage, rand()) ? durationMs(fault.delay.fixedDelay) : 0;
  // Local replies once a route is chosen (fault abort, direct response, redirect, 503) get the
  // route's response operations: Envoy's filter manager finalizes every local reply with them.
  if (fault.abort && percentHit(fault.abort.percentage, rand())) {
    return {
      kind: 'respond',
      status: fault.abort.httpStatus ?? 503,
      body: 'fault filter abort',
      response: routeResponse,
      delayMs,
    };
  }
  if (route.directResponse) {
    const b = route.directResponse.body ?? {};
    const body = b.string ?? (b.bytes ? Buffer.from(b.bytes, 'base64').toString() : '');
    return { kind: 'respond', status: route.directResponse.status, body, response: routeResponse, delayMs };
  }
  const { path, rawQuery } = splitUrl(req.url);
  if (route.redirect) {
    const r = route.redirect;
    const authority = r.authority ?? req.authority;
    const host = r.port ? `${authority.replace(/:\d+$/, '')}:${r.port}` : authority;
    const location = `${r.scheme ?? 'http'}://${host}${r.uri ?? path}${r.uri ? '' : rawQuery}`;
    return {
      kind: 'respond',
      status: r.redirectCode ?? 301,
      body: '',
      headers: { location },
      response: routeResponse,
      delayMs,
    };
  }
  // With several destinations Istio leaves out those of weight 0.
  const candidates =
    destinations.length > 1
      ? destinations.filter((d) => d.weight !== 0 || destinations.every((x) => x.weight === undefined))
      : destinations;
  const dest = pickWeighted(candidates, rand());
  if (!dest?.destination) return { kind: 'no-route' };
  const weighted = destinations.length > 1 ? dest.headers : undefined;
  const request = parsers(headerMutation(weighted?.request), headerMutation(routeHeaders.request, single?.request));
  const response = parsers(headerMutation(weighted?.response), headerMutation(routeHeaders.response, single?.response));
  const fqdn = resolveHost(dest.destination.host, vsNs);
  const svc = serviceOf(fqdn);
  if (!svc) return { kind: 'respond', status: 503, body: 'no healthy upstream', response, delayMs };
  let newPath: string | undefined;
  if (route.rewrite?.uri !== undefined) {
    const prefix = matched?.uri?.prefix;
    newPath =
      (prefix !== undefined && path.startsWith(prefix)
        ? route.rewrite.uri + path.slice(prefix.length)
        : route.rewrite.uri) + rawQuery;
  }
  return {
    kind: 'forward',
    destination: { ...svc, port: dest.destination.port?.number, subset: dest.destination.subset },
    request,
    response,
    path: newPath,
    // rewrite.authority, else a route-level host/:authority header, else the destination's.
    authority:
      route.rewrite?.authority || headerAuthority(routeHeaders.request) || headerAuthority(dest.headers?.request),
    delayMs,
    route: route.name,
    retry: retryPolicy(route),
  };
}

/** The subset's labels from the DestinationRule for a Service (the rule in the caller's namespace first, then the Service's). */
export function subsetLabels(
  dest: Destination,
  callerNamespace: string,
  rules: KObject[],
): Record<string, string> | undefined {
  const fqdn = `${dest.service}.${dest.namespace}.${DOMAIN}`;
  const candidates = rules
    .filter((dr) => dr.spec?.host && hostMatches(resolveHost(dr.spec.host, dr.metadata.namespace!), fqdn))
    .sort((a, b) => rank(a) - rank(b) || byAge(a, b));
  function rank(dr: KObject): number {
    return dr.metadata.namespace === callerNamespace ? 0 : dr.metadata.namespace === dest.namespace ? 1 : 2;
  }
  for (const dr of candidates) {
    const s = (dr.spec?.subsets ?? []).find((x: { name: string }) => x.name === dest.subset);
    if (s) return { ...(s.labels ?? {}) };
  }
  return undefined;
}

/**
 * Evaluates header parsers, in order, on a header map with lower-case names, as Envoy does:
 * within one parser every remove first, then every `set` (replacing all values), then every `add`
 * (appending a value); entries with an empty value are skipped. A later parser wins a conflict.
 */
export function applyHeaderOps(
  headers: Record<string, string | string[] | undefined>,
  parsersInOrder: HeaderMutation[],
): void {
  for (const p of parsersInOrder) {
    for (const k of p.remove) delete headers[k];
    for (const [k, v] of p.set) if (v !== '') headers[k] = v;
    for (const [k, v] of p.add) {
      if (v === '') continue;
      const cur = headers[k];
      headers[k] = cur === undefined ? v : [...(Array.isArray(cur) ? cur : [cur]), v];
    }
  }
}

/** Why Istio's validation refuses a header operation's name or value, or what the sandbox does not implement. */
function headerOpProblems(field: string, headers: Headers | undefined): string[] {
  const out: string[] = [];
  const name = (where: string, n: string, authorityAllowed: boolean) => {
    if (n === '') out.push(`${where}: header name cannot be empty`);
    else if (authorityAllowed && authorityHeader(n)) return;
    else if (n.toLowerCase() === 'host') out.push(`${where}: invalid header "${n}": cannot set Host header`);
    else if (n.startsWith(':')) out.push(`${where}: invalid header "${n}": header cannot have ":" prefix`);
  };
  const value = (where: string, v: unknown) => {
    if (typeof v !== 'string') return;
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(v))
      return void out.push(`${where}: header value configuration ${JSON.stringify(v)} is invalid`);
    const rest = v.replace(/%%/g, '');
    if (!rest.includes('%')) return;
    if (/^[^%]*(%[^%]+%[^%]*)+$/.test(rest))
      out.push(
        `${where}: Envoy substitutions (%VAR%) in header values are not implemented by the sandbox; write a literal % as %%`,
      );
    else
      out.push(
        `${where}: header value configuration: invalid header configuration. Un-escaped % or un-terminated variable expression`,
      );
  };
  for (const dir of ['request', 'response'] as const) {
    const ops = headers?.[dir];
    for (const op of ['set', 'add'] as const) {
      for (const [n, v] of Object.entries(ops?.[op] ?? {})) {
        const where = `${field}.${dir}.${op}[${n}]`;
        name(where, n, dir === 'request');
        value(where, v);
      }
    }
    (ops?.remove ?? []).forEach((n, k) => name(`${field}.${dir}.remove[${k}]`, n, false));
  }
  return out;
}

/** Parts of a VirtualService the sandbox does not implement and refuses (see README.md). */
export function unsupported(vs: KObject): string[] {
  const out: string[] = [];
  const spec = vs.spec ?? {};
  if ((spec.tcp ?? []).length) out.push('spec.tcp: TCP routes are not implemented by the sandbox');
  if ((spec.tls ?? []).length) out.push('spec.tls: TLS routes are not implemented by the sandbox');
  (spec.http ?? []).forEach((r: Record<string, unknown> & { match?: Record<string, unknown>[] }, i: number) => {
    if (r.delegate) out.push(`spec.http[${i}].delegate: delegation is not implemented by the sandbox`);
    if (r.mirror || r.mirrors) out.push(`spec.http[${i}].mirror: traffic mirroring is not implemented by the sandbox`);
    out.push(...headerOpProblems(`spec.http[${i}].headers`, r.headers as Headers | undefined));
    ((r.route ?? []) as RouteDestination[]).forEach((d, j) =>
      out.push(...headerOpProblems(`spec.http[${i}].route[${j}].headers`, d.headers)),
    );
    (r.match ?? []).forEach((m, j) => {
      if (m.sourceLabels)
        out.push(
          `spec.http[${i}].match[${j}].sourceLabels: the sandbox cannot tell which workload a connection comes from`,
        );
      if (m.sourceNamespace)
        out.push(
          `spec.http[${i}].match[${j}].sourceNamespace: the sandbox cannot tell which workload a connection comes from`,
        );
      const regexes: [string, unknown][] = [
        ['uri', m.uri],
        ['method', m.method],
        ['authority', m.authority],
        ...Object.entries((m.headers ?? {}) as object).map(([k, v]) => [`headers.${k}`, v] as [string, unknown]),
        ...Object.entries((m.queryParams ?? {}) as object).map(
          ([k, v]) => [`queryParams.${k}`, v] as [string, unknown],
        ),
        ...Object.entries((m.withoutHeaders ?? {}) as object).map(
          ([k, v]) => [`withoutHeaders.${k}`, v] as [string, unknown],
        ),
      ];
      for (const [field, sm] of regexes) {
        const re = (sm as StringMatch | undefined)?.regex;
        if (re === undefined) continue;
        try {
          new RegExp(`^(?:${re})$`);
        } catch (e) {
          out.push(
            `spec.http[${i}].match[${j}].${field}.regex: "${re}": error parsing regexp: ${(e as Error).message}`,
          );
        }
      }
    });
  });
  return out;
}
