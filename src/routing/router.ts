// The Devlane router (no mesh): one nginx Deployment per Service, shared by every session on it.
//   <service>-devlane-router   ConfigMap (routes.json + nginx.conf) and Deployment (2 replicas)
//   <service>-devlane-origin   Service with the original selector: where un-keyed traffic goes
//   <service>-devlane-router   PodDisruptionBudget: a node drain leaves one router up; owned by the
//                              records of the sessions that route through it, so gc removes it
// The original Service's selector is switched to the router pods once the router is Ready and has
// proved it reaches the original pods, with the original selector kept in an annotation so that
// kubectl alone can put it back.
// The router's objects are not owned by any session record: the garbage collector must never
// delete a router the Service still points at. `release-router` takes it out of the path first.
import type { EditResult } from './edit-result';
import {
  accessLogFile,
  type RouterPort,
  type RouterRoute,
  renderRouterConfig,
  routesFingerprint,
} from './nginx-config';
import { type OwnerRecord, ownerReference } from '../core/session/dev-workload';
import { annotations, originServiceName, routerName } from '../core/session/names';
import { labels, managedBy, routerPodLabels } from '../core/session/route-contract';
import type { Json, KubeObject, Service } from '../core/resources';

/** The default router image; clusters that mirror images set `devlane.router.image` or `--router-image`. */
export const routerImage = 'nginx:1.27';
export const configFile = '/etc/devlane/nginx.conf';
export const routesKey = 'routes.json';
export const configKey = 'nginx.conf';
export const generationKey = 'generation';
const defaultAdminPort = 15021;

export interface RouterSpec {
  namespace: string;
  service: string;
  ports: RouterPort[];
  adminPort: number;
  image?: string;
  /** The origin Service's ClusterIP, recorded when the first route is added. */
  originAddress?: string;
}

export function adminPortFor(ports: RouterPort[]): number {
  let p = defaultAdminPort;
  while (ports.some((x) => x.listen === p)) p++;
  return p;
}

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

export function readSpec(cm: RouterConfigMap): RouterSpec {
  return JSON.parse(cm.data?.['router.json'] ?? '{}') as RouterSpec;
}

/** How many times the config changed: each change is one more, so a router serving it proves the reload. */
export function readGeneration(cm: RouterConfigMap): number {
  const n = Number(cm.data?.[generationKey] ?? 0);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

function withRoutes(cm: RouterConfigMap, routes: RouterRoute[], originAddress?: string): RouterConfigMap {
  const spec = { ...readSpec(cm), ...(originAddress ? { originAddress } : {}) };
  const generation = readGeneration(cm) + 1;
  const next = structuredClone(cm);
  next.data = {
    ...next.data,
    'router.json': JSON.stringify(spec),
    [generationKey]: String(generation),
    [routesKey]: JSON.stringify(routes, null, 1),
    [configKey]: renderRouterConfig({
      namespace: spec.namespace,
      service: spec.service,
      ports: spec.ports,
      routes,
      adminPort: spec.adminPort,
      originAddress: spec.originAddress,
      generation,
    }),
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

/** The config with the origin Service's ClusterIP, so that not even a router's first start resolves a name. */
export function withOriginAddress(cm: RouterConfigMap, originAddress: string): RouterConfigMap {
  return withRoutes(cm, readRoutes(cm), originAddress);
}

export function addRouterRoute(cm: RouterConfigMap, route: RouterRoute, originAddress?: string): EditResult {
  const routes = readRoutes(cm).filter((r) => r.session !== route.session);
  return { kind: 'update', object: withRoutes(cm, [...routes, route], originAddress) };
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

/** The size at which the access records are rotated (two files of about this size at most). */
export const accessLogMaxBytes = 4 * 1024 * 1024;

/** The config nginx serves: a writable copy, so Devlane can make a change live without the kubelet. */
/** Where a router pod keeps what it writes: the live config, the lock, configs on their way in. */
export const routerRunDir = '/tmp/devlane';
export const liveConfigFile = `${routerRunDir}/nginx.conf`;

/**
 * Shell functions both the pod's loop and Devlane's push use: the generation a config file carries
 * (its `# generation: N` line; 0 when none), and a lock so that only one of them installs a config
 * at a time (a lock left by a cut exec is broken after 10 s).
 */
export const routerShellLib = [
  `gen() { g=$(sed -n 's/^# generation: \\([0-9]*\\)$/\\1/p' "$1" 2>/dev/null); echo "\${g:-0}"; }`,
  `lock() { until mkdir ${routerRunDir}/lock 2>/dev/null; do [ $(( $(date +%s) - $(stat -c %Y ${routerRunDir}/lock 2>/dev/null || date +%s) )) -gt 10 ] && rmdir ${routerRunDir}/lock 2>/dev/null; sleep 0.1; done; }`,
  `unlock() { rmdir ${routerRunDir}/lock 2>/dev/null; }`,
  // Installs config file $1 if it is newer than the live one: test, move into place, reload
  // (gracefully: old workers finish the requests in flight). Exit 4: nginx refused the config.
  // Trace Route's access records stay small: past accessLogMaxBytes the file moves to .1 (the one
  // before it is dropped) and nginx reopens its log.
  `rotate_log() { if [ "$(stat -c %s ${accessLogFile} 2>/dev/null || echo 0)" -gt ${accessLogMaxBytes} ]; then mv -f ${accessLogFile} ${accessLogFile}.1 && nginx -c ${liveConfigFile} -s reopen; fi; }`,
  `install_config() { lock; if [ "$(gen "$1")" -gt "$(gen ${liveConfigFile})" ]; then if nginx -q -t -c "$1"; then mv "$1" ${liveConfigFile} && nginx -c ${liveConfigFile} -s reload; r=$?; else r=4; fi; else rm -f "$1"; r=0; fi; unlock; return $r; }`,
].join('\n');

/**
 * nginx in the foreground on a writable copy of the mounted config, plus a loop that installs the
 * mounted ConfigMap file when it carries a newer generation. Kubernetes updates ConfigMap volumes
 * in place, but only when the kubelet gets to it (up to a minute or more); Devlane pushes each
 * change into the running pods over exec right away (src/session/router-sync.ts), so the loop is
 * what keeps a pod current when a push could not reach it. Generations only go up: neither path
 * installs an older config over a newer one.
 */
const runScript = [
  routerShellLib,
  `mkdir -p ${routerRunDir}`,
  `cp ${configFile} ${liveConfigFile}`,
  `nginx -c ${liveConfigFile} -g 'daemon off;' & pid=$!`,
  `trap 'nginx -c ${liveConfigFile} -s quit; wait $pid; exit 0' TERM INT`,
  'while kill -0 $pid 2>/dev/null; do',
  '  sleep 2',
  '  rotate_log',
  `  if [ "$(gen ${configFile})" -gt "$(gen ${liveConfigFile})" ]; then cp ${configFile} ${routerRunDir}/mounted.conf && install_config ${routerRunDir}/mounted.conf; fi`,
  'done',
].join('\n');

/** One router may go at a time (node drains, evictions): the other keeps serving. */
export function routerDisruptionBudget(spec: RouterSpec, owner: OwnerRecord): KubeObject & { spec: Json } {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { ...meta(spec, routerName(spec.service), 'router'), ownerReferences: [ownerReference(owner)] },
    spec: { minAvailable: 1, selector: { matchLabels: routerPodLabels(spec.service) } },
  };
}

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
          // On different nodes where the cluster can: one node going down leaves the other router.
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: podLabels } },
                },
              ],
            },
          },
          containers: [
            {
              name: 'router',
              image: spec.image ?? routerImage,
              command: ['sh', '-c', runScript],
              ports: [
                ...spec.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.listen })),
                { name: 'dl-admin', containerPort: spec.adminPort },
              ],
              // Each second: a new router is Ready within a second of serving (a start waits on it),
              // and one that stops answering leaves its Service's endpoints within three.
              readinessProbe: {
                httpGet: { path: '/.devlane/ready', port: spec.adminPort },
                periodSeconds: 1,
                failureThreshold: 3,
              },
              // Drain before stopping: the endpoint is removed first, then nginx quits gracefully.
              lifecycle: { preStop: { exec: { command: ['sleep', '3'] } } },
              volumeMounts: [{ name: 'config', mountPath: '/etc/devlane', readOnly: true }],
              resources: { requests: { cpu: '50m', memory: '32Mi' } },
            },
          ],
          volumes: [
            {
              name: 'config',
              configMap: { name: routerName(spec.service), items: [{ key: configKey, path: 'nginx.conf' }] },
            },
          ],
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
      ports: (original.spec?.ports ?? []).map((p) => ({
        ...(p.name ? { name: p.name } : {}),
        port: p.port,
        targetPort: p.targetPort ?? p.port,
        protocol: p.protocol ?? 'TCP',
      })),
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

/** Whether the Service still selects exactly the router pods (or `routerSelector`), as switchSelector left it. */
export function pointsAtRouter(svc: Service, routerSelector?: Record<string, string>): boolean {
  const current = svc.spec?.selector ?? {};
  const router = routerSelector ?? routerPodLabels(svc.metadata.name);
  return (
    Object.keys(current).length === Object.keys(router).length &&
    Object.entries(router).every(([k, v]) => current[k] === v)
  );
}

/**
 * Put the annotated selector back and drop the annotation; only while the Service still points at
 * the router: a selector someone changed since is theirs, and stays (and a router that another
 * session put back in the path is not overwritten).
 */
export function restoreSelector(svc: Service, routerSelector?: Record<string, string>): EditResult {
  const saved = svc.metadata.annotations?.[annotations.originalSelector];
  if (saved === undefined || !pointsAtRouter(svc, routerSelector)) return { kind: 'unchanged' };
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
