// Pure functions of the Deployment controller, after k8s.io/kubernetes/pkg/controller/deployment/util:
// the pod-template hash, surge/unavailable fenceposts, replica counts, status and conditions.

import type { KObject } from '../core/types';
import { nowIso, scaledValue, stableJson } from './util';

export const REVISION = 'deployment.kubernetes.io/revision';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const HASH_LABEL = 'pod-template-hash';

/** Deployment annotations that are not copied to its ReplicaSets (annotationsToSkip). */
const SKIPPED_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  'deployment.kubernetes.io/revision-history',
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

export const replicasOf = (o: KObject | undefined): number => (o ? (o.spec?.replicas ?? 1) : 0);
export const specReplicas = (rs: KObject | undefined): number => (rs ? (rs.spec?.replicas ?? 0) : 0);

/** FNV-1a 32-bit. */
function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** controller.ComputeHash: a hash of the pod template (and the collision count), encoded as rand.SafeEncodeString does. */
export function computeHash(template: unknown, collisionCount?: number): string {
  const digits = String(fnv32a(stableJson(template) + (collisionCount !== undefined ? `#${collisionCount}` : '')));
  return [...digits].map((c) => SAFE[c.charCodeAt(0) % SAFE.length]).join('');
}

/** Two pod templates are equal apart from the pod-template-hash label. */
export function equalIgnoreHash(a: unknown, b: unknown): boolean {
  const strip = (t: unknown) => {
    const c = structuredClone(t ?? {}) as { metadata?: { labels?: Record<string, string> } };
    if (c.metadata?.labels) {
      delete c.metadata.labels[HASH_LABEL];
      if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
    }
    return stableJson(c);
  };
  return strip(a) === strip(b);
}

export function isRollingUpdate(d: KObject): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** resolveFenceposts: maxSurge rounds up, maxUnavailable rounds down; both zero means one may be unavailable. */
export function fenceposts(d: KObject): { surge: number; unavailable: number } {
  const desired = replicasOf(d);
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const surge = scaledValue(ru.maxSurge, desired, true, '25%');
  let unavailable = scaledValue(ru.maxUnavailable, desired, false, '25%');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: KObject): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

export function maxUnavailable(d: KObject): number {
  const desired = replicasOf(d);
  if (!isRollingUpdate(d) || desired === 0) return 0;
  return Math.min(fenceposts(d).unavailable, desired);
}

/** NewRSNewReplicas: how big the new ReplicaSet may be now. */
export function newRSNewReplicas(d: KObject, allRSs: KObject[], newRS: KObject | undefined): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const desired = replicasOf(d);
  const current = allRSs.reduce((n, rs) => n + specReplicas(rs), 0);
  const maxTotal = desired + maxSurge(d);
  const now = specReplicas(newRS);
  if (current >= maxTotal) return now;
  return now + Math.min(maxTotal - current, desired - now);
}

export function revisionOf(rs: KObject): number {
  const v = Number(rs.metadata.annotations?.[REVISION] ?? '0');
  return Number.isFinite(v) ? v : 0;
}

/** The annotations a new ReplicaSet carries: the Deployment's (minus the skipped ones) and the revision. */
export function replicaSetAnnotations(
  d: KObject,
  rs: KObject | undefined,
  revision: number,
  withReplicas: boolean,
): Record<string, string> {
  const out: Record<string, string> = { ...(rs?.metadata.annotations ?? {}) };
  for (const [k, v] of Object.entries((d.metadata.annotations ?? {}) as Record<string, string>)) {
    if (!SKIPPED_ANNOTATIONS.has(k)) out[k] = v;
  }
  const old = rs ? revisionOf(rs) : 0;
  if (!rs || old < revision) out[REVISION] = String(revision);
  if (withReplicas) {
    out[DESIRED_REPLICAS] = String(replicasOf(d));
    out[MAX_REPLICAS] = String(replicasOf(d) + maxSurge(d));
  }
  return out;
}

export function getCondition(status: { conditions?: Condition[] } | undefined, type: string): Condition | undefined {
  return (status?.conditions ?? []).find((c) => c.type === type);
}

export function newCondition(type: string, status: Condition['status'], reason: string, message: string): Condition {
  const now = nowIso();
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/** SetDeploymentCondition: same status and reason keeps the old condition; same status keeps its transition time. */
export function setCondition(status: { conditions?: Condition[] }, c: Condition): void {
  const cur = getCondition(status, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  if (cur && cur.status === c.status) c.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((x) => x.type !== c.type), c];
}

export function removeCondition(status: { conditions?: Condition[] }, type: string): void {
  status.conditions = (status.conditions ?? []).filter((x) => x.type !== type);
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  collisionCount?: number;
  conditions?: Condition[];
}

/** calculateStatus. */
export function calculateStatus(d: KObject, allRSs: KObject[], newRS: KObject | undefined): DeploymentStatus {
  const sum = (f: (rs: KObject) => number) => allRSs.reduce((n, rs) => n + f(rs), 0);
  const available = sum((rs) => rs.status?.availableReplicas ?? 0);
  const total = sum(specReplicas);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 1,
    replicas: sum((rs) => rs.status?.replicas ?? 0),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sum((rs) => rs.status?.readyReplicas ?? 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
    conditions: structuredClone(d.status?.conditions ?? []),
  };
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(
      status,
      newCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'),
    );
  } else {
    setCondition(
      status,
      newCondition(
        'Available',
        'False',
        'MinimumReplicasUnavailable',
        'Deployment does not have minimum availability.',
      ),
    );
  }
  return status;
}

/** DeploymentComplete. */
export function isComplete(d: KObject, s: DeploymentStatus): boolean {
  const want = replicasOf(d);
  return (
    s.updatedReplicas === want &&
    s.replicas === want &&
    s.availableReplicas === want &&
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1)
  );
}

/** DeploymentProgressing: any progress since the stored status. */
export function isProgressing(d: KObject, s: DeploymentStatus): boolean {
  const o = (d.status ?? {}) as DeploymentStatus;
  const oldOld = (o.replicas ?? 0) - (o.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (o.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (o.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (o.availableReplicas ?? 0)
  );
}

export const MAX_INT32 = 2147483647;

export function progressDeadlineSeconds(d: KObject): number {
  return d.spec?.progressDeadlineSeconds ?? 600;
}

export function hasProgressDeadline(d: KObject): boolean {
  return progressDeadlineSeconds(d) !== MAX_INT32;
}

/** Milliseconds until the Progressing condition's deadline, or undefined when there is none to wait for. */
export function msUntilDeadline(d: KObject, s: DeploymentStatus, now = Date.now()): number | undefined {
  if (!hasProgressDeadline(d)) return undefined;
  const c = getCondition(s, 'Progressing');
  if (!c || c.status !== 'True' || c.reason === 'NewReplicaSetAvailable') return undefined;
  return Date.parse(c.lastUpdateTime) + progressDeadlineSeconds(d) * 1000 - now;
}

/** Compares two statuses as the controller's "needs update" check does (condition times included). */
export function sameStatus(a: unknown, b: unknown): boolean {
  return stableJson(a ?? {}) === stableJson(b ?? {});
}

/** getReplicaSetFraction (proportional scaling). */
export function replicaSetFraction(rs: KObject, d: KObject): number {
  if (replicasOf(d) === 0) return -specReplicas(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = Number(rs.metadata.annotations?.[MAX_REPLICAS]);
  const base = Number.isFinite(annotated) && annotated > 0 ? annotated : (d.status?.replicas ?? 0);
  if (!base) return 0;
  return Math.round((specReplicas(rs) * deploymentReplicas) / base) - specReplicas(rs);
}
