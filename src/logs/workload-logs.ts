// "Stream Logs" for a pod or a whole workload: every container of every matching pod, merged into
// one sink with a `[pod/NAME/CONTAINER]` prefix. Pods are found through the pod informer, so pods
// that are replaced (a rollout, a deleted pod) are picked up as they appear.
import { ContainerLog, type LogSink } from './container-log';
import type { ClusterConnection, InformerLease } from '../cluster/api';
import { Disposable, toDisposable } from '../core/lifecycle';
import type { LabelSelector, Pod } from '../core/resources';
import { matchesLabelSelector } from '../core/selectors';

export interface LogTarget {
  namespace: string;
  /** One pod by name, or every pod a workload's selector matches. */
  pods: { name: string } | { selector: LabelSelector };
  /** Only this container; all containers when omitted. */
  container?: string;
  /** Lines of history per container for pods that exist when the stream starts. */
  tailLines?: number;
}

export class WorkloadLogs extends Disposable {
  private readonly followers = new Map<string, { pod: string; log: ContainerLog }>();
  private readonly pods: InformerLease<Pod>;
  private started = false;

  constructor(
    private readonly conn: ClusterConnection,
    private readonly target: LogTarget,
    private readonly sink: LogSink,
  ) {
    super();
    this.pods = this._register(conn.watch('Pod', target.namespace));
    this._register(this.pods.onDidChange(() => this.reconcile()));
    this._register(this.pods.onDidChangeStatus((s) => (s.phase === 'synced' ? this.reconcile() : undefined)));
    this._register(
      toDisposable(() => {
        for (const f of this.followers.values()) f.log.dispose();
        this.followers.clear();
      }),
    );
  }

  start(): void {
    if (this.pods.status.hasSynced) this.reconcile();
  }

  /** Keys (`pod/container`) being followed; for tests. */
  get following(): string[] {
    return [...this.followers.keys()].sort();
  }

  private matches(pod: Pod): boolean {
    const p = this.target.pods;
    return 'name' in p ? pod.metadata.name === p.name : matchesLabelSelector(p.selector, pod.metadata.labels);
  }

  private reconcile(): void {
    if (this.isDisposed) return;
    const initial = !this.started;
    this.started = true;
    const wanted = new Set<string>();
    for (const pod of this.pods.values()) {
      if (!this.matches(pod)) continue;
      for (const c of pod.spec?.containers ?? []) {
        if (this.target.container && c.name !== this.target.container) continue;
        const key = `${pod.metadata.name}/${c.name}`;
        wanted.add(key);
        const existing = this.followers.get(key);
        if (existing) {
          existing.log.poke();
          continue;
        }
        if (!initial) this.sink.notice(`following ${key}`);
        const podName = pod.metadata.name;
        const log = new ContainerLog(this.conn, this.sink, {
          namespace: this.target.namespace,
          source: { pod: podName, container: c.name },
          // A pod that appears later is new: show its log from the start, not a tail.
          tailLines: initial ? this.target.tailLines : undefined,
          status: () => this.pods.get(podName)?.status?.containerStatuses?.find((s) => s.name === c.name),
        });
        this.followers.set(key, { pod: podName, log });
        log.start();
      }
    }
    for (const [key, f] of [...this.followers]) {
      if (wanted.has(key)) continue;
      this.followers.delete(key);
      f.log.dispose();
      this.sink.notice(`${key}: pod is gone`);
      this.sink.gone?.({ pod: f.pod, container: key.slice(f.pod.length + 1) });
    }
    if (initial && wanted.size === 0) this.sink.notice('no pods match yet; waiting for some to appear');
  }
}
