// What the session panel reads from the cluster on its slow timer (only while it is visible): each
// developer copy's pods, and the recent Events about them. The copies' pods carry the session
// labels (`devlane.dev/session`, `devlane.dev/role=dev`, `devlane.dev/service`); Events are read
// per pod with an `involvedObject.name` field selector, which every API server serves.
import type { ObjectApi } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import type { KubeObject, Pod } from '../core/resources';
import { selectors } from '../core/session/route-contract';

export interface KubeEvent extends KubeObject {
  involvedObject?: { kind?: string; name?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  series?: { count?: number; lastObservedTime?: string };
}

export interface CopyObservation {
  pods: Pod[];
  events: KubeEvent[];
  /** Why the read failed (the rest of the panel still shows). */
  error?: string;
}

/** How many Events per copy the panel keeps. */
export const eventsPerCopy = 8;

export function eventTime(e: KubeEvent): number {
  return (
    Date.parse(
      e.series?.lastObservedTime ??
        e.lastTimestamp ??
        e.eventTime ??
        e.firstTimestamp ??
        e.metadata.creationTimestamp ??
        '',
    ) || 0
  );
}

/** Reads the pods and recent Events of each service's copy in one session. */
export async function observeCopies(
  api: ObjectApi,
  namespace: string,
  session: string,
  services: string[],
  signal: AbortSignal,
): Promise<Map<string, CopyObservation>> {
  const out = new Map<string, CopyObservation>();
  await Promise.all(
    services.map(async (service) => {
      try {
        const labelSelector = selectors.devPods(session, service);
        const pods = await api.list<Pod>(apiTypes.pod, namespace, { labelSelector }, signal);
        const lists = await Promise.all(
          pods
            .slice(0, 5)
            .map((p) =>
              api.list<KubeEvent>(
                apiTypes.event,
                namespace,
                { fieldSelector: `involvedObject.name=${p.metadata.name}` },
                signal,
              ),
            ),
        );
        const events = lists
          .flat()
          .sort((a, b) => eventTime(b) - eventTime(a))
          .slice(0, eventsPerCopy);
        out.set(service, { pods, events });
      } catch (err) {
        if (signal.aborted) throw err;
        out.set(service, { pods: [], events: [], error: (err as Error).message });
      }
    }),
  );
  return out;
}
