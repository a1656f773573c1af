// An informer that survives what real clusters do to watches, the way client-go's reflector does:
// list, then watch from the list's resourceVersion with bookmarks; when the watch ends, watch
// again from the last resourceVersion seen; on 410 Gone, list again and reconcile the cache with
// what the server has now (so deletions missed while disconnected are seen); on any other error,
// back off (800 ms, x2, 30 s cap, jitter) and retry forever; restart a watch that has gone silent.
// client-node's own informer gives up on errors other than 410, which is why this exists.
//
// The transport (ListWatch) is an interface so that this logic is testable without a cluster;
// src/cluster/list-watch.ts implements it over HTTP and client-node's Watch.
import type { ChangeBatch, InformerStatus, InformerView } from './api';
import { Backoff, type BackoffOptions, sleep, watchBackoff } from '../core/backoff';
import { ClusterError, classifyError, fromHttpStatus, type StatusBody } from '../core/errors';
import { Emitter } from '../core/events';
import { Disposable, toDisposable } from '../core/lifecycle';
import type { Logger } from '../core/logger';
import type { KubeObject } from '../core/resources';

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchHandlers<T> {
  /** The server accepted the watch (HTTP 200). */
  onOpen(): void;
  onEvent(type: WatchEventType, object: T | StatusBody): void;
}

export interface ListWatch<T> {
  /** Human words for log lines and errors: `pods in namespace "shop"`. */
  readonly description: string;
  list(signal: AbortSignal): Promise<ListResult<T>>;
  /** Resolves when the server ends the watch; rejects on a transport or HTTP error. */
  watch(
    resourceVersion: string,
    timeoutSeconds: number,
    handlers: WatchHandlers<T>,
    signal: AbortSignal,
  ): Promise<void>;
}

export interface InformerOptions {
  logger: Logger;
  backoff?: BackoffOptions;
  /** The watch timeout asked of the server; randomised like client-go (5-10 min) so watches do not expire together. */
  timeoutSeconds?: () => number;
  /** No event or bookmark for this long means the connection is dead although no error arrived. */
  watchdogMs?: (timeoutSeconds: number) => number;
  /** Changes within this window are delivered as one batch. */
  batchMs?: number;
}

const defaults = {
  timeoutSeconds: () => 300 + Math.floor(Math.random() * 300),
  watchdogMs: (timeoutSeconds: number) => 2 * timeoutSeconds * 1000,
  batchMs: 20,
};

/** Signals that the server no longer has the history we asked for. */
class GoneError extends Error {}
/** Signals that the watchdog cut a silent watch. */
class SilentWatchError extends Error {}

export class Informer<T extends KubeObject> extends Disposable implements InformerView<T> {
  private readonly cache = new Map<string, T>();
  /** Per changed key, the object before the pending batch began (undefined: it did not exist). */
  private readonly pending = new Map<string, T | undefined>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly backoff: Backoff;
  private readonly stopController = new AbortController();
  private retryController = new AbortController();
  private _status: InformerStatus = { phase: 'starting', hasSynced: false };
  private started = false;

  private readonly _onDidChange = this._register(new Emitter<ChangeBatch<T>>());
  readonly onDidChange = this._onDidChange.event;
  private readonly _onDidChangeStatus = this._register(new Emitter<InformerStatus>());
  readonly onDidChangeStatus = this._onDidChangeStatus.event;

  constructor(
    private readonly lw: ListWatch<T>,
    private readonly options: InformerOptions,
  ) {
    super();
    this.backoff = new Backoff(options.backoff ?? watchBackoff);
    this._register(
      toDisposable(() => {
        this.stopController.abort(new Error('informer stopped'));
        if (this.flushTimer) clearTimeout(this.flushTimer);
        this.setStatus({ phase: 'stopped', hasSynced: this._status.hasSynced });
      }),
    );
  }

  get status(): InformerStatus {
    return this._status;
  }
  get size(): number {
    return this.cache.size;
  }
  get(name: string): T | undefined {
    return this.cache.get(name);
  }
  values(): IterableIterator<T> {
    return this.cache.values();
  }

  start(): void {
    if (this.started || this.isDisposed) return;
    this.started = true;
    void this.run(this.stopController.signal);
  }

  retryNow(): void {
    this.backoff.reset();
    this.retryController.abort();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const log = this.options.logger;
    let resourceVersion: string | undefined;
    while (!signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          const listed = await this.lw.list(signal);
          this.replaceAll(listed.items);
          resourceVersion = listed.resourceVersion;
          this.flush();
          this.backoff.reset();
          this.setStatus({ phase: 'synced', hasSynced: true });
          log.debug(`listed ${listed.items.length} ${this.lw.description} at resourceVersion ${resourceVersion}`);
        }
        const began = Date.now();
        resourceVersion = await this.watchOnce(resourceVersion, signal);
        // The server ended the watch (its timeout, or a proxy closed it): continue where we were.
        // A server that ends every watch at once must not make us spin, so pause after short ones.
        if (Date.now() - began < 1000) await this.waitForRetry(this.backoff.next(), signal);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof GoneError) {
          log.info(`watch of ${this.lw.description}: history expired (410 Gone); listing again`);
          resourceVersion = undefined;
          continue;
        }
        const error =
          err instanceof SilentWatchError
            ? new ClusterError('unreachable', err.message, 'Devlane restarts the watch.')
            : classifyError(err, { action: `watch ${this.lw.description}` });
        const delay = this.backoff.next();
        log.warn(`${error.message}; retrying in ${delay} ms (attempt ${this.backoff.failures})`);
        this.setStatus({ phase: 'error', error, hasSynced: this._status.hasSynced });
        await this.waitForRetry(delay, signal);
      }
    }
  }

  /** Waits out the back-off, unless retryNow() or stop cuts it short. */
  private async waitForRetry(ms: number, signal: AbortSignal): Promise<void> {
    this.retryController = new AbortController();
    await sleep(ms, AbortSignal.any([signal, this.retryController.signal])).catch(() => {});
  }

  /** One watch request; returns the last resourceVersion seen when the server ends it normally. */
  private async watchOnce(fromVersion: string, stop: AbortSignal): Promise<string> {
    const timeoutSeconds = (this.options.timeoutSeconds ?? defaults.timeoutSeconds)();
    const silentMs = (this.options.watchdogMs ?? defaults.watchdogMs)(timeoutSeconds);
    const attempt = new AbortController();
    const signal = AbortSignal.any([stop, attempt.signal]);
    let resourceVersion = fromVersion;
    let failure: Error | undefined;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const fail = (err: Error) => {
      failure ??= err;
      attempt.abort(err);
    };
    const feedWatchdog = () => {
      if (watchdog) clearTimeout(watchdog);
      watchdog = setTimeout(
        () =>
          fail(
            new SilentWatchError(
              `The watch of ${this.lw.description} went silent for ${Math.round(silentMs / 1000)} s`,
            ),
          ),
        silentMs,
      );
    };

    feedWatchdog();
    try {
      await this.lw.watch(
        fromVersion,
        timeoutSeconds,
        {
          onOpen: () => {
            feedWatchdog();
            if (this._status.phase !== 'synced') {
              this.backoff.reset();
              this.setStatus({ phase: 'synced', hasSynced: true });
            }
          },
          onEvent: (type, object) => {
            if (failure) return;
            feedWatchdog();
            if (type === 'ERROR') {
              const status = object as StatusBody;
              fail(
                status.code === 410
                  ? new GoneError(status.message)
                  : fromHttpStatus(status.code ?? 500, status, { action: `watch ${this.lw.description}` }),
              );
              return;
            }
            const obj = object as T;
            const rv = obj.metadata?.resourceVersion;
            if (rv) resourceVersion = rv;
            if (type === 'BOOKMARK') return;
            if (type === 'DELETED') this.remove(obj.metadata.name);
            else this.upsert(obj);
          },
        },
        signal,
      );
    } catch (err) {
      if (failure) throw failure;
      if (err instanceof ClusterError && err.kind === 'gone') throw new GoneError(err.message);
      throw err;
    } finally {
      if (watchdog) clearTimeout(watchdog);
    }
    if (failure) throw failure;
    return resourceVersion;
  }

  private upsert(obj: T): void {
    const name = obj.metadata.name;
    this.markChanged(name);
    this.cache.set(name, obj);
    this.scheduleFlush();
  }

  private remove(name: string): void {
    if (!this.cache.has(name)) return;
    this.markChanged(name);
    this.cache.delete(name);
    this.scheduleFlush();
  }

  /** After a (re)list: the cache becomes exactly the list; unchanged objects keep their identity. */
  private replaceAll(items: T[]): void {
    const seen = new Set<string>();
    for (const item of items) {
      const name = item.metadata.name;
      seen.add(name);
      const old = this.cache.get(name);
      if (old && old.metadata.resourceVersion === item.metadata.resourceVersion) continue;
      this.markChanged(name);
      this.cache.set(name, item);
    }
    for (const name of [...this.cache.keys()]) {
      if (!seen.has(name)) {
        this.markChanged(name);
        this.cache.delete(name);
      }
    }
  }

  private markChanged(name: string): void {
    if (!this.pending.has(name)) this.pending.set(name, this.cache.get(name));
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.isDisposed) return;
    this.flushTimer = setTimeout(() => this.flush(), this.options.batchMs ?? defaults.batchMs);
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.size === 0) return;
    const batch: ChangeBatch<T> = { added: [], updated: [], deleted: [] };
    for (const [name, before] of this.pending) {
      const after = this.cache.get(name);
      if (!before && after) batch.added.push(after);
      else if (before && !after) batch.deleted.push(before);
      else if (before && after && before !== after) batch.updated.push({ before, after });
    }
    this.pending.clear();
    if (batch.added.length || batch.updated.length || batch.deleted.length) this._onDidChange.fire(batch);
  }

  private setStatus(status: InformerStatus): void {
    const prev = this._status;
    this._status = status;
    if (prev.phase !== status.phase || prev.error?.message !== status.error?.message) {
      if (status.phase === 'synced' && prev.phase === 'error')
        this.options.logger.info(`watch of ${this.lw.description} recovered`);
      this._onDidChangeStatus.fire(status);
    }
  }
}
