// The Warning Events of a copy's pods (failed pulls, failed mounts, back-offs), for the user to
// see while the copy starts. One watch per pod, narrowed on the server to that pod's warnings, so
// a busy namespace's Events never cross the wire; each is reported once. A failed probe
// (Unhealthy) is what a normal start looks like until the program listens: it goes to the log
// only; a copy that never becomes Ready is reported by the wait, with the pod's state.
import type { ExecContext } from './exec-context';
import type { InformerLease } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import type { KubeObject } from '../core/resources';

export interface EventObject extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string };
}

export class PodWarnings {
  private readonly watches = new Map<string, InformerLease<EventObject>>();
  private readonly reported = new Set<string>();

  constructor(
    private readonly ctx: ExecContext,
    private readonly namespace: string,
  ) {}

  /** Watches exactly these pods from now on. */
  follow(pods: Iterable<string>): void {
    const wanted = new Set(pods);
    for (const [pod, watch] of this.watches) {
      if (wanted.has(pod)) continue;
      watch.dispose();
      this.watches.delete(pod);
    }
    for (const pod of wanted) {
      if (this.watches.has(pod)) continue;
      this.watches.set(
        pod,
        this.ctx.api.watchSelected<EventObject>(apiTypes.event, this.namespace, {
          fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${pod},type=Warning`,
        }),
      );
    }
  }

  /** Reports the warnings not reported yet. */
  reportNew(): void {
    for (const watch of this.watches.values()) {
      for (const e of watch.values()) {
        const key = e.metadata.uid ?? e.metadata.name;
        if (this.reported.has(key)) continue;
        this.reported.add(key);
        const text = `${e.involvedObject?.name}: ${e.reason}: ${e.message}`;
        if (e.reason === 'Unhealthy') this.ctx.logger.info(text);
        else this.ctx.report(text);
      }
    }
  }

  dispose(): void {
    for (const watch of this.watches.values()) watch.dispose();
    this.watches.clear();
  }
}
