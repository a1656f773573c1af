// The sessions of one namespace as the views show them, computed from what the watches hold: the
// record ConfigMaps, the participants' Leases and the developer copies' Deployments. Pure: the same
// inputs always read the same, and tests pass the time in.
import { participantUser } from '../core/session/participant';
import type { ConfigMapObject, LeaseResource, Workload } from '../core/resources';
import { devWorkloadName, leaseName } from '../core/session/names';
import { labels } from '../core/session/route-contract';
import { readRecord, type SessionState } from '../core/session/record';
import { findLease, leaseDurationSeconds, leaseExpired } from '../session/lease';
import type { SessionRef } from './refs';

export interface ParticipantView {
  name: string;
  alive: boolean;
  me: boolean;
}

export interface ServiceView {
  service: string;
  owner: string;
  strategy: string;
  /** starting: being set up (or rolled back); live: routed. */
  state: 'starting' | 'live';
  devService: string;
  /** Whether the developer copy has a Ready replica; undefined when its Deployment is not known. */
  copyReady: boolean | undefined;
}

export interface SessionView extends SessionRef {
  routeKey: string;
  createdBy: string;
  createdAt: string;
  participants: ParticipantView[];
  services: ServiceView[];
  /** No participant's Lease is alive (past the settling time of a fresh session): anyone may clean it up. */
  orphaned: boolean;
  /** In a session that is not orphaned, the other participants whose Lease expired (past the
   *  settling time): Clean Up gives back what they took over, and the others stay. */
  departed: string[];
  /** The current user is a participant. */
  mine: boolean;
}

export interface SessionInputs {
  context: string;
  namespace: string;
  me: string;
  records: Iterable<ConfigMapObject>;
  leases: Iterable<LeaseResource>;
  deployments: Iterable<Workload>;
  now: Date;
  /** Whether the Lease `name` (undefined: missing) stood still for its duration, as this process saw it (session/lease-observer.ts). */
  expired: (name: string, lease: LeaseResource | undefined) => boolean;
}

export function isSessionRecord(cm: ConfigMapObject): boolean {
  return cm.metadata.labels?.[labels.role] === 'record' && !!cm.metadata.labels?.[labels.session];
}

/** A record that failed validation: the Sessions view shows it with its error and a Delete Record action. */
export interface UnreadableRecord {
  context: string;
  namespace: string;
  /** The ConfigMap's name. */
  record: string;
  uid?: string;
  error: string;
}

/** The records that fail validation, by name; nothing else uses them. */
export function unreadableRecords(i: Pick<SessionInputs, 'context' | 'namespace' | 'records'>): UnreadableRecord[] {
  const out: UnreadableRecord[] = [];
  for (const cm of i.records) {
    if (!isSessionRecord(cm) || cm.metadata.deletionTimestamp) continue;
    try {
      readRecord(cm);
    } catch (err) {
      out.push({
        context: i.context,
        namespace: i.namespace,
        record: cm.metadata.name,
        uid: cm.metadata.uid,
        error: (err as Error).message,
      });
    }
  }
  return out.sort((a, b) => a.record.localeCompare(b.record));
}

/** Every session in the namespace, by name. Records that fail validation are left out (see unreadableRecords). */
export function sessionViews(i: SessionInputs): SessionView[] {
  const leases = [...i.leases];
  const deployments = new Map([...i.deployments].map((d) => [d.metadata.name, d]));
  const out: SessionView[] = [];
  for (const cm of i.records) {
    if (!isSessionRecord(cm) || cm.metadata.deletionTimestamp) continue;
    let state: SessionState;
    try {
      state = readRecord(cm);
    } catch {
      continue;
    }
    const participants = state.participants.map((p) => ({
      name: p.name,
      alive: !i.expired(leaseName(state.name, p.name), findLease(leases, state.name, p.name)),
      me: p.name === i.me,
    }));
    const settling = Date.parse(state.createdAt) + (leaseDurationSeconds + 5) * 1000 > i.now.getTime();
    const services = state.services.map((s) => {
      const dep = deployments.get(devWorkloadName(s.service, state.name));
      return {
        service: s.service,
        owner: s.owner,
        strategy: s.strategy,
        state: s.state,
        devService: s.devService,
        copyReady: dep ? (dep.status?.readyReplicas ?? 0) > 0 : undefined,
      };
    });
    out.push({
      context: i.context,
      namespace: i.namespace,
      session: state.name,
      routeKey: state.routeKey,
      createdBy: state.createdBy,
      createdAt: state.createdAt,
      participants,
      services,
      orphaned: !settling && !participants.some((p) => p.alive),
      departed:
        settling || !participants.some((p) => p.alive)
          ? []
          : participants.filter((p) => !p.alive && !p.me).map((p) => p.name),
      mine: participants.some((p) => p.me),
    });
  }
  return out.sort((a, b) => a.session.localeCompare(b.session));
}

/** `45s`, `12m`, `3h`, `2d`: how long ago a session started. */
export function formatAge(sinceIso: string, now: Date): string {
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(sinceIso)) / 1000));
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** How the Clusters view names who holds a service: `alice in session alice-ratings`. */
export function holderText(view: SessionView, service: string): string | undefined {
  const s = view.services.find((x) => x.service === service);
  return s ? `${participantUser(s.owner)} in session ${view.session}` : undefined;
}

/** My own Lease in a session: ok, late (not renewed for a while) or lost (expired or gone). */
export function leaseHealth(
  lease: LeaseResource | undefined,
  now: Date,
  lateAfterSeconds = 15,
): 'ok' | 'late' | 'lost' {
  if (leaseExpired(lease, now)) return 'lost';
  const renew = Date.parse(lease?.spec?.renewTime ?? lease?.spec?.acquireTime ?? '');
  return renew + lateAfterSeconds * 1000 < now.getTime() ? 'late' : 'ok';
}
