// Takes a Service's router out of the path once no session routes through it: the original
// selector goes back on the Service first (traffic flows to the original pods directly again),
// then the router is deleted, and only once its pods are gone, its config and the origin Service:
// a terminating router still serves the connections it holds (and clients whose kube-proxy has
// not caught up yet) during its preStop drain, and it sends them to the origin Service.
// Another session may start on the same Service meanwhile: every delete carries the
// resourceVersion it was decided on, the routes are read again after the drain, and the selector
// is put back only while the Service still selects the router pods.
import { editObject, type ExecContext } from './exec-context';
import { apiTypes } from '../core/api-types';
import { ClusterError } from '../core/errors';
import { annotations, originServiceName, routerName } from '../core/session/names';
import type { KubeObject, Pod, Service } from '../core/resources';
import { readRoutes, type RouterConfigMap } from '../routing/router';
import { matchesServiceSelector } from '../core/selectors';
import { waitEndpointsFollow } from './endpoints';
import { sleep } from '../core/backoff';
import { routerPodLabels, selectors } from '../core/session/route-contract';

type Kind = keyof typeof apiTypes;

/**
 * Returns why the selector was not put back, when someone changed it since the router was put in
 * front: their selector stays, and so does the router while that selector still reaches it.
 */
export async function releaseRouter(ctx: ExecContext, namespace: string, service: string): Promise<string | undefined> {
  const cm = await ctx.api.tryGet<RouterConfigMap>(apiTypes.configMap, namespace, routerName(service), ctx.signal);
  if (stillUsed(ctx, namespace, service, cm)) return undefined;
  const routerSelector = routerPodLabels(service);
  const after = (await editObject(
    ctx,
    { type: 'service', namespace, name: service },
    { kind: 'service.restoreSelector', routerSelector },
  )) as Service | undefined;
  // The annotation stays when the selector was not put back: someone changed it since.
  const changed = after?.metadata.annotations?.[annotations.originalSelector] !== undefined ? after : undefined;
  if (changed && matchesServiceSelector(changed.spec?.selector, routerSelector)) {
    return `Service ${namespace}/${service}'s selector was changed by someone else since the session pointed it at the router, and still reaches the router; left both as they are`;
  }
  if (!changed && (await serviceSelectsRouter(ctx, namespace, service))) {
    ctx.logger.info(
      `Service ${namespace}/${service} still selects its router (another session put it back); keeping the router`,
    );
    return undefined;
  }
  const changedNote = changed
    ? `Service ${namespace}/${service}'s selector was changed by someone else since the session pointed it at the router; left as it is (its original selector is still in annotation ${annotations.originalSelector})`
    : undefined;
  // The router goes only once the Service sends to the pods its selector now picks (the original ones, unless someone changed it).
  const selector = after?.spec?.selector;
  if (selector)
    await waitEndpointsFollow(
      ctx,
      namespace,
      service,
      selector,
      changed ? 'to the pods its changed selector picks' : 'back to the original pods',
    );
  const router = await ours(ctx, 'deployment', namespace, routerName(service), service);
  if (router) {
    // Decided again right before the delete: a route added since the first read keeps the router.
    const now = await ctx.api.tryGet<RouterConfigMap>(apiTypes.configMap, namespace, routerName(service), ctx.signal);
    if (stillUsed(ctx, namespace, service, now)) return changedNote;
    // By uid: the Deployment's own status updates must not make the release give up.
    if (!(await deleteAt(ctx, 'deployment', router, { uid: router.metadata.uid }))) return changedNote;
  }
  await routerPodsGone(ctx, namespace, service);
  const cmAfter = await ctx.api.tryGet<RouterConfigMap>(apiTypes.configMap, namespace, routerName(service), ctx.signal);
  if (await serviceSelectsRouter(ctx, namespace, service)) {
    // A session switched the Service to the router in the moment it was being deleted: never
    // leave a Service pointing at pods that are gone.
    await editObject(
      ctx,
      { type: 'service', namespace, name: service },
      { kind: 'service.restoreSelector', routerSelector },
    );
    ctx.logger.warn(
      `Service ${namespace}/${service} was pointed at its router while the router was being removed; its original selector is back`,
    );
  }
  // A session that started during the drain added its route (or recreated the router): leave
  // the config and the origin to it; it recreates the router it finds missing on its next start.
  if (
    stillUsed(ctx, namespace, service, cmAfter) ||
    (await ctx.api.tryGet(apiTypes.deployment, namespace, routerName(service), ctx.signal))
  ) {
    ctx.logger.info(
      `another session took up the router of ${namespace}/${service} while it drained; keeping its config and origin Service`,
    );
    return changedNote;
  }
  for (const [kind, name] of [
    ['podDisruptionBudget', routerName(service)],
    ['service', originServiceName(service)],
  ] as [Kind, string][]) {
    const obj = await ours(ctx, kind, namespace, name, service);
    if (obj) await deleteAt(ctx, kind, obj);
  }
  // With the resourceVersion read after the drain: a route added since fails this with a conflict.
  if (cmAfter && cmAfter.metadata.annotations?.[annotations.createdFor] === service)
    await deleteAt(ctx, 'configMap', cmAfter);
  return changedNote;
}

function stillUsed(ctx: ExecContext, namespace: string, service: string, cm: RouterConfigMap | undefined): boolean {
  const routes = cm ? readRoutes(cm) : [];
  if (routes.length === 0) return false;
  ctx.logger.info(
    `router for ${namespace}/${service} still serves ${routes.map((r) => r.session).join(', ')}; keeping it`,
  );
  return true;
}

async function serviceSelectsRouter(ctx: ExecContext, namespace: string, service: string): Promise<boolean> {
  const svc = await ctx.api.tryGet<Service>(apiTypes.service, namespace, service, ctx.signal);
  return !!svc && matchesServiceSelector(svc.spec?.selector, routerPodLabels(service));
}

/** The object, when Devlane made it for this Service; never anything else of the same name. */
async function ours(
  ctx: ExecContext,
  kind: Kind,
  namespace: string,
  name: string,
  service: string,
): Promise<KubeObject | undefined> {
  const obj = await ctx.api.tryGet(apiTypes[kind], namespace, name, ctx.signal);
  return obj?.metadata.annotations?.[annotations.createdFor] === service ? obj : undefined;
}

/** Deletes the object as it was read; false when it changed since (someone else now uses it). */
async function deleteAt(
  ctx: ExecContext,
  kind: Kind,
  obj: KubeObject,
  preconditions: { uid?: string; resourceVersion?: string } = { resourceVersion: obj.metadata.resourceVersion },
): Promise<boolean> {
  try {
    await ctx.api.delete(apiTypes[kind], obj.metadata.namespace, obj.metadata.name, {
      signal: ctx.signal,
      preconditions,
    });
    return true;
  } catch (err) {
    if (err instanceof ClusterError && err.kind === 'not-found') return true;
    if (err instanceof ClusterError && err.kind === 'conflict') {
      ctx.logger.info(
        `${obj.kind ?? kind} ${obj.metadata.namespace}/${obj.metadata.name} changed while releasing the router; keeping it`,
      );
      return false;
    }
    throw err;
  }
}

/** The router's grace period and then some: past it, the kubelet has killed the pods anyway. */
const drainWaitMs = 45_000;

async function routerPodsGone(ctx: ExecContext, namespace: string, service: string): Promise<void> {
  const labelSelector = selectors.routerPods(service);
  const deadline = Date.now() + drainWaitMs;
  for (;;) {
    const pods = await ctx.api.list<Pod>(apiTypes.pod, namespace, { labelSelector }, ctx.signal);
    if (pods.length === 0) return;
    if (Date.now() > deadline) {
      ctx.logger.warn(
        `router pods for ${namespace}/${service} still there after ${drainWaitMs / 1000} s (${pods.map((p) => p.metadata.name).join(', ')}); removing the origin Service anyway`,
      );
      return;
    }
    ctx.report(`Waiting for the router of ${service} to drain (${pods.length} pod(s) terminating)`);
    await sleep(500, ctx.signal);
  }
}
