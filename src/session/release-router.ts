// Takes a Service's router out of the path once no session routes through it: the original
// selector goes back on the Service first (traffic flows to the original pods directly again),
// then the router is deleted, and only once its pods are gone, its config and the origin Service:
// a terminating router still serves the connections it holds (and clients whose kube-proxy has
// not caught up yet) during its preStop drain, and it sends them to the origin Service.
import type { ExecContext } from './executor';
import { editObject } from './executor';
import { apiTypes } from '../core/api-types';
import { ClusterError } from '../core/errors';
import { annotations, originServiceName, routerName } from '../core/session/names';
import type { Pod, Service } from '../core/resources';
import { readRoutes, type RouterConfigMap, routerPodLabels } from '../routing/router';
import { matchesServiceSelector, selectorString } from '../core/selectors';
import { waitEndpointsFollow } from './endpoints';

/**
 * Returns why the selector was not put back, when someone changed it since the router was put in
 * front: their selector stays, and so does the router while that selector still reaches it.
 */
export async function releaseRouter(ctx: ExecContext, namespace: string, service: string): Promise<string | undefined> {
  const cm = await ctx.api.tryGet<RouterConfigMap>(apiTypes.configMap, namespace, routerName(service), ctx.signal);
  const routes = cm ? readRoutes(cm) : [];
  if (routes.length > 0) {
    ctx.logger.info(`router for ${namespace}/${service} still serves ${routes.map((r) => r.session).join(', ')}; keeping it`);
    return undefined;
  }
  const after = (await editObject(ctx, { type: 'service', namespace, name: service }, { kind: 'service.restoreSelector' })) as Service | undefined;
  const changed = after?.metadata.annotations?.[annotations.originalSelector] !== undefined ? after : undefined;
  if (changed && matchesServiceSelector(changed.spec?.selector, routerPodLabels(service))) {
    return `Service ${namespace}/${service}'s selector was changed by someone else since the session pointed it at the router, and still reaches the router; left both as they are`;
  }
  // The router goes only once the Service sends to the pods its selector now picks (the original ones, unless someone changed it).
  const selector = after?.spec?.selector;
  if (selector) await waitEndpointsFollow(ctx, namespace, service, selector, changed ? 'to the pods its changed selector picks' : 'back to the original pods');
  const gone = async (type: keyof typeof apiTypes, name: string, resourceVersion?: string) => {
    const obj = await ctx.api.tryGet(apiTypes[type], namespace, name, ctx.signal);
    // Only delete what Devlane made for this Service.
    if (!obj || obj.metadata.annotations?.[annotations.createdFor] !== service) return;
    try {
      await ctx.api.delete(apiTypes[type], namespace, name, { signal: ctx.signal, preconditions: resourceVersion ? { resourceVersion } : { uid: obj.metadata.uid } });
    } catch (err) {
      if (!(err instanceof ClusterError && err.kind === 'not-found')) throw err;
    }
  };
  await gone('deployment', routerName(service));
  await routerPodsGone(ctx, namespace, service);
  await gone('service', originServiceName(service));
  // With the resourceVersion read above: if a session added a route since, this fails with a
  // conflict and the config stays for it (it recreates the router it finds missing on its next start).
  await gone('configMap', routerName(service), cm?.metadata.resourceVersion);
  return changed ? `Service ${namespace}/${service}'s selector was changed by someone else since the session pointed it at the router; left as it is (its original selector is still in annotation ${annotations.originalSelector})` : undefined;
}

/** The router's grace period and then some: past it, the kubelet has killed the pods anyway. */
const drainWaitMs = 45_000;

async function routerPodsGone(ctx: ExecContext, namespace: string, service: string): Promise<void> {
  const labelSelector = selectorString(routerPodLabels(service));
  const deadline = Date.now() + drainWaitMs;
  for (;;) {
    const pods = await ctx.api.list<Pod>(apiTypes.pod, namespace, { labelSelector }, ctx.signal);
    if (pods.length === 0) return;
    if (Date.now() > deadline) {
      ctx.logger.warn(`router pods for ${namespace}/${service} still there after ${drainWaitMs / 1000} s (${pods.map((p) => p.metadata.name).join(', ')}); removing the origin Service anyway`);
      return;
    }
    ctx.report(`Waiting for the router of ${service} to drain (${pods.length} pod(s) terminating)`);
    await new Promise<void>((resolve) => setTimeout(resolve, 500));
  }
}
