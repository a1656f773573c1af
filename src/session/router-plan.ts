// The router strategy's part of a plan: the shared router objects (created while the copy starts),
// then, once both are Ready, the session's route, a proof that the router reaches the original
// pods, and only then the switch of the Service's selector. NetworkPolicies that would drop the
// router's traffic refuse the plan before anything is written.
import type { ObjectApi } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import { ClusterError } from '../core/errors';
import type { Json, KubeObject, Service } from '../core/resources';
import type { OwnerRecord } from '../core/session/dev-workload';
import { SessionError } from '../core/session/errors';
import { annotations, originServiceName, routerName } from '../core/session/names';
import type { ObjRef, Step } from '../core/session/plan';
import { blockedTraffic, type NetworkPolicy, type PolicyPod } from '../routing/network-policy';
import { portProtocol, type RouterPort } from '../routing/nginx-config';
import {
  adminPortFor,
  originalSelectorOf,
  originService,
  routerConfigMap,
  routerDeployment,
  routerDisruptionBudget,
  routerImage,
  type RouterSpec,
} from '../routing/router';
import { routerPodLabels, selectors } from '../core/session/route-contract';

export interface RouterPlanInput {
  namespace: string;
  service: Service;
  deployment: KubeObject & { spec?: Json };
  /** The developer copy's pod labels. */
  copyLabels: Record<string, string>;
  session: string;
  routeKey: string;
  devService: string;
  image?: string;
  record: OwnerRecord;
}

const ref = (type: ObjRef['type'], namespace: string, name: string): ObjRef => ({ type, namespace, name });

/** The pod port each Service port targets: the router listens there, so named targetPorts still resolve. */
export function routerPorts(service: Service, deployment: KubeObject & { spec?: Json }): RouterPort[] {
  const containers: Json[] = deployment.spec?.template?.spec?.containers ?? [];
  const containerPorts: Json[] = containers.flatMap((c) => c.ports ?? []);
  const out: RouterPort[] = [];
  for (const p of service.spec?.ports ?? []) {
    if (p.protocol && p.protocol !== 'TCP') {
      throw new SessionError(
        'unsupported',
        `Service ${service.metadata.name} has a ${p.protocol} port (${p.name ?? p.port}); the Devlane router carries TCP only`,
        'Nothing was created. Use Istio routing for this Service, or take over a TCP-only Service.',
      );
    }
    const target = p.targetPort ?? p.port;
    const listen = typeof target === 'number' ? target : containerPorts.find((cp) => cp.name === target)?.containerPort;
    if (typeof listen !== 'number')
      throw new SessionError(
        'unsupported',
        `Service ${service.metadata.name} port ${p.name ?? p.port} targets "${target}", which no container of ${deployment.metadata.name} names`,
        'Nothing was created. Fix the Service or the Deployment.',
      );
    if (out.some((o) => o.listen === listen)) continue;
    const named =
      containerPorts.find((cp) => cp.containerPort === listen)?.name ??
      (typeof target === 'string' ? target : undefined);
    out.push({
      name: named,
      port: p.port,
      listen,
      protocol: portProtocol(p as { name?: string; appProtocol?: string; protocol?: string }),
    });
  }
  return out;
}

export async function routerSteps(
  api: ObjectApi,
  input: RouterPlanInput,
  signal: AbortSignal,
): Promise<{ setup: Step[]; route: Step[] }> {
  const { namespace: ns, session } = input;
  const svc = input.service.metadata.name;
  const ports = routerPorts(input.service, input.deployment);
  const spec: RouterSpec = { namespace: ns, service: svc, ports, adminPort: adminPortFor(ports), image: input.image };
  const deployment = routerDeployment(spec);
  await refuseBlockingPolicies(api, input, ports, deployment.spec.template.metadata.labels, signal);
  const cmRef = ref('configMap', ns, routerName(svc));
  const depRef = ref('deployment', ns, routerName(svc));
  const pdbRef = ref('podDisruptionBudget', ns, routerName(svc));
  const originRef = ref('service', ns, originServiceName(svc));
  const setup: Step[] = [
    {
      kind: 'create',
      ref: originRef,
      object: originService(spec, input.service, originalSelectorOf(input.service)),
      shared: true,
      summary: `Create Service ${originRef.name} with ${svc}'s original selector (un-keyed traffic goes there)`,
      undo: [],
    },
    {
      kind: 'create',
      ref: cmRef,
      object: routerConfigMap(spec),
      shared: true,
      summary: `Create ConfigMap ${cmRef.name}: the router's nginx configuration (unless another session made it)`,
      undo: [
        {
          kind: 'release-router',
          namespace: ns,
          service: svc,
          summary: `Put Service ${svc}'s selector back and remove its router, if no other session uses it`,
        },
      ],
    },
    {
      kind: 'create',
      ref: pdbRef,
      object: routerDisruptionBudget(spec, input.record),
      shared: true,
      summary: `Create PodDisruptionBudget ${pdbRef.name} (one router stays up through a node drain; owned by the session records that use the router)`,
      undo: [],
    },
    {
      kind: 'create',
      ref: depRef,
      object: deployment,
      shared: true,
      summary: `Create Deployment ${depRef.name} (nginx, 2 replicas${input.image && input.image !== routerImage ? `, image ${input.image}` : ''})`,
      undo: [],
    },
  ];
  const route: Step[] = [
    { kind: 'wait-ready', ref: depRef, summary: `Wait for the router to be Ready`, undo: [] },
    {
      kind: 'edit',
      ref: cmRef,
      edit: { kind: 'router.addRoute', session, routeKey: input.routeKey, service: svc, devService: input.devService },
      summary: `Route session ${session}'s key to ${input.devService} in the router`,
      undo: [
        {
          kind: 'edit',
          ref: cmRef,
          edit: { kind: 'router.removeRoute', session },
          summary: `Remove session ${session}'s route from the router`,
        },
      ],
    },
    {
      kind: 'verify-router',
      ref: depRef,
      service: svc,
      summary: `Check that un-keyed requests through the router reach ${svc}'s original pods`,
      undo: [],
    },
    {
      kind: 'edit',
      ref: ref('service', ns, svc),
      edit: { kind: 'service.switchSelector', selector: routerPodLabels(svc) },
      summary: `Point Service ${svc} at the router (original selector kept in annotation ${annotations.originalSelector})`,
      undo: [],
    },
  ];
  return { setup, route };
}

async function refuseBlockingPolicies(
  api: ObjectApi,
  input: RouterPlanInput,
  ports: RouterPort[],
  routerLabels: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const ns = input.namespace;
  if (!(await api.serves(apiTypes.networkPolicy, signal))) return;
  let policies: NetworkPolicy[];
  try {
    policies = await api.list<NetworkPolicy>(apiTypes.networkPolicy, ns, {}, signal);
  } catch (err) {
    if (!(err instanceof ClusterError && err.kind === 'forbidden')) throw err;
    throw new SessionError(
      'unsupported',
      `Cannot list NetworkPolicies in namespace ${ns}, so it is unknown whether they would drop the router's traffic`,
      'Nothing was created. Ask for "list networkpolicies.networking.k8s.io" in this namespace (the Devlane Role has it), or use Istio routing.',
    );
  }
  if (policies.length === 0) return;
  const namespaceLabels = { 'kubernetes.io/metadata.name': ns, ...(await namespaceLabelsOf(api, ns, signal)) };
  const pod = (what: string, labels: Record<string, string>): PolicyPod => ({
    what,
    labels,
    namespace: ns,
    namespaceLabels,
  });
  const router = pod('the router pods', routerLabels);
  const podPorts = ports.map((p) => ({ number: p.listen, ...(p.name ? { name: p.name } : {}) }));
  const problems = [
    ...blockedTraffic(policies, 'anyone', router, podPorts),
    ...blockedTraffic(
      policies,
      router,
      pod('the original pods', input.deployment.spec?.template?.metadata?.labels ?? {}),
      podPorts,
    ),
    ...blockedTraffic(policies, router, pod('the developer copy', input.copyLabels), podPorts),
  ];
  if (problems.length === 0) return;
  throw new SessionError(
    'unsupported',
    `NetworkPolicies would drop the router's traffic for Service ${ns}/${input.service.metadata.name}: ${[...new Set(problems)].join('; ')}`,
    `Nothing was created. Have the policies admit pods labelled ${selectors.routerPods(input.service.metadata.name)} (to and from the original pods and the copy, and from the Service's clients), or use Istio routing.`,
  );
}

async function namespaceLabelsOf(api: ObjectApi, ns: string, signal: AbortSignal): Promise<Record<string, string>> {
  try {
    return (await api.get(apiTypes.namespace, undefined, ns, signal)).metadata.labels ?? {};
  } catch (err) {
    // Reading namespaces is cluster-scoped and often not granted; the name label is always there.
    if (err instanceof ClusterError && err.kind === 'forbidden') return {};
    throw err;
  }
}
