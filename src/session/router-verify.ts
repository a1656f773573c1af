// Before a Service is pointed at its router: prove that un-keyed requests through each router pod
// reach the original pods. The router's admin port passes a request to the origin Service the way
// un-keyed traffic goes, and reports whether a connection was made (network policies that drop
// the router's packets, pods that do not listen on the target port, an origin with no endpoints
// all show as no answer). Services with only TCP ports carry no request to send, and are not
// probed. Nothing is written here.
import { adminGet, readyRouterPods, routerPodGet } from './router-admin';
import type { ExecContext } from './exec-context';
import { apiTypes } from '../core/api-types';
import type { Service } from '../core/resources';
import { SessionError } from '../core/session/errors';
import { originServiceName, routerName } from '../core/session/names';
import { hostPort, originProbePath, probeHeaders, routerCheckHeader, routerCheckPath } from '../routing/nginx-config';
import { readSpec, type RouterConfigMap } from '../routing/router';
import { sleep } from '../core/backoff';
import { selectors } from '../core/session/route-contract';

const verifyWaitMs = 30_000;

export async function verifyRouter(ctx: ExecContext, namespace: string, service: string): Promise<void> {
  const cm = await ctx.api.get<RouterConfigMap>(apiTypes.configMap, namespace, routerName(service), ctx.signal);
  const spec = readSpec(cm);
  const pods = await readyRouterPods(ctx, namespace, service);
  // A Service created a moment ago is reachable once the cluster's proxies have programmed it
  // (kube-proxy catches up after the EndpointSlice controller): probe again for a while before
  // calling a hop unreachable.
  const deadline = Date.now() + verifyWaitMs;
  let pending = pods.flatMap((pod) => spec.ports.filter((p) => p.protocol !== 'tcp').map((port) => ({ pod, port })));
  let problems: string[] = pods.length === 0 ? ['no router pod is Ready'] : [];
  while (pending.length > 0) {
    problems = [];
    const still: typeof pending = [];
    for (const { pod, port } of pending) {
      const answer = await adminGet(
        ctx,
        namespace,
        pod.metadata.name,
        spec.adminPort,
        originProbePath(port.port),
      ).catch((err) => {
        if (ctx.signal.aborted) throw err;
        return undefined;
      });
      const connected = (answer?.headers[probeHeaders.connect] ?? '').split(/[\s,:]+/).some((t) => /^\d/.test(t));
      if (connected) continue;
      const seen = answer
        ? `${answer.status}, upstream ${answer.headers[probeHeaders.address] || 'none'}`
        : 'no answer from its admin port';
      problems.push(
        `router pod ${pod.metadata.name} could not connect to Service ${originServiceName(service)} port ${port.port} (${seen})`,
      );
      still.push({ pod, port });
    }
    pending = still;
    if (pending.length === 0 || Date.now() > deadline) break;
    ctx.report(`Waiting for the router of ${service} to reach the original pods`);
    await sleep(500, ctx.signal);
  }
  if (problems.length === 0) return;
  throw new SessionError(
    'failed',
    `The router cannot reach the original pods of Service ${namespace}/${service}: ${problems.join('; ')}`,
    `Service ${service} was not pointed at the router. Check that the original pods are Ready and listen on the Service's target ports, and that no NetworkPolicy drops traffic from pods labelled ${selectors.routerPods(service)}.`,
  );
}

const switchWaitMs = 15_000;

/**
 * After the Service's endpoints are the router pods: a request to the Service's own address, from
 * a router pod, is answered by a router (its check path), which shows that the node's proxy sends
 * the Service's traffic through the router, so a keyed request sent now reaches the copy. The
 * EndpointSlices say what should happen; kube-proxy (or the mesh) applies it a moment later. Until
 * it does, a request may still reach an original pod (the check path gets whatever the app
 * answers to an unknown path). Other nodes' proxies catch up on their own; past the bound, the
 * session goes live with a warning rather than failing. Services without an HTTP/1.1 port are not
 * checked.
 */
export async function confirmServiceReachesRouter(ctx: ExecContext, namespace: string, service: string): Promise<void> {
  const cm = await ctx.api.get<RouterConfigMap>(apiTypes.configMap, namespace, routerName(service), ctx.signal);
  const port = readSpec(cm).ports.find((p) => p.protocol === 'http');
  const svc = await ctx.api.get<Service>(apiTypes.service, namespace, service, ctx.signal);
  const address = svc.spec?.clusterIP;
  if (!port || !address || address === 'None') return;
  const [pod] = await readyRouterPods(ctx, namespace, service);
  if (!pod) return;
  const url = `http://${hostPort(address, port.port)}${routerCheckPath}`;
  const deadline = Date.now() + switchWaitMs;
  for (;;) {
    const answer = await routerPodGet(ctx, namespace, pod.metadata.name, url).catch((err) => {
      if (ctx.signal.aborted) throw err;
      return undefined;
    });
    if (answer?.headers[routerCheckHeader] !== undefined) return;
    if (Date.now() > deadline) {
      ctx.logger.warn(
        `Service ${namespace}/${service}'s address still reached something other than its router from pod ${pod.metadata.name} after ${switchWaitMs / 1000} s (the node's proxy lags its EndpointSlices); keyed requests through that node may reach the original pods until it catches up`,
      );
      return;
    }
    ctx.report(`Waiting for Service ${service}'s address to reach the router`);
    await sleep(300, ctx.signal);
  }
}
