// The Devlane router (no mesh): one nginx Deployment per Service, shared by every session on it.
//   <service>-devlane-router   ConfigMap (routes.json + nginx.conf) and Deployment (2 replicas)
//   <service>-devlane-origin   Service with the original selector: where un-keyed traffic goes
// The original Service's selector is switched to the router pods once the router is Ready, with
// the original selector kept in an annotation so that kubectl alone can put it back.
// The router's objects are not owned by any session record: the garbage collector must never
// delete a router the Service still points at. `release-router` takes it out of the path first.
import type { EditResult } from './edit-result';
import { type RouterPort, type RouterRoute, renderRouterConfig, routesFingerprint } from './nginx-config';
import type { Json } from '../core/session/dev-workload';
import { annotations, labels, managedBy, originServiceName, routerName } from '../core/session/names';
import type { KubeObject, Service } from '../core/resources';

export const routerImage = 'nginx:1.27';
export const configFile = '/etc/devlane/nginx.conf';
export const routesKey = 'routes.json';
export const configKey = 'nginx.conf';
const defaultAdminPort = 15021;

export interface RouterSpec {
  namespace: string;
  service: string;
  ports: RouterPort[];
  adminPort: number;
  image?: string;
}

export function adminPortFor(ports: RouterPort[]): number {
  let p = defaultAdminPort;
  while (ports.some((x) => x.listen === p)) p++;
  return p;
}

export const routerPodLabels = (service: string): Record<string, string> => ({ [labels.role]: 'router', [labels.service]: service });

const meta = (spec: RouterSpec, name: string, role: string) => ({
  name,
  namespace: spec.namespace,
  labels: { [labels.role]: role, [labels.service]: spec.service, [labels.managedBy]: managedBy },
  annotations: { [annotations.createdFor]: spec.service },
});

export interface RouterConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export function readRoutes(cm: RouterConfigMap): RouterRoute[] {
  try {
    const routes = JSON.parse(cm.data?.[routesKey] ?? '[]');
    return Array.isArray(routes) ? routes : [];
  } catch {
    return [];
  }
}

function readSpec(cm: RouterConfigMap): RouterSpec {
  return JSON.parse(cm.data?.['router.json'] ?? '{}') as RouterSpec;
}

function withRoutes(cm: RouterConfigMap, routes: RouterRoute[]): RouterConfigMap {
  const spec = readSpec(cm);
  const next = structuredClone(cm);
  next.data = {
    ...next.data,
    [routesKey]: JSON.stringify(routes, null, 1),
    [configKey]: renderRouterConfig({ namespace: spec.namespace, service: spec.service, ports: spec.ports, routes, adminPort: spec.adminPort }),
  };
  return next;
}

export function routerConfigMap(spec: RouterSpec): RouterConfigMap {
  const cm: RouterConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(spec, routerName(spec.service), 'router-config'),
    data: { 'router.json': JSON.stringify(spec) },
  };
  return withRoutes(cm, []);
}

export function addRouterRoute(cm: RouterConfigMap, route: RouterRoute): EditResult {
  const routes = readRoutes(cm).filter((r) => r.session !== route.session);
  return { kind: 'update', object: withRoutes(cm, [...routes, route]) };
}

export function removeRouterRoute(cm: RouterConfigMap, session: string): EditResult {
  const routes = readRoutes(cm);
  const rest = routes.filter((r) => r.session !== session);
  if (rest.length === routes.length) return { kind: 'unchanged' };
  return { kind: 'update', object: withRoutes(cm, rest) };
}

export function expectedFingerprint(cm: RouterConfigMap): string {
  return routesFingerprint(readRoutes(cm));
}

/** The checksum of the config nginx last loaded, shared by the reload loop and Devlane's exec reload. */
export const loadedMarker = '/tmp/devlane-router.loaded';

/**
 * nginx in the foreground, plus a loop that reloads it (gracefully: old workers finish the requests
 * in flight) when the mounted ConfigMap changes. Kubernetes updates ConfigMap volumes in place,
 * within a minute or so; Devlane also reloads through exec right after a change, so a route is
 * live as soon as the file has arrived. Both record what they loaded in one marker file, so a
 * change costs one reload, not two: each reload closes the clients' idle keep-alive connections.
 */
const runScript = [
  `cksum < ${configFile} > ${loadedMarker}`,
  `nginx -c ${configFile} -g 'daemon off;' & pid=$!`,
  `trap 'nginx -c ${configFile} -s quit; wait $pid; exit 0' TERM INT`,
  'while kill -0 $pid 2>/dev/null; do',
  '  sleep 2',
  `  now=$(cksum < ${configFile})`,
  `  if [ "$now" != "$(cat ${loadedMarker})" ] && nginx -q -t -c ${configFile}; then echo "$now" > ${loadedMarker}; nginx -c ${configFile} -s reload; fi`,
  'done',
].join('\n');

export function routerDeployment(spec: RouterSpec): KubeObject & { spec: Json } {
  const podLabels = routerPodLabels(spec.service);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(spec, routerName(spec.service), 'router'),
    spec: {
      replicas: 2,
      selector: { matchLabels: podLabels },
      revisionHistoryLimit: 1,
      // Never fewer than two Ready routers while one is replaced.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: { ...podLabels, [labels.managedBy]: managedBy } },
        spec: {
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: 'router',
              image: spec.image ?? routerImage,
              command: ['sh', '-c', runScript],
              ports: [...spec.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.listen })), { name: 'dl-admin', containerPort: spec.adminPort }],
              readinessProbe: { httpGet: { path: '/.devlane/ready', port: spec.adminPort }, periodSeconds: 2, failureThreshold: 2 },
              // Drain before stopping: the endpoint is removed first, then nginx quits gracefully.
              lifecycle: { preStop: { exec: { command: ['sleep', '3'] } } },
              volumeMounts: [{ name: 'config', mountPath: '/etc/devlane', readOnly: true }],
              resources: { requests: { cpu: '50m', memory: '32Mi' } },
            },
          ],
          volumes: [{ name: 'config', configMap: { name: routerName(spec.service), items: [{ key: configKey, path: 'nginx.conf' }] } }],
        },
      },
    },
  };
}

/** Same ports as the original Service, the original selector: un-keyed traffic still reaches the original pods. */
export function originService(spec: RouterSpec, original: Service, selector: Record<string, string>): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(spec, originServiceName(spec.service), 'origin'),
    spec: {
      selector,
      ports: (original.spec?.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, targetPort: p.targetPort ?? p.port, protocol: p.protocol ?? 'TCP' })),
    },
  };
}

/** Point the Service at the router pods; the original selector goes into an annotation (unless already switched). */
export function switchSelector(svc: Service, selector: Record<string, string>): EditResult {
  const current = svc.spec?.selector ?? {};
  if (JSON.stringify(current) === JSON.stringify(selector)) return { kind: 'unchanged' };
  const next = structuredClone(svc);
  next.metadata.annotations = { ...next.metadata.annotations, [annotations.originalSelector]: JSON.stringify(current) };
  next.spec = { ...next.spec, selector };
  return { kind: 'update', object: next };
}

/** Whether the Service still selects exactly the router pods, as switchSelector left it. */
export function pointsAtRouter(svc: Service): boolean {
  const current = svc.spec?.selector ?? {};
  const router = routerPodLabels(svc.metadata.name);
  return Object.keys(current).length === Object.keys(router).length && Object.entries(router).every(([k, v]) => current[k] === v);
}

/**
 * Put the annotated selector back and drop the annotation; only while the Service still points at
 * the router: a selector someone changed since is theirs, and stays.
 */
export function restoreSelector(svc: Service): EditResult {
  const saved = svc.metadata.annotations?.[annotations.originalSelector];
  if (saved === undefined || !pointsAtRouter(svc)) return { kind: 'unchanged' };
  const next = structuredClone(svc);
  next.spec = { ...next.spec, selector: JSON.parse(saved) };
  delete next.metadata.annotations![annotations.originalSelector];
  if (Object.keys(next.metadata.annotations!).length === 0) delete next.metadata.annotations;
  return { kind: 'update', object: next };
}

/** The selector the Service had before Devlane: from the annotation when the router is in place. */
export function originalSelectorOf(svc: Service): Record<string, string> {
  const saved = svc.metadata.annotations?.[annotations.originalSelector];
  return saved ? JSON.parse(saved) : (svc.spec?.selector ?? {});
}

export { originServiceName, routerName };
