// The ReplicaSet controller (pkg/controller/replicaset): claims the pods its selector picks
// (adopting orphans, releasing pods whose labels no longer match), creates or deletes pods to
// reach spec.replicas (deleting the least useful first), and reports status.

import { ApiError, type Api, type KObject } from '../core/types';
import { labelSelectorObjectMatches } from '../apiserver/selectors';
import type { Informer } from './informer';
import { WorkQueue, keyOf, splitKey, type SyncResult } from './queue';
import {
  controllerRef,
  errMessage,
  isPodActive,
  isPodAvailable,
  isPodReady,
  msUntilAvailable,
  ownerRefTo,
} from './util';

const COMPONENT = 'replicaset-controller';
const RS = 'replicasets.apps';

export class ReplicaSetController {
  readonly queue: WorkQueue;

  constructor(
    private readonly api: Api,
    private readonly replicaSets: Informer,
    private readonly pods: Informer,
    log: (m: string) => void,
  ) {
    this.queue = new WorkQueue('replicaset', (k) => this.sync(k), log);
    // An RS is synced on any change of itself (adoption of orphans happens in sync).
    replicaSets.on((_type, rs) => this.queue.add(keyOf(rs.metadata.namespace, rs.metadata.name!)));
    pods.on((_type, pod, old) => {
      for (const k of this.ownersToSync(pod)) this.queue.add(k);
      if (old) for (const k of this.ownersToSync(old)) this.queue.add(k); // labels or owner may have changed
    });
  }

  /** The ReplicaSets that care about this pod: its controller, or (an orphan) every RS whose selector picks it. */
  private ownersToSync(pod: KObject): string[] {
    const ref = controllerRef(pod);
    const ns = pod.metadata.namespace;
    if (ref) {
      if (ref.kind !== 'ReplicaSet') return [];
      const rs = this.replicaSets.get(ns, ref.name);
      return rs && rs.metadata.uid === ref.uid ? [keyOf(ns, ref.name)] : [];
    }
    return this.replicaSets
      .list(ns)
      .filter((rs) => labelSelectorObjectMatches(rs.spec?.selector, pod.metadata.labels))
      .map((rs) => keyOf(ns, rs.metadata.name!));
  }

  sync(key: string): SyncResult {
    const [ns, name] = splitKey(key);
    const rs = this.replicaSets.get(ns, name);
    if (!rs) return;
    const owned = this.claimPods(rs);
    const active = owned.filter(isPodActive);
    let failure: string | undefined;
    if (!rs.metadata.deletionTimestamp) failure = this.manageReplicas(rs, active);
    // Re-read: creations and deletions above changed the cache synchronously.
    const now = this.claimPods(rs, false).filter(isPodActive);
    return this.updateStatus(rs, now, failure);
  }

  /** ControllerRefManager.ClaimPods: owned pods that still match, plus adopted orphans; releases the rest. */
  private claimPods(rs: KObject, write = true): KObject[] {
    const out: KObject[] = [];
    const uid = rs.metadata.uid;
    for (const pod of this.pods.list(rs.metadata.namespace)) {
      const ref = controllerRef(pod);
      const matches = labelSelectorObjectMatches(rs.spec?.selector, pod.metadata.labels);
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches || !write) {
          if (matches) out.push(pod);
          continue;
        }
        if (rs.metadata.deletionTimestamp) continue;
        this.setOwner(pod, undefined); // release: the pod's labels no longer match
        continue;
      }
      if (!write || !matches || rs.metadata.deletionTimestamp || pod.metadata.deletionTimestamp) continue;
      const adopted = this.setOwner(pod, rs);
      if (adopted) out.push(adopted);
    }
    return out;
  }

  private setOwner(pod: KObject, rs: KObject | undefined): KObject | undefined {
    const refs = (pod.metadata.ownerReferences ?? []).filter((r) => !(rs ? false : r.controller));
    if (rs) refs.push(ownerRefTo(rs));
    const next: KObject = { ...pod, metadata: { ...pod.metadata, ownerReferences: refs } };
    if (refs.length === 0) delete next.metadata.ownerReferences;
    try {
      return this.api.update('pods', pod.metadata.namespace, next);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return undefined; // gone meanwhile: nothing to claim
      throw e;
    }
  }

  /** Returns a failure message for the ReplicaFailure condition, if creating pods failed. */
  private manageReplicas(rs: KObject, active: KObject[]): string | undefined {
    const want = rs.spec?.replicas ?? 1;
    const diff = active.length - want;
    const ns = rs.metadata.namespace;
    if (diff < 0) {
      for (let i = 0; i < -diff; i++) {
        try {
          const pod = this.api.create('pods', ns, podFromTemplate(rs));
          this.api.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, COMPONENT);
        } catch (e) {
          if (e instanceof ApiError && e.code === 409) throw e;
          const msg = errMessage(e);
          this.api.event(rs, 'Warning', 'FailedCreate', `Error creating: ${msg}`, COMPONENT);
          return msg;
        }
      }
    } else if (diff > 0) {
      for (const pod of [...active].sort(deletionOrder).slice(0, diff)) {
        try {
          this.api.delete('pods', ns, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
          this.api.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, COMPONENT);
        } catch (e) {
          if (e instanceof ApiError && e.code === 404) continue;
          this.api.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${errMessage(e)}`, COMPONENT);
          throw e;
        }
      }
    }
    return undefined;
  }

  private updateStatus(rs: KObject, active: KObject[], failure: string | undefined): SyncResult {
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const tplLabels: Record<string, string> = rs.spec?.template?.metadata?.labels ?? {};
    const status: Record<string, unknown> = {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) =>
        Object.entries(tplLabels).every(([k, v]) => p.metadata.labels?.[k] === v),
      ).length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: active.filter((p) => isPodAvailable(p, minReady)).length,
      observedGeneration: rs.metadata.generation ?? 1,
    };
    const conditions = (rs.status?.conditions ?? []).filter((c: { type: string }) => c.type !== 'ReplicaFailure');
    const prevFailure = (rs.status?.conditions ?? []).find((c: { type: string }) => c.type === 'ReplicaFailure');
    if (failure) {
      conditions.push(
        prevFailure?.message === failure
          ? prevFailure
          : {
              type: 'ReplicaFailure',
              status: 'True',
              reason: 'FailedCreate',
              message: failure,
              lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
            },
      );
    }
    if (conditions.length) status.conditions = conditions;
    if (JSON.stringify(statusView(rs.status)) !== JSON.stringify(statusView(status))) {
      this.api.update(RS, rs.metadata.namespace, { ...rs, status }, { subresource: 'status' });
    }
    // Pods that are ready but not yet available become available by waiting: look again then.
    const waits = active.map((p) => msUntilAvailable(p, minReady)).filter((x): x is number => x !== undefined);
    if (waits.length) return { requeueAfterMs: Math.min(...waits) + 10 };
    if (failure) return { requeueAfterMs: 5_000 };
    return undefined;
  }
}

function statusView(s: Record<string, unknown> | undefined): unknown {
  const o = s ?? {};
  return [
    o.replicas ?? 0,
    o.fullyLabeledReplicas ?? 0,
    o.readyReplicas ?? 0,
    o.availableReplicas ?? 0,
    o.observedGeneration ?? 0,
    o.conditions ?? [],
  ];
}

export function podFromTemplate(rs: KObject): KObject {
  const tpl = rs.spec?.template ?? {};
  const meta = tpl.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ownerReferences: [ownerRefTo(rs)],
    },
    spec: structuredClone(tpl.spec ?? {}),
  };
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** controller.ActivePods ordering: the pod to delete first sorts first. */
function deletionOrder(a: KObject, b: KObject): number {
  const assigned = (p: KObject) => (p.spec?.nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phase = (p: KObject) => PHASE_RANK[p.status?.phase ?? 'Pending'] ?? 0;
  if (phase(a) !== phase(b)) return phase(a) - phase(b);
  const ready = (p: KObject) => (isPodReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  const cost = (p: KObject) => Number(p.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost'] ?? 0) || 0;
  if (cost(a) !== cost(b)) return cost(a) - cost(b);
  const readySince = (p: KObject) =>
    Date.parse(
      (p.status?.conditions ?? []).find((c: { type: string }) => c.type === 'Ready')?.lastTransitionTime ?? '',
    ) || 0;
  if (ready(a) && readySince(a) !== readySince(b)) return readySince(b) - readySince(a); // ready for less time first
  const restarts = (p: KObject) =>
    (p.status?.containerStatuses ?? []).reduce(
      (n: number, c: { restartCount?: number }) => Math.max(n, c.restartCount ?? 0),
      0,
    );
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const created = (p: KObject) => Date.parse(p.metadata.creationTimestamp ?? '') || 0;
  return created(b) - created(a); // newer first
}
