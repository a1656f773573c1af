// Follows one container's log for as long as its pod exists: reconnects when the stream ends
// (the container restarted, the connection dropped, the server closed an idle stream) and resumes
// at the last timestamp seen, dropping lines it already delivered.
import type { ClusterConnection } from '../cluster/api';
import { Backoff, sleep } from '../core/backoff';
import { classifyError } from '../core/errors';
import { Disposable, toDisposable } from '../core/lifecycle';
import { LineSplitter, type LogSource, splitTimestamp, timestampKey } from '../core/log-lines';
import type { ContainerStatus } from '../core/resources';

export interface LogSink {
  line(source: LogSource, text: string): void;
  /** Something Devlane itself has to say: reconnecting, restarted, pod gone. */
  notice(text: string): void;
  /** A container followed so far is gone with its pod (a sink that keeps per-container state drops it). */
  gone?(source: LogSource): void;
}

export interface ContainerLogOptions {
  namespace: string;
  source: LogSource;
  /** Lines of history on the first connection; undefined means the whole log. */
  tailLines?: number;
  /** The container's current status, read from the pod informer. */
  status: () => ContainerStatus | undefined;
}

export class ContainerLog extends Disposable {
  private readonly stop = new AbortController();
  private wake = new AbortController();
  private readonly backoff = new Backoff({ initialMs: 500, factor: 2, maxMs: 10_000, jitter: 0.2 });
  /** Resume point: the API server's timestamp of the last line delivered. */
  private lastTimestamp: string | undefined;
  private lastKey = '';
  private streamedInstance: string | undefined;

  constructor(
    private readonly conn: ClusterConnection,
    private readonly sink: LogSink,
    private readonly options: ContainerLogOptions,
  ) {
    super();
    this._register(toDisposable(() => this.stop.abort(new Error('log follow stopped'))));
  }

  start(): void {
    void this.run();
  }

  /** The pod changed: if we are waiting for the container, look again now. */
  poke(): void {
    this.wake.abort();
  }

  private async run(): Promise<void> {
    const { source } = this.options;
    const signal = this.stop.signal;
    let first = true;
    while (!signal.aborted) {
      const status = this.options.status();
      const instance = status?.containerID ?? `restart-${status?.restartCount ?? 0}`;
      // Stream a running container, or a finished one whose output we have not read yet.
      const readable =
        status?.state?.running !== undefined ||
        (status?.state?.terminated !== undefined && instance !== this.streamedInstance);
      if (!readable) {
        await this.waitForChange(60_000);
        continue;
      }
      if (this.streamedInstance !== undefined && instance !== this.streamedInstance) {
        this.sink.notice(
          `${source.pod}/${source.container} restarted (restart ${status?.restartCount ?? '?'}); following the new instance`,
        );
      }
      this.streamedInstance = instance;
      try {
        await this.follow(first);
        first = false;
      } catch (err) {
        if (signal.aborted) return;
        const e = classifyError(err, { action: `follow the log of ${source.pod}/${source.container}` });
        // The container may have gone between our check and the request; the pod update will tell.
        if (e.kind !== 'server' || !/ContainerCreating|waiting to start|not found/i.test(e.message))
          this.sink.notice(`${e.message}; reconnecting`);
      }
      await this.waitForChange(this.backoff.next());
    }
  }

  private async follow(first: boolean): Promise<void> {
    const { namespace, source, tailLines } = this.options;
    const splitter = new LineSplitter();
    const deliver = (raw: string) => {
      if (this.stop.signal.aborted) return; // bytes already in flight when the view closed
      const { timestamp, text } = splitTimestamp(raw);
      if (timestamp) {
        const key = timestampKey(timestamp);
        // sinceTime has one-second precision on real servers: skip what we already delivered.
        if (key <= this.lastKey) return;
        this.lastKey = key;
        this.lastTimestamp = timestamp;
      } else {
        this.lastTimestamp = new Date().toISOString();
      }
      this.backoff.reset();
      this.sink.line(source, text);
    };
    await this.conn.followLog(
      {
        namespace,
        pod: source.pod,
        container: source.container,
        sinceTime: this.lastTimestamp,
        tailLines: first ? tailLines : undefined,
      },
      (chunk) => splitter.push(chunk).forEach(deliver),
      this.stop.signal,
    );
    splitter.end().forEach(deliver);
  }

  private async waitForChange(ms: number): Promise<void> {
    this.wake = new AbortController();
    await sleep(ms, AbortSignal.any([this.stop.signal, this.wake.signal])).catch(() => {});
  }
}
