// Small facts the controllers share: pod readiness and availability, controller references,
// int-or-percent values, all as k8s.io/kubernetes/pkg/controller and apimachinery define them.

import type { KObject, OwnerReference } from '../core/types';

export function isPodActive(p: KObject): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata.deletionTimestamp;
}

function readyCondition(p: KObject): { status?: string; lastTransitionTime?: string } | undefined {
  return (p.status?.conditions ?? []).find((c: { type?: string }) => c.type === 'Ready');
}

export function isPodReady(p: KObject): boolean {
  return readyCondition(p)?.status === 'True';
}

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export function isPodAvailable(p: KObject, minReadySeconds: number, now = Date.now()): boolean {
  const c = readyCondition(p);
  if (c?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

/** Milliseconds until a ready pod becomes available, or undefined when it never will by waiting. */
export function msUntilAvailable(p: KObject, minReadySeconds: number, now = Date.now()): number | undefined {
  const c = readyCondition(p);
  if (c?.status !== 'True' || minReadySeconds <= 0 || !c.lastTransitionTime) return undefined;
  const left = Date.parse(c.lastTransitionTime) + minReadySeconds * 1000 - now;
  return left > 0 ? left : undefined;
}

export function controllerRef(o: KObject): OwnerReference | undefined {
  return (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}

export function ownerRefTo(owner: KObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** intstr.GetScaledValueFromIntOrPercent: "25%" of total, rounded up or down; an int as is. */
export function scaledValue(
  v: number | string | undefined,
  total: number,
  roundUp: boolean,
  dflt: number | string,
): number {
  const x = v ?? dflt;
  if (typeof x === 'number') return x;
  const m = /^(\d+)%$/.exec(x);
  if (!m) {
    const n = Number(x);
    if (Number.isInteger(n)) return n;
    throw new Error(`invalid value for IntOrString: invalid value "${x}": must be an integer or percentage (e.g '5%')`);
  }
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Stable JSON (sorted keys), so equal objects give equal strings whatever their key order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
