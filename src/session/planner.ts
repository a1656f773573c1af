// Computes the plan for taking over one Service in a session: the developer copy, its Service,
// and the route (Istio or the Devlane router), each step with its inverse. Reads only; nothing is
// written here.
import { accessFor } from './access';
import { findDeployment } from './target';
import type { ObjectApi } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import { ClusterError } from '../core/errors';
import type { Json, KubeObject, Pod, Service } from '../core/resources';
import { buildDevWorkload, mainContainerIndex, type OwnerRecord } from '../core/session/dev-workload';
import { defaultBranchLimitMb, type DataBranchRequest } from '../core/data/branch';
import { hasDataBranch, planDataBranch } from './data-branch';
import type { DebugConfig, ServiceSync } from '../core/sync/config';
import { SessionError } from '../core/session/errors';
import { devServiceName, recordName, virtualServiceName } from '../core/session/names';
import type { ObjRef, Plan, Step, StrategyName, Undo } from '../core/session/plan';
import { findHttpRoutes, type HttpRoute } from '../routing/gateway-api';
import { findVirtualService, newVirtualService } from '../routing/istio';
import { originalSelectorOf } from '../routing/router';
import { routerSteps } from './router-plan';
export { routerPorts } from './router-plan';
import { selectorString } from '../core/selectors';
import { baggageMember, labels, routeHeader } from '../core/session/route-contract';

export interface PlanInput {
  context: string;
  namespace: string;
  service: string;
  session: string;
  routeKey: string;
  image?: string;
  /** Force a routing strategy instead of choosing one. */
  strategy?: StrategyName;
  rwoAsEmptyDir?: boolean;
  routerImage?: string;
  /** uid of the session record, when it exists already; a placeholder otherwise (replaced at apply). */
  recordUid?: string;
  /** The service's sync mapping (.vscode/devlane.json): the copy runs under the restart supervisor. */
  sync?: ServiceSync;
  debug?: DebugConfig;
  /** Start (or share) the session's data branch and point the copy's database at it. */
  data?: DataBranchRequest;
}

export const pendingUid = '00000000-0000-4000-8000-000000000000';

export interface StrategyChoice {
  strategy: StrategyName;
  reason: string;
}

/** Why a forced strategy was used: the CLI's --strategy or the editor's setting, so neither is named. */
const askedFor = 'asked for, not chosen automatically';

/**
 * Istio when its VirtualService API is served and the namespace (or the pods) are in the mesh;
 * otherwise the router. Gateway API only when forced: its HTTPRoutes route what enters through a
 * Gateway, not the calls between services, so it is never a safe automatic choice.
 */
export async function chooseStrategy(
  api: ObjectApi,
  namespace: string,
  pods: Pod[],
  forced: StrategyName | undefined,
  signal: AbortSignal,
): Promise<StrategyChoice> {
  const istioServed = await api.serves(apiTypes.virtualService, signal);
  if (forced) {
    if (forced === 'gateway-api') {
      if (!(await api.serves(apiTypes.httpRoute, signal)))
        throw new SessionError(
          'unsupported',
          'Gateway API routing was asked for, but this cluster does not serve gateway.networking.k8s.io HTTPRoutes',
          'Nothing was created. Use the "istio" or "router" strategy, or leave it on automatic.',
        );
      return { strategy: forced, reason: askedFor };
    }
    if (forced === 'istio' && !istioServed)
      throw new SessionError(
        'unsupported',
        'Istio routing was asked for, but this cluster does not serve networking.istio.io VirtualServices',
        'Nothing was created. Use the "router" strategy, or leave it on automatic.',
      );
    return { strategy: forced, reason: askedFor };
  }
  if (!istioServed) return { strategy: 'router', reason: 'no Istio VirtualService API in this cluster' };
  let nsLabels: Record<string, string> | undefined;
  try {
    nsLabels = (await api.get(apiTypes.namespace, undefined, namespace, signal)).metadata.labels ?? {};
  } catch (err) {
    // Reading namespaces is cluster-scoped and often not granted; the pods tell too.
    if (!(err instanceof ClusterError && err.kind === 'forbidden')) throw err;
  }
  // The pods decide: a namespace labelled for injection whose pods have no sidecar (no istiod, or
  // the injector failed) routes nothing through a VirtualService, so it gets the router.
  const labelled = nsLabels?.['istio-injection'] === 'enabled' || !!nsLabels?.['istio.io/rev'];
  const sidecar = pods.some(
    (p) =>
      p.metadata.labels?.['security.istio.io/tlsMode'] === 'istio' ||
      (p.metadata as { annotations?: Record<string, string> }).annotations?.['sidecar.istio.io/status'],
  );
  if (sidecar) return { strategy: 'istio', reason: 'the pods have Istio sidecars' };
  if (labelled && pods.length === 0)
    return {
      strategy: 'istio',
      reason: `namespace ${namespace} is in the Istio mesh (no pods yet to check for sidecars)`,
    };
  if (labelled)
    return {
      strategy: 'router',
      reason: `namespace ${namespace} is labelled for Istio injection, but its pods have no sidecar, so a VirtualService would route nothing`,
    };
  return { strategy: 'router', reason: `namespace ${namespace} is not in the Istio mesh` };
}

const ref = (type: ObjRef['type'], namespace: string, name: string): ObjRef => ({ type, namespace, name });

export async function buildPlan(api: ObjectApi, input: PlanInput, signal: AbortSignal): Promise<Plan> {
  const { namespace: ns, session } = input;
  const service = await api.tryGet<Service>(apiTypes.service, ns, input.service, signal);
  if (!service)
    throw new SessionError(
      'not-found',
      `Service ${ns}/${input.service} does not exist`,
      'Nothing was created. Check the name and the namespace.',
    );
  const [services, deployment] = await Promise.all([
    api.list<Service>(apiTypes.service, ns, {}, signal),
    findDeployment(api, service, signal),
  ]);
  const claims: string[] = (deployment.spec?.template?.spec?.volumes ?? [])
    .map((v: Json) => v.persistentVolumeClaim?.claimName)
    .filter(Boolean);
  const pvcs = await Promise.all(
    claims.map(async (name) => ({
      name,
      accessModes: ((await api.tryGet<KubeObject & { spec?: Json }>(apiTypes.pvc, ns, name, signal))?.spec
        ?.accessModes ?? []) as string[],
    })),
  );
  const record: OwnerRecord = { name: recordName(session), uid: input.recordUid ?? pendingUid };
  // Asked for, or the session has one: a copy of the same database joins the session's branch.
  const branch =
    input.data || (input.recordUid && (await hasDataBranch(api, ns, session, signal)))
      ? await planBranchFor(api, input, deployment, service, record, signal)
      : undefined;
  // Services Devlane made itself (dev Services, origins) are not "original" selectors to avoid.
  const originals = services.filter((s) => !s.metadata.labels?.[labels.role]);
  const dev = buildDevWorkload({
    deployment,
    service,
    services: originals,
    session,
    record,
    image: input.image,
    pvcs,
    rwoAsEmptyDir: input.rwoAsEmptyDir,
    sync: input.sync,
    debug: input.debug,
    dataBranch: branch?.source,
  });
  const pods = await api.list<Pod>(
    apiTypes.pod,
    ns,
    { labelSelector: selectorString(originalSelectorOf(service)) },
    signal,
  );
  const choice = await chooseStrategy(api, ns, pods, input.strategy, signal);

  const devSvcName = devServiceName(service.metadata.name, session);
  const devRef = ref('deployment', ns, dev.deployment.metadata.name);
  const copySteps: Step[] = [
    {
      kind: 'create',
      ref: ref('service', ns, devSvcName),
      object: dev.service,
      summary: `Create Service ${devSvcName} for the developer copy`,
      undo: [{ kind: 'delete', ref: ref('service', ns, devSvcName), summary: `Delete Service ${devSvcName}` }],
    },
    {
      kind: 'create',
      ref: devRef,
      object: dev.deployment,
      summary: `Create Deployment ${devRef.name}: a copy of ${deployment.metadata.name} (1 replica, no liveness probe, DEVLANE_SESSION=${session}${input.image ? `, image ${input.image}` : ''}${dev.debug ? `, ${dev.debug.runtime} debugger on 127.0.0.1:${dev.debug.port} in the pod` : ''}${input.sync ? `, ${input.sync.remotePath} synced` : ''})`,
      undo: [{ kind: 'delete', ref: devRef, summary: `Delete Deployment ${devRef.name}` }],
    },
  ];
  const waitCopy: Step = { kind: 'wait-ready', ref: devRef, summary: `Wait for ${devRef.name} to be Ready`, undo: [] };
  // The branch is seeded before the copy starts, so the copy's first connection finds its data.
  const steps: Step[] = [...(branch?.steps ?? []), ...copySteps];
  let route: Plan['route'];
  // Istio and Gateway API route to the copy's Service once the copy is Ready: those edits are live
  // the moment they are written.
  const routeAfterCopy = (routing: Step[]) => {
    steps.push(waitCopy);
    route = { from: steps.length, to: steps.length + routing.length };
    steps.push(...routing);
  };
  if (choice.strategy === 'istio')
    routeAfterCopy(await istioSteps(api, ns, service.metadata.name, session, input.routeKey, devSvcName, signal));
  else if (choice.strategy === 'gateway-api')
    routeAfterCopy(await gatewaySteps(api, ns, service.metadata.name, session, input.routeKey, devSvcName, signal));
  else {
    const copyLabels: Record<string, string> = dev.deployment.spec?.template?.metadata?.labels ?? {};
    const router = await routerSteps(
      api,
      {
        namespace: ns,
        service,
        deployment,
        copyLabels,
        session,
        routeKey: input.routeKey,
        devService: devSvcName,
        image: input.routerImage,
        record,
      },
      signal,
    );
    // The router comes up while the copy does. In a new session the route is made then too:
    // nobody holds the new route key before the start returns, so routing it to a copy not Ready
    // yet reaches no one, and un-keyed requests go through the router to the original pods,
    // checked before the Service is pointed at it. In a session that exists, the key is in use:
    // its requests keep reaching the original until the copy is Ready.
    steps.push(...router.setup);
    const keyInUse = input.recordUid !== undefined;
    if (keyInUse) steps.push(waitCopy);
    route = { from: steps.length, to: steps.length + router.route.length };
    steps.push(...router.route);
    if (!keyInUse) steps.push(waitCopy);
  }

  return {
    context: input.context,
    namespace: ns,
    session,
    service: service.metadata.name,
    strategy: choice.strategy,
    strategyReason: choice.reason,
    steps,
    route: route!,
    access: accessFor(ns, steps, { pvcs: pvcs.length > 0 }),
    warnings: dev.warnings,
    ...(branch ? { dataBranch: branch.info } : {}),
    fromWorkspace: input.sync && {
      devImage: input.sync.devImage,
      run: input.sync.run,
      action: input.sync.action,
      command: input.sync.command,
      remotePath: input.sync.remotePath,
    },
  };
}

/** The data branch's steps, for the container the copy develops (the sync mapping's, else the Service's). */
function planBranchFor(
  api: ObjectApi,
  input: PlanInput,
  deployment: KubeObject & { spec?: Json },
  service: Service,
  record: OwnerRecord,
  signal: AbortSignal,
) {
  const containers: Json[] = deployment.spec?.template?.spec?.containers ?? [];
  const named = input.sync?.container && containers.find((c) => c.name === input.sync?.container);
  const container = named || containers[mainContainerIndex(containers, service)];
  if (!container)
    throw new SessionError(
      'unsupported',
      `Deployment ${input.namespace}/${deployment.metadata.name} has no containers`,
      'Nothing was created.',
    );
  return planDataBranch(
    api,
    {
      namespace: input.namespace,
      session: input.session,
      record,
      deployment,
      container,
      request: input.data ?? { limitMb: defaultBranchLimitMb },
      shareOnly: !input.data,
    },
    signal,
  );
}

async function istioSteps(
  api: ObjectApi,
  ns: string,
  service: string,
  session: string,
  routeKey: string,
  devService: string,
  signal: AbortSignal,
): Promise<Step[]> {
  const all = await api.list(apiTypes.virtualService, ns, {}, signal);
  const existing = findVirtualService(all, ns, service);
  const name = existing?.metadata.name ?? virtualServiceName(service);
  const vsRef = ref('virtualService', ns, name);
  const undo: Undo = {
    kind: 'edit',
    ref: vsRef,
    edit: { kind: 'istio.removeRoute', session },
    summary: `Remove session ${session}'s route from VirtualService ${name}`,
  };
  return [
    {
      kind: 'edit',
      ref: vsRef,
      edit: { kind: 'istio.addRoute', session, routeKey, service, devService },
      createIfAbsent: existing ? undefined : newVirtualService(ns, name, service),
      summary: existing
        ? `Prepend a route for session ${session} (header ${routeHeader} or baggage ${baggageMember('KEY')} → ${devService}) to VirtualService ${name}`
        : `Create VirtualService ${name} for ${service}: session ${session}'s key → ${devService}, everything else → ${service}`,
      undo: [undo],
    },
  ];
}

async function gatewaySteps(
  api: ObjectApi,
  ns: string,
  service: string,
  session: string,
  routeKey: string,
  devService: string,
  signal: AbortSignal,
): Promise<Step[]> {
  const routes = findHttpRoutes(await api.list<HttpRoute>(apiTypes.httpRoute, ns, {}, signal), ns, service);
  if (routes.length === 0) {
    throw new SessionError(
      'unsupported',
      `No HTTPRoute in namespace ${ns} sends traffic to Service ${service}`,
      'Nothing was created. The Gateway API strategy adds rules to the HTTPRoutes that route to the Service; use the "istio" or "router" strategy for traffic that does not pass a Gateway.',
    );
  }
  return routes.map((r) => {
    const rRef = ref('httpRoute', ns, r.metadata.name);
    return {
      kind: 'edit',
      ref: rRef,
      edit: { kind: 'gateway.addRoute', session, routeKey, service, devService },
      summary: `Add rules for session ${session} (header ${routeHeader} or baggage ${baggageMember('KEY')} → ${devService}) to HTTPRoute ${r.metadata.name}, next to each rule that routes to ${service}`,
      undo: [
        {
          kind: 'edit',
          ref: rRef,
          edit: { kind: 'gateway.removeRoute', session, routeKey },
          summary: `Remove session ${session}'s rules from HTTPRoute ${r.metadata.name}`,
        },
      ],
    } satisfies Step;
  });
}
