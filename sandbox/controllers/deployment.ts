// The Deployment controller (pkg/controller/deployment): owns ReplicaSets named
// `<deployment>-<pod-template-hash>`, rolls out template changes (RollingUpdate with
// maxSurge/maxUnavailable, or Recreate), scales proportionally, keeps revisionHistoryLimit old
// ReplicaSets, and reports the status `kubectl rollout status` reads.

import { ApiError, type Api, type KObject } from '../core/types';
import { labelSelectorObjectMatches } from '../apiserver/selectors';
import type { Informer } from './informer';
import { WorkQueue, keyOf, splitKey, type SyncResult } from './queue';
import { controllerRef, isPodActive, ownerRefTo } from './util';
import {
  DESIRED_REPLICAS,
  HASH_LABEL,
  MAX_REPLICAS,
  calculateStatus,
  computeHash,
  equalIgnoreHash,
  getCondition,
  hasProgressDeadline,
  isComplete,
  isProgressing,
  isRollingUpdate,
  maxUnavailable,
  msUntilDeadline,
  newCondition,
  newRSNewReplicas,
  removeCondition,
  replicaSetAnnotations,
  replicaSetFraction,
  replicasOf,
  revisionOf,
  sameStatus,
  setCondition,
  specReplicas,
  maxSurge,
  REVISION,
  type DeploymentStatus,
} from './deployment-util';

const COMPONENT = 'deployment-controller';
const DEPLOY = 'deployments.apps';
const RS = 'replicasets.apps';

export class DeploymentController {
  readonly queue: WorkQueue;

  constructor(
    private readonly api: Api,
    private readonly deployments: Informer,
    private readonly replicaSets: Informer,
    private readonly pods: Informer,
    log: (m: string) => void,
  ) {
    this.queue = new WorkQueue('deployment', (k) => this.sync(k), log);
    deployments.on((_t, d) => this.queue.add(keyOf(d.metadata.namespace, d.metadata.name!)));
    replicaSets.on((_t, rs, old) => {
      for (const k of this.ownersOf(rs)) this.queue.add(k);
      if (old) for (const k of this.ownersOf(old)) this.queue.add(k);
    });
    // Recreate waits for old pods to be gone: a pod deletion may unblock it.
    pods.on((type, pod) => {
      if (type !== 'DELETED') return;
      const ref = controllerRef(pod);
      const rs = ref?.kind === 'ReplicaSet' ? replicaSets.get(pod.metadata.namespace, ref.name) : undefined;
      if (rs) for (const k of this.ownersOf(rs)) this.queue.add(k);
    });
  }

  private ownersOf(rs: KObject): string[] {
    const ns = rs.metadata.namespace;
    const ref = controllerRef(rs);
    if (ref) {
      if (ref.kind !== 'Deployment') return [];
      const d = this.deployments.get(ns, ref.name);
      return d && d.metadata.uid === ref.uid ? [keyOf(ns, ref.name)] : [];
    }
    return this.deployments
      .list(ns)
      .filter((d) => labelSelectorObjectMatches(d.spec?.selector, rs.metadata.labels))
      .map((d) => keyOf(ns, d.metadata.name!));
  }

  sync(key: string): SyncResult {
    const [ns, name] = splitKey(key);
    let d = this.deployments.get(ns, name);
    if (!d) return;
    const sel = d.spec?.selector ?? {};
    if (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
      this.api.event(
        d,
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
        COMPONENT,
      );
      if (d.status?.observedGeneration !== d.metadata.generation)
        this.writeStatus(d, { ...(d.status ?? {}), observedGeneration: d.metadata.generation });
      return;
    }
    const rsList = this.claimReplicaSets(d);
    if (d.metadata.deletionTimestamp) return this.syncStatusOnly(d, rsList);
    d = this.checkPausedConditions(d);
    if (d.spec?.paused) return this.scaleAndStatus(d, rsList, true);
    if (this.isScalingEvent(d, rsList)) return this.scaleAndStatus(d, rsList, false);
    return isRollingUpdate(d) ? this.rolloutRolling(d, rsList) : this.rolloutRecreate(d, rsList);
  }

  /** ClaimReplicaSets: owned ones that still match, adopted orphans; releases owned ones that no longer match. */
  private claimReplicaSets(d: KObject): KObject[] {
    const out: KObject[] = [];
    for (const rs of this.replicaSets.list(d.metadata.namespace)) {
      const ref = controllerRef(rs);
      const matches = labelSelectorObjectMatches(d.spec?.selector, rs.metadata.labels);
      if (ref) {
        if (ref.uid !== d.metadata.uid) continue;
        if (matches) out.push(rs);
        else if (!d.metadata.deletionTimestamp) this.setOwner(rs, undefined);
        continue;
      }
      if (!matches || d.metadata.deletionTimestamp || rs.metadata.deletionTimestamp) continue;
      const adopted = this.setOwner(rs, d);
      if (adopted) out.push(adopted);
    }
    return out;
  }

  private setOwner(rs: KObject, d: KObject | undefined): KObject | undefined {
    const refs = (rs.metadata.ownerReferences ?? []).filter((r) => (d ? true : !r.controller));
    if (d) refs.push(ownerRefTo(d));
    const next: KObject = { ...rs, metadata: { ...rs.metadata, ownerReferences: refs } };
    if (refs.length === 0) delete next.metadata.ownerReferences;
    try {
      return this.api.update(RS, rs.metadata.namespace, next);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
  }

  /** The current version of each ReplicaSet from the cache (writes above updated it synchronously). */
  private fresh(list: KObject[]): KObject[] {
    return list
      .map((rs) => this.replicaSets.get(rs.metadata.namespace, rs.metadata.name!))
      .filter((x): x is KObject => !!x && !x.metadata.deletionTimestamp);
  }

  private findNewReplicaSet(d: KObject, rsList: KObject[]): KObject | undefined {
    const byName = rsList.find(
      (rs) => rs.metadata.name === `${d.metadata.name}-${computeHash(d.spec?.template, d.status?.collisionCount)}`,
    );
    if (byName) return byName;
    const same = rsList.filter((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
    same.sort(
      (a, b) =>
        (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
        a.metadata.name!.localeCompare(b.metadata.name!),
    );
    return same[0];
  }

  /** getAllReplicaSetsAndSyncRevision: the new RS (created when asked and missing) and the old ones. */
  private replicaSetsAndRevision(
    d: KObject,
    rsList: KObject[],
    create: boolean,
  ): { d: KObject; newRS?: KObject; oldRSs: KObject[] } {
    const existing = this.findNewReplicaSet(d, rsList);
    const oldRSs = rsList.filter((rs) => rs !== existing);
    const revision = Math.max(0, ...oldRSs.map(revisionOf)) + 1;
    let newRS = existing;
    const status: DeploymentStatus = structuredClone(d.status ?? {});
    if (existing) {
      const annotations = replicaSetAnnotations(d, existing, revision, false);
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (
        JSON.stringify(annotations) !== JSON.stringify(existing.metadata.annotations ?? {}) ||
        (existing.spec?.minReadySeconds ?? 0) !== minReady
      ) {
        newRS = this.api.update(RS, existing.metadata.namespace, {
          ...existing,
          metadata: { ...existing.metadata, annotations },
          spec: { ...existing.spec, minReadySeconds: minReady },
        });
      }
      if (!getCondition(status, 'Progressing') && hasProgressDeadline(d)) {
        setCondition(
          status,
          newCondition(
            'Progressing',
            'True',
            'FoundNewReplicaSet',
            `Found new replica set "${existing.metadata.name}"`,
          ),
        );
        d = this.writeStatus(d, status);
      }
    } else if (create) {
      newRS = this.createNewReplicaSet(d, rsList, revision);
      if (!newRS) return { d, oldRSs };
      if (hasProgressDeadline(d)) {
        const s: DeploymentStatus = structuredClone(d.status ?? {});
        removeCondition(s, 'Progressing');
        setCondition(
          s,
          newCondition(
            'Progressing',
            'True',
            'NewReplicaSetCreated',
            `Created new replica set "${newRS.metadata.name}"`,
          ),
        );
        d = this.writeStatus(d, s);
      }
    }
    if (newRS) d = this.setDeploymentRevision(d, newRS.metadata.annotations?.[REVISION]);
    return { d, newRS, oldRSs };
  }

  private createNewReplicaSet(d: KObject, rsList: KObject[], revision: number): KObject | undefined {
    const hash = computeHash(d.spec?.template, d.status?.collisionCount);
    const template = structuredClone(d.spec?.template ?? {});
    template.metadata = {
      ...(template.metadata ?? {}),
      labels: { ...(template.metadata?.labels ?? {}), [HASH_LABEL]: hash },
    };
    const selector = structuredClone(d.spec?.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [HASH_LABEL]: hash };
    const name = `${d.metadata.name}-${hash}`;
    const replicas = newRSNewReplicas(d, rsList, undefined);
    const rs: KObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: d.metadata.namespace,
        labels: { ...template.metadata.labels },
        annotations: replicaSetAnnotations(d, undefined, revision, true),
        ownerReferences: [ownerRefTo(d)],
      },
      spec: { replicas, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    try {
      const created = this.api.create(RS, d.metadata.namespace, rs);
      if (replicas > 0)
        this.api.event(
          d,
          'Normal',
          'ScalingReplicaSet',
          `Scaled up replica set ${name} from 0 to ${replicas}`,
          COMPONENT,
        );
      return created;
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
      // AlreadyExists: ours with this template is the new one; anything else is a hash collision.
      const other = this.replicaSets.get(d.metadata.namespace, name);
      if (other && controllerRef(other)?.uid === d.metadata.uid && other.metadata.labels?.[HASH_LABEL] === hash)
        return other;
      const s: DeploymentStatus = structuredClone(d.status ?? {});
      s.collisionCount = (s.collisionCount ?? 0) + 1;
      this.writeStatus(d, s);
      throw new ApiError(
        409,
        'Conflict',
        `hash collision for ReplicaSet "${name}"; collisionCount is now ${s.collisionCount}`,
      );
    }
  }

  private setDeploymentRevision(d: KObject, revision: string | undefined): KObject {
    if (!revision || d.metadata.annotations?.[REVISION] === revision) return d;
    return this.api.update(DEPLOY, d.metadata.namespace, {
      ...d,
      metadata: { ...d.metadata, annotations: { ...(d.metadata.annotations ?? {}), [REVISION]: revision } },
    });
  }

  private writeStatus(d: KObject, status: DeploymentStatus): KObject {
    return this.api.update(DEPLOY, d.metadata.namespace, { ...d, status }, { subresource: 'status' });
  }

  private checkPausedConditions(d: KObject): KObject {
    if (!hasProgressDeadline(d)) return d;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === 'ProgressDeadlineExceeded') return d;
    const paused = !!d.spec?.paused;
    const s: DeploymentStatus = structuredClone(d.status ?? {});
    if (paused && cond?.reason !== 'DeploymentPaused') {
      setCondition(s, newCondition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused'));
    } else if (!paused && cond?.reason === 'DeploymentPaused') {
      setCondition(s, newCondition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed'));
    } else return d;
    return this.writeStatus(d, s);
  }

  /** isScalingEvent: an active ReplicaSet was sized for a different spec.replicas. */
  private isScalingEvent(d: KObject, rsList: KObject[]): boolean {
    for (const rs of rsList.filter((x) => specReplicas(x) > 0)) {
      const desired = rs.metadata.annotations?.[DESIRED_REPLICAS];
      if (desired !== undefined && Number(desired) !== replicasOf(d)) return true;
    }
    return false;
  }

  /** sync: scaling (and, when paused, history cleanup) without rolling anything out. */
  private scaleAndStatus(d0: KObject, rsList: KObject[], paused: boolean): SyncResult {
    const { d, newRS, oldRSs } = this.replicaSetsAndRevision(d0, rsList, false);
    this.scale(d, newRS, oldRSs);
    const fresh = this.fresh(rsList);
    const freshNew = newRS && this.replicaSets.get(newRS.metadata.namespace, newRS.metadata.name!);
    if (paused)
      this.cleanup(
        d,
        fresh.filter((rs) => rs.metadata.name !== newRS?.metadata.name),
      );
    const status = calculateStatus(d, fresh, freshNew);
    if (!sameStatus(status, d.status)) this.writeStatus(d, status);
    return undefined;
  }

  private syncStatusOnly(d: KObject, rsList: KObject[]): SyncResult {
    const newRS = this.findNewReplicaSet(d, rsList);
    const status = calculateStatus(d, rsList, newRS);
    if (!sameStatus(status, d.status)) this.writeStatus(d, status);
    return undefined;
  }

  /** scale: the one active (or latest) RS takes all replicas; otherwise replicas are spread proportionally. */
  private scale(d: KObject, newRS: KObject | undefined, oldRSs: KObject[]): void {
    const all = [...(newRS ? [newRS] : []), ...oldRSs];
    const active = all.filter((rs) => specReplicas(rs) > 0);
    let target: KObject | undefined;
    if (active.length === 1) target = active[0];
    else if (active.length === 0) target = newRS ?? [...oldRSs].sort(newestFirst)[0];
    if (target) {
      this.scaleReplicaSet(target, replicasOf(d), d);
      return;
    }
    if (
      newRS &&
      specReplicas(newRS) === replicasOf(d) &&
      Number(newRS.metadata.annotations?.[DESIRED_REPLICAS]) === replicasOf(d) &&
      (newRS.status?.availableReplicas ?? 0) === replicasOf(d)
    ) {
      for (const rs of oldRSs) this.scaleReplicaSet(rs, 0, d);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const total = active.reduce((n, rs) => n + specReplicas(rs), 0);
    const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
    const toAdd = allowed - total;
    const sorted = [...active].sort(
      (a, b) => specReplicas(b) - specReplicas(a) || (toAdd > 0 ? newestFirst(a, b) : -newestFirst(a, b)),
    );
    const sizes = new Map<string, number>();
    let added = 0;
    for (const rs of sorted) {
      let p = 0;
      if (toAdd !== 0 && toAdd !== added) {
        const f = replicaSetFraction(rs, d);
        p = toAdd > 0 ? Math.min(f, toAdd - added) : Math.max(f, toAdd - added);
      }
      sizes.set(rs.metadata.name!, specReplicas(rs) + p);
      added += p;
    }
    if (sorted.length && added !== toAdd) {
      const first = sorted[0].metadata.name!;
      sizes.set(first, Math.max(0, sizes.get(first)! + toAdd - added));
    }
    for (const rs of sorted) this.scaleReplicaSet(rs, sizes.get(rs.metadata.name!)!, d);
  }

  /** scaleReplicaSetAndRecordEvent: sets replicas and the desired/max annotations. Returns whether the size changed. */
  private scaleReplicaSet(rs0: KObject, replicas: number, d: KObject): boolean {
    const rs = this.replicaSets.get(rs0.metadata.namespace, rs0.metadata.name!) ?? rs0;
    const from = specReplicas(rs);
    const a = rs.metadata.annotations ?? {};
    const desired = String(replicasOf(d));
    const max = String(replicasOf(d) + maxSurge(d));
    if (from === replicas && a[DESIRED_REPLICAS] === desired && a[MAX_REPLICAS] === max) return false;
    this.api.update(RS, rs.metadata.namespace, {
      ...rs,
      metadata: { ...rs.metadata, annotations: { ...a, [DESIRED_REPLICAS]: desired, [MAX_REPLICAS]: max } },
      spec: { ...rs.spec, replicas },
    });
    if (from !== replicas) {
      const dir = replicas > from ? 'up' : 'down';
      this.api.event(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${dir} replica set ${rs.metadata.name} from ${from} to ${replicas}`,
        COMPONENT,
      );
    }
    return from !== replicas;
  }

  private rolloutRolling(d0: KObject, rsList: KObject[]): SyncResult {
    const { d, newRS, oldRSs } = this.replicaSetsAndRevision(d0, rsList, true);
    const all = () => this.fresh([...oldRSs, ...(newRS ? [newRS] : [])]);
    const cur = (rs: KObject | undefined) => rs && this.replicaSets.get(rs.metadata.namespace, rs.metadata.name!);
    let changed = false;
    if (newRS) changed = this.reconcileNewReplicaSet(d, all(), cur(newRS)!);
    if (!changed) changed = this.reconcileOldReplicaSets(d, all(), this.fresh(oldRSs), cur(newRS));
    if (!changed) {
      const status = calculateStatus(d, all(), cur(newRS));
      if (isComplete(d, status)) this.cleanup(d, this.fresh(oldRSs));
    }
    return this.syncRolloutStatus(d, all(), cur(newRS));
  }

  private reconcileNewReplicaSet(d: KObject, all: KObject[], newRS: KObject): boolean {
    const want = replicasOf(d);
    if (specReplicas(newRS) === want) return false;
    if (specReplicas(newRS) > want) return this.scaleReplicaSet(newRS, want, d);
    return this.scaleReplicaSet(newRS, newRSNewReplicas(d, all, newRS), d);
  }

  private reconcileOldReplicaSets(d: KObject, all: KObject[], oldRSs: KObject[], newRS: KObject | undefined): boolean {
    const oldCount = oldRSs.reduce((n, rs) => n + specReplicas(rs), 0);
    if (oldCount === 0) return false;
    const allCount = all.reduce((n, rs) => n + specReplicas(rs), 0);
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const newUnavailable = specReplicas(newRS) - (newRS?.status?.availableReplicas ?? 0);
    const maxScaledDown = allCount - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    // cleanupUnhealthyReplicas: old pods that are not available go first, within the budget.
    let cleaned = 0;
    for (const rs of [...oldRSs].sort(oldestFirst)) {
      if (cleaned >= maxScaledDown) break;
      const avail = rs.status?.availableReplicas ?? 0;
      if (specReplicas(rs) === 0 || specReplicas(rs) === avail) continue;
      const n = Math.min(maxScaledDown - cleaned, specReplicas(rs) - avail);
      this.scaleReplicaSet(rs, specReplicas(rs) - n, d);
      cleaned += n;
    }
    // scaleDownOldReplicaSetsForRollingUpdate: keep at least minAvailable available pods.
    const fresh = this.fresh(all);
    const freshOld = this.fresh(oldRSs);
    const availableNow = fresh.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
    let scaled = 0;
    if (availableNow > minAvailable) {
      const budget = availableNow - minAvailable;
      for (const rs of freshOld.sort(oldestFirst)) {
        if (scaled >= budget) break;
        if (specReplicas(rs) === 0) continue;
        const n = Math.min(specReplicas(rs), budget - scaled);
        this.scaleReplicaSet(rs, specReplicas(rs) - n, d);
        scaled += n;
      }
    }
    return cleaned + scaled > 0;
  }

  private rolloutRecreate(d0: KObject, rsList: KObject[]): SyncResult {
    let { d, newRS, oldRSs } = this.replicaSetsAndRevision(d0, rsList, false);
    const all = () => this.fresh([...oldRSs, ...(newRS ? [newRS] : [])]);
    const cur = () => newRS && this.replicaSets.get(newRS.metadata.namespace, newRS.metadata.name!);
    let scaledDown = false;
    for (const rs of oldRSs.filter((x) => specReplicas(x) > 0))
      scaledDown = this.scaleReplicaSet(rs, 0, d) || scaledDown;
    if (scaledDown) return this.syncRolloutStatus(d, all(), cur());
    if (this.oldPodsRunning(this.fresh(oldRSs))) return this.syncRolloutStatus(d, all(), cur());
    if (!newRS) {
      ({ d, newRS, oldRSs } = this.replicaSetsAndRevision(d, this.fresh(rsList), true));
    }
    if (newRS) this.scaleReplicaSet(newRS, replicasOf(d), d);
    const status = calculateStatus(d, all(), cur());
    if (isComplete(d, status)) this.cleanup(d, this.fresh(oldRSs));
    return this.syncRolloutStatus(d, all(), cur());
  }

  /** oldPodsRunning: any pod of an old ReplicaSet that has not finished (terminating ones included). */
  private oldPodsRunning(oldRSs: KObject[]): boolean {
    if (oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0)) return true;
    const uids = new Set(oldRSs.map((rs) => rs.metadata.uid));
    return (
      oldRSs.length > 0 &&
      this.pods
        .list(oldRSs[0].metadata.namespace)
        .some(
          (p) =>
            uids.has(controllerRef(p)?.uid) &&
            (isPodActive(p) ||
              (p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')),
        )
    );
  }

  /** cleanupDeployment: delete the oldest idle ReplicaSets beyond revisionHistoryLimit. */
  private cleanup(d: KObject, oldRSs: KObject[]): void {
    const limit = d.spec?.revisionHistoryLimit ?? 10;
    const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = alive.length - limit;
    if (diff <= 0) return;
    const sorted = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || oldestFirst(a, b));
    for (const rs of sorted.slice(0, diff)) {
      if (
        (rs.status?.replicas ?? 0) !== 0 ||
        specReplicas(rs) !== 0 ||
        (rs.metadata.generation ?? 1) > (rs.status?.observedGeneration ?? 0)
      )
        continue;
      try {
        this.api.delete(RS, rs.metadata.namespace, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid } });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
  }

  /** syncRolloutStatus: Available and Progressing as kube-controller-manager sets them. */
  private syncRolloutStatus(d0: KObject, all: KObject[], newRS: KObject | undefined): SyncResult {
    const d = this.deployments.get(d0.metadata.namespace, d0.metadata.name!) ?? d0;
    const s = calculateStatus(d, all, newRS);
    if (!hasProgressDeadline(d)) removeCondition(s, 'Progressing');
    const cur = getCondition(s, 'Progressing');
    const completeAlready = s.replicas === s.updatedReplicas && cur?.reason === 'NewReplicaSetAvailable';
    if (hasProgressDeadline(d) && !completeAlready) {
      const rsName = newRS?.metadata.name;
      if (isComplete(d, s)) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" has successfully progressed.`
          : 'Deployment has successfully progressed.';
        setCondition(s, newCondition('Progressing', 'True', 'NewReplicaSetAvailable', msg));
      } else if (isProgressing(d, s)) {
        const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : 'Deployment is progressing.';
        const c = newCondition('Progressing', 'True', 'ReplicaSetUpdated', msg);
        if (cur?.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
        removeCondition(s, 'Progressing');
        setCondition(s, c);
      } else if (
        cur &&
        cur.reason !== 'NewReplicaSetAvailable' &&
        (cur.reason === 'ProgressDeadlineExceeded' || (msUntilDeadline(d, s) ?? 1) <= 0)
      ) {
        const msg = rsName
          ? `ReplicaSet "${rsName}" has timed out progressing.`
          : 'Deployment has timed out progressing.';
        setCondition(s, newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', msg));
      }
    }
    const failure = all.map((rs) => getCondition(rs.status, 'ReplicaFailure')).find((c) => c?.status === 'True');
    if (failure) setCondition(s, { ...newCondition('ReplicaFailure', 'True', failure.reason, failure.message) });
    else removeCondition(s, 'ReplicaFailure');
    if (!sameStatus(s, d.status)) this.writeStatus(d, s);
    const left = msUntilDeadline(d, s);
    return left !== undefined ? { requeueAfterMs: Math.max(0, left) + 1000 } : undefined;
  }
}

const created = (rs: KObject) => rs.metadata.creationTimestamp ?? '';
function oldestFirst(a: KObject, b: KObject): number {
  return created(a).localeCompare(created(b)) || a.metadata.name!.localeCompare(b.metadata.name!);
}
function newestFirst(a: KObject, b: KObject): number {
  return -oldestFirst(a, b);
}
