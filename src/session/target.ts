// Which workload a Service's traffic goes to: the Deployment behind its pods (pods owned by a
// ReplicaSet resolve to that ReplicaSet's Deployment). Other owners get a clear "not supported yet".
import type { ObjectApi } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import type { Json, KubeObject, Pod, Service } from '../core/resources';
import { SessionError } from '../core/session/errors';
import { labels } from '../core/session/route-contract';
import { matchesServiceSelector, selectorString } from '../core/selectors';
import { originalSelectorOf } from '../routing/router';

type Owned = KubeObject & { spec?: Json };

const controllerOf = (o: KubeObject) =>
  o.metadata.ownerReferences?.find((r) => r.controller) ?? o.metadata.ownerReferences?.[0];

export async function findDeployment(api: ObjectApi, service: Service, signal: AbortSignal): Promise<Owned> {
  const ns = service.metadata.namespace!;
  const name = service.metadata.name;
  // With the router in place the Service selects the router; the workload is behind the original selector.
  const selector = originalSelectorOf(service);
  if (Object.keys(selector).length === 0) {
    throw new SessionError(
      'unsupported',
      `Service ${ns}/${name} has no selector, so there is no workload behind it to copy`,
      'Nothing was created. Devlane takes over Services that select pods.',
    );
  }
  const pods = (await api.list<Pod>(apiTypes.pod, ns, { labelSelector: selectorString(selector) }, signal)).filter(
    (p) => !p.metadata.labels?.[labels.role] && !p.metadata.deletionTimestamp,
  );
  for (const pod of pods) {
    const owner = controllerOf(pod);
    if (!owner) {
      throw new SessionError(
        'unsupported',
        `Pod ${ns}/${pod.metadata.name} behind Service ${name} has no owner; copying bare pods is not supported yet`,
        'Nothing was created. Run it from a Deployment to develop it with Devlane.',
      );
    }
    if (owner.kind !== 'ReplicaSet') {
      throw new SessionError(
        'unsupported',
        `Service ${ns}/${name} sends traffic to pods of ${owner.kind} ${owner.name}; developing a ${owner.kind} is not supported yet`,
        'Nothing was created. Devlane copies Deployments for now.',
        { kind: owner.kind },
      );
    }
    const rs = await api.get<Owned>(apiTypes.replicaSet, ns, owner.name, signal);
    const dep = controllerOf(rs);
    if (dep?.kind !== 'Deployment') {
      throw new SessionError(
        'unsupported',
        `ReplicaSet ${ns}/${rs.metadata.name} behind Service ${name} is ${dep ? `owned by ${dep.kind} ${dep.name}` : 'not owned by a Deployment'}; that is not supported yet`,
        'Nothing was created. Devlane copies Deployments for now.',
        { kind: dep?.kind ?? 'ReplicaSet' },
      );
    }
    return api.get<Owned>(apiTypes.deployment, ns, dep.name, signal);
  }
  // No pods running: the Deployment whose pod template the selector matches.
  const deps = await api.list<Owned>(apiTypes.deployment, ns, {}, signal);
  const match = deps.find(
    (d) => !d.metadata.labels?.[labels.role] && matchesServiceSelector(selector, d.spec?.template?.metadata?.labels),
  );
  if (!match)
    throw new SessionError(
      'not-found',
      `No Deployment in ${ns} runs the pods of Service ${name} (selector ${selectorString(selector)})`,
      'Nothing was created. Check that the workload exists.',
    );
  return match;
}
