// A Service's new selector takes effect only when the EndpointSlice controller has listed the
// pods it selects (and kube-proxy, or the mesh, has programmed them): until then requests still go
// to the pods of the old selector. A route is reported live, and a router is taken away, only once
// the Service's ready endpoints are exactly the pods its selector picks.
import type { ExecContext } from './exec-context';
import { apiTypes } from '../core/api-types';
import { sleep } from '../core/backoff';
import { ClusterError } from '../core/errors';
import type { KubeObject, Pod } from '../core/resources';
import { selectorString } from '../core/selectors';
import { selectors } from '../core/session/route-contract';

interface EndpointSlice extends KubeObject {
  endpoints?: { conditions?: { ready?: boolean | null }; targetRef?: { kind?: string; name?: string } }[];
}

const pollMs = 200;
const defaultTimeoutMs = 60_000;

/** The pods behind a Service's ready endpoints, as the EndpointSlice controller lists them. */
async function readyEndpointPods(ctx: ExecContext, namespace: string, service: string): Promise<Set<string>> {
  const slices = await ctx.api.list<EndpointSlice>(
    apiTypes.endpointSlice,
    namespace,
    { labelSelector: selectors.endpointSlices(service) },
    ctx.signal,
  );
  const pods = new Set<string>();
  for (const s of slices) {
    for (const e of s.endpoints ?? []) {
      // A missing condition means ready (discovery.k8s.io/v1).
      if (e.conditions?.ready !== false && e.targetRef?.kind === 'Pod' && e.targetRef.name) pods.add(e.targetRef.name);
    }
  }
  return pods;
}

/** Waits until the Service's ready endpoints are all pods `selector` picks, and at least one (unless none is Ready). */
export async function waitEndpointsFollow(
  ctx: ExecContext,
  namespace: string,
  service: string,
  selector: Record<string, string>,
  what: string,
  timeoutMs = defaultTimeoutMs,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;

  for (;;) {
    const [endpoints, selected] = await Promise.all([
      readyEndpointPods(ctx, namespace, service),
      ctx.api.list<Pod>(apiTypes.pod, namespace, { labelSelector: selectorString(selector) }, ctx.signal),
    ]);
    const names = new Set(selected.map((p) => p.metadata.name));
    const stray = [...endpoints].filter((e) => !names.has(e));
    const readyPods = selected.filter((p) =>
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    if (stray.length === 0 && (endpoints.size > 0 || readyPods.length === 0)) return;
    const last = endpoints.size === 0 ? 'it has no ready endpoints' : `it still sends to ${stray.join(', ')}`;
    if (Date.now() > deadline) {
      throw new ClusterError(
        'server',
        `Service ${namespace}/${service} did not follow its new selector within ${timeoutMs / 1000} s (${what}): ${last}`,
        `Check the EndpointSlices of the Service (kubectl get endpointslices -l ${selectors.endpointSlices(service)}) and that the selected pods are Ready.`,
      );
    }
    ctx.report(`Waiting for Service ${service} to send traffic ${what}`);
    await sleep(pollMs, ctx.signal);
  }
}
