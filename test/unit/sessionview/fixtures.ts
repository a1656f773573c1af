// Session records, Leases and copies as the watches would hold them, for the sessionview tests.
import type { ConfigMapObject, LeaseResource, Workload } from '../../../src/core/resources';
import { devWorkloadName, leaseName } from '../../../src/core/session/names';
import { recordObject, type SessionState } from '../../../src/core/session/record';
import type { Hop, TraceResult } from '../../../src/doctor/verdict';

export const now = new Date('2030-01-01T12:00:00Z');
export const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();

export function record(
  name: string,
  o: {
    createdBy?: string;
    createdAgo?: number;
    participants?: string[];
    services?: { service: string; owner: string; state?: 'starting' | 'live' }[];
  } = {},
): ConfigMapObject {
  const createdBy = o.createdBy ?? 'alice';
  const state: SessionState = {
    name,
    namespace: 'shop',
    routeKey: `key-${name}-0123456789abcdefghij`,
    createdAt: ago(o.createdAgo ?? 600),
    createdBy,
    participants: (o.participants ?? [createdBy]).map((p) => ({ name: p, joinedAt: ago(o.createdAgo ?? 600) })),
    services: (o.services ?? []).map((s) => ({
      service: s.service,
      owner: s.owner,
      workload: `Deployment/${s.service}`,
      devService: devWorkloadName(s.service, name),
      strategy: 'router',
      state: s.state ?? 'live',
      undo: [],
    })),
  };
  const cm = recordObject(state);
  return { ...cm, metadata: { ...cm.metadata, uid: `uid-${name}`, resourceVersion: '1' } };
}

export function lease(session: string, participant: string, renewedAgo: number): LeaseResource {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: leaseName(session, participant), namespace: 'shop' },
    spec: { holderIdentity: participant, leaseDurationSeconds: 30, renewTime: ago(renewedAgo) },
  };
}

export function copy(service: string, session: string, ready: boolean): Workload {
  return {
    kind: 'Deployment',
    metadata: { name: devWorkloadName(service, session), namespace: 'shop' },
    status: { replicas: 1, readyReplicas: ready ? 1 : 0 },
  };
}

/** Stands in for the Lease observer: in these fixtures a Lease has stood still, as seen here, since its renewTime. */
export const stoodStill = (_name: string, l: LeaseResource | undefined): boolean =>
  !l || now.getTime() - Date.parse(l.spec?.renewTime ?? '') > 35_000;

/** A trace of session s1 (a copy of ratings) entering at web: every hop passes the key on, or catalog drops it. */
export function traceResult(catalogDrops: boolean): TraceResult {
  const hop = (service: string, from: string, key: boolean, copy = false): Hop => ({
    service,
    from,
    by: 'address',
    certainty: 'likely',
    key,
    copy,
    status: 200,
  });
  return {
    session: 's1',
    probe: '0123456789abcdef',
    entry: 'web',
    observed: ['web', 'catalog', 'ratings'],
    hops: [
      hop('web', 'probe', true),
      hop('catalog', 'web', true),
      hop('ratings', 'catalog', !catalogDrops, !catalogDrops),
    ],
    copies: [{ service: 'ratings', reached: !catalogDrops }],
    ok: !catalogDrops,
    ...(catalogDrops ? { dropped: { from: 'catalog', to: 'ratings', certainty: 'likely', by: 'address' } } : {}),
    sentence: catalogDrops
      ? 'catalog received the key but called ratings without it'
      : 'The probe reached the copy of ratings with the key: …',
  } as TraceResult;
}
