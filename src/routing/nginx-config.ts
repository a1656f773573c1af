// The Devlane router's nginx configuration, generated from the routes of every session on one
// Service. Requests whose `x-devlane-route` header or `devlane` baggage member carries a session's
// key go to that session's dev Service; everything else goes to `<service>-devlane-origin`, which
// selects the original pods. Responses from a copy carry `x-devlane-copy: <session>` (replacing any
// the copy sent itself, as Istio's `set` does); the original's responses pass through as they are.
// The config is a pure function of its input, so it is unit-tested and `nginx -t`-checked, and a
// ConfigMap change is one graceful `nginx -s reload`.
// Upstreams are the Services' ClusterIPs, captured when a route is added, not their DNS names:
// nginx resolves names in `upstream` blocks once, at start, and refuses to start when one does not
// resolve, so a copy deleted behind Devlane's back (node drain, gc) would keep the router pods, and
// with them the original Service, down. An address nobody answers fails only the requests that go
// there, with a 502 that says which copy (or the origin) did not answer.
// A copy restarting after a save (0.1–0.2 s with nothing listening) makes its requests wait for
// the new process, up to about restartWaitMs, instead of failing. nginx has no sleep, so the wait
// is a chain of loopback "hold" hops inside the same nginx (see holdServers): each copy upstream
// has a hold server as its backup, reached only when the copy failed the request the way nginx may
// pass on (`proxy_next_upstream error`: a refused connection for any method; for idempotent
// methods also a reset before the answer; never a POST, PATCH or LOCK whose bytes were sent); the
// hold server waits (limit_req's delay, keyed per held request) and proxies to the same copy again.
// HTTP/2 ports (gRPC, h2c) have the same chain, in HTTP/2: hold servers listening in h2c, reached
// with grpc_pass and `grpc_next_upstream error` (every gRPC call is a POST: held only when refused).
import { createHash } from 'node:crypto';
import { baggagePattern } from './match';
import { baggageKey, copyHeader } from '../core/session/route-contract';
import { isRouteKey } from '../core/session/names';
import { restartWaitMs } from '../core/session/restart-wait';

export type PortProtocol = 'http' | 'http2' | 'grpc' | 'tcp';

export interface RouterPort {
  name?: string;
  /** The Service port (what the origin and dev Services listen on). */
  port: number;
  /** The pod port the original Service targets; the router listens here, so the Service's targetPort still resolves. */
  listen: number;
  protocol: PortProtocol;
}

export interface RouterRoute {
  session: string;
  routeKey: string;
  devService: string;
  /** The dev Service's ClusterIP when the route was added. */
  devAddress?: string;
}

export interface RouterConfigInput {
  namespace: string;
  service: string;
  ports: RouterPort[];
  routes: RouterRoute[];
  /** Port of the readiness endpoint; must not be one of the listen ports. */
  adminPort: number;
  /** The origin Service's ClusterIP; its DNS name when unknown. */
  originAddress?: string;
  /** Counts config changes; the admin port serves it, so a reload can be confirmed over HTTP. */
  generation?: number;
  clusterDomain?: string;
}

/** Tells a router's own error answers (nothing answered upstream) from the upstream's. */
export const routerErrorHeader = 'x-devlane-router-error';
/** Admin-port paths: the generation and routes loaded, and a request through to the original pods. */
export const routesPath = '/.devlane/routes';
export const originProbePath = (port: number) => `/.devlane/origin/${port}`;
/** On every HTTP/1.1 port: answered by the router itself, so a request to the Service's address shows whether it reaches the router. */
export const routerCheckPath = '/.devlane/router-check';
export const routerCheckHeader = 'x-devlane-router';
/**
 * Where each front-door request is recorded (one line each, `traceLogFormat`'s fields, tab-separated,
 * JSON-escaped): what Trace Route reads to see which Service a probe reached and with or without
 * its key. The pod's loop keeps it small (router.ts, `routerShellLib`'s rotate).
 */
export const accessLogFile = '/tmp/devlane/access.log';
/** The W3C baggage member a trace probe carries: `devlane-probe=ID`. */
export const probeBaggageKey = 'devlane-probe';
/** The fields of one access record, in order (src/doctor/records.ts parses them). */
export const traceLogFields = [
  'msec',
  'request_time',
  'remote_addr',
  'route_header',
  'baggage_key',
  'probe',
  'session',
  'upstream',
  'status',
] as const;
/** Headers of an origin probe's answer: time to the upstream's response head ("-" when none came), status, address. */
export const probeHeaders = {
  connect: 'x-devlane-origin-connect',
  status: 'x-devlane-origin-status',
  address: 'x-devlane-origin-address',
} as const;

/** A short fingerprint of the routes, written into the config so a reload can be confirmed. */
export function routesFingerprint(routes: RouterRoute[]): string {
  const canonical = [...routes]
    .sort((a, b) => a.session.localeCompare(b.session))
    .map((r) => `${r.session}=${r.routeKey}>${r.devService}@${r.devAddress ?? ''}`);
  return createHash('sha256').update(canonical.join('\n')).digest('hex').slice(0, 16);
}

/**
 * The protocol of a Service port: appProtocol first, then Istio's port-name convention
 * (`http`, `http-web`, `grpc-api`, `h2c`...). Unnamed ports count as HTTP (most Services behind a
 * router are); names and appProtocols that say otherwise (tls, https, databases) pass through as TCP.
 */
export function portProtocol(p: { name?: string; appProtocol?: string; protocol?: string }): PortProtocol {
  if (p.protocol && p.protocol !== 'TCP') return 'tcp';
  const ap = (p.appProtocol ?? '').toLowerCase();
  const name = (p.name ?? '').toLowerCase();
  const named = (prefix: string) => name === prefix || name.startsWith(`${prefix}-`);
  if (ap === 'grpc' || ap === 'kubernetes.io/grpc' || named('grpc')) return 'grpc';
  if (ap === 'http2' || ap === 'h2c' || ap === 'kubernetes.io/h2c' || named('http2') || named('h2c')) return 'http2';
  if (ap === 'http' || ap === 'kubernetes.io/http' || named('http')) return 'http';
  if (ap !== '') return 'tcp';
  if (/^(tcp|tls|https|mysql|mongo|redis|postgres|amqp|kafka|nats)/.test(name)) return 'tcp';
  return 'http';
}

/** X-Forwarded-For, -Proto and X-Real-IP: the client's address, not the router's, reaches the app. */
const forwardedHeaders = [
  'X-Forwarded-For $proxy_add_x_forwarded_for',
  'X-Forwarded-Proto $dl_forwarded_proto',
  'X-Real-IP $remote_addr',
];

/** gRPC and h2c ports: HTTP/2 from the client to the copy. */
const isH2 = (p: RouterPort) => p.protocol === 'grpc' || p.protocol === 'http2';

const q = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;

/** `10.0.0.1:80`, `[fd00::1]:80`, or `name.ns.svc.cluster.local:80`. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** gRPC's status for "the service is unavailable, try again later": what a client is told when no copy or original answered. */
export const grpcUnavailable = 14;

/**
 * The answer when nothing upstream answered: says whose route it was, so a 502 is not a mystery.
 * On an HTTP/2 port a gRPC call (content-type application/grpc...) is answered the way gRPC
 * clients read a failure: HTTP 200 and the status in trailers (`grpc-status` UNAVAILABLE,
 * `grpc-message` naming the target); a 502 would reach the program as a bare "HTTP status 502"
 * and an HTML or text body as a framing error. `error_page` picks the location through
 * `$dl_unreachable` (a map on the content type). `hop`: a hold server's answer, which goes back
 * to the client through the front hop's grpc_pass (and carries no copy marker: the front adds it).
 */
function unreachableLocations(out: string[], message: string, h2: boolean, hop = false): void {
  const marks = [`      add_header ${routerErrorHeader} unreachable always;`];
  if (!hop) marks.push(`      add_header ${copyHeader} $dl_copy always;`);
  out.push('    location @dl_unreachable {', '      default_type text/plain;', ...marks);
  out.push(`      return 502 "${message}\n";`, '    }');
  if (!h2) return;
  // add_trailer makes nginx end the HEADERS frame without END_STREAM and send the trailers after
  // the empty body: a gRPC "response headers, no message, trailers" answer.
  out.push('    location @dl_unreachable_grpc {', '      default_type application/grpc;', ...marks);
  out.push(`      add_trailer grpc-status ${grpcUnavailable} always;`);
  out.push(`      add_trailer grpc-message "${message}" always;`);
  // nginx's grpc_pass ends a response whose content-length is 0 at its headers and drops the
  // trailers that follow, so a hop's answer must have no length: an (empty) addition before the
  // body clears it.
  if (hop) out.push('      addition_types application/grpc;', `      add_before_body ${emptyBodyPath};`);
  out.push('      return 200 "";', '    }');
  if (hop) out.push(`    location = ${emptyBodyPath} { internal; return 200 ""; }`);
}

/** A hold server's internal empty subrequest (see unreachableLocations); not a gRPC method's path (`/package.Service/Method`). */
const emptyBodyPath = '/.devlane/empty';

/** Where an HTTP/1.1 or an HTTP/2 port sends the router's own errors. */
const errorPage = (h2: boolean) => `error_page 502 504 = ${h2 ? '$dl_unreachable' : '@dl_unreachable'};`;

/** Request headers a held request carries on its loopback hops (and so to the copy, once it waited): which request, how many hops. */
export const holdHeaders = { id: 'x-devlane-hold', depth: 'x-devlane-hold-depth' } as const;

/**
 * The hold chain's pace, as phases of hops: a hop of a phase waits 1/rate (limit_req lets the
 * first request of a key through, so a phase's first hop goes at once, and so do the chain's first
 * two). 100 ms steps first (a restart of 0.1–0.2 s is caught within 100 ms of its end), then
 * 250 ms (a slow restart on a busy node), then 1 s, until a copy that stays down is given up on
 * after about restartWaitMs. Growing steps keep the chain short: every hop keeps two loopback
 * connections open until the answer, so held requests cost connections in proportion to their
 * hops. `maxHeld` bounds the hops in flight per hold server, so a copy that crashed under heavy
 * routed load cannot take the router's connections from everyone else (past it, a held request
 * gets nginx's 503 at once).
 */
export const holdPhases = [
  { name: 'fast', rate: 10, hops: 10 },
  { name: 'medium', rate: 4, hops: 8 },
  { name: 'slow', rate: 1, hops: 8 },
] as const;
export const holdPace = { maxHops: holdPhases.reduce((n, p) => n + p.hops, 0), maxHeld: 3000 } as const;
type HoldPhase = (typeof holdPhases)[number]['name'];
/** The phase of the hop that comes after `depth` hops. */
const phaseOf = (depth: number): HoldPhase | 'last' => {
  let n = 0;
  for (const p of holdPhases) if (depth < (n += p.hops)) return p.name;
  return 'last';
};
/** The upstream of a copy whose backup is the given phase's hold server. */
const phaseUpstream = (name: string, phase: HoldPhase) => (phase === 'fast' ? name : `${name}_${phase}`);

/** Loopback ports of the hold servers: one per phase per (route, HTTP/1.1 port), after the admin port, skipping the listen ports. */
export function holdPorts(input: Pick<RouterConfigInput, 'ports' | 'adminPort'>, count: number): number[] {
  const taken = new Set(input.ports.map((p) => p.listen));
  const out: number[] = [];
  for (let p = input.adminPort + 1; out.length < count; p++) if (!taken.has(p)) out.push(p);
  return out;
}

/** The hold chain of one copy upstream on one port. */
interface Hold {
  upstream: string;
  target: string;
  ports: Record<HoldPhase, number>;
  /** An HTTP/2 port (gRPC, h2c): the hops speak HTTP/2 too, through nginx's grpc module. */
  h2: boolean;
}

/**
 * The hold servers of one copy upstream, one per phase, each listening on 127.0.0.1. A hop
 * waits (limit_req without nodelay delays a request of a key seen within 1/rate: the key is the
 * held request's id, so each of its hops after the first waits one interval, and other requests
 * never wait for it), then proxies to the copy through an upstream whose backup is the next hop's
 * hold server; the last hop's upstream has no backup, and its failure is this 502 (on an HTTP/2
 * port, for a gRPC call, gRPC's UNAVAILABLE). HTTP/2 ports' hops listen in HTTP/2 (h2c) and pass
 * with grpc_pass, which carries any HTTP/2 request, trailers included; a gRPC call is a POST, so
 * nginx sends it on only while nothing of it reached the copy (a refused connection).
 */
function holdServers(out: string[], h: Hold): void {
  const pass = h.h2 ? 'grpc' : 'proxy';
  for (const { name: phase } of holdPhases) {
    out.push('  server {');
    out.push(`    listen 127.0.0.1:${h.ports[phase]}${h.h2 ? ' http2' : ''};`);
    out.push('    location / {');
    out.push(`      limit_req zone=dl_hold_${phase} burst=100;`);
    out.push(`      limit_conn dl_hold_held ${holdPace.maxHeld};`);
    out.push(
      h.h2 ? `      grpc_pass grpc://$dl_hold_to_${h.upstream};` : `      proxy_pass http://$dl_hold_to_${h.upstream};`,
    );
    out.push(`      ${pass}_set_header Host $http_host;`);
    if (!h.h2) {
      out.push('      proxy_set_header Upgrade $http_upgrade;');
      out.push('      proxy_set_header Connection $dl_connection;');
    }
    // Passed on as the router's front hop set them, not as seen from loopback.
    for (const n of ['X-Forwarded-For', 'X-Forwarded-Proto', 'X-Real-IP'])
      out.push(`      ${pass}_set_header ${n} $http_${n.toLowerCase().replace(/-/g, '_')};`);
    out.push(`      ${pass}_set_header ${holdHeaders.id} $dl_hold_id;`);
    out.push(`      ${pass}_set_header ${holdHeaders.depth} $dl_hold_depth;`);
    out.push(`      ${pass}_next_upstream error;`);
    out.push(`      ${errorPage(h.h2)}`);
    out.push('    }');
    unreachableLocations(
      out,
      `Devlane router: no answer from ${h.target} within ${restartWaitMs / 1000} s`,
      h.h2,
      true,
    );
    out.push('  }');
  }
}

export function renderRouterConfig(input: RouterConfigInput): string {
  const domain = input.clusterDomain ?? 'svc.cluster.local';
  const origin = `${input.service}-devlane-origin`;
  const host = (svc: string, address?: string) => address || `${svc}.${input.namespace}.${domain}`;
  const originHost = host(origin, input.originAddress);
  for (const r of input.routes) if (!isRouteKey(r.routeKey)) throw new Error(`session ${r.session}: not a route key`);
  const routes = [...input.routes].sort((a, b) => a.session.localeCompare(b.session));
  const up = (target: string, p: RouterPort) => `dl_${target.replace(/[^a-zA-Z0-9]/g, '_')}_${p.port}`;
  const httpPorts = input.ports.filter((p) => p.protocol !== 'tcp');
  const tcpPorts = input.ports.filter((p) => p.protocol === 'tcp');
  const out: string[] = [];
  out.push(`# Generated by Devlane for Service ${input.namespace}/${input.service}; edits are overwritten.`);
  out.push(`# routes: ${routesFingerprint(routes)}`);
  out.push(`# generation: ${input.generation ?? 0}`);
  // Room for held requests' loopback hops (holdPace) next to the traffic itself.
  out.push(
    'worker_processes 2;',
    'worker_rlimit_nofile 20000;',
    'pid /tmp/devlane-router.pid;',
    'error_log stderr warn;',
    'events { worker_connections 8192; }',
  );
  out.push('http {');
  // Temp files under /tmp: works with any nginx build's compiled-in paths and read-only root filesystems.
  for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
    out.push(`  ${t}_temp_path /tmp/devlane-nginx-${t};`);
  out.push(
    '  access_log off;',
    '  server_tokens off;',
    '  client_max_body_size 0;',
    '  proxy_buffering off;',
    '  proxy_request_buffering off;',
  );
  out.push(
    '  proxy_http_version 1.1;',
    '  proxy_read_timeout 1h;',
    '  proxy_send_timeout 1h;',
    '  grpc_read_timeout 1h;',
    '  grpc_send_timeout 1h;',
  );
  // A copy whose Service is gone leaves a ClusterIP nothing answers for (no reset, on a real
  // cluster): fail its key's requests with the router's 502 in seconds, not nginx's default minute.
  out.push('  proxy_connect_timeout 5s;', '  grpc_connect_timeout 5s;');
  // Which session a request belongs to: the header wins, then the baggage member.
  // Regexes, not strings: nginx compares map strings without case, and route keys are base64url,
  // where `a` and `A` make different keys.
  out.push('  map $http_x_devlane_route $dl_by_header {', '    default "";');
  for (const r of routes) out.push(`    ${q(`~^${r.routeKey}$`)} ${q(r.session)};`);
  out.push('  }');
  out.push('  map $http_baggage $dl_by_baggage {', '    default "";');
  for (const r of routes) out.push(`    ${q(`~^${baggagePattern(r.routeKey)}$`)} ${q(r.session)};`);
  out.push('  }');
  out.push('  map $dl_by_header $dl_session {', '    "" $dl_by_baggage;', '    default $dl_by_header;', '  }');
  // Which version answered: the session's name when its copy did, else whatever the original sent.
  // An empty value makes add_header add nothing, so the original's responses gain no header.
  out.push(
    `  map $dl_session $dl_copy {`,
    `    "" $upstream_http_${copyHeader.replace(/-/g, '_')};`,
    '    default $dl_session;',
    '  }',
  );
  // WebSocket and other upgrades: pass Upgrade on, and say "upgrade" only when there is one.
  out.push('  map $http_upgrade $dl_connection {', '    default upgrade;', '    "" "";', '  }');
  // What an error answer names when nothing answered.
  out.push('  map $dl_session $dl_target {', `    default ${q(`the original pods (Service ${origin})`)};`);
  for (const r of routes)
    out.push(`    ${q(r.session)} ${q(`the developer copy of session ${r.session} (Service ${r.devService})`)};`);
  out.push('  }');
  // The client's address as the original would have seen it without the router in between.
  out.push(
    '  map $http_x_forwarded_proto $dl_forwarded_proto {',
    '    default $http_x_forwarded_proto;',
    '    "" $scheme;',
    '  }',
  );
  // Trace Route's access records: the key as the request carried it (header, baggage member), the
  // probe id, the session it was routed to and the upstream that answered.
  const member = (key: string, v: string) => q(`~(?:^|,)[ \\t]*${key}[ \\t]*=[ \\t]*(?<${v}>[A-Za-z0-9_-]+)`);
  out.push(
    '  map $http_baggage $dl_baggage_key {',
    '    default "";',
    `    ${member(baggageKey, 'dl_bk')} $dl_bk;`,
    '  }',
  );
  out.push(
    '  map $http_baggage $dl_probe {',
    '    default "";',
    `    ${member(probeBaggageKey, 'dl_pr')} $dl_pr;`,
    '  }',
  );
  const vars: Record<(typeof traceLogFields)[number], string> = {
    msec: '$msec',
    request_time: '$request_time',
    remote_addr: '$remote_addr',
    route_header: '$http_x_devlane_route',
    baggage_key: '$dl_baggage_key',
    probe: '$dl_probe',
    session: '$dl_session',
    upstream: '$upstream_addr',
    status: '$status',
  };
  out.push(`  log_format dl_trace escape=json ${q(traceLogFields.map((f) => vars[f]).join('\t'))};`);
  // The hold chain (holdServers) for copies behind every HTTP port, HTTP/1.1 and HTTP/2.
  const holdAt = holdPorts(input, routes.length * httpPorts.length * holdPhases.length);
  const holds: Hold[] = [];
  if (httpPorts.some(isH2))
    // A gRPC call is told of a failure in gRPC's terms (unreachableLocations); anything else in text.
    out.push(
      '  map $http_content_type $dl_unreachable {',
      '    default @dl_unreachable;',
      `    "~^application/grpc($|[+;])" @dl_unreachable_grpc;`,
      '  }',
    );
  if (routes.length && httpPorts.length) {
    for (const p of holdPhases)
      out.push(
        `  limit_req_zone $http_${holdHeaders.id.replace(/-/g, '_')} zone=dl_hold_${p.name}:1m rate=${p.rate}r/s;`,
      );
    out.push('  limit_conn_zone $server_port zone=dl_hold_held:1m;', '  limit_conn_log_level warn;');
    // A held request's wait is not news: log delays below the error log's level (refusals: warn).
    out.push('  limit_req_log_level info;');
    // The held request's id: the one it came with, else this first hop's own.
    out.push(
      `  map $http_${holdHeaders.id.replace(/-/g, '_')} $dl_hold_id {`,
      '    "" $request_id;',
      `    default $http_${holdHeaders.id.replace(/-/g, '_')};`,
      '  }',
    );
    // The hop this one sends on: one more than it came with.
    out.push(
      `  map $http_${holdHeaders.depth.replace(/-/g, '_')} $dl_hold_depth {`,
      '    "" 1;',
      `    default ${holdPace.maxHops};`,
    );
    for (let d = 1; d < holdPace.maxHops; d++) out.push(`    "${d}" ${d + 1};`);
    out.push('  }');
    // Which upstream a hop sends to: one whose backup is the next phase's hold server, then the last (no backup).
    out.push(`  map $dl_hold_depth $dl_hold_phase {`, '    default last;');
    for (let d = 1; d < holdPace.maxHops; d++) out.push(`    "${d}" ${phaseOf(d)};`);
    out.push('  }');
  }
  for (const p of httpPorts) {
    out.push(`  map $dl_session $dl_upstream_${p.port} {`, `    default ${up(origin, p)};`);
    for (const r of routes) out.push(`    ${q(r.session)} ${up(r.devService, p)};`);
    out.push('  }');
    out.push(`  upstream ${up(origin, p)} { server ${hostPort(originHost, p.port)}; keepalive 64; }`);
    for (const r of routes) {
      const name = up(r.devService, p);
      const copy = hostPort(host(r.devService, r.devAddress), p.port);
      const base = holds.length * holdPhases.length;
      const ports = Object.fromEntries(holdPhases.map((p, i) => [p.name, holdAt[base + i]])) as Record<
        HoldPhase,
        number
      >;
      holds.push({
        upstream: name,
        target: `the developer copy of session ${r.session} (Service ${r.devService})`,
        ports,
        h2: isH2(p),
      });
      // max_fails=0: a copy that refused once is tried again on the next hop, never skipped for fail_timeout.
      for (const p of holdPhases)
        out.push(
          `  upstream ${phaseUpstream(name, p.name)} { server ${copy} max_fails=0; server 127.0.0.1:${ports[p.name]} backup; keepalive 8; }`,
        );
      out.push(`  upstream ${name}_last { server ${copy}; keepalive 8; }`);
      out.push(
        `  map $dl_hold_phase $dl_hold_to_${name} {`,
        `    default ${name}_last;`,
        ...holdPhases.map((p) => `    ${p.name} ${phaseUpstream(name, p.name)};`),
        '  }',
      );
    }
  }
  for (const p of httpPorts) {
    out.push('  server {');
    // HTTP/2 ports (gRPC, h2c) speak HTTP/2 end to end: the Service said its pods expect it, and
    // nginx's grpc module is its HTTP/2 proxy. HTTP/1.1 ports carry WebSocket upgrades.
    out.push(`    listen ${p.listen}${isH2(p) ? ' http2' : ''};`);
    if (p.protocol === 'http')
      out.push(
        `    location = ${routerCheckPath} { add_header ${routerCheckHeader} "generation ${input.generation ?? 0}" always; return 204; }`,
      );
    out.push('    location / {');
    const pass = isH2(p) ? 'grpc' : 'proxy';
    if (isH2(p)) {
      out.push(`      grpc_pass grpc://$dl_upstream_${p.port};`);
      out.push('      grpc_set_header Host $http_host;');
    } else {
      out.push(`      proxy_pass http://$dl_upstream_${p.port};`);
      out.push('      proxy_set_header Host $http_host;');
      out.push('      proxy_set_header Upgrade $http_upgrade;');
      out.push('      proxy_set_header Connection $dl_connection;');
    }
    for (const h of forwardedHeaders) out.push(`      ${pass}_set_header ${h};`);
    out.push(`      ${pass}_hide_header ${copyHeader};`);
    // A client cannot shorten or forge a hold chain: the first hop starts it.
    out.push(`      ${pass}_set_header ${holdHeaders.id} "";`, `      ${pass}_set_header ${holdHeaders.depth} "";`);
    // Only errors go to a copy's hold server (a refused connection; for idempotent methods also a
    // reset before the answer), never a timeout: a copy paused at a breakpoint is not asked twice.
    // (grpc_next_upstream's default would add timeouts.)
    out.push(`      ${pass}_next_upstream error;`);
    // `always`: error answers (a copy that is down: 502) and upgrades (101) are marked too.
    out.push(`      add_header ${copyHeader} $dl_copy always;`);
    // Only errors nginx makes itself (no connection, timeout): an upstream's own 502 passes as it is.
    out.push(`      ${errorPage(isH2(p))}`);
    // Client requests only: the router's own checks and the hold hops are not recorded.
    out.push(`      access_log ${accessLogFile} dl_trace;`);
    out.push('    }');
    unreachableLocations(out, 'Devlane router: no answer from $dl_target', isH2(p));
    out.push('  }');
  }
  for (const h of holds) holdServers(out, h);
  out.push('  server {');
  out.push(`    listen ${input.adminPort};`);
  out.push('    location = /.devlane/ready { return 200 "ok\\n"; }');
  out.push(
    `    location = ${routesPath} { return 200 "generation ${input.generation ?? 0} ${routesFingerprint(routes)}\\n"; }`,
  );
  // A request through to the original pods, the way un-keyed traffic goes: proves the router can
  // reach them (network policies, ports) before the Service is pointed at it.
  // HTTP ports must answer with a response head (a proxy in between may accept the connection
  // for pods that refuse it); HTTP/2 ports are asked in HTTP/2. TCP ports have no request to
  // send: they reach the same pods, which the HTTP ports' probes prove.
  for (const p of httpPorts) {
    out.push(`    location = ${originProbePath(p.port)} {`);
    if (isH2(p))
      out.push(
        `      grpc_pass grpc://${hostPort(originHost, p.port)};`,
        '      grpc_connect_timeout 5s;',
        '      grpc_read_timeout 5s;',
      );
    else
      out.push(
        `      proxy_pass http://${hostPort(originHost, p.port)}/;`,
        '      proxy_connect_timeout 5s;',
        '      proxy_read_timeout 5s;',
      );
    out.push(`      add_header ${probeHeaders.connect} $upstream_header_time always;`);
    out.push(`      add_header ${probeHeaders.status} $upstream_status always;`);
    out.push(`      add_header ${probeHeaders.address} $upstream_addr always;`);
    out.push('    }');
  }
  out.push('  }');
  out.push('}');
  if (tcpPorts.length) {
    // Non-HTTP ports pass through untouched, to the original pods: a byte stream carries no route
    // key. Needs nginx's stream module, which the public nginx image has built in.
    out.push('stream {');
    for (const p of tcpPorts) out.push(`  server { listen ${p.listen}; proxy_pass ${hostPort(originHost, p.port)}; }`);
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}
