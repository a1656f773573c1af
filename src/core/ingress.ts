// Which Service an Ingress sends a request to, as the Kubernetes Ingress API defines it, so that
// Open Routed URL can stand in for an Ingress on a laptop: rules for the request's host (exact, or
// a `*.` wildcard covering exactly one label) or for any host; among their paths the longest
// match wins, an Exact path before a Prefix one of the same length; `Prefix` matches whole path
// elements (`/foo` matches `/foo` and `/foo/bar`, not `/foobar`); `ImplementationSpecific` is read
// as Prefix (what it means is up to each controller). Nothing matching: the default backend.
// Pure.
import type { KubeObject } from './resources';

export interface IngressServiceBackend {
  service: string;
  /** The Service port by number or by name (exactly one is set). */
  port?: number;
  portName?: string;
}

interface BackendSpec {
  service?: { name: string; port?: { number?: number; name?: string } };
}

export interface IngressObject extends KubeObject {
  spec?: {
    defaultBackend?: BackendSpec;
    rules?: { host?: string; http?: { paths?: { path?: string; pathType?: string; backend: BackendSpec }[] } }[];
  };
}

const toBackend = (b: BackendSpec | undefined): IngressServiceBackend | undefined =>
  b?.service?.name
    ? {
        service: b.service.name,
        ...(b.service.port?.number !== undefined
          ? { port: b.service.port.number }
          : b.service.port?.name
            ? { portName: b.service.port.name }
            : {}),
      }
    : undefined;

/** The hosts the Ingress's rules name, in order, without duplicates. */
export function ingressHosts(ing: IngressObject): string[] {
  return [...new Set((ing.spec?.rules ?? []).map((r) => r.host).filter((h): h is string => !!h))];
}

export function hostMatches(ruleHost: string | undefined, host: string | undefined): boolean {
  if (!ruleHost) return true;
  if (!host) return false;
  const h = host.toLowerCase().replace(/:\d+$/, '');
  const r = ruleHost.toLowerCase();
  if (!r.startsWith('*.')) return h === r;
  const suffix = r.slice(1);
  return h.endsWith(suffix) && !h.slice(0, -suffix.length).includes('.') && h.length > suffix.length;
}

const elements = (p: string) => p.split('/').filter(Boolean);

function pathMatch(pathType: string | undefined, rulePath: string | undefined, path: string): boolean {
  const rp = rulePath || '/';
  if (pathType === 'Exact') return path === rp;
  const want = elements(rp);
  const got = elements(path);
  return want.length <= got.length && want.every((e, i) => e === got[i]);
}

/** The backend for a request (its path without the query), or undefined when the Ingress has none for it. */
export function ingressBackend(
  ing: IngressObject,
  host: string | undefined,
  path: string,
): IngressServiceBackend | undefined {
  const p = path.split('?')[0] || '/';
  let best: { len: number; exact: boolean; backend: IngressServiceBackend } | undefined;
  for (const rule of ing.spec?.rules ?? []) {
    if (!hostMatches(rule.host, host)) continue;
    for (const rp of rule.http?.paths ?? []) {
      if (!pathMatch(rp.pathType, rp.path, p)) continue;
      const backend = toBackend(rp.backend);
      if (!backend) continue;
      const len = (rp.path || '/').length;
      const exact = rp.pathType === 'Exact';
      if (!best || len > best.len || (len === best.len && exact && !best.exact)) best = { len, exact, backend };
    }
  }
  return best?.backend ?? toBackend(ing.spec?.defaultBackend);
}

/** Every Service the Ingress can send to (for showing, and for checking they exist). */
export function ingressServices(ing: IngressObject): string[] {
  const all = [
    ing.spec?.defaultBackend,
    ...(ing.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend)),
  ]
    .map(toBackend)
    .filter((b): b is IngressServiceBackend => !!b);
  return [...new Set(all.map((b) => b.service))];
}
